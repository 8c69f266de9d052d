/**
 * The analytics tools' outputs the Insights panel draws, declared once (the registry's
 * outputSchemas of analytics.funnel_summary, analytics.top_drivers, analytics.anomaly_detect and
 * analytics.cohort_retention, which a test holds equal to these).
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;

/** A 95 % interval of a rate (Wilson score interval). */
export const RateInterval = Type.Object({ lower: Type.Number({ minimum: 0, maximum: 1 }), upper: Type.Number({ minimum: 0, maximum: 1 }) }, Closed);
export type RateInterval = Static<typeof RateInterval>;

/** Optional fields (intervals, medians, counts) are the local engine's additions to the seed's shapes. */
export const FunnelStep = Type.Object(
  {
    event_name: Type.String(),
    users: Type.Integer({ minimum: 0 }),
    conversion_from_prev: Type.Number({ minimum: 0, maximum: 1 }),
    conversion_from_prev_interval: Type.Optional(RateInterval),
    conversion_overall: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    conversion_overall_interval: Type.Optional(RateInterval),
    median_seconds_from_prev: Type.Optional(Type.Number({ minimum: 0 })),
    median_seconds_from_entry: Type.Optional(Type.Number({ minimum: 0 })),
    filter: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
  },
  Closed,
);
export type FunnelStep = Static<typeof FunnelStep>;

/** The window the numbers cover: `from <= t < to`, ISO 8601 UTC, and the engine that counted them. */
export const Window = Type.Object({ from: Type.String(), to: Type.String() }, Closed);
export type Window = Static<typeof Window>;
export const Engine = Type.Union([Type.Literal('duckdb'), Type.Literal('bigquery')]);

export const FunnelSummary = Type.Object(
  {
    funnel_name: Type.String(),
    range_days: Type.Integer(),
    steps: Type.Array(FunnelStep),
    window_days: Type.Optional(Type.Integer({ minimum: 1 })),
    window: Type.Optional(Window),
    engine: Type.Optional(Engine),
  },
  Closed,
);
export type FunnelSummary = Static<typeof FunnelSummary>;

export const DriverDirection = Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('mixed'), Type.Literal('unknown')]);
export const Driver = Type.Object(
  {
    name: Type.String(),
    score: Type.Number(),
    direction: DriverDirection,
    evidence: Type.String(),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    property: Type.Optional(Type.String()),
    value: Type.Optional(Type.String()),
    users: Type.Optional(Type.Integer({ minimum: 0 })),
    converted: Type.Optional(Type.Integer({ minimum: 0 })),
    conversion: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    conversion_interval: Type.Optional(RateInterval),
    others_users: Type.Optional(Type.Integer({ minimum: 0 })),
    others_converted: Type.Optional(Type.Integer({ minimum: 0 })),
    others_conversion: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    others_conversion_interval: Type.Optional(RateInterval),
    lift: Type.Optional(Type.Number({ minimum: 0 })),
    odds_ratio: Type.Optional(Type.Number({ minimum: 0 })),
    odds_ratio_interval: Type.Optional(Type.Object({ lower: Type.Number({ minimum: 0 }), upper: Type.Number({ minimum: 0 }) }, Closed)),
    p_value: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    q_value: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  Closed,
);
export type Driver = Static<typeof Driver>;

/** `target` echoes what was asked (a metric, or an event with filters): any object. */
export const TopDrivers = Type.Object(
  {
    target: Type.Unsafe<{ metric?: string; [key: string]: unknown }>({ type: 'object' }),
    range_days: Type.Integer(),
    drivers: Type.Array(Driver),
    population: Type.Optional(Type.Integer({ minimum: 0 })),
    converted: Type.Optional(Type.Integer({ minimum: 0 })),
    conversion_interval: Type.Optional(RateInterval),
    tested: Type.Optional(Type.Integer({ minimum: 0 })),
    min_support: Type.Optional(Type.Integer({ minimum: 1 })),
    alpha: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    entry_event: Type.Optional(Type.String()),
    window_days: Type.Optional(Type.Integer({ minimum: 1 })),
    window: Type.Optional(Window),
    engine: Type.Optional(Engine),
  },
  Closed,
);
export type TopDrivers = Static<typeof TopDrivers>;

export const AnomalyPoint = Type.Object({ t: Type.String(), value: Type.Number(), expected: Type.Number(), lower: Type.Number(), upper: Type.Number() }, Closed);
export type AnomalyPoint = Static<typeof AnomalyPoint>;

export const Anomaly = Type.Object(
  {
    t: Type.String(),
    value: Type.Number(),
    expected: Type.Number(),
    score: Type.Number(),
    direction: Type.Union([Type.Literal('spike'), Type.Literal('drop')]),
    lower: Type.Optional(Type.Number()),
    upper: Type.Optional(Type.Number()),
  },
  Closed,
);
export type Anomaly = Static<typeof Anomaly>;

export const AnomalyDetection = Type.Object(
  {
    metric: Type.String(),
    series: Type.Array(AnomalyPoint),
    anomalies: Type.Array(Anomaly),
    method: Type.String(),
    granularity: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
    sensitivity: Type.Optional(Type.Number()),
    window: Type.Optional(Window),
    engine: Type.Optional(Engine),
  },
  Closed,
);
export type AnomalyDetection = Static<typeof AnomalyDetection>;

/** analytics.cohort_retention's output (the registry's outputSchema), the retention triangle the panel draws. */
export const RetentionCohort = Type.Object(
  {
    cohort_start: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    retained: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { maxItems: 52 }),
    retained_users: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 52 })),
  },
  Closed,
);
export type RetentionCohort = Static<typeof RetentionCohort>;

/**
 * Average retention in period k: users retained in k over the users of the cohorts that have
 * reached k (weighted by cohort size), with its Wilson interval.
 */
export const RetentionAverage = Type.Object(
  {
    period_index: Type.Integer({ minimum: 0 }),
    retained: Type.Number({ minimum: 0, maximum: 1 }),
    interval: RateInterval,
    users: Type.Integer({ minimum: 0 }),
    cohort_users: Type.Integer({ minimum: 0 }),
  },
  Closed,
);
export type RetentionAverage = Static<typeof RetentionAverage>;

export const CohortRetention = Type.Object(
  {
    cohorts: Type.Array(RetentionCohort),
    period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
    range_days: Type.Integer({ minimum: 1, maximum: 365 }),
    average: Type.Optional(Type.Array(RetentionAverage, { maxItems: 52 })),
    window: Type.Optional(Window),
    engine: Type.Optional(Engine),
  },
  Closed,
);
export type CohortRetention = Static<typeof CohortRetention>;

