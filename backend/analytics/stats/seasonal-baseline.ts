import { median, scaledMad } from './robust';

/**
 * A robust seasonal baseline for a count series. Counts are modelled on log(1 + x), where a
 * growing product's weekly swing is a constant offset and noise is roughly even:
 *   level(t)  = median of the surrounding `period` points (a running median, so a one- or
 *               two-day incident does not move it),
 *   season(d) = median over the series of (y − level) at phase d (the weekday for daily data),
 *   expected  = level + season,
 *   band      = expected ± sensitivity × scale, scale = max(scaled MAD of the residuals,
 *               the Poisson spread at that level),
 * and everything is mapped back to counts. A point outside its band is an anomaly; its score
 * is |residual| / scale, the robust z.
 */
export interface BaselinePoint {
  value: number;
  expected: number;
  lower: number;
  upper: number;
  score: number;
  direction: 'spike' | 'drop';
  anomalous: boolean;
}

export function seasonalBaseline(values: readonly number[], period: number, sensitivity: number): BaselinePoint[] {
  const n = values.length;
  const y = values.map((v) => Math.log1p(Math.max(0, v)));
  const half = Math.floor(period / 2);
  const level = y.map((_, i) => {
    // A centred window of `period` points (one of each phase), shifted inwards at the edges.
    const start = Math.max(0, Math.min(i - half, n - period));
    return median(y.slice(start, Math.min(n, start + period)));
  });
  const season = Array.from({ length: period }, (_, d) => {
    const diffs: number[] = [];
    for (let i = d; i < n; i += period) diffs.push(y[i] - level[i]);
    return diffs.length ? median(diffs) : 0;
  });
  const expectedLog = y.map((_, i) => level[i] + season[i % period]);
  const residuals = y.map((v, i) => v - expectedLog[i]);
  const mad = scaledMad(residuals);
  return values.map((value, i) => {
    const e = expectedLog[i];
    // On the log scale a Poisson count λ has spread ≈ 1/√λ: the floor for quiet or flat series.
    const scale = Math.max(mad, 1 / Math.sqrt(Math.max(1, Math.expm1(e))), 1e-9);
    const r = residuals[i];
    const score = Math.abs(r) / scale;
    return {
      value,
      expected: Math.expm1(e),
      lower: Math.max(0, Math.expm1(e - sensitivity * scale)),
      upper: Math.expm1(e + sensitivity * scale),
      score,
      direction: r >= 0 ? 'spike' : 'drop',
      anomalous: score > sensitivity,
    };
  });
}
