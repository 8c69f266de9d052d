import { field, isInt, type Task } from './task';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Returns its input unchanged: the trivial job for dispatch latency and plumbing tests. */
export const echo: Task = async (input) => input;

/** Waits `ms` milliseconds, for timeout and cancellation tests. */
export const sleepTask: Task = async (input, io) => {
  const ms = field(input, 'ms', isInt);
  io.log('info', `sleeping ${ms} ms`);
  await sleep(ms);
  return { slept: ms };
};

/**
 * Allocates `mb` MiB and touches every page, for the out-of-memory test: past the container's
 * memory limit the kernel kills the worker, which the executor reports as out of memory.
 */
export const allocate: Task = async (input, io) => {
  const mb = field(input, 'mb', isInt);
  const hold: Buffer[] = [];
  for (let i = 0; i < mb; i++) {
    hold.push(Buffer.alloc(1024 * 1024, 1));
    if (i % 64 === 63) io.progress(i + 1, mb, `${i + 1} MiB`);
  }
  return { allocated_mb: hold.length };
};

/** Prints `lines` log lines `ms` apart (with progress), for live log streaming tests. */
export const logLines: Task = async (input, io) => {
  const lines = field(input, 'lines', isInt);
  const ms = field(input, 'ms', isInt, 0);
  for (let i = 1; i <= lines; i++) {
    io.log('info', `line ${i} of ${lines}`, { i });
    io.progress(i, lines, `line ${i}`);
    if (ms > 0 && i < lines) await sleep(ms);
  }
  return { lines };
};
