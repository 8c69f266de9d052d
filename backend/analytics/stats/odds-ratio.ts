import { twoSidedP } from './normal';
import { Z95 } from './wilson';

/**
 * A 2×2 table: a of n1 in the group converted, c of n0 outside it. The odds ratio is smoothed
 * by adding ½ to every cell (Haldane–Anscombe), so an empty cell gives a finite, shrunk
 * estimate instead of 0 or ∞; its p-value is the Wald test on the log odds ratio.
 */
export interface OddsRatio {
  oddsRatio: number;
  logOddsRatio: number;
  /** 95 % interval of the odds ratio. */
  lower: number;
  upper: number;
  z: number;
  p: number;
}

export function smoothedOddsRatio(a: number, n1: number, c: number, n0: number): OddsRatio {
  const b = n1 - a;
  const d = n0 - c;
  const log = Math.log(((a + 0.5) * (d + 0.5)) / ((b + 0.5) * (c + 0.5)));
  const se = Math.sqrt(1 / (a + 0.5) + 1 / (b + 0.5) + 1 / (c + 0.5) + 1 / (d + 0.5));
  const z = log / se;
  return { oddsRatio: Math.exp(log), logOddsRatio: log, lower: Math.exp(log - Z95 * se), upper: Math.exp(log + Z95 * se), z, p: twoSidedP(z) };
}
