import { execFile } from 'node:child_process';

export interface HostGpu {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMb: number;
  memoryUsedMb: number;
  utilizationPct: number | null;
  temperatureC: number | null;
  powerW: number | null;
}

export interface GpuProcess {
  gpuUuid: string;
  pid: number;
  usedMemoryMb: number;
}

const QUERY = 'index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw';

function nvidiaSmi(args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => resolve(err ? null : stdout));
  });
}

const num = (v: string | undefined) => {
  const n = Number(v?.trim());
  return v === undefined || v.trim() === '' || Number.isNaN(n) ? null : n;
};

/** The host's GPUs from nvidia-smi; none (no driver, no GPU, no nvidia-smi) is an empty list. */
export async function probeGpus(timeoutMs = 5000): Promise<HostGpu[]> {
  const out = await nvidiaSmi([`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], timeoutMs);
  if (!out) return [];
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split(','))
    .map((f) => ({
      index: num(f[0]) ?? 0,
      uuid: f[1]?.trim() ?? '',
      name: f[2]?.trim() ?? '',
      memoryTotalMb: num(f[3]) ?? 0,
      memoryUsedMb: num(f[4]) ?? 0,
      utilizationPct: num(f[5]),
      temperatureC: num(f[6]),
      powerW: num(f[7]),
    }));
}

/** Processes using each GPU (pid as the host sees it), for mapping GPU memory to containers. */
export async function probeGpuProcesses(timeoutMs = 5000): Promise<GpuProcess[]> {
  const out = await nvidiaSmi(['--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv,noheader,nounits'], timeoutMs);
  if (!out) return [];
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split(','))
    .map((f) => ({ gpuUuid: f[0]?.trim() ?? '', pid: num(f[1]) ?? 0, usedMemoryMb: num(f[2]) ?? 0 }));
}

/** GPUs with at least `minVramMb` of memory, for an image the allowlist marks requires_gpu. */
export function gpusFor(gpus: readonly HostGpu[], minVramMb: number): HostGpu[] {
  return gpus.filter((g) => g.memoryTotalMb >= minVramMb);
}
