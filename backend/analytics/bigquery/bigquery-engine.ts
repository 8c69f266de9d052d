/**
 * The BigQuery engine behind the warehouse interface. Every statement is parameterized
 * (bigquery-sql.ts), and each is first sent as a dry run: BigQuery says how many bytes it would
 * process, which is reported (onEstimate) before anything runs, and a statement above the cap is
 * refused then, with the figure, without cost. The real job carries the same cap as
 * `maximumBytesBilled`, so BigQuery itself refuses anything that would bill more. BigQuery's
 * refusals (403, 404, the cap) become errors that name the setting or permission to fix.
 */
import { createHash } from 'node:crypto';
import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';
import { ProductOsError } from '../../errors';
import { startedPeriods, isoDate } from '../periods';
import type {
  DriverCounts,
  DriverQuery,
  EventCatalog,
  EventRow,
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
} from '../warehouse';
import type { BigQueryConfig } from './settings';
import {
  anomalyModelSql,
  catalogSql,
  countSql,
  createTableSql,
  detectAnomaliesSql,
  driversSql,
  funnelSql,
  ingestSql,
  propertyKeysSql,
  retentionSql,
  seriesSql,
  type BqStatement,
} from './bigquery-sql';

/** What a dry run said about one statement, reported before it runs. */
export interface BytesEstimate {
  kind: string;
  bytes: number;
  cap: number;
}

export interface BigQueryEngineOptions {
  /** Client options on top of the settings (tests: apiEndpoint at a local server and a fixed-token authClient). */
  client?: Pick<BigQueryOptions, 'apiEndpoint' | 'authClient' | 'maxRetries' | 'autoRetry'>;
  /** Told each statement's dry-run figure before it runs. */
  onEstimate?: (e: BytesEstimate) => void;
}

/** One point of ML.DETECT_ANOMALIES' answer. */
export interface MlAnomalyPoint {
  t: string;
  value: number;
  lower: number;
  upper: number;
  probability: number;
  anomaly: boolean;
}

const MAX_ROWS_PER_STATEMENT = 10_000;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

interface ApiErrorLike {
  code?: number;
  message?: string;
  errors?: Array<{ reason?: string; message?: string }>;
}

export class BigQueryWarehouse implements Warehouse {
  readonly engine = 'bigquery' as const;
  readonly location: string;
  private readonly table: string;
  private readonly client: BigQuery;

  private constructor(
    private readonly cfg: BigQueryConfig,
    private readonly opts: BigQueryEngineOptions,
  ) {
    this.location = `${cfg.project}.${cfg.dataset}.${cfg.table}`;
    this.table = `\`${this.location}\``;
    this.client = new BigQuery({ projectId: cfg.project, location: cfg.location, maxRetries: 2, ...(opts.client ?? {}) });
  }

  /** Connects and makes sure the events table exists (the dataset must: a missing one is a clear not_found). */
  static async open(cfg: BigQueryConfig, opts: BigQueryEngineOptions = {}): Promise<BigQueryWarehouse> {
    if (!cfg.project) throw new ProductOsError('not_configured', 'BigQuery needs a project: set PRODUCT_OS_BIGQUERY_PROJECT or GOOGLE_CLOUD_PROJECT');
    const w = new BigQueryWarehouse(cfg, opts);
    await w.job(createTableSql(w.table));
    return w;
  }

  /** What BigQuery's refusal means here, with what to change. */
  private explain(err: unknown, kind: string): ProductOsError {
    const e = err as ApiErrorLike;
    const reason = e.errors?.[0]?.reason ?? '';
    const said = e.errors?.[0]?.message ?? e.message ?? String(err);
    if (reason === 'bytesBilledLimitExceeded') {
      return new ProductOsError('quota_exceeded', `BigQuery refused the ${kind} query: it would bill more than PRODUCT_OS_BIGQUERY_MAX_BYTES (${formatBytes(this.cfg.maxBytesBilled)}): ${said}`, { kind, reason });
    }
    if (e.code === 403 || reason === 'accessDenied') {
      return new ProductOsError(
        'permission_denied',
        `BigQuery denied the ${kind} query on ${this.location} (403 ${reason || 'forbidden'}): ${said}. The account needs roles/bigquery.jobUser on project ${this.cfg.project} and roles/bigquery.dataEditor on dataset ${this.cfg.dataset}`,
        { kind, reason },
      );
    }
    if (e.code === 404 || reason === 'notFound') {
      return new ProductOsError(
        'not_found',
        `BigQuery found no ${this.cfg.project}.${this.cfg.dataset} in location ${this.cfg.location} (404): ${said}. Create the dataset there, or fix PRODUCT_OS_BIGQUERY_PROJECT, PRODUCT_OS_BIGQUERY_DATASET or PRODUCT_OS_BIGQUERY_LOCATION`,
        { kind, reason },
      );
    }
    if (e.code === 400) return new ProductOsError('bad_request', `BigQuery refused the ${kind} query (${reason || 'invalid'}): ${said}`, { kind, reason });
    return new ProductOsError('unavailable', `BigQuery could not run the ${kind} query: ${said}`, { kind, reason });
  }

