import assert from 'node:assert/strict';
import { HostChannel, type WebviewPort } from '../../../extension/panels/channel';
import type { HostMessage, HostNotification, WebviewRequest } from '../../../webviews/common/protocol';
import { makeRun } from '../../e2e/panels/fixtures';

class FakePort implements WebviewPort {
  sent: HostMessage[] = [];
  deliver = true;
  async postMessage(m: HostMessage): Promise<boolean> {
    if (this.deliver) this.sent.push(m);
    return this.deliver;
  }
}
const log = { debug: () => undefined, warn: () => undefined, error: () => undefined };
const runChanged = (id: string, version: number): HostNotification => ({ kind: 'notification', type: 'run/changed', run: makeRun({ id, version }) });
const flush = () => new Promise((r) => setImmediate(r));

describe('extension: panel message channel', () => {
  it('answers valid requests through the handler and errors with the handler’s code', async () => {
    const port = new FakePort();
    const ch = new HostChannel('kanban', port, async (req: WebviewRequest) => {
      if (req.method === 'card/move') throw { code: 'conflict', message: 'card PO-1 is at version 2, not 1', details: { currentVersion: 2 } };
      return { lanes: [], cards: [] };
    }, log);
    await ch.receive({ kind: 'ready', panel: 'kanban' });
    await ch.receive({ kind: 'request', id: 1, method: 'board/load', params: {} });
    await ch.receive({ kind: 'request', id: 2, method: 'card/move', params: { key: 'PO-1', ifVersion: 1, lane: 'done', position: 2 } });
    assert.deepEqual(port.sent, [
      { kind: 'response', id: 1, ok: true, result: { lanes: [], cards: [] } },
      { kind: 'response', id: 2, ok: false, error: { code: 'conflict', message: 'card PO-1 is at version 2, not 1', details: { currentVersion: 2 } } },
    ]);
  });

  it('refuses malformed messages without calling the handler, naming what was wrong', async () => {
    const port = new FakePort();
    let called = 0;
    const ch = new HostChannel('runs', port, async () => (called++, null), log);
    await ch.receive({ kind: 'ready', panel: 'runs' });
    await ch.receive({ kind: 'request', id: 5, method: 'run/approve', params: { id: 42 } });
    await ch.receive({ kind: 'wat' });
    assert.equal(called, 0);
    const [answer, note] = port.sent as [Extract<HostMessage, { kind: 'response' }>, Extract<HostNotification, { type: 'protocol/error' }>];
    assert.equal(answer.id, 5);
    assert.equal(answer.ok, false);
    if (!answer.ok) {
      assert.equal(answer.error.code, 'bad_message');
      assert.match(answer.error.message, /run\/approve: \/params\/id must be string/);
    }
    assert.equal(note.type, 'protocol/error');
    assert.match(note.message, /unknown message kind "wat"/);
  });

  it('buffers notifications until the webview is ready, and while it is hidden; flushes on ready', async () => {
    const port = new FakePort();
    const ch = new HostChannel('runs', port, async () => null, log);
    ch.notify(runChanged('r1', 1));
    assert.equal(port.sent.length, 0);
    await ch.receive({ kind: 'ready', panel: 'runs' });
    assert.equal(port.sent.length, 1);
    ch.setVisible(false);
    ch.notify(runChanged('r2', 1));
    ch.notify({ kind: 'notification', type: 'log/line', line: { id: 1, ts: '2025-01-01T00:00:00.000Z', level: 'info', source: 's', runId: null, message: 'm', fields: {} } });
    ch.notify(runChanged('r2', 2)); // replaces the buffered r2
    assert.equal(ch.buffered, 2);
    ch.setVisible(true);
    await flush();
    assert.equal(port.sent.length, 1, 'nothing is posted until the new document says ready');
    await ch.receive({ kind: 'ready', panel: 'runs' });
    assert.equal(port.sent.length, 3);
    assert.equal((port.sent[1] as Extract<HostNotification, { type: 'run/changed' }>).run.version, 2);
    assert.equal(ch.buffered, 0);
  });

  it('keeps what postMessage could not deliver, and sends a resync when the buffer overflowed', async () => {
    const port = new FakePort();
    const ch = new HostChannel('runs', port, async () => null, log, true, 3);
    await ch.receive({ kind: 'ready', panel: 'runs' });
    port.deliver = false;
    ch.notify(runChanged('a', 1));
    await flush();
    assert.equal(ch.buffered, 1);
    ch.setVisible(false);
    for (const id of ['b', 'c', 'd', 'e']) ch.notify(runChanged(id, 1));
    port.deliver = true;
    await ch.receive({ kind: 'ready', panel: 'runs' });
    assert.deepEqual(port.sent.map((m) => (m.kind === 'notification' ? m.type : m.kind)), ['panel/resync', 'run/changed', 'run/changed']);
  });

  it('drops an answer meant for a document that has since gone', async () => {
    const port = new FakePort();
    let release: () => void = () => undefined;
    const ch = new HostChannel('brain', port, () => new Promise((r) => (release = () => r(null))), log);
    await ch.receive({ kind: 'ready', panel: 'brain' });
    const pending = ch.receive({ kind: 'request', id: 1, method: 'run/unwatch', params: {} });
    ch.setVisible(false);
    ch.setVisible(true);
    await ch.receive({ kind: 'ready', panel: 'brain' });
    release();
    await pending;
    assert.equal(port.sent.length, 0);
  });
});
