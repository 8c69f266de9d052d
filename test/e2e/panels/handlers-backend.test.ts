/**
 * The panel hosts' request handlers against a real backend (in process, on the embedded store), through the
 * extension's own HTTP + SSE client: the REST paths, bodies and error shapes the panels rely on.
 */
import assert from 'node:assert/strict';
import { BackendClient } from '../../../extension/backend/client';
import { PanelHandlers } from '../../../extension/panels/handlers';
import type { HostNotification, RequestMap, RequestMethod } from '../../../webviews/common/protocol';
import type { Card } from '../../../contracts/rest';
import { startBackend, type TestBackend } from '../../helpers/backend';
import { cardsRunRefusal } from '../../helpers/real-refusals';

describe('panel handlers against a real backend', function () {
  this.timeout(60_000);
  let tb: TestBackend;
  let client: BackendClient;
  let handlers: PanelHandlers;
  const notes: HostNotification[] = [];
  const call = <M extends RequestMethod>(method: M, params: RequestMap[M]['params']) => handlers.handle({ kind: 'request', id: 1, method, params } as never) as Promise<RequestMap[M]['result']>;

  before(async () => {
    tb = await startBackend();
    client = new BackendClient({ connect: async () => ({ url: tb.url, mcpUrl: `${tb.url}/mcp`, token: tb.token }), timeoutMs: () => 10_000 });
    handlers = new PanelHandlers({ api: client, panel: 'kanban', notify: (n) => notes.push(n), showMessage: () => undefined, openPanel: async () => undefined, runWaitMs: 20_000 });
  });
  after(async () => {
    handlers?.dispose();
    await tb?.close();
  });

  it('creates, loads and moves a card (each a cards.* run); a stale version answers conflict with the backend’s card', async () => {
    const created = await call('card/create', { title: 'Try the panels' });
    assert.equal(created.lane, 'backlog');
    const board = await call('board/load', {});
    assert.deepEqual(board.lanes.map((l) => l.name).slice(0, 5), ['Backlog', 'Ready', 'In progress', 'Review', 'Done']);
    assert.ok(board.cards.some((c) => c.key === created.key));
    const moved = await call('card/move', { key: created.key, ifVersion: created.version, lane: 'review', position: 1 });
    assert.equal(moved.lane, 'review');
    await assert.rejects(call('card/move', { key: created.key, ifVersion: created.version, lane: 'done', position: 1 }), (e: { code: string; details: { currentVersion: number; card: Card } }) => e.code === 'conflict' && e.details.currentVersion === moved.version && e.details.card.lane === 'review');
    const history = await call('card/history', { key: created.key });
    assert.deepEqual(history.events.map((e) => e.type), ['created', 'moved']);
    assert.deepEqual(new Set(history.runs.map((r) => r.tool)), new Set(['cards.create', 'cards.move']), 'the card’s runs, the failed stale move among them');
    const edited = await call('card/update', { key: created.key, ifVersion: moved.version, title: 'Try the panels again', priority: 'high' });
    assert.deepEqual([edited.title, edited.priority], ['Try the panels again', 'high']);
    const archived = await call('card/archive', { key: created.key, ifVersion: edited.version, archived: true });
    assert.ok(!(await call('board/load', {})).cards.some((c) => c.key === created.key), 'archived cards leave the board');
    assert.ok((await call('cards/archived', {})).cards.some((c) => c.key === created.key));
    await call('card/archive', { key: created.key, ifVersion: archived.version, archived: false });
    // With no local model configured, Run Card is refused up front, as the card agent says.
    const refusal = cardsRunRefusal();
    await assert.rejects(call('card/run', { key: created.key }), (e: { code: string; message: string }) => e.code === refusal.code && e.message === refusal.message);
  });

  it('creates, edits and reverts the brand profile through brand.update_profile', async () => {
    const empty = await call('brand/load', { profileId: 'default' });
    assert.equal(empty.profile, null);
    assert.equal((empty.schema as { type: string }).type, 'object');
    const first = await call('brand/save', { profileId: 'default', patch: { name: 'Acme', voice: { tone: ['plain'], style_notes: [], do: [], dont: [] }, audience: {}, claims_policy: {} } });
    assert.equal(first.status, 'succeeded');
    await call('brand/save', { profileId: 'default', patch: { name: 'Acme 2', voice: { tone: ['plain', 'warm'] } } });
    const loaded = await call('brand/load', { profileId: 'default' });
    assert.equal((loaded.profile as { name: string }).name, 'Acme 2');
    assert.deepEqual(loaded.versions.map((v) => v.version), [2, 1]);
    await assert.rejects(call('brand/save', { profileId: 'default', patch: { voice: { tone: [1] } } }), (e: { code: string; details: { violations: Array<{ pointer: string }> } }) => e.code === 'invalid_input' && e.details.violations.some((v) => v.pointer.startsWith('/patch/voice/tone')));
    await call('brand/revert', { profileId: 'default', version: 1 });
    const back = await call('brand/load', { profileId: 'default' });
    assert.equal((back.profile as { name: string }).name, 'Acme');
    assert.deepEqual((back.profile as { voice: { tone: string[] } }).voice.tone, ['plain']);
    assert.equal(back.versions[0].version, 3);
  });

  it('lists runs with filters, shows one with its events and logs, and retries it', async () => {
    const run = await call('tool/call', { tool: 'system.ping', input: { message: 'hi' }, correlationId: 'panels-test', wait: true });
    assert.equal(run.status, 'succeeded');
    const page = await call('runs/list', { correlationId: 'panels-test', status: 'succeeded', limit: 10 });
    assert.deepEqual(page.runs.map((r) => r.id), [run.id]);
    const detail = await call('run/get', { id: run.id });
    assert.deepEqual(detail.events.filter((e) => e.type === 'state').map((e) => (e.data as { to: string }).to).at(-1), 'succeeded');
    const again = await call('run/retry', { id: run.id });
    assert.notEqual(again.id, run.id);
    assert.equal(again.tool, 'system.ping');
    const tools = await call('tools/list', {});
    assert.ok(tools.tools.some((t) => t.name === 'analytics.funnel_summary'));
  });
});
