/**
 * The BigQuery engine's SQL (GoogleSQL), the same questions as the DuckDB engine asks, with the
 * same semantics (warehouse.ts). Every value is a named query parameter (`@p0`, `@p1`, …); the
 * only things spliced into the text are the table path (checked against BigQuery's id rules by
 * the settings), fixed keywords and parameter names. Times travel as INT64 epoch microseconds.
 * Each statement starts with a `-- product-os:<kind>` line, so a job is recognisable in the
 * project's job history (and in tests).
 */
import type { DriverQuery, FunnelQuery, PropertyFilter, RetentionQuery, SeriesQuery, TimeRange } from '../warehouse';

export type BqParam = string | number | boolean | string[] | Array<Record<string, string | number>>;
export interface BqStatement {
  kind: string;
  sql: string;
  params: Record<string, BqParam>;
}

/** Builds `@p0, @p1, …` as values are bound. */
export class BqBinder {
  readonly params: Record<string, BqParam> = {};
  private n = 0;

  bind(value: BqParam): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `@${name}`;
  }

  /** A UTC instant, bound as epoch microseconds. */
  ts(d: Date): string {
    return `TIMESTAMP_MICROS(${this.bind(d.getTime() * 1000)})`;
  }
}

const statement = (kind: string, sql: string, b: BqBinder): BqStatement => ({ kind, sql: `-- product-os:${kind}\n${sql}`, params: b.params });

/** `properties[key]` as scalar text ("team", "true", "3"); NULL for objects, arrays and JSON null. */
const valueOf = (alias: string, key: string) => `LAX_STRING(${alias}.properties[${key}])`;

function filterSql(alias: string, filter: PropertyFilter | undefined, b: BqBinder): string {
  if (!filter) return '';
  return Object.entries(filter)
    .map(([key, value]) => ` AND ${valueOf(alias, b.bind(key))} IN UNNEST(${b.bind((Array.isArray(value) ? value : [value]).map(String))})`)
    .join('');
}

const inRange = (col: string, range: TimeRange | undefined, b: BqBinder) => (range ? `${col} >= ${b.ts(range.from)} AND ${col} < ${b.ts(range.to)}` : 'TRUE');

/** The events table, partitioned by day (range queries scan only their days) and clustered by event and user. */
export function createTableSql(table: string): BqStatement {
  return statement(
    'create-table',
    `CREATE TABLE IF NOT EXISTS ${table} (
  event_id STRING, user_id STRING NOT NULL, event STRING NOT NULL, ts TIMESTAMP NOT NULL,
  properties JSON, source STRING, ingested_at TIMESTAMP NOT NULL
) PARTITION BY DATE(ts) CLUSTER BY event, user_id`,
    new BqBinder(),
  );
}

export interface IngestRow {
  i: number;
  event_id: string;
  user_id: string;
  event: string;
  ts_us: number;
  properties: string;
}

/** One MERGE: a row whose event_id is stored (or repeated earlier in the batch) is skipped; one statement, so all or nothing. */
export function ingestSql(table: string, rows: IngestRow[], source: string | undefined): BqStatement {
  const b = new BqBinder();
  const src = source === undefined ? 'CAST(NULL AS STRING)' : b.bind(source);
  return statement(
    'ingest',
    `MERGE ${table} x USING (
  SELECT NULLIF(r.event_id, '') AS event_id, r.user_id, r.event, TIMESTAMP_MICROS(r.ts_us) AS ts, PARSE_JSON(r.properties) AS properties
  FROM UNNEST(${b.bind(rows as unknown as Array<Record<string, string | number>>)}) r
  WHERE TRUE QUALIFY r.event_id = '' OR ROW_NUMBER() OVER (PARTITION BY r.event_id ORDER BY r.i) = 1
) s
ON s.event_id IS NOT NULL AND x.event_id = s.event_id
WHEN NOT MATCHED THEN INSERT (event_id, user_id, event, ts, properties, source, ingested_at)
VALUES (s.event_id, s.user_id, s.event, s.ts, s.properties, ${src}, CURRENT_TIMESTAMP())`,
    b,
  );
}

export function countSql(table: string, range?: TimeRange): BqStatement {
  const b = new BqBinder();
  return statement('count', `SELECT COUNT(*) AS n FROM ${table} WHERE ${inRange('ts', range, b)}`, b);
}

const ISO = (expr: string) => `FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E3SZ', ${expr}, 'UTC')`;

/** Event names, property keys and totals in one job (rows tagged by `kind`). */
export function catalogSql(table: string, range?: TimeRange): BqStatement {
  const b = new BqBinder();
  return statement(
    'catalog',
    `WITH cat AS (SELECT user_id, event, ts, properties FROM ${table} WHERE ${inRange('ts', range, b)})
SELECT * FROM (SELECT 'event' AS kind, event AS name, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users, ${ISO('MIN(ts)')} AS first_seen, ${ISO('MAX(ts)')} AS last_seen, CAST(NULL AS INT64) AS distinct_values
               FROM cat GROUP BY event ORDER BY events DESC, name LIMIT 500)
UNION ALL
SELECT * FROM (SELECT 'property', key, COUNT(*), NULL, NULL, NULL, COUNT(DISTINCT TO_JSON_STRING(c.properties[key]))
               FROM cat c, UNNEST(JSON_KEYS(c.properties, 1)) AS key GROUP BY key ORDER BY 3 DESC, key LIMIT 200)
UNION ALL
SELECT 'total', NULL, COUNT(*), COUNT(DISTINCT user_id), ${ISO('MIN(ts)')}, ${ISO('MAX(ts)')}, NULL FROM cat`,
    b,
  );
}

