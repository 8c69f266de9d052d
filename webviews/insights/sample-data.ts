/**
 * Made-up analytics outputs (shaped as the registry's output schemas): the preview a store with
 * no events may show, clearly tagged as a sample. Never shown once real events exist.
 */
import type { Anomaly, AnomalyDetection, AnomalyPoint, CohortRetention, FunnelSummary, TopDrivers } from '../../contracts/tools/analytics';

export const SAMPLE_FUNNEL: FunnelSummary = {
  funnel_name: 'Signup to paid',
  range_days: 30,
  steps: [
    { event_name: 'visit_landing', users: 12400, conversion_from_prev: 1 },
    { event_name: 'signup_started', users: 3100, conversion_from_prev: 0.25 },
    { event_name: 'signup_completed', users: 2480, conversion_from_prev: 0.8 },
    { event_name: 'first_project', users: 1120, conversion_from_prev: 0.4516 },
    { event_name: 'subscription_paid', users: 190, conversion_from_prev: 0.1696 },
  ],
};

export const SAMPLE_DRIVERS: TopDrivers = {
  target: { metric: 'trial_to_paid' },
  range_days: 30,
  drivers: [
    { name: 'invited_teammate', score: 2.4, direction: 'positive', evidence: 'Trials that invite a teammate convert 2.4× as often (smoothed odds ratio, n=410).', confidence: 0.86 },
    { name: 'connected_github', score: 1.7, direction: 'positive', evidence: 'Connecting GitHub in the first day goes with 1.7× the conversion (n=980).', confidence: 0.72 },
    { name: 'saw_pricing_twice', score: -1.3, direction: 'negative', evidence: 'Visiting pricing twice before day 3 goes with lower conversion (n=260).', confidence: 0.55 },
    { name: 'mobile_signup', score: 0.4, direction: 'mixed', evidence: 'Mobile signups convert about the same; small support (n=75).', confidence: 0.31 },
  ],
};

function series(): { series: AnomalyPoint[]; anomalies: Anomaly[] } {
  const points: AnomalyPoint[] = [];
  const anomalies: Anomaly[] = [];
  const start = Date.parse('2025-03-01T00:00:00Z');
  for (let d = 0; d < 30; d++) {
    const expected = 400 + 40 * Math.sin((d / 7) * 2 * Math.PI);
    let value = Math.round(expected + ((d * 37) % 23) - 11);
    if (d === 12) value = 720;
    if (d === 23) value = 140;
    const t = new Date(start + d * 86_400_000).toISOString();
    points.push({ t, value, expected: Math.round(expected), lower: Math.round(expected - 60), upper: Math.round(expected + 60) });
    if (value > expected + 60 || value < expected - 60) anomalies.push({ t, value, expected: Math.round(expected), score: Math.abs(value - expected) / 20, direction: value > expected ? 'spike' : 'drop' });
  }
  return { series: points, anomalies };
}

export const SAMPLE_ANOMALIES: AnomalyDetection = { metric: 'signup_completed', method: 'rolling median + MAD, window 7', ...series() };

/** Six weekly cohorts, each with the weeks that have elapsed for it. */
export const SAMPLE_RETENTION: CohortRetention = {
  period: 'week',
  range_days: 42,
  cohorts: [0, 1, 2, 3, 4, 5].map((i) => ({
    cohort_start: new Date(Date.parse('2025-01-06T00:00:00Z') + i * 7 * 86_400_000).toISOString().slice(0, 10),
    size: 400 + 37 * i,
    retained: [1, 0.42, 0.33, 0.29, 0.27, 0.26].slice(0, 6 - i).map((r, k) => (k === 0 ? 1 : Math.round((r + 0.01 * i) * 1000) / 1000)),
  })),
};
