import assert from 'node:assert/strict';
import { wilson } from '../../backend/analytics/stats/wilson';
import { bhAdjust } from '../../backend/analytics/stats/benjamini-hochberg';
import { smoothedOddsRatio } from '../../backend/analytics/stats/odds-ratio';
import { twoSidedP } from '../../backend/analytics/stats/normal';
import { median, scaledMad } from '../../backend/analytics/stats/robust';

const near = (a: number, b: number, eps = 1e-4) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe('analytics statistics', () => {
  it('Wilson 95 % intervals match published values and stay inside [0, 1]', () => {
    // 81 of 263: 0.2553–0.3662 (Newcombe 1998, table I).
    const w = wilson(81, 263);
    near(w.lower, 0.2553, 5e-4);
    near(w.upper, 0.3662, 5e-4);
    const zero = wilson(0, 10);
    assert.equal(zero.lower, 0);
    near(zero.upper, 0.2775, 5e-4);
    assert.equal(wilson(10, 10).upper, 1);
    assert.deepEqual(wilson(0, 0), { rate: 0, lower: 0, upper: 1 });
  });

  it('normal tail p-values', () => {
    near(twoSidedP(1.959964), 0.05, 1e-5);
    near(twoSidedP(0), 1, 1e-6);
    near(twoSidedP(-3.290527), 0.001, 1e-5);
  });

  it('Benjamini–Hochberg q-values equal the textbook step-up', () => {
    const q = bhAdjust([0.01, 0.04, 0.03, 0.005]);
    // Sorted: 0.005, 0.01, 0.03, 0.04 → ×4/rank: 0.02, 0.02, 0.04, 0.04 (monotone from the top).
    assert.deepEqual(q.map((x) => Math.round(x * 1e6) / 1e6), [0.02, 0.04, 0.04, 0.02]);
  });

  it('smoothed odds ratios stay finite with an empty cell and point the right way', () => {
    const or = smoothedOddsRatio(30, 100, 10, 100);
    near(or.oddsRatio, (30.5 * 90.5) / (70.5 * 10.5), 1e-9);
    assert.ok(or.p < 0.001 && or.lower > 1);
    const empty = smoothedOddsRatio(0, 50, 20, 100);
    assert.ok(Number.isFinite(empty.oddsRatio) && empty.oddsRatio < 1);
  });

  it('median and scaled MAD ignore a wild value', () => {
    assert.equal(median([1, 2, 3, 1000]), 2.5);
    near(scaledMad([1, 2, 3, 4, 1000]), 1.4826);
  });
});
