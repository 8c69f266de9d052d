import { median, scaledMad } from './robust';

/**
 * A robust seasonal baseline for a count series. Counts are modelled on log(1 + x), where a
 * growing product's weekly swing is a constant offset and noise is roughly even:
 *   season(d) = median over the series of (y − rough level) at phase d (the weekday for daily
 *               data), the rough level being a running median over one cycle,
 *   level(t)  = median of the deseasonalised series over the two cycles around t, t itself
 *               left out (so a one- or two-day incident moves neither its own baseline nor
 *               its neighbours'),
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
  // A window of `span` points around i (shifted inwards at the edges), i itself left out when asked.
  const around = (series: number[], i: number, span: number, leaveOut: boolean) => {
    const start = Math.max(0, Math.min(i - Math.floor(span / 2), n - span));
    const out: number[] = [];
    for (let j = start; j < Math.min(n, start + span); j++) if (!(leaveOut && j === i)) out.push(series[j]);
    return out.length ? out : [series[i]];
  };
  // 1. A rough level (one of each phase per window), and the seasonal offset of each phase.
  const rough = y.map((_, i) => median(around(y, i, period, false)));
  const season = Array.from({ length: period }, (_, d) => {
    const diffs: number[] = [];
    for (let i = d; i < n; i += period) diffs.push(y[i] - rough[i]);
    return diffs.length ? median(diffs) : 0;
  });
  // 2. The level again, on the deseasonalised series over two cycles, without the point itself:
  //    an incident cannot pull its own baseline towards it.
  const flat = y.map((v, i) => v - season[i % period]);
  const expectedLog = y.map((_, i) => median(around(flat, i, 2 * period + 1, true)) + season[i % period]);
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
