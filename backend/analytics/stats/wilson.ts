/**
 * The Wilson score interval for a binomial rate: unlike the normal approximation it stays in
 * [0, 1] and behaves at 0 of n, n of n and small n, which is where funnel steps often are.
 */
export interface RateInterval {
  rate: number;
  lower: number;
  upper: number;
}

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export function wilson(successes: number, trials: number, z = Z95): RateInterval {
  if (trials <= 0) return { rate: 0, lower: 0, upper: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  // At 0 of n and n of n the bound is exactly 0 or 1; rounding must not make it 0.9999999999999999.
  return { rate: p, lower: successes === 0 ? 0 : Math.max(0, centre - half), upper: successes === trials ? 1 : Math.min(1, centre + half) };
}
