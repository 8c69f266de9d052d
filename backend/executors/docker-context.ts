import type Dockerode from 'dockerode';
import type { Queryable } from '../store/db';
import { directiveSnapshot, recordRunDirective } from '../store/directives';
import { probeGpuReport, type GpuProbe } from './docker-gpu';
import { maskContainerId } from './docker-containers';
import type { TaskContextBuilder, TaskContextDeps } from './task-context';
import { gpuReportContext } from '../../workers/tasks/gpu-report/context';
import { logTriageContext } from '../../workers/tasks/log-triage/context';
import { serviceMapContext } from '../../workers/tasks/service-map/context';

export { collectContainers, maskContainerId, type ContainerFacts } from './docker-containers';

/**
 * `job.context` for a docker task: each task that needs more than its input has a context
 * builder in its own folder (workers/tasks/<task>/context.ts); this picks it by the registry's
 * `executor.task`. A task runs under a directive either by choosing one itself (log_triage:
 * input `directive_id`) or, marked `defaultDirective`, under its tool's default one (D2, D3),
 * whose snapshot the run keeps, so "what configuration did this run use?" has an answer.
 */
interface TaskContextSpec {
  build: TaskContextBuilder;
  /** The registry tool whose default directive the run is recorded under. */
  defaultDirective?: string;
}

const TASK_CONTEXTS: Readonly<Record<string, TaskContextSpec>> = {
  gpu_report: { build: gpuReportContext, defaultDirective: 'ops.gpu_report' },
  service_map: { build: serviceMapContext, defaultDirective: 'ops.service_map' },
  log_triage: { build: (input, deps) => logTriageContext(input, deps.q, deps.runId) as Promise<Record<string, unknown>> },
};

/** What the context collection may be told by the composition root. */
export interface JobContextOptions {
  /**
   * Mask container ids in what the ops tasks see and return (DEBUG_REDACTED_MODE: pass
   * `config.redactedDebug`). Default true, as the configuration's default.
   */
  maskIds?: boolean;
  /** How the host's GPUs are read (default: nvidia-smi, see docker-gpu.ts). */
  gpuProbe?: () => Promise<GpuProbe>;
}

/**
 * The executor's `jobContext` with options: the composition root wires
 * `jobContextFor({ maskIds: config.redactedDebug })`.
 */
export function jobContextFor(opts: JobContextOptions): typeof defaultJobContext {
  return async (task, input, docker, q, runId) => {
    const spec = Object.hasOwn(TASK_CONTEXTS, task) ? TASK_CONTEXTS[task] : undefined;
    if (!spec) return undefined;
    const deps: TaskContextDeps = {
      docker,
      q,
      ...(runId === undefined ? {} : { runId }),
      maskId: opts.maskIds === false ? (id) => id : maskContainerId,
      gpuProbe: opts.gpuProbe ?? (() => probeGpuReport()),
    };
    const context = await spec.build(input, deps);
    if (!spec.defaultDirective || !runId) return context;
    const directive = await directiveSnapshot(q, spec.defaultDirective);
    await recordRunDirective(q, runId, directive);
    return { ...context, directive };
  };
}

/** `job.context` for a task, or undefined when the task needs none (ids masked). */
export async function defaultJobContext(task: string, input: unknown, docker: Dockerode, q: Queryable, runId?: string): Promise<Record<string, unknown> | undefined> {
  return jobContextFor({})(task, input, docker, q, runId);
}
