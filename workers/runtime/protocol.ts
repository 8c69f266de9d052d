/**
 * The worker protocol, declared once and imported by the worker runtime and the backend's
 * Docker executor.
 *
 * The backend writes one job as a single JSON line on the container's stdin. The worker answers
 * with JSON lines on stdout: `ready` as soon as it can take a job (a warm-pool worker waits
 * there), then any number of `log` and `progress` lines, then exactly one `result` or `error`
 * line, and exits. Anything else on stdout or stderr is kept as a plain log line.
 */

export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface WorkerJob {
  /** The task in the worker's task table (the registry's `executor.task`). */
  task: string;
  /** The run's validated input. */
  input: unknown;
  runId: string;
  tool: string;
  /** Where the run's own output folder is mounted (read-write), when it has one. */
  outputDir?: string;
  /** What the backend collected for the task (for example allowlisted containers); never secrets. */
  context?: Record<string, unknown>;
}

export type WorkerLine =
  | { type: 'ready'; pid: number }
  | { type: 'log'; level: WorkerLogLevel; message: string; fields?: Record<string, unknown> }
  | { type: 'progress'; progress: number; total?: number; message?: string }
  | { type: 'result'; output: unknown }
  | { type: 'error'; code: string; message: string; details?: unknown };

export const LOG_LEVELS: ReadonlySet<string> = new Set<WorkerLogLevel>(['debug', 'info', 'warn', 'error']);

/** Where things are inside every worker container. */
export const WORKER_PATHS = {
  output: '/out',
  logs: '/logs',
  tmp: '/tmp',
} as const;

/** The non-root user every worker runs as (baked into the image's /etc/passwd). */
export const WORKER_UID = 10001;
