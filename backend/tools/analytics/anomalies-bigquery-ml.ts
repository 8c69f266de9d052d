/**
 * analytics.anomaly_detect on BigQuery ML, when PRODUCT_OS_BIGQUERY_ML_ANOMALIES is on: the
 * event's series judged by ML.DETECT_ANOMALIES on an ARIMA_PLUS model (trend, weekly and yearly
 * seasonality, holidays) instead of the local median/MAD baseline. The sensitivity keeps its
 * meaning: a point is an anomaly when its anomaly probability reaches that of a two-sided
 * normal z-score of `sensitivity` (3 → 0.9973). Same output shape, with the method saying which.
 */
import type { Anomaly, AnomalyDetection } from '../../../contracts/tools/analytics';
import type { BigQueryWarehouse } from '../../analytics/bigquery/bigquery-engine';
import type { TimeRange } from '../../analytics/warehouse';
import { twoSidedP } from '../../analytics/stats/normal';

const round = (x: number) => Math.round(x * 1000) / 1000;

export async function mlAnomalies(w: BigQueryWarehouse, metric: string, range: TimeRange, granularity: 'hour' | 'day', sensitivity: number): Promise<AnomalyDetection> {
  const probability = 1 - twoSidedP(sensitivity);
  const points = await w.detectAnomalies({ event: metric, range, granularity }, probability);
  const anomalies: Anomaly[] = [];
  const series = points.map((p) => {
    const expected = (p.lower + p.upper) / 2;
    // The band is the model's interval at 95 %: its half-width stands for ~1.96 standard errors.
    const se = Math.max((p.upper - p.lower) / (2 * 1.96), 1e-9);
    if (p.anomaly) {
      anomalies.push({ t: p.t, value: p.value, expected: round(expected), score: round(Math.abs(p.value - expected) / se), direction: p.value >= expected ? 'spike' : 'drop', lower: round(p.lower), upper: round(p.upper) });
    }
    return { t: p.t, value: p.value, expected: round(expected), lower: round(p.lower), upper: round(p.upper) };
  });
  return {
    metric,
    series,
    anomalies,
    method: `BigQuery ML.DETECT_ANOMALIES on an ARIMA_PLUS model of every event's ${granularity}ly counts; a point is an anomaly when its anomaly probability is at least ${probability.toFixed(4)} (sensitivity ${sensitivity})`,
    granularity,
    sensitivity,
    window: { from: range.from.toISOString(), to: range.to.toISOString() },
    engine: 'bigquery',
  };
}
