/**
 * The gpu_report task's logic, pure: from what the backend read of the host's GPUs (nvidia-smi,
 * in `job.context`) and the pids of allowlisted containers, the report the registry's
 * `ops.gpu_report` outputSchema describes. No GPU is a normal report: `source: 'none'`, no
 * GPUs, and a note saying why.
 */

import type { GpuContainerFacts, GpuFacts, GpuProcessFacts, GpuReport, GpuReportContext } from '../../../contracts/tasks/gpu-report';

export type { GpuContainerFacts, GpuFacts, GpuProcessFacts, GpuReport, GpuReportContext };

/** What is wrong with a context the backend handed in (a programming error, not user input). */
export class GpuContextError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOrNull = (v: unknown, where: string): number | null => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new GpuContextError(`${where} is not a number`);
  return v;
};
const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string') throw new GpuContextError(`${where} is not a string`);
  return v;
};
const arr = (v: unknown, where: string): unknown[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new GpuContextError(`${where} is not an array`);
  return v;
};

/** Reads `job.context` of a gpu_report job, or throws GpuContextError naming what is wrong. */
export function readGpuContext(context: unknown): GpuReportContext {
  if (!isObj(context)) throw new GpuContextError('job.context is missing: the backend collects the GPU facts');
  const source = context.source;
  if (source !== 'nvml' && source !== 'nvidia-smi' && source !== 'none') throw new GpuContextError('job.context.source is not nvml, nvidia-smi or none');
  const gpus = arr(context.gpus, 'job.context.gpus').map((g, i) => {
    const w = `job.context.gpus[${i}]`;
    if (!isObj(g)) throw new GpuContextError(`${w} is not an object`);
    const index = numOrNull(g.index, `${w}.index`);
    return {
      index: index !== null && Number.isInteger(index) && index >= 0 ? index : i,
      name: str(g.name ?? '', `${w}.name`),
      uuid: str(g.uuid ?? '', `${w}.uuid`),
      memoryTotalMb: numOrNull(g.memoryTotalMb, `${w}.memoryTotalMb`),
      memoryUsedMb: numOrNull(g.memoryUsedMb, `${w}.memoryUsedMb`),
      utilizationPct: numOrNull(g.utilizationPct, `${w}.utilizationPct`),
      temperatureC: numOrNull(g.temperatureC, `${w}.temperatureC`),
      powerW: numOrNull(g.powerW, `${w}.powerW`),
    };
  });
  const processes = arr(context.processes, 'job.context.processes').map((p, i) => {
    const w = `job.context.processes[${i}]`;
    if (!isObj(p)) throw new GpuContextError(`${w} is not an object`);
    return { gpuUuid: str(p.gpuUuid ?? '', `${w}.gpuUuid`), pid: numOrNull(p.pid, `${w}.pid`) ?? 0, usedMemoryMb: numOrNull(p.usedMemoryMb, `${w}.usedMemoryMb`) };
  });
  const containers = arr(context.containers, 'job.context.containers').map((c, i) => {
    const w = `job.context.containers[${i}]`;
    if (!isObj(c)) throw new GpuContextError(`${w} is not an object`);
    return {
      id: str(c.id, `${w}.id`),
      name: str(c.name, `${w}.name`),
      pids: arr(c.pids, `${w}.pids`).filter((p): p is number => typeof p === 'number' && Number.isInteger(p) && p > 0),
    };
  });
  const note = context.note === undefined ? undefined : str(context.note, 'job.context.note');
  return { source, gpus, processes, containers, ...(note ? { note } : {}) };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The report. Figures the driver did not give are 0 in the output (the schema wants numbers;
 * power may be null) and named in the note, never invented silently.
 */
export function buildGpuReport(ctx: GpuReportContext, opts: { includeContainers: boolean }): GpuReport {
  const notes: string[] = ctx.note ? [ctx.note] : [];
  const gpus = [...ctx.gpus]
    .sort((a, b) => a.index - b.index)
    .map((g) => {
      const missing: string[] = [];
      const need = (v: number | null, field: string, lo: number, hi = Number.POSITIVE_INFINITY) => {
        if (v === null) {
          missing.push(field);
          return 0;
        }
        return Math.min(hi, Math.max(lo, v));
      };
      const row = {
        index: g.index,
        name: g.name,
        uuid: g.uuid,
        memory_total_mb: need(g.memoryTotalMb, 'memory total', 0),
        memory_used_mb: need(g.memoryUsedMb, 'memory used', 0),
        utilization_pct: need(g.utilizationPct, 'utilization', 0, 100),
        temperature_c: need(g.temperatureC, 'temperature', Number.NEGATIVE_INFINITY),
        power_w: g.powerW === null ? null : Math.max(0, g.powerW),
      };
      if (g.powerW === null) missing.push('power');
      if (missing.length > 0) notes.push(`GPU ${g.index}: the driver does not report ${missing.join(', ')}${missing.some((m) => m !== 'power') ? ' (shown as 0)' : ''}`);
      return row;
    });

  let containers: GpuReport['containers'] = [];
  if (opts.includeContainers && ctx.source !== 'none') {
    const owner = new Map<number, number>(); // host pid → index in ctx.containers
    ctx.containers.forEach((c, i) => c.pids.forEach((p) => owner.set(p, i)));
    const memory = ctx.containers.map(() => 0);
    let unknownMemory = 0;
    let outside = 0;
    for (const p of ctx.processes) {
      const i = owner.get(p.pid);
      if (i === undefined) {
        outside += 1;
        continue;
      }
      if (p.usedMemoryMb === null) unknownMemory += 1;
      else memory[i]! += Math.max(0, p.usedMemoryMb);
    }
    containers = ctx.containers.map((c, i) => ({ name: c.name, id: c.id, gpu_memory_mb: round1(memory[i]!) })).sort((a, b) => b.gpu_memory_mb - a.gpu_memory_mb || a.name.localeCompare(b.name));
    if (unknownMemory > 0) notes.push(`${unknownMemory} GPU process(es) of allowlisted containers have no memory figure from the driver (counted as 0)`);
    if (outside > 0) notes.push(`${outside} GPU process(es) belong to no allowlisted container`);
  }
  if (ctx.source === 'none' && notes.length === 0) notes.push('no GPU was found on this host');
  return { gpus, containers, source: ctx.source, ...(notes.length > 0 ? { note: notes.join('. ') } : {}) };
}
