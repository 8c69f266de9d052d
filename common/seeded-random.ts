/**
 * The project's one seeded random generator (mulberry32): small, fast, and the same sequence
 * for the same seed on every machine, so demo events, generated test data and the order
 * `npm test` runs its files in can each be reproduced from their seed. Not for secrets.
 */

/** Numbers in [0, 1), like Math.random, from a seed. */
export type Rng = () => number;

export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
