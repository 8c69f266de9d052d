/**
 * The worker protocol, declared once as schemas (types derived) and imported by the worker
 * runtime (workers/runtime/main.ts) and the backend's Docker executor.
 *
 * The backend writes one job as a single JSON line on the container's stdin. The worker answers
 * with JSON lines on stdout: `ready` as soon as it can take a job (a warm-pool worker waits
 * there), then any number of `log` and `progress` lines, then exactly one `result` or `error`
 * line, and exits. Anything else on stdout or stderr is kept as a plain log line.
 * A task's own input, context and output are in contracts/tasks/.
 */
import { Type, type Static } from '@sinclair/typebox';

export const WORKER_LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type WorkerLogLevel = (typeof WORKER_LOG_LEVELS)[number];
export const LOG_LEVELS: ReadonlySet<string> = new Set<WorkerLogLevel>(WORKER_LOG_LEVELS);
const LogLevel = Type.Union(WORKER_LOG_LEVELS.map((l) => Type.Literal(l)));

export const WorkerJob = Type.Object({
  /** The task in the worker's task table (the registry's `executor.task`). */
  task: Type.String({ minLength: 1 }),
  /** The run's validated input. */
  input: Type.Unknown(),
  runId: Type.String({ minLength: 1 }),
  tool: Type.String(),
  /** Where the run's own output folder is mounted (read-write), when it has one. */
  outputDir: Type.Optional(Type.String()),
  /** What the backend collected for the task (for example allowlisted containers); never secrets. */
  context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type WorkerJob = Static<typeof WorkerJob>;

export const WorkerLine = Type.Union([
  Type.Object({ type: Type.Literal('ready'), pid: Type.Integer() }),
  Type.Object({ type: Type.Literal('log'), level: LogLevel, message: Type.String(), fields: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
  Type.Object({ type: Type.Literal('progress'), progress: Type.Number(), total: Type.Optional(Type.Number()), message: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('result'), output: Type.Unknown() }),
  Type.Object({ type: Type.Literal('error'), code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
]);
export type WorkerLine = Static<typeof WorkerLine>;

/** Where things are inside every worker container. */
export const WORKER_PATHS = {
  output: '/out',
  logs: '/logs',
  tmp: '/tmp',
} as const;

/** The non-root user every worker runs as (baked into the image's /etc/passwd). */
export const WORKER_UID = 10001;
