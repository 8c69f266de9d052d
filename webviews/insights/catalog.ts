/**
 * What the panel proposes from the events that exist (the event catalog), without the DOM:
 * a starting funnel, retention and driver target, the analysis window in dates, and whether the
 * window holds any of the data at all. Proposals only: the user picks the real ones.
 */
import type { EventCatalog } from '../../contracts/rest';

type CatalogEvent = EventCatalog['events'][number];

/** Events a user repeats many times (sessions, page views) are activity, not funnel steps. */
const REPEAT_RATIO = 3;
const DEFAULT_STEPS = 4;
export const MAX_STEPS = 8;

function isRepeated(e: CatalogEvent): boolean {
  return e.users > 0 && e.events / e.users > REPEAT_RATIO;
}

/**
 * A first funnel: the events most users reached, most first (a funnel narrows), leaving out
 * repeated activity while enough one-off events remain. At most four steps; none when fewer
 * than two events exist.
 */
export function proposeFunnel(catalog: EventCatalog): string[] {
  const byUsers = [...catalog.events].sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
  const milestones = byUsers.filter((e) => !isRepeated(e));
  const pool = milestones.length >= 2 ? milestones : byUsers;
  const steps = pool.slice(0, DEFAULT_STEPS).map((e) => e.name);
  return steps.length >= 2 ? steps : [];
}

/** The event most repeated per user (what "coming back" looks like), else the most frequent. */
export function proposeReturnEvent(catalog: EventCatalog): string | null {
  if (catalog.events.length === 0) return null;
  const rate = (e: CatalogEvent) => (e.users > 0 ? e.events / e.users : 0);
  return [...catalog.events].sort((a, b) => rate(b) - rate(a) || b.events - a.events)[0].name;
}

/** The most frequent event: the default series for anomaly detection. */
export function proposeAnomalyMetric(catalog: EventCatalog): string | null {
  return [...catalog.events].sort((a, b) => b.events - a.events)[0]?.name ?? null;
}

/** Whether every name is an event the store holds. */
export function allKnown(catalog: EventCatalog, names: readonly string[]): boolean {
  const known = new Set(catalog.events.map((e) => e.name));
  return names.length > 0 && names.every((n) => known.has(n));
}

export interface AnalysisWindow {
  /** First day inside the window (UTC, YYYY-MM-DD). */
  from: string;
  /** Last day inside the window (UTC): today, or the chosen last day. */
  to: string;
}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The tools count `range_days` back from the window's end (now, or `as_of`): the dates it covers. `end` is exclusive. */
export function analysisWindow(rangeDays: number, end = Date.now()): AnalysisWindow {
  return { from: isoDay(end - rangeDays * DAY), to: isoDay(end - 1) };
}

/**
 * Why the chosen window would find nothing although events exist, or null: the newest event is
 * older than the window's first day (an import of last year's data), with the window that would
 * reach it.
 */
export function windowMisses(catalog: EventCatalog, rangeDays: number, now = Date.now()): { newest: string; needDays: number } | null {
  const last = catalog.totals.lastSeen;
  if (!last) return null;
  const { from } = analysisWindow(rangeDays, now);
  if (last.slice(0, 10) >= from) return null;
  const needDays = Math.ceil((now - Date.parse(last)) / DAY) + 1;
  return { newest: last.slice(0, 10), needDays };
}

/** The data's span, in words: "412,300 events from 9,870 users, 2026-09-01 to 2026-11-30". */
export function describeCatalog(catalog: EventCatalog): string {
  const t = catalog.totals;
  const span = t.firstSeen && t.lastSeen ? `, ${t.firstSeen.slice(0, 10)} to ${t.lastSeen.slice(0, 10)}` : '';
  return `${t.events.toLocaleString('en-US')} events from ${t.users.toLocaleString('en-US')} users${span} (${catalog.engine})`;
}
