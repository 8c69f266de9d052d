/**
 * Benjamini–Hochberg adjusted p-values (q-values): testing many candidate drivers at once,
 * keeping those with q ≤ α holds the expected share of false discoveries at α.
 */
export function bhAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1];
    running = Math.min(running, (p * m) / rank);
    q[i] = running;
  }
  return q;
}
