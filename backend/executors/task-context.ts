import type Dockerode from 'dockerode';
import type { Queryable } from '../store/db';
import type { GpuProbe } from './docker-gpu';

/**
 * What a task's context builder (workers/tasks/<task>/context.ts, run in the backend) is given
 * to collect what its worker needs besides the input: the worker has no Docker socket, no
 * database and no view of the host, so the backend looks and hands over facts, never secrets.
 */
export interface TaskContextDeps {
  docker: Dockerode;
  q: Queryable;
  /** The run the job belongs to (absent when a context is built outside a run, in tests). */
  runId?: string;
  /** Container ids as the task may show them (masked in redacted debug mode). */
  maskId(id: string): string;
  /** How the host's GPUs are read. */
  gpuProbe(): Promise<GpuProbe>;
}

/** Builds one task's `job.context` from its validated input. */
export type TaskContextBuilder = (input: unknown, deps: TaskContextDeps) => Promise<Record<string, unknown>>;

/** A boolean input field, or its default when the input does not set it. */
export function inputFlag(input: unknown, name: string, fallback: boolean): boolean {
  const v = input && typeof input === 'object' ? (input as Record<string, unknown>)[name] : undefined;
  return typeof v === 'boolean' ? v : fallback;
}
