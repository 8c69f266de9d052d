/**
 * Insight arithmetic, without the DOM: per funnel step the users, the conversion from the step
 * before and from the first step (overall), and the drop-off; a driver's confidence in words;
 * and the insight object that "Save as insight" writes (analytics.write_insight's input).
 */
import type { Anomaly, Driver, FunnelStep } from '../../contracts/tools/analytics';

/** What a funnel row is computed from: a step of analytics.funnel_summary's output. */
export type FunnelStepInput = Pick<FunnelStep, 'event_name' | 'users'> & Partial<Pick<FunnelStep, 'conversion_from_prev'>>;

export interface FunnelRow {
  step: number;
  event: string;
  users: number;
  /** Share of the previous step's users that reached this one (1 for the first step; null when the previous step had none). */
  fromPrevious: number | null;
  /** Share of the first step's users that reached this one (null when the first had none). */
  overall: number | null;
  /** Users lost since the previous step. */
  dropped: number;
}

export function funnelRows(steps: readonly FunnelStepInput[]): FunnelRow[] {
  const first = steps[0]?.users ?? 0;
  return steps.map((s, i) => {
    const prev = i === 0 ? null : steps[i - 1].users;
    const fromPrevious = i === 0 ? 1 : prev && prev > 0 ? s.users / prev : (s.conversion_from_prev ?? null);
    return {
      step: i + 1,
      event: s.event_name,
      users: s.users,
      fromPrevious: fromPrevious === null ? null : Math.min(1, Math.max(0, fromPrevious)),
      overall: first > 0 ? s.users / first : null,
      dropped: prev === null ? 0 : Math.max(0, prev - s.users),
    };
  });
}

/** The step where the most users are lost (the funnel's worst drop), or null. */
export function biggestDrop(rows: readonly FunnelRow[]): FunnelRow | null {
  let worst: FunnelRow | null = null;
  for (const r of rows.slice(1)) if (r.fromPrevious !== null && (worst === null || (worst.fromPrevious ?? 1) > r.fromPrevious)) worst = r;
  return worst;
}

export function confidenceLabel(c: number | undefined): string {
  if (c === undefined || !Number.isFinite(c)) return 'unknown';
  if (c >= 0.8) return 'high';
  if (c >= 0.5) return 'medium';
  return 'low';
}

/** Drivers strongest first (by absolute score), then most confident. */
export function rankDrivers(drivers: readonly Driver[]): Driver[] {
  return [...drivers].sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || (b.confidence ?? 0) - (a.confidence ?? 0));
}

export interface Insight {
  type: 'funnel_drop' | 'anomaly' | 'driver' | 'experiment_result' | 'general';
  title: string;
  summary: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  confidence: number;
  window: { range_days: number };
  context?: Record<string, unknown>;
  recommendations: Array<{ action: string; rationale: string }>;
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

export function funnelInsight(name: string, rangeDays: number, rows: readonly FunnelRow[]): Insight {
  const worst = biggestDrop(rows);
  const last = rows.at(-1);
  const severity = worst && worst.fromPrevious !== null && worst.fromPrevious < 0.2 ? 'high' : worst && worst.fromPrevious !== null && worst.fromPrevious < 0.5 ? 'medium' : 'low';
  return {
    type: 'funnel_drop',
    title: worst ? `${name}: biggest drop at "${worst.event}" (${pct(worst.fromPrevious)} from the step before)` : `${name} funnel`,
    summary: `${rows.length} steps over ${rangeDays} days; ${pct(last?.overall ?? null)} of users who started reached "${last?.event ?? ''}".`,
    severity,
    confidence: rows[0] && rows[0].users >= 1000 ? 0.8 : rows[0] && rows[0].users >= 100 ? 0.6 : 0.3,
    window: { range_days: rangeDays },
    context: { funnel: name, steps: rows.map((r) => ({ event: r.event, users: r.users })) },
    recommendations: [{ action: worst ? `Investigate the step "${worst.event}"` : 'Watch the funnel', rationale: worst ? `${worst.dropped} users were lost there.` : 'No step stands out.' }],
  };
}

export function anomalyInsight(metric: string, rangeDays: number, anomalies: readonly Anomaly[]): Insight {
  const top = [...anomalies].sort((a, b) => b.score - a.score)[0];
  return {
    type: 'anomaly',
    title: top ? `${metric}: ${top.direction} on ${top.t.slice(0, 10)} (${top.value} vs ${top.expected} expected)` : `${metric}: no anomalies`,
    summary: `${anomalies.length} point${anomalies.length === 1 ? '' : 's'} outside the expected band in ${rangeDays} days.`,
    severity: top ? (top.score >= 6 ? 'high' : 'medium') : 'info',
    confidence: top ? Math.min(0.95, 0.5 + top.score / 20) : 0.5,
    window: { range_days: rangeDays },
    context: { metric, anomalies: anomalies.slice(0, 20) },
    recommendations: [{ action: top ? `Check what changed around ${top.t.slice(0, 10)}` : 'Nothing to do', rationale: top ? `The robust z-score was ${top.score.toFixed(1)}.` : 'The series stayed in its band.' }],
  };
}

export function driverInsight(metric: string, rangeDays: number, drivers: readonly Driver[]): Insight {
  const top = rankDrivers(drivers)[0];
  return {
    type: 'driver',
    title: top ? `${metric}: "${top.name}" is the strongest ${top.direction} driver` : `${metric}: no drivers found`,
    summary: top ? top.evidence : 'No candidate feature stood out.',
    severity: 'info',
    confidence: top?.confidence ?? 0.3,
    window: { range_days: rangeDays },
    context: { metric, drivers: rankDrivers(drivers).slice(0, 10) },
    recommendations: [{ action: top ? `Experiment with "${top.name}"` : 'Collect more data', rationale: top ? `Score ${top.score.toFixed(2)}, confidence ${confidenceLabel(top.confidence)}.` : 'Not enough signal.' }],
  };
}

/** marketing.generate_channel_posts input for a campaign drafted from an insight. */
export function campaignFromInsight(insight: Insight, product: string, audience: string, channels: string[]): Record<string, unknown> {
  return {
    brand_profile_id: 'default',
    brief: {
      goal: insight.recommendations[0]?.action ?? insight.title,
      product,
      audience,
      key_points: [insight.summary, ...insight.recommendations.map((r) => r.rationale)].filter((s) => s.trim() !== '').slice(0, 5),
    },
    channels,
    variations_per_channel: 2,
  };
}
