import type { RunEngine } from '../../backend/runs/engine';

/**
 * Counts the engine's dispatch passes (the queue scans it makes on each poll and kick), so a
 * test that must show a run was NOT taken can wait for passes that would have taken it,
 * instead of sleeping for a guessed while. It wraps the private method on this one instance.
 */
export function watchDispatchPasses(engine: RunEngine): { completed(): number; after(n: number, timeoutMs?: number): Promise<void>; restore(): void } {
  const target = engine as unknown as { dispatchPass(): Promise<void> };
  const original = target.dispatchPass;
  let completed = 0;
  const waiters: Array<{ at: number; resolve(): void }> = [];
  target.dispatchPass = async function (this: unknown) {
    try {
      await original.call(this);
    } finally {
      completed += 1;
      for (const w of waiters.filter((x) => x.at <= completed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  return {
    completed: () => completed,
    /** Resolves once `n` passes that began after this call have completed (bounded in time). */
    after(n: number, timeoutMs = 10_000): Promise<void> {
      // A pass already running when this is called completes first and is not counted.
      const at = completed + n + 1;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} dispatch pass(es)`)), timeoutMs);
        waiters.push({ at, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    restore: () => {
      target.dispatchPass = original;
    },
  };
}
