import * as fs from 'node:fs';
import * as path from 'node:path';
import { DOUBLE, DuckDBDataChunk, DuckDBInstance, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { ProductOsError } from '../errors';
import { Binder, filterSql, funnelSql, type Params } from './duckdb-sql';
import { isoDate, startedPeriods } from './periods';
import type {
  DriverCounts,
  DriverQuery,
  EventRow,
  EventCatalog,
  EventStaging,
  FunnelCounts,
  FunnelQuery,
  IngestOptions,
  IngestResult,
  RetentionCounts,
  RetentionQuery,
  SeriesPoint,
  SeriesQuery,
  TimeRange,
  Warehouse,
} from './warehouse';

/** line, event_id, user_id, event, epoch milliseconds, properties (JSON text): plain JS values, cheap to hand over. */
const STAGING_TYPES = [DOUBLE, VARCHAR, VARCHAR, VARCHAR, DOUBLE, VARCHAR];
const CHUNK_ROWS = 2048;

/** A row on its way in, with where it came from (a file line or a batch index) for messages. */
export interface StagedRow extends EventRow {
  line: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  event_id VARCHAR,
  user_id VARCHAR NOT NULL,
  event VARCHAR NOT NULL,
  ts TIMESTAMP NOT NULL,
  properties JSON NOT NULL,
  source VARCHAR,
  ingested_at TIMESTAMP NOT NULL
);`;

/**
 * Rows go into a TEMP staging table first and reach `events` in one INSERT … SELECT inside one
 * transaction, so an interrupted import (even kill -9) leaves nothing behind: the temp table
 * dies with the connection and the transaction never committed. The same path serves
 * events.ingest (one batch) and `events import` (a whole file).
 */
export class StagedImport implements EventStaging {
  private appended = 0;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly table: string,
    private readonly release: () => void,
  ) {}

  static async open(conn: DuckDBConnection, release: () => void): Promise<StagedImport> {
    const table = `staging_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    await conn.run(
      `CREATE TEMP TABLE ${table} (line DOUBLE, event_id VARCHAR, user_id VARCHAR, event VARCHAR, ts_ms DOUBLE, properties VARCHAR)`,
    );
    return new StagedImport(conn, table, release);
  }

  get staged(): number {
    return this.appended;
  }

  async append(rows: StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const a = await this.conn.createAppender(this.table, 'main', 'temp');
    try {
      // Column-wise data chunks of one vector each: one native call per column, not per value.
      for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
        const part = rows.slice(i, i + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(STAGING_TYPES, part.length);
        chunk.setColumns([
          part.map((r) => r.line),
          part.map((r) => r.event_id ?? null),
          part.map((r) => r.user_id),
          part.map((r) => r.event),
          part.map((r) => r.timestamp.getTime()),
          part.map((r) => JSON.stringify(r.properties)),
        ]);
        a.appendDataChunk(chunk);
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
    this.appended += rows.length;
  }

  /** Moves the staged rows into `events` in one transaction; an id already stored (or repeated) counts once. */
  async commit(source: string | undefined): Promise<IngestResult> {
    try {
      await this.conn.run('BEGIN TRANSACTION');
      const b = new Binder();
      const src = source === undefined ? 'NULL' : b.bind(source);
      const inserted = await this.conn.run(
        `INSERT INTO events
         SELECT s.event_id, s.user_id, s.event, make_timestamp((s.ts_ms * 1000)::BIGINT), s.properties::JSON, ${src}, now()::TIMESTAMP
         FROM ${this.table} s
         WHERE s.event_id IS NULL
            OR (s.line = (SELECT min(d.line) FROM ${this.table} d WHERE d.event_id = s.event_id)
                AND NOT EXISTS (SELECT 1 FROM events x WHERE x.event_id = s.event_id))`,
        b.params,
      );
      await this.conn.run('COMMIT');
      const n = Number(inserted.rowsChanged);
      return { inserted: n, duplicates: this.appended - n };
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await this.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.conn.run(`DROP TABLE IF EXISTS temp.main.${this.table}`).catch(() => undefined);
    this.release();
  }
}

/**
 * The embedded engine: one DuckDB file in the data folder (analytics/events.duckdb), opened by
 * the backend process alone. Queries use a connection each, so a long funnel does not hold up
 * an ingest; DuckDB runs them side by side.
 */
export class DuckDbWarehouse implements Warehouse {
  readonly engine = 'duckdb' as const;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly location: string,
  ) {}

  static async open(file: string, options: { threads?: number } = {}): Promise<DuckDbWarehouse> {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, options.threads ? { threads: String(options.threads) } : {});
    } catch (err) {
      const msg = (err as Error).message;
      if (/lock/i.test(msg)) {
        throw new ProductOsError('conflict', `the events database ${file} is open in another process (only one backend may use a data folder's events): ${msg}`);
      }
      throw new ProductOsError('internal', `could not open the events database ${file}: ${msg}`);
    }
    const w = new DuckDbWarehouse(instance, file);
    await w.with((c) => c.run(SCHEMA));
    return w;
  }

  private async with<T>(fn: (c: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const conn = await this.instance.connect();
    // A cancelled or timed-out run stops its query rather than leaving it to run on.
    const stop = () => conn.interrupt();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      signal?.throwIfAborted(); // aborted while connecting
      return await fn(conn);
    } finally {
      signal?.removeEventListener('abort', stop);
      conn.closeSync();
    }
  }

  private rows<T>(sql: string, params: Params = {}, signal?: AbortSignal): Promise<T[]> {
    return this.with(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJson() as unknown as T[], signal);
  }

  /** A staging area on its own connection; commit() or dispose() releases it. */
  async stage(): Promise<StagedImport> {
    const conn = await this.instance.connect();
    try {
      return await StagedImport.open(conn, () => conn.closeSync());
    } catch (err) {
      conn.closeSync();
      throw err;
    }
  }

  async ingest(rows: EventRow[], opts: IngestOptions = {}): Promise<IngestResult> {
    const staged = await this.stage();
    try {
      await staged.append(rows.map((r, i) => ({ ...r, line: i })));
    } catch (err) {
      await staged.dispose();
      throw err;
    }
    return staged.commit(opts.source);
  }

  async count(range?: TimeRange): Promise<number> {
    const b = new Binder();
    const where = range ? `WHERE ts >= ${b.ts(range.from)} AND ts < ${b.ts(range.to)}` : '';
    const [r] = await this.rows<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM events ${where}`, b.params);
    return r.n;
  }

  async catalog(range?: TimeRange): Promise<EventCatalog> {
    const b = new Binder();
    const where = range ? `WHERE ts >= ${b.ts(range.from)} AND ts < ${b.ts(range.to)}` : '';
    const iso = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
    return this.with(async (c) => {
      await c.run(`CREATE TEMP TABLE cat AS SELECT user_id, event, ts, properties FROM events ${where}`, b.params);
      try {
        const read = async <T>(sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJson() as unknown as T[];
        const events = await read<{ name: string; events: number; users: number; firstSeen: string; lastSeen: string }>(
          `SELECT event AS name, count(*)::DOUBLE AS events, count(DISTINCT user_id)::DOUBLE AS users, ${iso('min(ts)')} AS "firstSeen", ${iso('max(ts)')} AS "lastSeen"
           FROM cat GROUP BY event ORDER BY events DESC, name LIMIT 500`,
        );
        const properties = await read<{ key: string; events: number; values: number }>(
          `SELECT key, count(*)::DOUBLE AS events, count(DISTINCT properties->>key)::DOUBLE AS "values"
           FROM (SELECT properties, unnest(json_keys(properties)) AS key FROM cat) GROUP BY key ORDER BY events DESC, key LIMIT 200`,
        );
        const [t] = await read<{ events: number; users: number; firstSeen: string | null; lastSeen: string | null }>(
          `SELECT count(*)::DOUBLE AS events, count(DISTINCT user_id)::DOUBLE AS users, ${iso('min(ts)')} AS "firstSeen", ${iso('max(ts)')} AS "lastSeen" FROM cat`,
        );
        return { events, properties, totals: t };
      } finally {
        await c.run('DROP TABLE IF EXISTS cat');
      }
    });
  }

  async propertyKeys(event: string, range?: TimeRange): Promise<string[]> {
    const b = new Binder();
    const inRange = range ? ` AND ts >= ${b.ts(range.from)} AND ts < ${b.ts(range.to)}` : '';
    const rows = await this.rows<{ key: string }>(
      `SELECT DISTINCT unnest(json_keys(properties)) AS key FROM events WHERE event = ${b.bind(event)}${inRange} ORDER BY key`,
      b.params,
    );
    return rows.map((r) => r.key);
  }

  async funnel(q: FunnelQuery): Promise<FunnelCounts> {
    const { sql, params } = funnelSql(q);
    const rows = await this.rows<{ k: number; users: string | number; from_prev: number | null; from_entry: number | null }>(sql, params, q.signal);
    return {
      steps: rows.map((r) => ({ users: Number(r.users), median_seconds_from_prev: r.from_prev, median_seconds_from_entry: r.from_entry })),
    };
  }

  async retention(q: RetentionQuery): Promise<RetentionCounts> {
    const b = new Binder();
    const from = b.ts(q.range.from);
    const to = b.ts(q.range.to);
    const unit = q.period === 'week' ? 'week' : q.period === 'month' ? 'month' : 'day';
    const index =
      q.period === 'week'
        ? `date_diff('day', c.cstart, date_trunc('week', e.ts)) // 7`
        : `date_diff('${unit}', c.cstart, date_trunc('${unit}', e.ts))`;
    const rows = await this.rows<{ cstart: string; k: number; n: number }>(
      `WITH first AS (SELECT user_id, min(ts) AS t0 FROM events WHERE event = ${b.bind(q.cohortEvent)} AND ts >= ${from} AND ts < ${to} GROUP BY user_id),
       c AS (SELECT user_id, t0, date_trunc('${unit}', t0) AS cstart FROM first),
       sizes AS (SELECT cstart, -1 AS k, count(*)::DOUBLE AS n FROM c GROUP BY cstart),
       ret AS (SELECT DISTINCT c.user_id, c.cstart, (${index})::INTEGER AS k FROM c JOIN events e
               ON e.user_id = c.user_id AND e.event = ${b.bind(q.returnEvent)} AND e.ts >= c.t0 AND e.ts < ${to}),
       kept AS (SELECT cstart, k, count(*)::DOUBLE AS n FROM ret WHERE k < ${b.bind(q.periods)} GROUP BY cstart, k)
       SELECT strftime(cstart, '%Y-%m-%d') AS cstart, k, n FROM (SELECT * FROM sizes UNION ALL SELECT * FROM kept) ORDER BY cstart, k`,
      b.params,
      q.signal,
    );
    const byStart = new Map<string, { size: number; kept: Map<number, number> }>();
    for (const r of rows) {
      const c = byStart.get(r.cstart) ?? { size: 0, kept: new Map<number, number>() };
      if (r.k === -1) c.size = r.n;
      else c.kept.set(r.k, r.n);
      byStart.set(r.cstart, c);
    }
    return {
      cohorts: [...byStart].map(([start, c]) => {
        const n = startedPeriods(new Date(`${start}T00:00:00Z`), q.range.to, q.period, q.periods);
        return { cohort_start: isoDate(new Date(`${start}T00:00:00Z`)), size: c.size, retained: Array.from({ length: n }, (_, k) => c.kept.get(k) ?? 0) };
      }),
    };
  }

  async drivers(q: DriverQuery): Promise<DriverCounts> {
    const b = new Binder();
    const from = b.ts(q.range.from);
    const to = b.ts(q.range.to);
    const entryWhere = (q.entryEvent === undefined ? '' : ` AND event = ${b.bind(q.entryEvent)}`) + filterSql('e', q.entryFilter, b);
    const keyWhere = q.keys && q.keys.length > 0 ? `WHERE key IN (${q.keys.map((k) => b.bind(k)).join(', ')})` : '';
    const capWhere = q.keys && q.keys.length > 0 ? '' : `WHERE nvals <= ${b.bind(q.maxValuesPerKey)}`;
    const rows = await this.rows<{ key: string | null; value: string | null; users: number; converted: number }>(
      `WITH entry AS (SELECT user_id, min(ts) AS t0, arg_min(properties, ts) AS props FROM events e WHERE ts >= ${from} AND ts < ${to}${entryWhere} GROUP BY user_id),
       conv AS (SELECT DISTINCT en.user_id FROM entry en JOIN events e ON e.user_id = en.user_id AND e.event = ${b.bind(q.targetEvent)}
                AND e.ts >= en.t0 AND e.ts <= en.t0 + to_microseconds(${b.bind(BigInt(Math.round(q.windowMs)) * 1000n)}::BIGINT) AND e.ts < ${to}),
       pop AS (SELECT en.user_id, en.props, conv.user_id IS NOT NULL AS converted FROM entry en LEFT JOIN conv USING (user_id)),
       kv AS (SELECT converted, key, props->>key AS value FROM (SELECT converted, props, unnest(json_keys(props)) AS key FROM pop) ${keyWhere}),
       scalar AS (SELECT * FROM kv WHERE value IS NOT NULL),
       counted AS (SELECT key, value, count(*)::DOUBLE AS users, count(*) FILTER (WHERE converted)::DOUBLE AS converted,
                          count(*) OVER (PARTITION BY key) AS nvals FROM scalar GROUP BY key, value)
       SELECT NULL AS key, NULL AS value, count(*)::DOUBLE AS users, count(*) FILTER (WHERE converted)::DOUBLE AS converted FROM pop
       UNION ALL
       SELECT key, value, users, converted FROM counted ${capWhere}`,
      b.params,
      q.signal,
    );
    const total = rows.find((r) => r.key === null)!;
    return {
      population: total.users,
      converted: total.converted,
      features: rows.filter((r) => r.key !== null).map((r) => ({ key: r.key as string, value: r.value as string, users: r.users, converted: r.converted })),
    };
  }

  async series(q: SeriesQuery): Promise<SeriesPoint[]> {
    const b = new Binder();
    const rows = await this.rows<{ t: string; n: number }>(
      `SELECT strftime(date_trunc('${q.granularity}', ts), '%Y-%m-%dT%H:%M:%S.000Z') AS t, count(*)::DOUBLE AS n FROM events e
       WHERE e.event = ${b.bind(q.event)} AND e.ts >= ${b.ts(q.range.from)} AND e.ts < ${b.ts(q.range.to)}${filterSql('e', q.filter, b)}
       GROUP BY 1`,
      b.params,
      q.signal,
    );
    const step = q.granularity === 'hour' ? 3_600_000 : 86_400_000;
    const byT = new Map(rows.map((r) => [r.t, r.n]));
    const out: SeriesPoint[] = [];
    for (let t = Math.floor(q.range.from.getTime() / step) * step; t < q.range.to.getTime(); t += step) {
      const iso = new Date(t).toISOString();
      out.push({ t: iso, value: byT.get(iso) ?? 0 });
    }
    return out;
  }

  async close(): Promise<void> {
    this.instance.closeSync();
  }
}
