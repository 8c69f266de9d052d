/**
 * The analytics tools' outputs the Insights panel draws, declared once (the registry's
 * outputSchemas of analytics.funnel_summary, analytics.top_drivers and analytics.anomaly_detect,
 * which a test holds equal to these).
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;

export const FunnelStep = Type.Object(
  { event_name: Type.String(), users: Type.Integer({ minimum: 0 }), conversion_from_prev: Type.Number({ minimum: 0, maximum: 1 }) },
  Closed,
);
export type FunnelStep = Static<typeof FunnelStep>;

export const FunnelSummary = Type.Object({ funnel_name: Type.String(), range_days: Type.Integer(), steps: Type.Array(FunnelStep) }, Closed);
export type FunnelSummary = Static<typeof FunnelSummary>;

export const DriverDirection = Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('mixed'), Type.Literal('unknown')]);
export const Driver = Type.Object(
  {
    name: Type.String(),
    score: Type.Number(),
    direction: DriverDirection,
    evidence: Type.String(),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  Closed,
);
export type Driver = Static<typeof Driver>;

/** `target` echoes what was asked (a metric, or an event with filters): any object. */
export const TopDrivers = Type.Object(
  { target: Type.Unsafe<{ metric?: string; [key: string]: unknown }>({ type: 'object' }), range_days: Type.Integer(), drivers: Type.Array(Driver) },
  Closed,
);
export type TopDrivers = Static<typeof TopDrivers>;

export const AnomalyPoint = Type.Object({ t: Type.String(), value: Type.Number(), expected: Type.Number(), lower: Type.Number(), upper: Type.Number() }, Closed);
export type AnomalyPoint = Static<typeof AnomalyPoint>;

export const Anomaly = Type.Object(
  { t: Type.String(), value: Type.Number(), expected: Type.Number(), score: Type.Number(), direction: Type.Union([Type.Literal('spike'), Type.Literal('drop')]) },
  Closed,
);
export type Anomaly = Static<typeof Anomaly>;

export const AnomalyDetection = Type.Object(
  { metric: Type.String(), series: Type.Array(AnomalyPoint), anomalies: Type.Array(Anomaly), method: Type.String() },
  Closed,
);
export type AnomalyDetection = Static<typeof AnomalyDetection>;
