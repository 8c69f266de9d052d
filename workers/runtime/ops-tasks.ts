import type { Task } from './task';

/**
 * The operations tasks, one folder each (workers/tasks/<task>/: the worker entry task.ts, the
 * backend's context.ts, the task's logic beside them); card_agent holds its worker open while the backend drives it
 * (workers/tasks/card-agent/).
 *
 * What each receives (`TaskIo.job`):
 * - log_triage: `input` as the registry validated it; the logs folder is mounted read-only at
 *   WORKER_PATHS.logs (`/logs`), and `job.outputDir` is writable when the run has one.
 * - gpu_report: `job.context.gpus` / `job.context.containers`, collected by the backend (the
 *   Docker socket never goes inside a worker).
 * - service_map: `job.context.containers` (allowlisted containers: names, networks, ports,
 *   environment variable names only), collected by the backend.
 */

export { logTriage } from '../tasks/log-triage/task';
export { gpuReport } from '../tasks/gpu-report/task';
export { serviceMap } from '../tasks/service-map/task';
export { cardAgent } from '../tasks/card-agent/task';
