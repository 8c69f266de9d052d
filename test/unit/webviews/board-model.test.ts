import assert from 'node:assert/strict';
import { BoardModel, conflictCard, positionBetween } from '../../../webviews/kanban/board-model';
import { ROW, slotAt, windowRange } from '../../../webviews/kanban/board-view';
import { LANES, makeCards } from '../../e2e/panels/fixtures';

const keys = (m: BoardModel, lane: string) => m.cardsIn(lane).map((c) => c.key);

describe('webviews: Kanban board model', () => {
  it('orders cards per lane by position, then key', () => {
    const m = new BoardModel(LANES, makeCards(12));
    assert.deepEqual(keys(m, 'backlog'), ['PO-1', 'PO-6', 'PO-11']);
    assert.deepEqual(keys(m, 'done'), ['PO-5', 'PO-10']);
    assert.equal(m.size, 12);
  });

  it('finds a position between neighbours', () => {
    assert.equal(positionBetween(undefined, undefined), 1);
    assert.equal(positionBetween(undefined, 3), 2);
    assert.equal(positionBetween(3, undefined), 4);
    assert.equal(positionBetween(1, 2), 1.5);
    assert.ok(positionBetween(2, 2) > 2);
  });

  it('plans a move to another lane and within a lane', () => {
    const m = new BoardModel(LANES, makeCards(15));
    const toTop = m.planMove('PO-1', 'review', 0);
    assert.deepEqual({ ...toTop, position: undefined }, { key: 'PO-1', fromLane: 'backlog', fromIndex: 0, toLane: 'review', toIndex: 0, position: undefined, ifVersion: 1 });
    assert.ok(toTop!.position < m.cardsIn('review')[0].position);
    const between = m.planMove('PO-1', 'review', 1);
    assert.equal(between!.position, 1.5);
    // Within a lane: from first to last.
    const down = m.planMove('PO-1', 'backlog', 2);
    assert.equal(down!.toIndex, 2);
    assert.ok(down!.position > m.cardsIn('backlog')[2].position);
    // Dropped where it was: nothing to save.
    assert.equal(m.planMove('PO-6', 'backlog', 1), null);
    assert.equal(m.planMove('PO-6', 'nowhere', 0), null);
  });

  it('applies a move optimistically and confirms it with the backend’s card', () => {
    const m = new BoardModel(LANES, makeCards(10));
    m.takeDirty();
    const plan = m.planMove('PO-2', 'done', 0)!;
    m.applyOptimistic(plan);
    assert.deepEqual(keys(m, 'done'), ['PO-2', 'PO-5', 'PO-10']);
    assert.deepEqual(m.takeDirty().sort(), ['done', 'ready']);
    assert.ok(m.saving.has('PO-2'));
    m.confirm({ ...m.get('PO-2')!, version: 2 });
    assert.equal(m.saving.has('PO-2'), false);
    assert.equal(m.get('PO-2')!.version, 2);
  });

  it('rolls a refused move back to where the backend has the card (409), or where it was', () => {
    const m = new BoardModel(LANES, makeCards(10));
    const snap = m.applyOptimistic(m.planMove('PO-2', 'done', 0)!);
    const server = { ...m.get('PO-2')!, lane: 'review', position: 7, version: 3 };
    m.rollback(snap, conflictCard({ currentVersion: 3, card: server }));
    assert.deepEqual(keys(m, 'done'), ['PO-5', 'PO-10']);
    assert.deepEqual(keys(m, 'review'), ['PO-4', 'PO-9', 'PO-2']);
    assert.equal(m.get('PO-2')!.version, 3);
    // Without the backend's card (network error): back where it was before the move.
    const snap2 = m.applyOptimistic(m.planMove('PO-3', 'backlog', 0)!);
    m.rollback(snap2, conflictCard(undefined));
    assert.deepEqual(keys(m, 'in_progress'), ['PO-3', 'PO-8']);
    assert.equal(m.saving.size, 0);
    assert.equal(conflictCard({ card: { key: 'PO-1' } }), null);
  });

  it('moves keyboard focus between cards and lanes, and plans Alt+arrow moves', () => {
    const m = new BoardModel(LANES, makeCards(10));
    assert.equal(m.neighbour('PO-1', 'down'), 'PO-6');
    assert.equal(m.neighbour('PO-1', 'up'), null);
    assert.equal(m.neighbour('PO-6', 'right'), 'PO-7');
    assert.equal(m.neighbour('PO-1', 'left'), null);
    assert.equal(m.neighbour('PO-6', 'first'), 'PO-1');
    const right = m.keyboardMove('PO-6', 'right')!;
    assert.deepEqual([right.toLane, right.toIndex], ['ready', 1]);
    const up = m.keyboardMove('PO-6', 'up')!;
    assert.deepEqual([up.toLane, up.toIndex], ['backlog', 0]);
    assert.equal(m.keyboardMove('PO-1', 'up'), null);
    assert.equal(m.keyboardMove('PO-5', 'right'), null);
    // Skips empty lanes when moving focus sideways.
    const sparse = new BoardModel(LANES, makeCards(10).filter((c) => c.lane !== 'ready'));
    assert.equal(sparse.neighbour('PO-1', 'right'), 'PO-3');
  });

  it('keeps cards of a lane the backend did not list, and applies live changes', () => {
    const m = new BoardModel(LANES, [...makeCards(2), { ...makeCards(1)[0], key: 'PO-99', lane: 'archive' }]);
    assert.equal(m.lanes.at(-1)!.id, 'archive');
    m.upsert({ ...m.get('PO-1')!, title: 'Renamed', version: 2 });
    assert.equal(m.get('PO-1')!.title, 'Renamed');
    assert.deepEqual(keys(m, 'backlog'), ['PO-1']);
  });

  it('windows a lane: the rows to draw and the slot under the pointer', () => {
    assert.deepEqual(windowRange(0, 600, 400), [0, Math.ceil(600 / ROW) + 4]);
    const [s, e] = windowRange(100 * ROW, 600, 400);
    assert.ok(s === 96 && e <= 400 && e - s < 20);
    assert.deepEqual(windowRange(0, 600, 3), [0, 3]);
    assert.equal(slotAt(0, 10), 0);
    assert.equal(slotAt(ROW * 2.6, 10), 3);
    assert.equal(slotAt(ROW * 50, 10), 10);
    assert.equal(slotAt(-100, 10), 0);
  });

  // How long this takes is a figure, not pass/fail: `npm run bench -- webview-models`.
  it('handles 2,000 cards (load, 200 moves, half rolled back)', () => {
    const cards = makeCards(2000);
    const m = new BoardModel(LANES, cards);
    for (let i = 1; i <= 200; i++) {
      const snap = m.applyOptimistic(m.planMove(`PO-${i}`, LANES[(i + 2) % 5].id, i % 50)!);
      if (i % 2) m.rollback(snap);
      else m.confirm({ ...m.get(`PO-${i}`)!, version: 2 });
    }
    assert.equal(m.size, 2000);
    assert.equal(LANES.reduce((n, l) => n + m.cardsIn(l.id).length, 0), 2000);
    // The moves that were confirmed (even i) hold their new version; the rolled-back ones are as loaded.
    assert.equal(m.get('PO-2')!.version, 2);
    assert.deepEqual(m.get('PO-1'), cards[0]);
  });

  it('takes an archived card off the board, and a late older change does not bring it back', () => {
    const cards = makeCards(3);
    const m = new BoardModel(LANES, cards);
    const archived = { ...cards[0], archived: true, version: 3 };
    m.upsert(archived);
    assert.equal(m.get(cards[0].key), undefined);
    assert.equal(m.size, 2);
    const lateMove = { ...cards[0], lane: 'done', version: 2 };
    assert.equal(m.isStale(lateMove), true, 'a move made before the archive is older than it');
    const restored = { ...cards[0], archived: false, version: 4 };
    assert.equal(m.isStale(restored), false);
    m.upsert(restored);
    assert.equal(m.get(cards[0].key)?.version, 4);
  });
});

