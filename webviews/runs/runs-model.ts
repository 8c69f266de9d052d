/**
 * The Runs panel's list, without the DOM: runs newest first, the filters (status, tool,
 * correlation id) applied to live changes the same way the backend applies them to a page, and
 * the merge of pages and live changes. Bounded, so a long session does not grow without end.
 */
import type { LogLine, Run, RunEvent, RunStatus } from '../../contracts/rest';
import { isViewRead } from '../../contracts/run-origin';

export interface RunFilters {
  /** '' for any, or a status. */
  status: string;
  tool: string;
  correlationId: string;
  /** Show the reads the editor's views made on their own (contracts/run-origin.ts); hidden by default. */
  viewReads?: boolean;
}

export const NO_FILTERS: RunFilters = { status: '', tool: '', correlationId: '' };
export const MAX_RUNS = 5000;
export const MAX_LOG_LINES = 2000;

export function matchesFilters(run: Run, f: RunFilters): boolean {
  if (f.status && !f.status.split(',').includes(run.status)) return false;
  if (f.tool && run.tool !== f.tool) return false;
  if (f.correlationId && run.correlationId !== f.correlationId) return false;
  if (!f.viewReads && isViewRead(run)) return false;
  return true;
}

/** The runs/list query for these filters (empty filters left out). */
export function queryFor(f: RunFilters, cursor?: string | null, limit = 100): { status?: string; tool?: string; correlationId?: string; cursor?: string; limit: number } {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.tool ? { tool: f.tool } : {}),
    ...(f.correlationId ? { correlationId: f.correlationId.trim() } : {}),
    ...(cursor ? { cursor } : {}),
    limit,
  };
}

export function newestFirst(a: Run, b: Run): number {
  return b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export class RunsModel {
  private list: Run[] = [];
  private readonly byId = new Map<string, Run>();
  nextCursor: string | null = null;

  constructor(public filters: RunFilters = NO_FILTERS) {}

  get runs(): readonly Run[] {
    return this.list;
  }

  get(id: string): Run | undefined {
    return this.byId.get(id);
  }

  /** A fresh first page (after a filter change or a reload). */
  reset(runs: Run[], nextCursor: string | null): void {
    this.list = [];
    this.byId.clear();
    this.nextCursor = nextCursor;
    this.addPage(runs, nextCursor);
  }

  /** The next page: runs not seen yet go in order (view reads left out here: the backend's query has no label filter). */
  addPage(runs: Run[], nextCursor: string | null): void {
    this.nextCursor = nextCursor;
    for (const r of runs) if (matchesFilters(r, this.filters)) this.put(r);
    this.list.sort(newestFirst);
    this.trim();
  }

  /**
   * A live change. Returns true when the list changed. A run that no longer matches the
   * filters leaves the list; one older than the oldest loaded (while more pages remain) waits
   * for its page.
   */
  upsert(run: Run): boolean {
    const had = this.byId.get(run.id);
    if (!matchesFilters(run, this.filters)) {
      if (!had) return false;
      this.byId.delete(run.id);
      this.list = this.list.filter((r) => r.id !== run.id);
      return true;
    }
    if (had) {
      if (had.version > run.version) return false; // an older change arriving late
      this.byId.set(run.id, run);
      const i = this.list.findIndex((r) => r.id === run.id);
      this.list[i] = run;
      return true;
    }
    const oldest = this.list.at(-1);
    if (this.nextCursor && oldest && newestFirst(run, oldest) > 0) return false;
    this.put(run);
    // New runs are usually the newest: insert in place rather than sorting everything.
    let i = 0;
    while (i < this.list.length - 1 && newestFirst(this.list[i], run) < 0) i++;
    this.list.pop();
    this.list.splice(i, 0, run);
    this.trim();
    return true;
  }

  private put(run: Run): void {
    if (this.byId.has(run.id)) {
      const i = this.list.findIndex((r) => r.id === run.id);
      if (i >= 0) this.list[i] = run;
    } else this.list.push(run);
    this.byId.set(run.id, run);
  }

  private trim(): void {
    while (this.list.length > MAX_RUNS) {
      const r = this.list.pop() as Run;
      this.byId.delete(r.id);
    }
  }
}

/** One run's detail: events and log lines merged by id (replay, then live, may overlap). */
export class RunDetailModel {
  run: Run;
  private readonly events = new Map<number, RunEvent>();
  private readonly logs = new Map<number, LogLine>();

  constructor(run: Run, events: RunEvent[] = [], logs: LogLine[] = []) {
    this.run = run;
    for (const e of events) this.addEvent(e);
    for (const l of logs) this.addLog(l);
  }

  addEvent(e: RunEvent): boolean {
    if (e.runId !== this.run.id || this.events.has(e.id)) return false;
    this.events.set(e.id, e);
    return true;
  }

  addLog(l: LogLine): boolean {
    if (l.runId !== this.run.id || this.logs.has(l.id)) return false;
    this.logs.set(l.id, l);
    if (this.logs.size > MAX_LOG_LINES) this.logs.delete(Math.min(...this.logs.keys()));
    return true;
  }

  timeline(): RunEvent[] {
    return [...this.events.values()].sort((a, b) => a.id - b.id);
  }

  logLines(): LogLine[] {
    return [...this.logs.values()].sort((a, b) => a.id - b.id);
  }

  get canApprove(): boolean {
    return this.run.status === 'awaiting_approval';
  }

  get canCancel(): boolean {
    return !TERMINAL.has(this.run.status);
  }

  get canRetry(): boolean {
    return TERMINAL.has(this.run.status);
  }
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** The LLM token counts a run reports in its output (cards.run does), or null. */
export function tokenCounts(run: Run): { prompt: number; completion: number } | null {
  const t = (run.output as { tokens?: { prompt?: unknown; completion?: unknown } } | null | undefined)?.tokens;
  if (t && typeof t.prompt === 'number' && typeof t.completion === 'number') return { prompt: t.prompt, completion: t.completion };
  return null;
}

export function describeEvent(e: RunEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.type) {
    case 'state':
      return `${d.from ? `${String(d.from).replace('_', ' ')} → ` : ''}${String(d.to ?? '?').replace('_', ' ')}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'progress': {
      const pct = typeof d.total === 'number' && d.total > 0 && typeof d.progress === 'number' ? ` ${Math.round((d.progress / d.total) * 100)}%` : typeof d.progress === 'number' ? ` ${d.progress}` : '';
      return `progress${pct}${d.message ? `: ${String(d.message)}` : ''}`;
    }
    case 'log':
      return `log: ${typeof d.message === 'string' ? d.message : JSON.stringify(d)}`;
    case 'output':
      return 'output';
  }
}
