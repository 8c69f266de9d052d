/**
 * The analytics questions answered by plain loops over the same rows, written from the
 * definitions in backend/analytics/warehouse.ts and sharing no code with the engines: the
 * planted-truth tests hold the SQL to these.
 */
import type { EventRow, FunnelQuery, Period, PropertyFilter, RetentionQuery } from '../../backend/analytics/warehouse';

const matches = (e: EventRow, event: string, filter?: PropertyFilter) =>
  e.event === event &&
  Object.entries(filter ?? {}).every(([k, v]) => {
    const got = e.properties[k];
    if (got === undefined || got === null || typeof got === 'object') return false;
    return (Array.isArray(v) ? v : [v]).map(String).includes(String(got));
  });

function byUser(rows: EventRow[]): Map<string, EventRow[]> {
  const m = new Map<string, EventRow[]>();
  for (const r of rows) {
    const list = m.get(r.user_id) ?? [];
    list.push(r);
    m.set(r.user_id, list);
  }
  for (const list of m.values()) list.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  return m;
}

export function bruteFunnel(rows: EventRow[], q: FunnelQuery): number[] {
  const counts = q.steps.map(() => 0);
  const inRange = rows.filter((r) => r.timestamp >= q.range.from && r.timestamp < q.range.to);
  for (const events of byUser(inRange).values()) {
    const entry = events.find((e) => matches(e, q.steps[0].event, q.steps[0].filter));
    if (!entry) continue;
    const t0 = entry.timestamp.getTime();
    counts[0]++;
    let prev = t0;
    for (let k = 1; k < q.steps.length; k++) {
      const strict = q.steps[k].event === q.steps[k - 1].event;
      const next = events.find((e) => {
        const t = e.timestamp.getTime();
        return matches(e, q.steps[k].event, q.steps[k].filter) && (strict ? t > prev : t >= prev) && t <= t0 + q.windowMs;
      });
      if (!next) break;
      counts[k]++;
      prev = next.timestamp.getTime();
    }
  }
  return counts;
}

const DAY = 86_400_000;
function startOf(t: number, p: Period): number {
  const d = Math.floor(t / DAY) * DAY;
  if (p === 'day') return d;
  if (p === 'week') return d - ((new Date(d).getUTCDay() + 6) % 7) * DAY;
  const x = new Date(d);
  return Date.UTC(x.getUTCFullYear(), x.getUTCMonth(), 1);
}
function index(c: number, t: number, p: Period): number {
  const s = startOf(t, p);
  if (p === 'day') return Math.round((s - c) / DAY);
  if (p === 'week') return Math.round((s - c) / (7 * DAY));
  const a = new Date(c);
  const b = new Date(s);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
}

/** Cohort start (YYYY-MM-DD) → [size, retained in period 0, 1, …] (periods that started before `to`). */
export function bruteRetention(rows: EventRow[], q: RetentionQuery): Map<string, { size: number; retained: number[] }> {
  const out = new Map<string, { size: number; retained: number[] }>();
  const sets = new Map<string, Array<Set<string>>>();
  for (const [user, events] of byUser(rows)) {
    const first = events.find((e) => e.event === q.cohortEvent && e.timestamp >= q.range.from && e.timestamp < q.range.to);
    if (!first) continue;
    const t0 = first.timestamp.getTime();
    const c = startOf(t0, q.period);
    const key = new Date(c).toISOString().slice(0, 10);
    let n = 0;
    while (n < q.periods && startAfter(c, n, q.period) < q.range.to.getTime()) n++;
    const entry = out.get(key) ?? { size: 0, retained: new Array<number>(n).fill(0) };
    entry.size++;
    out.set(key, entry);
    const s = sets.get(key) ?? Array.from({ length: n }, () => new Set<string>());
    sets.set(key, s);
    for (const e of events) {
      const t = e.timestamp.getTime();
      if (e.event !== q.returnEvent || t < t0 || t >= q.range.to.getTime()) continue;
      const k = index(c, t, q.period);
      if (k < n) s[k].add(user);
    }
  }
  for (const [key, s] of sets) out.get(key)!.retained = s.map((x) => x.size);
  return out;
}

function startAfter(c: number, k: number, p: Period): number {
  if (p === 'day') return c + k * DAY;
  if (p === 'week') return c + 7 * k * DAY;
  const d = new Date(c);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1);
}
