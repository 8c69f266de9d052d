/**
 * The Kanban panel with 2,000 cards in headless Chromium (Debian's chromium, the e2e
 * harness's flags), through test/e2e/panels/measure-kanban.ts: the first render (navigation
 * start → board drawn, and → the first frame after it) and the frame time while a card is
 * dragged down and across every lane (requestAnimationFrame intervals, one dragover a frame,
 * lanes auto-scrolling). The panel is the webview bundle the harness builds (out/webviews-test,
 * from webviews/build.mjs) behind the extension's own HTML and CSP; the host is the harness's
 * FakeHost answering board/load with the cards (no backend).
 *
 * Target: p95 frame time ≤ 16.7 ms (one 60 Hz frame); ratio = p95 ÷ 16.7 (median over runs).
 * rAF intervals are locked to the 60 Hz vsync, so a frame that keeps up measures 16.7 ms ±
 * timer jitter and a missed one ~33 ms: the ratio cannot go below ~1.0, and `pass` allows 3 %
 * for that jitter (17.2 ms, far below one dropped frame). The dragover handler's own cost
 * (`p95DragoverMs`) shows the headroom inside each frame.
 *
 * Knobs (environment): BENCH_KANBAN_CARDS (2000), BENCH_KANBAN_RUNS (3 fresh pages),
 * BENCH_KANBAN_SECONDS (120: no new run starts after this; each run is bounded by 90 s).
 */
import { envNumber, log, median, round, type BenchResult } from './bench';
import { ensureBuilt, launch, requireChromium, startServer } from '../e2e/panels/harness';
import { measureKanban, type KanbanFigures } from '../e2e/panels/measure-kanban';

const FRAME_MS = 16.7;
const JITTER = 1.03;
const RUN_LIMIT_MS = 90_000;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]);
}

export async function run(): Promise<BenchResult> {
  const cards = Math.round(envNumber('BENCH_KANBAN_CARDS', 2000));
  const runs = Math.round(envNumber('BENCH_KANBAN_RUNS', 3));
  const seconds = envNumber('BENCH_KANBAN_SECONDS', 120);
  requireChromium();
  log(`kanban-2000: building the panels (out/webviews-test)`);
  await bounded(ensureBuilt(), 120_000, 'building the webviews');
  const server = await startServer();
  const browser = await bounded(launch(), 60_000, 'launching Chromium');
  const results: KanbanFigures[] = [];
  const started = Date.now();
  try {
    // One warm-up page first: the first page of a fresh browser pays its own start-up.
    log(`kanban-2000: warm-up (${cards} cards)`);
    await bounded(measureKanban(browser, server, cards), RUN_LIMIT_MS, 'the warm-up run');
    for (let i = 0; i < runs; i++) {
      if (Date.now() - started > seconds * 1000) {
        log(`kanban-2000: stopping after ${i} runs (BENCH_KANBAN_SECONDS=${seconds})`);
        break;
      }
      const f = await bounded(measureKanban(browser, server, cards), RUN_LIMIT_MS, `run ${i + 1}`);
      log(`kanban-2000: run ${i + 1}/${runs}: first render ${f.firstRenderMs} ms, drag p95 ${f.drag.p95FrameMs} ms over ${f.drag.frames} frames`);
      results.push(f);
    }
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }
  if (results.length === 0) throw new Error('no run finished');

  const med = (pick: (f: KanbanFigures) => number) => round(median(results.map(pick)), 1);
  const p95FrameMs = med((f) => f.drag.p95FrameMs);
  const ratio = round(p95FrameMs / FRAME_MS, 3);
  return {
    cards,
    runs: results.length,
    browser: 'headless Chromium (--disable-gpu), viewport 1600×1000',
    webviewsBuild: process.env.WEBVIEWS_PRODUCTION === '1' ? 'production (out/webviews-test, WEBVIEWS_PRODUCTION=1)' : 'development (out/webviews-test)',
    firstRenderMs: med((f) => f.firstRenderMs),
    firstPaintMs: med((f) => f.firstPaintMs),
    scriptRunningMs: med((f) => f.scriptRunningMs),
    loadRoundTripMs: med((f) => f.loadRoundTripMs),
    renderFromDataMs: med((f) => f.renderFromDataMs),
    cardElements: med((f) => f.cardElements),
    dragFrames: results.reduce((n, f) => n + f.drag.frames, 0),
    p50FrameMs: med((f) => f.drag.p50FrameMs),
    p95FrameMs,
    maxFrameMs: round(Math.max(...results.map((f) => f.drag.maxFrameMs)), 1),
    p95DragoverMs: med((f) => f.drag.p95DragoverMs),
    maxDragoverMs: round(Math.max(...results.map((f) => f.drag.maxDragoverMs)), 1),
    lanesScrolledPx: results[0].drag.lanesScrolledPx,
    perRun: results.map((f) => ({ firstRenderMs: f.firstRenderMs, p50FrameMs: f.drag.p50FrameMs, p95FrameMs: f.drag.p95FrameMs, maxFrameMs: f.drag.maxFrameMs })),
    ratio,
    target: `p95 frame <= ${FRAME_MS} ms while dragging (ratio = p95 / ${FRAME_MS}; pass allows ${Math.round((JITTER - 1) * 100)} % vsync jitter)`,
    pass: p95FrameMs <= FRAME_MS * JITTER,
  };
}