export function propertyKeysSql(table: string, event: string, range?: TimeRange): BqStatement {
  const b = new BqBinder();
  return statement(
    'property-keys',
    `SELECT DISTINCT key FROM ${table} e, UNNEST(JSON_KEYS(e.properties, 1)) AS key WHERE e.event = ${b.bind(event)} AND ${inRange('e.ts', range, b)} ORDER BY key`,
    b,
  );
}

/** The ordered funnel as a chain of per-user steps (see the DuckDB engine's funnelSql: the same rule, step by step). */
export function funnelSql(table: string, q: FunnelQuery): BqStatement {
  const b = new BqBinder();
  const names = [...new Set(q.steps.map((s) => s.event))];
  const windowUs = b.bind(Math.round(q.windowMs) * 1000);
  const ctes = [`e AS (SELECT user_id, event, ts, properties FROM ${table} WHERE ${inRange('ts', q.range, b)} AND event IN UNNEST(${b.bind(names)}))`];
  const match = (k: number) => `e.event = ${b.bind(q.steps[k].event)}${filterSql('e', q.steps[k].filter, b)}`;
  ctes.push(`s0 AS (SELECT e.user_id, MIN(e.ts) AS t0 FROM e WHERE ${match(0)} GROUP BY e.user_id)`);
  for (let k = 1; k < q.steps.length; k++) {
    const prev = Array.from({ length: k }, (_, i) => `p.t${i}`);
    const op = q.steps[k].event === q.steps[k - 1].event ? '>' : '>=';
    ctes.push(
      `s${k} AS (SELECT p.user_id, ${prev.join(', ')}, MIN(e.ts) AS t${k} FROM s${k - 1} p JOIN e ON e.user_id = p.user_id AND ${match(k)}` +
        ` AND e.ts ${op} p.t${k - 1} AND e.ts <= TIMESTAMP_ADD(p.t0, INTERVAL ${windowUs} MICROSECOND) GROUP BY p.user_id, ${prev.join(', ')})`,
    );
  }
  const median = (k: number, from: string) =>
    `(SELECT ANY_VALUE(m) FROM (SELECT PERCENTILE_CONT(TIMESTAMP_DIFF(t${k}, ${from}, MICROSECOND) / 1e6, 0.5) OVER () AS m FROM s${k}))`;
  const selects = q.steps.map((_, k) =>
    k === 0
      ? `SELECT 0 AS k, (SELECT COUNT(*) FROM s0) AS users, CAST(NULL AS FLOAT64) AS from_prev, CAST(NULL AS FLOAT64) AS from_entry`
      : `SELECT ${k}, (SELECT COUNT(*) FROM s${k}), ${median(k, `t${k - 1}`)}, ${median(k, 't0')}`,
  );
  return statement('funnel', `WITH ${ctes.join(',\n')}\n${selects.join('\nUNION ALL ')}\nORDER BY k`, b);
}

const TRUNC = { day: 'DAY', week: 'WEEK(MONDAY)', month: 'MONTH' } as const;

export function retentionSql(table: string, q: RetentionQuery): BqStatement {
  const b = new BqBinder();
  const to = b.ts(q.range.to);
  const index =
    q.period === 'day'
      ? `DATE_DIFF(DATE(e.ts, 'UTC'), DATE(c.cstart, 'UTC'), DAY)`
      : q.period === 'week'
        ? `DIV(DATE_DIFF(DATE(TIMESTAMP_TRUNC(e.ts, WEEK(MONDAY), 'UTC'), 'UTC'), DATE(c.cstart, 'UTC'), DAY), 7)`
        : `DATE_DIFF(DATE(e.ts, 'UTC'), DATE(c.cstart, 'UTC'), MONTH)`;
  return statement(
    'retention',
    `WITH first AS (SELECT user_id, MIN(ts) AS t0 FROM ${table} WHERE event = ${b.bind(q.cohortEvent)} AND ${inRange('ts', q.range, b)} GROUP BY user_id),
c AS (SELECT user_id, t0, TIMESTAMP_TRUNC(t0, ${TRUNC[q.period]}, 'UTC') AS cstart FROM first),
sizes AS (SELECT cstart, -1 AS k, COUNT(*) AS n FROM c GROUP BY cstart),
ret AS (SELECT DISTINCT c.user_id, c.cstart, ${index} AS k FROM c JOIN ${table} e
        ON e.user_id = c.user_id AND e.event = ${b.bind(q.returnEvent)} AND e.ts >= c.t0 AND e.ts < ${to}),
kept AS (SELECT cstart, k, COUNT(*) AS n FROM ret WHERE k < ${b.bind(q.periods)} GROUP BY cstart, k)
SELECT FORMAT_TIMESTAMP('%Y-%m-%d', cstart, 'UTC') AS cstart, k, n FROM (SELECT * FROM sizes UNION ALL SELECT * FROM kept) ORDER BY cstart, k`,
    b,
  );
}

