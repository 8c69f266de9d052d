import type { Driver } from '../../contracts/tools/analytics';
import type { DriverCounts } from './warehouse';
import { bhAdjust } from './stats/benjamini-hochberg';
import { smoothedOddsRatio } from './stats/odds-ratio';
import { wilson } from './stats/wilson';

export interface RankOptions {
  /** Users needed on each side of a candidate (with the value, and without) for it to be tested. */
  minSupport: number;
  /** False discovery rate kept among the drivers reported. */
  alpha: number;
  /** Most drivers reported. */
  limit: number;
}

export interface Ranking {
  drivers: Driver[];
  tested: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (n: number) => n.toLocaleString('en-US');
const times = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * From counts to drivers: each property = value with enough support on both sides is a 2×2
 * table (converted or not, with the value or without); its smoothed odds ratio and Wald
 * p-value are computed, the p-values adjusted by Benjamini–Hochberg over every candidate
 * tested, and those with q ≤ α are reported, strongest effect first. `score` is the log odds
 * ratio (its sign is the direction); `confidence` is 1 − q.
 */
export function rankDrivers(c: DriverCounts, o: RankOptions): Ranking {
  const candidates = c.features
    .filter((f) => f.users >= o.minSupport && c.population - f.users >= o.minSupport)
    .map((f) => {
      const othersUsers = c.population - f.users;
      const othersConverted = c.converted - f.converted;
      return { f, othersUsers, othersConverted, or: smoothedOddsRatio(f.converted, f.users, othersConverted, othersUsers) };
    });
  const q = bhAdjust(candidates.map((x) => x.or.p));
  const drivers = candidates
    .map((x, i) => ({ ...x, q: q[i] }))
    .filter((x) => x.q <= o.alpha)
    .sort((a, b) => Math.abs(b.or.logOddsRatio) - Math.abs(a.or.logOddsRatio) || a.q - b.q)
    .slice(0, o.limit)
    .map(({ f, othersUsers, othersConverted, or, q: qv }): Driver => {
      const rate = wilson(f.converted, f.users);
      const others = wilson(othersConverted, othersUsers);
      const lift = others.rate > 0 ? rate.rate / others.rate : rate.rate > 0 ? Infinity : 1;
      const positive = or.logOddsRatio > 0;
      const liftText = Number.isFinite(lift) ? `${times(lift)}× as often` : 'while nobody else did';
      return {
        name: `${f.key}=${f.value}`,
        score: r6(or.logOddsRatio),
        direction: positive ? 'positive' : 'negative',
        evidence:
          `users with ${f.key}=${f.value} converted ${liftText} as everyone else: ` +
          `${num(f.converted)} of ${num(f.users)} (${pct(rate.rate)}, 95 % CI ${pct(rate.lower)}–${pct(rate.upper)}) vs ` +
          `${num(othersConverted)} of ${num(othersUsers)} (${pct(others.rate)}, ${pct(others.lower)}–${pct(others.upper)}); ` +
          `odds ratio ${or.oddsRatio.toFixed(2)} (${or.lower.toFixed(2)}–${or.upper.toFixed(2)}), ${qv < 0.0001 ? 'q < 0.0001' : `q = ${qv.toFixed(4)}`}`,
        confidence: r6(1 - qv),
        property: f.key,
        value: f.value,
        users: f.users,
        converted: f.converted,
        conversion: r6(rate.rate),
        conversion_interval: { lower: r6(rate.lower), upper: r6(rate.upper) },
        others_users: othersUsers,
        others_converted: othersConverted,
        others_conversion: r6(others.rate),
        others_conversion_interval: { lower: r6(others.lower), upper: r6(others.upper) },
        ...(Number.isFinite(lift) ? { lift: r6(lift) } : {}),
        odds_ratio: r6(or.oddsRatio),
        odds_ratio_interval: { lower: r6(or.lower), upper: r6(or.upper) },
        p_value: r6(Math.min(1, or.p)),
        q_value: r6(Math.min(1, qv)),
      };
    });
  return { drivers, tested: candidates.length };
}
