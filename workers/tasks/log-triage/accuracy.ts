/**
 * Grouping accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing",
 * ICSE-SEIP 2019): a line is parsed correctly when the set of lines its predicted group
 * holds is exactly the set of lines that share its true event. Accuracy is correct lines
 * over all lines. Template texts do not matter, only the partition of the lines.
 *
 * Lives with the miner because `include_line_groups` exists for exactly this: a run's
 * output can be scored against hand-labelled lines.
 */

/** `predicted[i]` and `truth[i]` are the group labels of line i (any comparable values). */
export function groupingAccuracy<P, T>(predicted: readonly P[], truth: readonly T[]): number {
  if (predicted.length !== truth.length) throw new Error(`grouping accuracy: ${predicted.length} predictions for ${truth.length} lines`);
  if (truth.length === 0) return 1;
  // Two partitions agree on a group exactly when the group has one label on each side and
  // the two groups have the same size; count (predicted, truth) pairs to check that.
  const predSize = new Map<P, number>();
  const truthSize = new Map<T, number>();
  const pair = new Map<P, Map<T, number>>();
  for (let i = 0; i < truth.length; i++) {
    predSize.set(predicted[i], (predSize.get(predicted[i]) ?? 0) + 1);
    truthSize.set(truth[i], (truthSize.get(truth[i]) ?? 0) + 1);
    let m = pair.get(predicted[i]);
    if (!m) pair.set(predicted[i], (m = new Map()));
    m.set(truth[i], (m.get(truth[i]) ?? 0) + 1);
  }
  let correct = 0;
  for (const [p, m] of pair) {
    if (m.size !== 1) continue;
    const [[t, n]] = [...m];
    if (n === predSize.get(p) && n === truthSize.get(t)) correct += n;
  }
  return correct / truth.length;
}

/** Converts per-template line numbers (one-based, as the output lists them) into one label per line. */
export function labelsFromLineGroups(groups: ReadonlyArray<{ id: string; line_numbers?: number[] }>, lines: number): string[] {
  const labels: string[] = Array.from({ length: lines }, (_, i) => `unassigned:${i}`);
  for (const g of groups) for (const n of g.line_numbers ?? []) labels[n - 1] = g.id;
  return labels;
}
