import { execFile } from 'node:child_process';
import { COMPUTE_APPS_ARGS, describeSmiFailure, GPU_QUERY_ARGS, parseComputeAppsCsv, parseGpuCsv, type SmiFailure, type SmiGpu, type SmiProcess } from './nvidia-smi';

/**
 * The host's GPUs, read by the backend (workers never see the host): nvidia-smi is run here and
 * its output parsed by nvidia-smi.ts. Used to place GPU images (`gpusFor`) and, for the
 * gpu_report task, handed to the worker in `job.context`.
 */
export type HostGpu = SmiGpu;
export type GpuProcess = SmiProcess;

/** What one look at the host's GPUs found. No GPU is a normal answer: `source: 'none'` and a note. */
export interface GpuProbe {
  source: 'nvidia-smi' | 'none';
  gpus: HostGpu[];
  /** Compute processes on those GPUs (host pids), for GPU memory per container. */
  processes: GpuProcess[];
  /** Why figures are missing or partial, when they are. */
  note?: string;
}

export interface SmiRun {
  stdout: string;
  failure?: SmiFailure;
}

/** Runs nvidia-smi with `args`, bounded; never throws (a failure is described, not raised). */
export type SmiRunner = (args: string[], timeoutMs: number) => Promise<SmiRun>;

export const runNvidiaSmi: SmiRunner = (args, timeoutMs) =>
  new Promise((resolve) => {
    execFile('nvidia-smi', args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout });
      const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null };
      resolve({
        stdout: stdout ?? '',
        failure: {
          ...(typeof e.code === 'string' ? { errno: e.code } : {}),
          exitCode: typeof e.code === 'number' ? e.code : null,
          timedOut: e.killed === true && e.signal === 'SIGTERM',
          stdout: stdout ?? '',
          stderr: stderr ?? '',
        },
      });
    });
  });

/**
 * The host's GPUs and their compute processes, from nvidia-smi. Never throws: no nvidia-smi, no
 * driver, no GPU, a timeout, all give `source: 'none'` with a note saying which.
 */
export async function probeGpuReport(opts: { run?: SmiRunner; timeoutMs?: number; processes?: boolean } = {}): Promise<GpuProbe> {
  const run = opts.run ?? runNvidiaSmi;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const gpuRun = await run(GPU_QUERY_ARGS, timeoutMs);
  const parsed = parseGpuCsv(gpuRun.stdout);
  const notes: string[] = [];
  if (parsed.rows.length === 0) {
    const note = gpuRun.failure ? describeSmiFailure(gpuRun.failure, timeoutMs) : parsed.problems.length > 0 ? `nvidia-smi printed no GPU line that could be read (${parsed.problems.join('; ')})` : 'nvidia-smi listed no GPU';
    return { source: 'none', gpus: [], processes: [], note };
  }
  // Some GPUs read, some not (a GPU in a bad state prints an error line among the CSV rows).
  if (gpuRun.failure) notes.push(describeSmiFailure(gpuRun.failure, timeoutMs));
  if (parsed.problems.length > 0) notes.push(`some nvidia-smi GPU lines could not be read (${parsed.problems.join('; ')})`);
  let processes: GpuProcess[] = [];
  if (opts.processes !== false) {
    const appsRun = await run(COMPUTE_APPS_ARGS, timeoutMs);
    const apps = parseComputeAppsCsv(appsRun.stdout);
    processes = apps.rows;
    if (appsRun.failure && apps.rows.length === 0) notes.push(`GPU processes are unknown: ${describeSmiFailure(appsRun.failure, timeoutMs)}`);
    if (apps.problems.length > 0) notes.push(`some nvidia-smi process lines could not be read (${apps.problems.join('; ')})`);
  }
  return { source: 'nvidia-smi', gpus: parsed.rows, processes, ...(notes.length > 0 ? { note: notes.join('. ') } : {}) };
}

/** The host's GPUs from nvidia-smi; none (no driver, no GPU, no nvidia-smi) is an empty list. */
export async function probeGpus(timeoutMs = 5000): Promise<HostGpu[]> {
  return (await probeGpuReport({ timeoutMs, processes: false })).gpus;
}

/** GPUs with at least `minVramMb` of memory, for an image the allowlist marks requires_gpu. */
export function gpusFor(gpus: readonly HostGpu[], minVramMb: number): HostGpu[] {
  return gpus.filter((g) => g.uuid !== '' && (g.memoryTotalMb ?? 0) >= minVramMb);
}
