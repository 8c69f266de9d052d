/**
 * The recent runs the Runs view and the status bar show, kept live from the run stream.
 * Subscribes before it reads the list, so no change falls between the two; a newer version of
 * a run always wins. No `vscode` import.
 */
import type { Run, RunPage } from '../../contracts/rest';
import type { BackendApi } from '../backend-api';
import { ACTIVE_STATUSES, isTerminal } from '../run-status';
import { isViewRead } from '../../contracts/run-origin';

export class RunStore {
  private readonly runs = new Map<string, Run>();
  private readonly listeners = new Set<() => void>();
  private unsubscribe?: () => void;
  private started?: Promise<void>;

  constructor(
    private readonly api: Pick<BackendApi, 'call' | 'onRun'>,
    private readonly limit = 100,
  ) {}

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes and loads (once; again after stop()). */
  start(): Promise<void> {
    this.started ??= this.load();
    return this.started;
  }

  /** Re-reads the list (a refresh button, a backend restart). */
  async refresh(): Promise<void> {
    this.started = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.runs.clear();
    await this.start();
  }

  /** Stops and forgets every run (another backend, another database). */
  reset(): void {
    this.stop();
    this.runs.clear();
    this.emit();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.started = undefined;
  }

  private async load(): Promise<void> {
    this.unsubscribe = this.api.onRun((run) => this.upsert(run));
    try {
      const [recent, active] = await Promise.all([
        this.api.call('listRuns', { query: { limit: this.limit } }),
        this.api.call('listRuns', { query: { status: ACTIVE_STATUSES.join(','), limit: 500 } }),
      ]);
      for (const run of [...recent.runs, ...active.runs]) this.upsert(run, false);
      this.emit();
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  upsert(run: Run, notify = true): void {
    const known = this.runs.get(run.id);
    if (known && known.version > run.version) return;
    this.runs.set(run.id, run);
    this.trim();
    if (notify) this.emit();
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  /** Newest first. */
  list(): Run[] {
    return [...this.runs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  activeCount(): number {
    let n = 0;
    for (const r of this.runs.values()) if (!isTerminal(r.status)) n++;
    return n;
  }

  awaitingApproval(): Run[] {
    return this.list().filter((r) => r.status === 'awaiting_approval');
  }

  /**
   * Keeps `limit` finished runs plus every active one. The views' own reads (contracts/run-origin.ts)
   * count apart, `limit` of them too: a burst of refreshes never pushes out the runs a person started.
   */
  private trim(): void {
    const finished = this.list().filter((r) => isTerminal(r.status));
    for (const group of [finished.filter(isViewRead), finished.filter((r) => !isViewRead(r))]) {
      for (const r of group.slice(this.limit)) this.runs.delete(r.id);
    }
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }
}
