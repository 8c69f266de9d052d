/**
 * The one warehouse interface: what the analytics tools ask of an events store. Two engines
 * implement it — DuckDB (embedded, the default; duckdb-engine.ts) and BigQuery (when
 * configured). Each engine answers in its own SQL; everything statistical (Wilson intervals,
 * odds ratios, seasonal baselines) happens above it, in plain TypeScript over these counts, so
 * both engines give the same numbers for the same events.
 *
 * Times are UTC everywhere. A range is half-open: `from <= timestamp < to`.
 */

/** One event as stored. `properties` is a JSON object (possibly empty). */
export interface EventRow {
  /** Optional id: an event whose id is already stored is skipped, so a retried batch counts once. */
  event_id?: string;
  user_id: string;
  event: string;
  /** UTC instant. */
  timestamp: Date;
  properties: Record<string, unknown>;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

/** Part of every query: when aborted (cancel, timeout, shutdown) the engine stops the query. */
export interface Abortable {
  signal?: AbortSignal;
}

export interface IngestOptions {
  /** Who sent the batch ("web", "import:events.csv", "demo"), stored with each row. */
  source?: string;
}

export interface IngestResult {
  /** Rows newly stored. */
  inserted: number;
  /** Rows skipped because their event_id was already stored (or repeated in the batch). */
  duplicates: number;
}

/** Equality on event properties: `{ plan: "team" }`; an array means "any of": `{ plan: ["team", "pro"] }`. */
export type PropertyFilter = Record<string, string | number | boolean | Array<string | number | boolean>>;

export interface FunnelStepQuery {
  event: string;
  filter?: PropertyFilter;
}

/**
 * An ordered funnel. A user enters at their FIRST step-0 event in the range; each later step
 * is the user's first matching event at or after the previous step's time (strictly after when
 * both steps are the same event), and no later than entry + windowMs. A step counts once per
 * user. Only events in `range` are considered.
 */
export interface FunnelQuery extends Abortable {
  range: TimeRange;
  steps: FunnelStepQuery[];
  windowMs: number;
}

export interface FunnelStepCounts {
  /** Users who reached this step. */
  users: number;
  /** Median seconds from the previous step to this one among users who reached it (null at step 0 or when nobody did). */
  median_seconds_from_prev: number | null;
  /** Median seconds from entry (step 0) to this step (null at step 0 or when nobody did). */
  median_seconds_from_entry: number | null;
}

export interface FunnelCounts {
  steps: FunnelStepCounts[];
}

export type Period = 'day' | 'week' | 'month';

/**
 * Cohorts by the UTC period (weeks start on Monday) of each user's first `cohortEvent` in the
 * range. A user is retained in period k (0 = the joining period) when they performed
 * `returnEvent` in it, at or after their cohort event. Periods that have not started by
 * `range.to` are left out.
 */
export interface RetentionQuery extends Abortable {
  range: TimeRange;
  cohortEvent: string;
  returnEvent: string;
  period: Period;
  periods: number;
}

export interface RetentionCohortCounts {
  /** YYYY-MM-DD, the first day of the cohort's period. */
  cohort_start: string;
  size: number;
  /** Users retained in period 0, 1, …; only periods that have started by range.to. */
  retained: number[];
}

export interface RetentionCounts {
  cohorts: RetentionCohortCounts[];
}

/**
 * Who converts, by property of their entry event. The population is the users whose first
 * `entryEvent` (any event when absent) lies in the range; a user converted when they performed
 * `targetEvent` within windowMs after that entry. Candidate features are the entry event's
 * properties: each (key, value) pair, for the keys asked (all keys with at most
 * `maxValuesPerKey` distinct values when none are asked).
 */
export interface DriverQuery extends Abortable {
  range: TimeRange;
  entryEvent?: string;
  /** Narrows who enters: only entry events with these property values count (the tool's segment). */
  entryFilter?: PropertyFilter;
  targetEvent: string;
  windowMs: number;
  keys?: string[];
  maxValuesPerKey: number;
}

export interface DriverFeatureCounts {
  key: string;
  /** The value as text (JSON scalars in their JSON text form: "team", "true", "3"). */
  value: string;
  /** Users in the population whose entry event has key = value. */
  users: number;
  /** Of those, how many converted. */
  converted: number;
}

export interface DriverCounts {
  population: number;
  converted: number;
  features: DriverFeatureCounts[];
}

export type Granularity = 'hour' | 'day';

/** Count of `event` per UTC bucket (optionally filtered); buckets with no event are returned as 0. */
export interface SeriesQuery extends Abortable {
  range: TimeRange;
  event: string;
  filter?: PropertyFilter;
  granularity: Granularity;
}

export interface SeriesPoint {
  /** Start of the bucket, ISO 8601 UTC. */
  t: string;
  value: number;
}

/** What exists in the data: for pickers, the empty state and "no such event" messages. Times ISO 8601 UTC. */
export interface EventCatalog {
  /** Top 500 event names by count. */
  events: Array<{ name: string; events: number; users: number; firstSeen: string; lastSeen: string }>;
  /** Top 200 property keys by how many events carry them, with their distinct values. */
  properties: Array<{ key: string; events: number; values: number }>;
  totals: { events: number; users: number; firstSeen: string | null; lastSeen: string | null };
}

/**
 * A staging area for a large import: rows appended in batches reach the events only at
 * commit, all at once (an interrupted import counts nothing). dispose() drops what was staged.
 */
export interface EventStaging {
  readonly staged: number;
  append(rows: Array<EventRow & { line: number }>): Promise<void>;
  commit(source: string | undefined): Promise<IngestResult>;
  dispose(): Promise<void>;
}

export interface Warehouse {
  readonly engine: 'duckdb' | 'bigquery';
  /** Where the events are, for messages and outputs: a file path, or project.dataset.table. */
  readonly location: string;
  /** Stores a validated batch in one transaction (all or nothing), skipping known event ids. */
  ingest(rows: EventRow[], opts?: IngestOptions): Promise<IngestResult>;
  /** Opens a staging area for `events import` (all or nothing for a whole file); an engine without one cannot import files. */
  stage?(): Promise<EventStaging>;
  /** Total events stored (the empty state asks this). */
  count(range?: TimeRange): Promise<number>;
  /** What exists (in the range, when given): event names, property keys, totals. */
  catalog(range?: TimeRange): Promise<EventCatalog>;
  /** The property keys present on `event` (exact, sorted): an unknown filter key is refused by name. */
  propertyKeys(event: string, range?: TimeRange): Promise<string[]>;
  funnel(q: FunnelQuery): Promise<FunnelCounts>;
  retention(q: RetentionQuery): Promise<RetentionCounts>;
  drivers(q: DriverQuery): Promise<DriverCounts>;
  series(q: SeriesQuery): Promise<SeriesPoint[]>;
  close(): Promise<void>;
}
