import type { WorkerJob, WorkerLogLevel } from '../../contracts/worker-protocol';

/** What a task may do besides returning its output. */
export interface TaskIo {
  job: WorkerJob;
  log(level: WorkerLogLevel, message: string, fields?: Record<string, unknown>): void;
  progress(progress: number, total?: number, message?: string): void;
}

export type Task = (input: unknown, io: TaskIo) => Promise<unknown>;

/** A failure a task reports on purpose: its code reaches the run's error. */
export class TaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

/** Reads a field of a plain-object input, or fails with invalid_input naming it. */
export function field<T>(input: unknown, name: string, check: (v: unknown) => v is T, fallback?: T): T {
  const v = input && typeof input === 'object' ? (input as Record<string, unknown>)[name] : undefined;
  if (v === undefined && fallback !== undefined) return fallback;
  if (!check(v)) throw new TaskError('invalid_input', `input.${name} is missing or has the wrong type`);
  return v;
}

export const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
