/**
 * Waiting on Google's long-running work (a build, a rollout) by reading its state every few
 * seconds: bounded in time, stopped by the run's signal, and reporting each change once. The
 * caller decides what "done" means and what a timeout leaves behind.
 */
import { ProductOsError } from '../../errors';

export interface PollOptions<T> {
  read(): Promise<T>;
  /** The value when finished, or undefined to keep waiting. */
  done(value: T): boolean;
  /** Called with every value read (progress, logs); errors in it end the wait. */
  onValue?(value: T): Promise<void>;
  intervalMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** The error when the time is up: it names what is left and what to do. */
  onTimeout(last: T | undefined): ProductOsError;
  /** The error when the signal fires (the caller may undo what it started first). */
  onAbort(last: T | undefined): Promise<ProductOsError>;
}

export async function pollUntil<T>(o: PollOptions<T>): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: T | undefined;
  for (;;) {
    if (o.signal.aborted) throw await o.onAbort(last);
    last = await o.read();
    await o.onValue?.(last);
    if (o.done(last)) return last;
    const left = deadline - Date.now();
    if (left <= 0) throw o.onTimeout(last);
    await sleep(Math.min(o.intervalMs, left), o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
