/**
 * Reading nvidia-smi's CSV output: pure functions, no process is run here (docker-gpu.ts runs
 * nvidia-smi). Robust to what real drivers print: `[N/A]`, `[Not Supported]`, `[Unknown
 * Error]`, `ERR!`, units left in despite `nounits`, CRLF line ends, a header line, blank
 * lines, a product name with a comma in it, and failure messages instead of CSV.
 */

import type { GpuFacts, GpuProcessFacts } from '../../contracts/tasks/gpu-report';

/** The GPU fields queried, in this order. */
export const GPU_QUERY_FIELDS = ['index', 'name', 'uuid', 'memory.total', 'memory.used', 'utilization.gpu', 'temperature.gpu', 'power.draw'] as const;
export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

/** The compute-process fields queried, in this order. */
export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'used_memory'] as const;
export const COMPUTE_APPS_ARGS = [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

/** A GPU and a GPU process as parsed here: the gpu_report task's contract. */
export type SmiGpu = GpuFacts;
export type SmiProcess = GpuProcessFacts;

export interface SmiParsed<T> {
  rows: T[];
  /** One short line per line of output that could not be read (never the line's text). */
  problems: string[];
}

/**
 * A numeric cell: a number (units after it are tolerated), or null for every "no value" form
 * nvidia-smi prints (`[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]`, `ERR!`, empty).
 */
export function smiNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:MiB|MB|W|%|C)?\s*$/i.exec(unquote(cell));
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

function unquote(cell: string): string {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

function isNoValue(cell: string): boolean {
  const t = unquote(cell);
  return t === '' || /^\[.*\]$/.test(t) || /^(N\/A|ERR!)$/i.test(t);
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l, i) => ({ n: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '');

/** `--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw --format=csv,noheader,nounits`. */
export function parseGpuCsv(text: string): SmiParsed<SmiGpu> {
  const rows: SmiGpu[] = [];
  const problems: string[] = [];
  const tail = GPU_QUERY_FIELDS.length - 2; // uuid and the five numbers come after the name
  for (const l of lines(text)) {
    const raw = l.text.split(',');
    const f = raw.map((c) => c.trim());
    if (/^index$/i.test(unquote(f[0] ?? ''))) continue; // a header line
    if (f.length < GPU_QUERY_FIELDS.length) {
      problems.push(`line ${l.n}: ${f.length} field(s), expected ${GPU_QUERY_FIELDS.length}`);
      continue;
    }
    const index = smiNumber(f[0]);
    if (index === null || !Number.isInteger(index) || index < 0) {
      problems.push(`line ${l.n}: the GPU index is not a number`);
      continue;
    }
    // Only the product name is free text: a comma in it shows up as extra fields in the middle.
    const name = unquote(raw.slice(1, f.length - tail).join(','));
    const [uuid, total, used, util, temp, power] = f.slice(f.length - tail).map(unquote) as [string, string, string, string, string, string];
    rows.push({
      index,
      name: isNoValue(name) ? '' : name,
      uuid: isNoValue(uuid) ? '' : uuid,
      memoryTotalMb: smiNumber(total),
      memoryUsedMb: smiNumber(used),
      utilizationPct: smiNumber(util),
      temperatureC: smiNumber(temp),
      powerW: smiNumber(power),
    });
  }
  return { rows, problems };
}

/** `--query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits`. */
export function parseComputeAppsCsv(text: string): SmiParsed<SmiProcess> {
  const rows: SmiProcess[] = [];
  const problems: string[] = [];
  for (const l of lines(text)) {
    if (/no running (compute )?processes found/i.test(l.text)) continue;
    const f = l.text.split(',').map(unquote);
    if (/^gpu_uuid$/i.test(f[0] ?? '')) continue; // a header line
    if (f.length !== COMPUTE_APPS_FIELDS.length) {
      problems.push(`line ${l.n}: ${f.length} field(s), expected ${COMPUTE_APPS_FIELDS.length}`);
      continue;
    }
    const pid = smiNumber(f[1]);
    if (pid === null || !Number.isInteger(pid) || pid <= 0) {
      problems.push(`line ${l.n}: the process id is not a number`);
      continue;
    }
    rows.push({ gpuUuid: isNoValue(f[0]!) ? '' : f[0]!, pid, usedMemoryMb: smiNumber(f[2]) });
  }
  return { rows, problems };
}

/** How a run of nvidia-smi ended, as child_process reports it. */
export interface SmiFailure {
  /** errno code of the spawn (`ENOENT`: not installed), when it did not start. */
  errno?: string;
  exitCode?: number | null;
  /** Killed by the timeout. */
  timedOut?: boolean;
  stdout?: string;
  stderr?: string;
}

/**
 * Why there is no GPU figure, in one sentence for the report's `note`. No NVIDIA GPU is the
 * normal case on most hosts, and reads as such.
 */
export function describeSmiFailure(f: SmiFailure, timeoutMs: number): string {
  if (f.errno === 'ENOENT') return 'nvidia-smi is not installed on this host (no NVIDIA driver), so there is no GPU to report';
  if (f.timedOut) return `nvidia-smi did not answer within ${Math.round(timeoutMs / 1000)} s`;
  if (f.errno === 'EACCES') return 'nvidia-smi could not be run (permission denied)';
  if (f.errno) return `nvidia-smi could not be run (${f.errno})`;
  const out = `${f.stdout ?? ''}\n${f.stderr ?? ''}`;
  if (f.exitCode === 6 || /no devices were found/i.test(out)) return 'nvidia-smi found no NVIDIA GPU on this host';
  if (f.exitCode === 9 || /couldn't communicate with the nvidia driver|driver.*not loaded/i.test(out)) {
    return 'nvidia-smi could not communicate with the NVIDIA driver (is it installed and loaded?)';
  }
  if (/insufficient permissions/i.test(out)) return 'nvidia-smi reported insufficient permissions';
  const first = out.split(/\r?\n/).map((l) => l.trim()).find(Boolean);
  return `nvidia-smi failed (exit code ${f.exitCode ?? 'unknown'})${first ? `: ${first.slice(0, 160)}` : ''}`;
}