  private query(s: BqStatement): Query {
    return { query: s.sql, params: s.params, location: this.cfg.location, useLegacySql: false };
  }

  /** The dry run: bytes the statement would process; above the cap it is refused here, before it runs. */
  async estimate(s: BqStatement): Promise<number> {
    let bytes: number;
    try {
      const [job] = await this.client.createQueryJob({ ...this.query(s), dryRun: true });
      const stats = job.metadata?.statistics as { totalBytesProcessed?: string; query?: { totalBytesProcessed?: string } } | undefined;
      bytes = Number(stats?.query?.totalBytesProcessed ?? stats?.totalBytesProcessed ?? 0);
    } catch (err) {
      throw this.explain(err, s.kind);
    }
    this.opts.onEstimate?.({ kind: s.kind, bytes, cap: this.cfg.maxBytesBilled });
    if (bytes > this.cfg.maxBytesBilled) {
      throw new ProductOsError(
        'quota_exceeded',
        `the ${s.kind} query would process ${formatBytes(bytes)} in BigQuery, more than PRODUCT_OS_BIGQUERY_MAX_BYTES (${formatBytes(this.cfg.maxBytesBilled)}): nothing was run; narrow the window or raise the cap`,
        { kind: s.kind, bytes, cap: this.cfg.maxBytesBilled },
      );
    }
    return bytes;
  }

  /** A read: dry run, then jobs.query with the cap; rows as plain objects. */
  private async rows<T>(s: BqStatement): Promise<T[]> {
    await this.estimate(s);
    try {
      const [rows] = await this.client.query({ ...this.query(s), maximumBytesBilled: String(this.cfg.maxBytesBilled) });
      return rows as T[];
    } catch (err) {
      throw this.explain(err, s.kind);
    }
  }

  /** A statement (DDL, DML): dry run, then jobs.insert with the cap, waited for; its DML row count. */
  private async job(s: BqStatement): Promise<number> {
    await this.estimate(s);
    try {
      const [job] = await this.client.createQueryJob({ ...this.query(s), maximumBytesBilled: String(this.cfg.maxBytesBilled) });
      const [, , response] = (await job.getQueryResults({ maxResults: 0 })) as unknown as [unknown, unknown, { numDmlAffectedRows?: string } | undefined];
      return Number(response?.numDmlAffectedRows ?? 0);
    } catch (err) {
      throw err instanceof ProductOsError ? err : this.explain(err, s.kind);
    }
  }

