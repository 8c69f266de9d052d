/**
 * The panels' pure models, in Node (no browser): the Kanban board model loading 2,000 cards and
 * applying 200 optimistic moves (half rolled back, half confirmed), and the service-map layout
 * of 40 containers. These were timing assertions in the unit tests; they are figures here.
 *
 * Target: the board model's median ≤ 100 ms (well inside one interaction; the panel redraws only
 * the rows in view). ratio = median ÷ 100. The layout's median is reported beside it.
 *
 * Knobs (environment): BENCH_MODELS_RUNS (20).
 */
import { envNumber, log, median, percentile, round, type BenchResult } from './bench';
import { BoardModel } from '../../webviews/kanban/board-model';
import { layout } from '../../webviews/serviceMap/layout';
import { SAMPLE_SERVICE_MAP } from '../../webviews/serviceMap/sample-data';
import { LANES, makeCards } from '../e2e/panels/fixtures';

const TARGET_MS = 100;

function boardOnce(): number {
  const cards = makeCards(2000);
  const t0 = performance.now();
  const m = new BoardModel(LANES, cards);
  for (let i = 1; i <= 200; i++) {
    const snap = m.applyOptimistic(m.planMove(`PO-${i}`, LANES[(i + 2) % LANES.length].id, i % 50)!);
    if (i % 2) m.rollback(snap);
    else m.confirm({ ...m.get(`PO-${i}`)!, version: 2 });
  }
  return performance.now() - t0;
}

function layoutOnce(): number {
  const nodes = Array.from({ length: 40 }, (_, i) => ({ ...SAMPLE_SERVICE_MAP.nodes[0], id: `n${i}`, name: `svc-${i}` }));
  const edges = nodes.slice(1).map((n, i) => ({ from: `n${i}`, to: n.id, kind: 'network' as const }));
  const t0 = performance.now();
  layout({ nodes, edges });
  return performance.now() - t0;
}

export async function run(): Promise<BenchResult> {
  const runs = Math.round(envNumber('BENCH_MODELS_RUNS', 20));
  boardOnce(); // warm-up: module load and JIT
  layoutOnce();
  const board = Array.from({ length: runs }, boardOnce).sort((a, b) => a - b);
  const lay = Array.from({ length: runs }, layoutOnce).sort((a, b) => a - b);
  log(`webview-models: board median ${round(median(board))} ms, layout median ${round(median(lay))} ms over ${runs} runs`);
  const ratio = median(board) / TARGET_MS;
  return {
    runs,
    boardModel2000: { medianMs: round(median(board)), p95Ms: round(percentile(board, 95)) },
    serviceMapLayout40: { medianMs: round(median(lay)), p95Ms: round(percentile(lay, 95)) },
    ratio: round(ratio, 3),
    target: `board model median <= ${TARGET_MS} ms`,
    pass: ratio <= 1,
  };
}
