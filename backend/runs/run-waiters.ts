import type { StoredRun } from '../store/runs';
import { isTerminal } from './transitions';

const RECENTLY_ENDED_MAX = 1000;
/** How often a caller waiting on a run that executes elsewhere re-reads it. */
const REMOTE_POLL_MS = 500;

/**
 * Callers waiting for runs to end (MCP calls, the CLI). A run executing in this process is
 * announced by `ended`; one executing on another backend sharing the store is polled. Recently
 * ended runs are kept, so a caller that starts waiting a moment late needs no query.
 */
export class RunWaiters {
  private readonly waiting = new Map<string, Set<(run: StoredRun) => void>>();
  private readonly recentlyEnded = new Map<string, StoredRun>();

  ended(run: StoredRun): void {
    this.recentlyEnded.set(run.id, run);
    if (this.recentlyEnded.size > RECENTLY_ENDED_MAX) this.recentlyEnded.delete(this.recentlyEnded.keys().next().value!);
    for (const w of [...(this.waiting.get(run.id) ?? [])]) w(run);
  }

  async wait(id: string, opts: { executingHere: boolean; read: (id: string) => Promise<StoredRun>; signal?: AbortSignal }): Promise<StoredRun> {
    const { signal } = opts;
    const ended = this.recentlyEnded.get(id);
    if (ended) return ended;
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    return new Promise<StoredRun>((resolve, reject) => {
      const set = this.waiting.get(id) ?? new Set();
      this.waiting.set(id, set);
      let poll: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearTimeout(poll);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = (run: StoredRun) => {
        cleanup();
        resolve(run);
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason ?? new Error('aborted'));
      };
      set.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.executingHere) return;
      // It may have ended already, or be executed by another backend: read until it ends.
      const check = () =>
        opts.read(id).then(
          (run) => {
            if (isTerminal(run.status)) done(run);
            else if (set.has(done)) poll = setTimeout(check, REMOTE_POLL_MS);
          },
          (err) => {
            cleanup();
            reject(err);
          },
        );
      void check();
    });
  }
}