  async ingest(rows: EventRow[], opts: IngestOptions = {}): Promise<IngestResult> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0 };
    if (rows.length > MAX_ROWS_PER_STATEMENT) throw new ProductOsError('invalid_input', `BigQuery ingests at most ${MAX_ROWS_PER_STATEMENT} events per batch (got ${rows.length})`);
    const staged = rows.map((r, i) => ({
      i,
      event_id: r.event_id ?? '',
      user_id: r.user_id,
      event: r.event,
      ts_us: r.timestamp.getTime() * 1000,
      properties: JSON.stringify(r.properties ?? {}),
    }));
    const inserted = await this.job(ingestSql(this.table, staged, opts.source));
    return { inserted, duplicates: rows.length - inserted };
  }

  async count(range?: TimeRange): Promise<number> {
    const [r] = await this.rows<{ n: number | string }>(countSql(this.table, range));
    return Number(r?.n ?? 0);
  }

  async catalog(range?: TimeRange): Promise<EventCatalog> {
    type Row = { kind: string; name: string | null; events: number | string; users: number | string | null; first_seen: string | null; last_seen: string | null; distinct_values: number | string | null };
    const rows = await this.rows<Row>(catalogSql(this.table, range));
    const total = rows.find((r) => r.kind === 'total');
    return {
      events: rows
        .filter((r) => r.kind === 'event')
        .map((r) => ({ name: r.name ?? '', events: Number(r.events), users: Number(r.users), firstSeen: r.first_seen ?? '', lastSeen: r.last_seen ?? '' }))
        .sort((a, b) => b.events - a.events || a.name.localeCompare(b.name)),
      properties: rows
        .filter((r) => r.kind === 'property')
        .map((r) => ({ key: r.name ?? '', events: Number(r.events), values: Number(r.distinct_values ?? 0) }))
        .sort((a, b) => b.events - a.events || a.key.localeCompare(b.key)),
      totals: { events: Number(total?.events ?? 0), users: Number(total?.users ?? 0), firstSeen: total?.first_seen ?? null, lastSeen: total?.last_seen ?? null },
    };
  }

  async propertyKeys(event: string, range?: TimeRange): Promise<string[]> {
    return (await this.rows<{ key: string }>(propertyKeysSql(this.table, event, range))).map((r) => r.key);
  }

  async funnel(q: FunnelQuery): Promise<FunnelCounts> {
    const rows = await this.rows<{ k: number | string; users: number | string; from_prev: number | null; from_entry: number | null }>(funnelSql(this.table, q));
    return {
      steps: rows
        .sort((a, b) => Number(a.k) - Number(b.k))
        .map((r) => ({ users: Number(r.users), median_seconds_from_prev: r.from_prev ?? null, median_seconds_from_entry: r.from_entry ?? null })),
    };
  }

  async retention(q: RetentionQuery): Promise<RetentionCounts> {
    const rows = await this.rows<{ cstart: string; k: number | string; n: number | string }>(retentionSql(this.table, q));
    const byStart = new Map<string, { size: number; kept: Map<number, number> }>();
    for (const r of rows) {
      const c = byStart.get(r.cstart) ?? { size: 0, kept: new Map<number, number>() };
      if (Number(r.k) === -1) c.size = Number(r.n);
      else c.kept.set(Number(r.k), Number(r.n));
      byStart.set(r.cstart, c);
    }
    return {
      cohorts: [...byStart]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([start, c]) => {
          const startDate = new Date(`${start}T00:00:00Z`);
          const n = startedPeriods(startDate, q.range.to, q.period, q.periods);
          return { cohort_start: isoDate(startDate), size: c.size, retained: Array.from({ length: n }, (_, k) => c.kept.get(k) ?? 0) };
        }),
    };
  }

  async drivers(q: DriverQuery): Promise<DriverCounts> {
    const rows = await this.rows<{ key: string | null; value: string | null; users: number | string; converted: number | string }>(driversSql(this.table, q));
    const total = rows.find((r) => r.key === null);
    return {
      population: Number(total?.users ?? 0),
      converted: Number(total?.converted ?? 0),
      features: rows.filter((r) => r.key !== null).map((r) => ({ key: r.key as string, value: r.value as string, users: Number(r.users), converted: Number(r.converted) })),
    };
  }

  async series(q: SeriesQuery): Promise<SeriesPoint[]> {
    const rows = await this.rows<{ t: string; n: number | string }>(seriesSql(this.table, q));
    const step = q.granularity === 'hour' ? 3_600_000 : 86_400_000;
    const byT = new Map(rows.map((r) => [r.t, Number(r.n)]));
    const out: SeriesPoint[] = [];
    for (let t = Math.floor(q.range.from.getTime() / step) * step; t < q.range.to.getTime(); t += step) {
      const iso = new Date(t).toISOString();
      out.push({ t: iso, value: byT.get(iso) ?? 0 });
    }
    return out;
  }

  /** Whether anomalies should come from ML.DETECT_ANOMALIES (PRODUCT_OS_BIGQUERY_ML_ANOMALIES). */
  get mlAnomalies(): boolean {
    return this.cfg.mlAnomalies;
  }

  /**
   * ML.DETECT_ANOMALIES over the event's series: (re)trains the dataset's ARIMA_PLUS model of
   * every event's counts, then asks it about this event in the range. `probability` is the
   * anomaly probability a point must reach (0.95 to 0.9999 is typical).
   */
  async detectAnomalies(q: Pick<SeriesQuery, 'event' | 'range' | 'granularity'>, probability: number): Promise<MlAnomalyPoint[]> {
    const model = `\`${this.cfg.project}.${this.cfg.dataset}.po_anomalies_${q.granularity}_${createHash('sha256').update(this.cfg.table).digest('hex').slice(0, 8)}\``;
    await this.job(anomalyModelSql(this.table, model, q.granularity, q.range));
    const rows = await this.rows<{ t: string; value: number | string; lower: number; upper: number; probability: number; anomaly: boolean }>(detectAnomaliesSql(model, q.event, q.range, probability));
    return rows.map((r) => ({ t: r.t, value: Number(r.value), lower: Number(r.lower), upper: Number(r.upper), probability: Number(r.probability), anomaly: r.anomaly === true }));
  }

  async close(): Promise<void> {
    // The client holds no connection to close: each call is its own HTTPS request.
  }
}
