/**
 * SQL pieces of the DuckDB engine that depend on the question asked: the funnel's chained
 * steps and property filters. Every value goes in as a bound parameter; only parameter names
 * and fixed keywords are spliced into the text.
 */
import type { FunnelQuery, PropertyFilter } from './warehouse';

export type Params = Record<string, string | number | boolean | bigint>;

/** Builds `$p0, $p1, …` names as values are bound. */
export class Binder {
  readonly params: Params = {};
  private n = 0;

  bind(value: string | number | boolean | bigint): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `$${name}`;
  }

  /** A UTC instant as a TIMESTAMP expression (bound as epoch microseconds). */
  ts(d: Date): string {
    return `make_timestamp(${this.bind(BigInt(d.getTime()) * 1000n)}::BIGINT)`;
  }
}

/** `properties->>key = value` for each key (an array: any of the values); JSON scalars compare as their text. */
export function filterSql(alias: string, filter: PropertyFilter | undefined, b: Binder): string {
  if (!filter) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const path = `(${alias}.properties->>(${b.bind(key)}::VARCHAR))`;
    const values = Array.isArray(value) ? value : [value];
    parts.push(`${path} IN (${values.map((v) => b.bind(String(v))).join(', ')})`);
  }
  return parts.map((p) => ` AND ${p}`).join('');
}

/**
 * The ordered funnel as a chain of per-user steps: s0 is each user's first step-0 event;
 * s(k) joins s(k-1) to the user's step-k events at or after t(k-1) (after, when the two
 * steps are the same event) and within the window from t0, keeping the earliest. Earliest is
 * the right choice at every step: a later pick could only shrink what the next step may use.
 */
export function funnelSql(q: FunnelQuery): { sql: string; params: Params } {
  const b = new Binder();
  const from = b.ts(q.range.from);
  const to = b.ts(q.range.to);
  const windowUs = b.bind(BigInt(Math.round(q.windowMs)) * 1000n);
  const names = [...new Set(q.steps.map((s) => s.event))];
  const ctes = [
    // The JSON column is read only when a step filters on it: it is most of a row's bytes.
    `e AS (SELECT user_id, event, ts${q.steps.some((s) => s.filter) ? ', properties' : ''} FROM events WHERE ts >= ${from} AND ts < ${to} AND event IN (${names.map((n) => b.bind(n)).join(', ')}))`,
  ];
  const match = (k: number, alias: string) => `${alias}.event = ${b.bind(q.steps[k].event)}${filterSql(alias, q.steps[k].filter, b)}`;
  ctes.push(`s0 AS (SELECT user_id, min(ts) AS t0 FROM e WHERE ${match(0, 'e')} GROUP BY user_id)`);
  for (let k = 1; k < q.steps.length; k++) {
    const prevCols = Array.from({ length: k }, (_, i) => `p.t${i}`).join(', ');
    const op = q.steps[k].event === q.steps[k - 1].event ? '>' : '>=';
    ctes.push(
      `s${k} AS (SELECT p.user_id, ${prevCols}, min(e.ts) AS t${k} FROM s${k - 1} p JOIN e ON e.user_id = p.user_id AND ${match(k, 'e')}` +
        ` AND e.ts ${op} p.t${k - 1} AND e.ts <= p.t0 + to_microseconds(${windowUs}::BIGINT) GROUP BY ALL)`,
    );
  }
  const selects = q.steps.map((_, k) =>
    k === 0
      ? `SELECT 0 AS k, count(*)::BIGINT AS users, NULL::DOUBLE AS from_prev, NULL::DOUBLE AS from_entry FROM s0`
      : `SELECT ${k}, count(*)::BIGINT, median(epoch(t${k}) - epoch(t${k - 1}))::DOUBLE, median(epoch(t${k}) - epoch(t0))::DOUBLE FROM s${k}`,
  );
  return { sql: `WITH ${ctes.join(',\n')}\n${selects.join('\nUNION ALL ')}\nORDER BY k`, params: b.params };
}
