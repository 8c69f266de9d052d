import type { ExecutionContext } from '../../executors/executor';
import type { Analytics } from '../../analytics/analytics';
import type { Anomaly, AnomalyDetection } from '../../../contracts/tools/analytics';
import { seasonalBaseline } from '../../analytics/stats/seasonal-baseline';
import { DAY_MS, explainMissing, propertyFilter, round } from './common';
import { ProductOsError } from '../../errors';

export interface AnomalyInput {
  metric: string;
  range_days: number;
  granularity?: 'hour' | 'day';
  sensitivity?: number;
  filter?: Record<string, unknown>;
  as_of?: string;
}

/**
 * analytics.anomaly_detect: the metric's count per bucket against a robust seasonal baseline
 * (stats/seasonal-baseline.ts). Only complete buckets are analysed — the bucket `as_of` falls
 * in is still filling, and would read as a drop.
 */
export function anomalyDetect(analytics: Analytics) {
  return async (input: AnomalyInput, ctx: ExecutionContext): Promise<AnomalyDetection> => {
    const granularity = input.granularity ?? 'day';
    const sensitivity = input.sensitivity ?? 3;
    const step = granularity === 'hour' ? 3_600_000 : DAY_MS;
    const asOf = input.as_of === undefined ? new Date() : new Date(input.as_of);
    if (Number.isNaN(asOf.getTime())) throw new ProductOsError('invalid_input', `as_of "${input.as_of}" is not a date-time`);
    const to = new Date(Math.floor(asOf.getTime() / step) * step);
    const range = { from: new Date(to.getTime() - input.range_days * DAY_MS), to };
    const filter = propertyFilter(input.filter, 'filter');
    const w = await analytics.warehouse();
    // BigQuery ML when the user turned it on (a property filter needs the local baseline).
    if (w.engine === 'bigquery' && !filter) {
      const [{ BigQueryWarehouse }, { mlAnomalies }] = await Promise.all([import('../../analytics/bigquery/bigquery-engine'), import('./anomalies-bigquery-ml')]);
      if (w instanceof BigQueryWarehouse && w.mlAnomalies) return mlAnomalies(w, input.metric, range, granularity, sensitivity);
    }
    await ctx.progress({ progress: 0, message: `reading the ${granularity}ly series of ${input.metric} on ${w.engine}` });
    const series = await w.series({ range, event: input.metric, filter, granularity, signal: ctx.signal });
    if (series.every((p) => p.value === 0)) await explainMissing(w, range, [{ event: input.metric, filter, where: 'metric (an event name)' }]);
    // A weekly cycle where the series is long enough to see it three times; a daily one otherwise.
    const period = granularity === 'day' ? 7 : series.length >= 3 * 168 ? 168 : 24;
    const points = seasonalBaseline(series.map((p) => p.value), Math.min(period, series.length), sensitivity);
    const anomalies: Anomaly[] = [];
    const out = series.map((p, i) => {
      const b = points[i];
      if (b.anomalous) {
        anomalies.push({ t: p.t, value: p.value, expected: round(b.expected, 3), score: round(b.score, 3), direction: b.direction, lower: round(b.lower, 3), upper: round(b.upper, 3) });
      }
      return { t: p.t, value: p.value, expected: round(b.expected, 3), lower: round(b.lower, 3), upper: round(b.upper, 3) };
    });
    return {
      metric: input.metric,
      series: out,
      anomalies,
      method: `count of "${input.metric}" per ${granularity} on log(1+x): median offset per ${period === 7 ? 'weekday' : `phase of a ${period}-${granularity} cycle`} + the deseasonalised median of the ${2 * period + 1} ${granularity}s around each point (itself left out); band = expected ± ${sensitivity} × scaled MAD of the residuals (at least the Poisson spread)`,
      granularity,
      sensitivity,
      window: { from: range.from.toISOString(), to: range.to.toISOString() },
      engine: w.engine,
    };
  };
}
