/**
 * Measures the Kanban panel with a big board in headless Chromium: the first render (from
 * navigation to the board drawn, and the model + DOM part alone) and the frame time while a
 * card is dragged down and across lanes (requestAnimationFrame intervals, and the cost of each
 * dragover handler). Run on its own (`node --import tsx test/e2e/panels/measure-kanban.ts [cards]`) or
 * from the bench; prints JSON.
 */
import type { Browser } from 'playwright-core';
import { ensureBuilt, FakeHost, launch, openPanel, startServer, until, type PanelServer } from './harness';
import { LANES, makeCards } from './fixtures';

export interface KanbanFigures {
  cards: number;
  /** Navigation start → board drawn (ms). */
  firstRenderMs: number;
  /** Navigation start → the panel's script running (load, parse, web components) (ms). */
  scriptRunningMs: number;
  /** board/load asked → answered, including checking 2,000 cards against the schema (ms). */
  loadRoundTripMs: number;
  /** Board data received → board drawn (model + DOM) (ms). */
  renderFromDataMs: number;
  /** Navigation start → first frame after the board was drawn (ms). */
  firstPaintMs: number;
  /** Card elements in the DOM (windowing keeps this small). */
  cardElements: number;
  drag: { lanesScrolledPx: number[]; frames: number; p50FrameMs: number; p95FrameMs: number; maxFrameMs: number; dragoverEvents: number; p95DragoverMs: number; maxDragoverMs: number };
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number): number => Math.round(x * 10) / 10;
const STEPS_PER_LANE = 40;

export async function measureKanban(browser: Browser, server: PanelServer, cardCount = 2000): Promise<KanbanFigures> {
  const cards = makeCards(cardCount);
  const host = new FakeHost({
    'board/load': () => ({ lanes: LANES, cards }),
    'tools/list': () => ({ tools: [] }),
    'card/move': ({ key, lane, position }) => ({ ...(cards.find((c) => c.key === key) as (typeof cards)[number]), lane, position, version: 2 }),
  });
  const { page, problems } = await openPanel(browser, server, 'kanban', host, { viewport: { width: 1600, height: 1000 } });
  try {
    await page.waitForFunction(() => performance.getEntriesByName('board-painted').length > 0, undefined, { timeout: 60_000 });
    const marks = (await page.evaluate(`(() => {
      const t = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      return { script: t('panel-script'), request: t('board-request'), data: t('board-data'), rendered: t('board-rendered'), painted: t('board-painted'), elements: document.querySelectorAll('.card').length };
    })()`)) as { script: number; request: number; data: number; rendered: number; painted: number; elements: number };

    // Drag the first card of Backlog down each lane (to its bottom edge, which scrolls the lane)
    // and across every lane, one dragover per animation frame as a hand gives them. The events
    // are dispatched in the page: headless Chromium under CDP does not deliver a real drag's
    // dragover events at frame rate, and this measures what the board does with each one.
    const rec = (await page.evaluate(`new Promise((resolve) => {
      const lanes = [...document.querySelectorAll('.lane-list')];
      const card = document.querySelector('.lane[data-lane="backlog"] .card');
      const dt = new DataTransfer();
      card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer: dt }));
      const perLane = ${STEPS_PER_LANE};
      const total = perLane * lanes.length;
      const frames = [];
      const dragover = [];
      let last = 0;
      let step = 0;
      const frame = (now) => {
        if (last) frames.push(now - last);
        last = now;
        if (step < total) {
          const lane = lanes[Math.floor(step / perLane)];
          const r = lane.getBoundingClientRect();
          const i = step % perLane;
          // Down the lane, then a few frames at its bottom edge (auto-scroll), then on.
          const y = i < perLane - 10 ? r.top + 30 + ((r.height - 60) * i) / (perLane - 10) : r.bottom - 8;
          const t0 = performance.now();
          lane.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, clientX: r.left + r.width / 2, clientY: y, dataTransfer: dt }));
          dragover.push(performance.now() - t0);
          step++;
          requestAnimationFrame(frame);
        } else {
          const lane = lanes[lanes.length - 1];
          const r = lane.getBoundingClientRect();
          lane.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, clientX: r.left + 20, clientY: r.top + 20, dataTransfer: dt }));
          card.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: dt }));
          resolve({ frames, dragover, scrolled: lanes.map((l) => l.scrollTop) });
        }
      };
      requestAnimationFrame(frame);
    })`)) as { frames: number[]; dragover: number[]; scrolled: number[] };
    await until(() => host.count('card/move') > 0, 10_000, 'the drop to be saved');
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const frames = rec.frames;
    return {
      cards: cardCount,
      firstRenderMs: round(marks.rendered),
      scriptRunningMs: round(marks.script),
      loadRoundTripMs: round(marks.data - marks.request),
      renderFromDataMs: round(marks.rendered - marks.data),
      firstPaintMs: round(marks.painted),
      cardElements: marks.elements,
      drag: {
        lanesScrolledPx: rec.scrolled.map(Math.round),
        frames: frames.length,
        p50FrameMs: round(pct(frames, 50)),
        p95FrameMs: round(pct(frames, 95)),
        maxFrameMs: round(Math.max(0, ...frames)),
        dragoverEvents: rec.dragover.length,
        p95DragoverMs: round(pct(rec.dragover, 95)),
        maxDragoverMs: round(Math.max(0, ...rec.dragover)),
      },
    };
  } finally {
    await page.close();
  }
}

if (require.main === module) {
  void (async () => {
    const n = Number(process.argv[2] ?? 2000);
    await ensureBuilt();
    const server = await startServer();
    const browser = await launch();
    try {
      console.log(JSON.stringify(await measureKanban(browser, server, n), null, 2));
    } finally {
      await browser.close();
      await server.close();
    }
  })().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