export function driversSql(table: string, q: DriverQuery): BqStatement {
  const b = new BqBinder();
  const to = b.ts(q.range.to);
  const entryWhere = (q.entryEvent === undefined ? '' : ` AND event = ${b.bind(q.entryEvent)}`) + filterSql('e', q.entryFilter, b);
  const asked = q.keys && q.keys.length > 0;
  const keyWhere = asked ? `WHERE key IN UNNEST(${b.bind(q.keys!)})` : '';
  const capWhere = asked ? '' : `WHERE nvals <= ${b.bind(q.maxValuesPerKey)}`;
  return statement(
    'drivers',
    `WITH entry AS (SELECT user_id, MIN(ts) AS t0, ARRAY_AGG(properties ORDER BY ts LIMIT 1)[OFFSET(0)] AS props
               FROM ${table} e WHERE ${inRange('ts', q.range, b)}${entryWhere} GROUP BY user_id),
conv AS (SELECT DISTINCT en.user_id FROM entry en JOIN ${table} e ON e.user_id = en.user_id AND e.event = ${b.bind(q.targetEvent)}
         AND e.ts >= en.t0 AND e.ts <= TIMESTAMP_ADD(en.t0, INTERVAL ${b.bind(Math.round(q.windowMs) * 1000)} MICROSECOND) AND e.ts < ${to}),
pop AS (SELECT en.user_id, en.props, conv.user_id IS NOT NULL AS converted FROM entry en LEFT JOIN conv USING (user_id)),
kv AS (SELECT converted, key, LAX_STRING(props[key]) AS value FROM pop, UNNEST(JSON_KEYS(props, 1)) AS key ${keyWhere}),
counted AS (SELECT key, value, COUNT(*) AS users, COUNTIF(converted) AS converted, COUNT(*) OVER (PARTITION BY key) AS nvals
            FROM kv WHERE value IS NOT NULL GROUP BY key, value)
SELECT CAST(NULL AS STRING) AS key, CAST(NULL AS STRING) AS value, COUNT(*) AS users, COUNTIF(converted) AS converted FROM pop
UNION ALL
SELECT key, value, users, converted FROM counted ${capWhere}`,
    b,
  );
}

export function seriesSql(table: string, q: SeriesQuery): BqStatement {
  const b = new BqBinder();
  const unit = q.granularity === 'hour' ? 'HOUR' : 'DAY';
  return statement(
    'series',
    `SELECT FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S.000Z', TIMESTAMP_TRUNC(e.ts, ${unit}, 'UTC'), 'UTC') AS t, COUNT(*) AS n FROM ${table} e
WHERE e.event = ${b.bind(q.event)} AND ${inRange('e.ts', q.range, b)}${filterSql('e', q.filter, b)} GROUP BY t`,
    b,
  );
}

/**
 * ML.DETECT_ANOMALIES: an ARIMA_PLUS model over every event's daily (or hourly) counts, one
 * series per event (time_series_id_col), so its training statement holds no user value at all;
 * the event and the window are parameters of the detection query. (The training span is a whole
 * number of days computed here, not a value anyone typed.)
 */
export function anomalyModelSql(table: string, model: string, granularity: 'hour' | 'day', range: TimeRange): BqStatement {
  const b = new BqBinder();
  const unit = granularity === 'hour' ? 'HOUR' : 'DAY';
  return statement(
    'anomaly-model',
    `CREATE OR REPLACE MODEL ${model}
OPTIONS (model_type = 'ARIMA_PLUS', time_series_timestamp_col = 't', time_series_data_col = 'n', time_series_id_col = 'event',
         data_frequency = '${granularity === 'hour' ? 'HOURLY' : 'DAILY'}', decompose_time_series = TRUE)
AS SELECT event, TIMESTAMP_TRUNC(ts, ${unit}, 'UTC') AS t, COUNT(*) AS n FROM ${table}
WHERE ts >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL ${Math.ceil((range.to.getTime() - range.from.getTime()) / 86_400_000) + 1} DAY) GROUP BY event, t`,
    b,
  );
}

export function detectAnomaliesSql(model: string, event: string, range: TimeRange, probability: number): BqStatement {
  const b = new BqBinder();
  return statement(
    'detect-anomalies',
    `SELECT FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%S.000Z', t, 'UTC') AS t, n AS value, lower_bound AS lower, upper_bound AS upper,
       anomaly_probability AS probability, anomaly_probability >= ${b.bind(probability)} AS anomaly
FROM ML.DETECT_ANOMALIES(MODEL ${model}, STRUCT(0.95 AS anomaly_prob_threshold))
WHERE event = ${b.bind(event)} AND ${inRange('t', range, b)} ORDER BY t`,
    b,
  );
}
