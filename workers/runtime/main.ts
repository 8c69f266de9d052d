/**
 * The worker runtime: the entry point of every worker container.
 *
 * Prints `ready`, reads exactly one job (one JSON line, or everything up to EOF) from stdin,
 * runs its task from the task table, prints the task's log and progress lines as they happen
 * and then one `result` or `error` line, and exits. A warm-pool worker is simply one that has
 * printed `ready` and not yet been given its job; if stdin closes first (the backend went
 * away) it exits without doing anything.
 */
import type { WorkerJob, WorkerLine } from '../../contracts/worker-protocol';
import { TaskError, type TaskIo } from './task';
import { TASKS } from './tasks';

const MAX_JOB_BYTES = 64 * 1024 * 1024;

/** Exit codes besides 0 (result printed) and 1 (error printed). */
const EXIT_NO_JOB = 3;

function emit(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function finish(line: WorkerLine, code: number): void {
  // Pipes are synchronous on Linux; the callback still makes sure the line left the process.
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(code));
}

function readJob(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (text: string | null) => {
      process.stdin.removeAllListeners('data');
      process.stdin.pause();
      resolve(text);
    };
    process.stdin.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(10);
      if (nl >= 0) {
        chunks.push(chunk.subarray(0, nl));
        return done(Buffer.concat(chunks).toString('utf8'));
      }
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_JOB_BYTES) reject(new TaskError('invalid_input', `the job is larger than ${MAX_JOB_BYTES} bytes`));
    });
    process.stdin.once('end', () => done(size > 0 ? Buffer.concat(chunks).toString('utf8') : null));
    process.stdin.once('error', reject);
  });
}

function parseJob(text: string): WorkerJob {
  let job: unknown;
  try {
    job = JSON.parse(text);
  } catch {
    throw new TaskError('invalid_input', 'the job on stdin is not JSON');
  }
  const j = job as Partial<WorkerJob>;
  if (!j || typeof j !== 'object' || typeof j.task !== 'string' || typeof j.runId !== 'string') {
    throw new TaskError('invalid_input', 'the job must be an object with string `task` and `runId`');
  }
  return j as WorkerJob;
}

async function main(): Promise<void> {
  emit({ type: 'ready', pid: process.pid });
  const text = await readJob();
  if (text === null) process.exit(EXIT_NO_JOB);
  const job = parseJob(text);
  const task = Object.hasOwn(TASKS, job.task) ? TASKS[job.task as keyof typeof TASKS] : undefined;
  if (!task) throw new TaskError('not_implemented', `this worker image has no task "${job.task}"`);
  const io: TaskIo = {
    job,
    log: (level, message, fields) => emit({ type: 'log', level, message, ...(fields ? { fields } : {}) }),
    progress: (progress, total, message) =>
      emit({ type: 'progress', progress, ...(total === undefined ? {} : { total }), ...(message === undefined ? {} : { message }) }),
  };
  const output = await task(job.input, io);
  finish({ type: 'result', output: output === undefined ? null : output }, 0);
}

function fail(err: unknown): void {
  const e = err instanceof TaskError ? err : new TaskError('executor_failed', err instanceof Error ? err.message : String(err));
  finish({ type: 'error', code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) }, 1);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
main().catch(fail);
