import assert from 'node:assert/strict';
import { checkHostMessage, checkWebviewMessage, NOTIFICATION_SCHEMAS, REQUEST_SCHEMAS, type RequestMethod } from '../../../webviews/common/protocol';
import { makeCards, makeRun, LANES } from '../../e2e/panels/fixtures';

describe('webviews: message protocol', () => {
  it('accepts well-formed webview messages', () => {
    assert.deepEqual(checkWebviewMessage({ kind: 'ready', panel: 'kanban' }), { ok: true, message: { kind: 'ready', panel: 'kanban' } });
    const move = checkWebviewMessage({ kind: 'request', id: 7, method: 'card/move', params: { key: 'PO-1', ifVersion: 3, lane: 'done', position: 1.5 } });
    assert.equal(move.ok, true);
    assert.equal(checkWebviewMessage({ kind: 'request', id: 8, method: 'runs/list', params: { status: 'failed,cancelled', limit: 10 } }).ok, true);
  });

  it('refuses malformed ones with a reason naming what was wrong (and the id when there is one)', () => {
    const cases: Array<[unknown, RegExp, number | undefined]> = [
      ['hello', /not an object/, undefined],
      [{ kind: 'ready', panel: 'nope' }, /unknown panel "nope"/, undefined],
      [{ kind: 'shout' }, /unknown message kind "shout"/, undefined],
      [{ kind: 'request', id: 'x', method: 'board/load', params: {} }, /no integer id/, undefined],
      [{ kind: 'request', id: 1, method: 'card/delete', params: {} }, /unknown method "card\/delete"/, 1],
      [{ kind: 'request', id: 2, method: 'card/move', params: { key: 'po-1', ifVersion: 0, lane: 'done', position: 1 } }, /card\/move: .*\/params\/key must match.*\/params\/ifVersion must be ≥ 1/, 2],
      [{ kind: 'request', id: 3, method: 'card/move', params: { key: 'PO-1', ifVersion: 1, lane: 'done' } }, /\/params\/position is required/, 3],
      [{ kind: 'request', id: 4, method: 'board/load', params: { extra: 1 } }, /\/params\/extra is not an allowed property/, 4],
      [{ kind: 'request', id: 5, method: 'runs/list', params: { status: 'exploded' } }, /\/params\/status must match/, 5],
      [{ kind: 'request', id: 6, method: 'ui/openPanel', params: { panel: 'terminal' } }, /\/params\/panel/, 6],
    ];
    for (const [msg, reason, id] of cases) {
      const r = checkWebviewMessage(msg);
      assert.equal(r.ok, false, JSON.stringify(msg));
      if (!r.ok) {
        assert.match(r.error, reason);
        assert.equal(r.id, id);
      }
    }
  });

  it('checks host messages, including a response against its method’s result schema', () => {
    const methodOf = (id: number): RequestMethod | undefined => (id === 1 ? 'board/load' : id === 2 ? 'card/move' : undefined);
    assert.equal(checkHostMessage({ kind: 'response', id: 1, ok: true, result: { lanes: LANES, cards: makeCards(3) } }, methodOf).ok, true);
    const bad = checkHostMessage({ kind: 'response', id: 2, ok: true, result: { key: 'PO-1' } }, methodOf);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.id, 2);
      assert.match(bad.error, /card\/move answered with .*\/result\/id is required/);
    }
    assert.equal(checkHostMessage({ kind: 'response', id: 9, ok: false, error: { code: 'conflict', message: 'x', details: { currentVersion: 2 } } }, methodOf).ok, true);
    assert.equal(checkHostMessage({ kind: 'notification', type: 'run/changed', run: makeRun() }, methodOf).ok, true);
    const n = checkHostMessage({ kind: 'notification', type: 'run/changed', run: { id: 'x' } }, methodOf);
    assert.equal(n.ok, false);
    assert.equal(checkHostMessage({ kind: 'notification', type: 'nope' }, methodOf).ok, false);
    assert.equal(checkHostMessage({ kind: 'notification', type: 'panel/resync' }, methodOf).ok, true);
  });

  it('declares a schema for every method and notification', () => {
    assert.equal(Object.keys(REQUEST_SCHEMAS).length, 26);
    for (const m of ['run/usage', 'usage/daily', 'events/catalog', 'card/branch']) assert.ok(m in REQUEST_SCHEMAS, m);
    assert.deepEqual(Object.keys(NOTIFICATION_SCHEMAS).sort(), ['backend/state', 'board/changed', 'log/line', 'panel/focus', 'panel/resync', 'protocol/error', 'run/changed', 'run/event'].sort());
  });
});
