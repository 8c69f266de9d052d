import assert from 'node:assert/strict';
import type { BackendApi } from '../../../extension/backend-api';
import { PanelHandlers } from '../../../extension/panels/handlers';
import type { HostNotification, RequestMap, RequestMethod } from '../../../webviews/common/protocol';
import type { BoardChange, LogLine, RunEvent } from '../../../contracts/rest';
import type { JsonRouteName } from '../../../contracts/routes';
import { cardsRunRefusal } from '../../helpers/real-refusals';
import { brandSchema, brandVersions, makeCards, makeRun, sampleProfile, toolList, LANES } from '../../e2e/panels/fixtures';

type Args = { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
type Route = (args: Args) => unknown;

/** A BackendApi over a table of route names; errors are ApiError-shaped objects. */
class FakeApi implements BackendApi {
  calls: Array<{ route: string } & Args> = [];
  runEvents = new Map<string, Array<(e: RunEvent) => void>>();
  logListeners: Array<{ fn: (l: LogLine) => void; runId?: string }> = [];
  constructor(public routes: Partial<Record<JsonRouteName, Route>>) {}
  call = (async (route: JsonRouteName, args: Args) => {
    this.calls.push({ route, ...args });
    const fn = this.routes[route];
    if (!fn) throw { status: 404, code: 'not_found', message: `no route ${route}` };
    return fn(args);
  }) as unknown as BackendApi['call'];
  onRun(): () => void {
    return () => undefined;
  }
  onBoardChange(_l: (c: BoardChange | null) => void): () => void {
    return () => undefined;
  }
  onRunEvents(runId: string, listener: (e: RunEvent) => void): () => void {
    const list = this.runEvents.get(runId) ?? [];
    list.push(listener);
    this.runEvents.set(runId, list);
    return () => this.runEvents.set(runId, (this.runEvents.get(runId) ?? []).filter((l) => l !== listener));
  }
  onLog(listener: (l: LogLine) => void, runId?: string): () => void {
    const entry = { fn: listener, runId };
    this.logListeners.push(entry);
    return () => (this.logListeners = this.logListeners.filter((l) => l !== entry));
  }
  async mcpEndpoint() {
    return { url: 'http://127.0.0.1:1/mcp', token: 't' };
  }
  emit(runId: string, e: Omit<RunEvent, 'runId' | 'createdAt'>): void {
    for (const l of this.runEvents.get(runId) ?? []) l({ ...e, runId, createdAt: '2025-01-01T00:00:00.000Z' });
  }
}

function handlers(api: FakeApi, notes: HostNotification[] = []) {
  const opened: unknown[] = [];
  const h = new PanelHandlers({ api, panel: 'kanban', notify: (n) => notes.push(n), showMessage: () => undefined, openPanel: async (p, f) => void opened.push([p, f]), runWaitMs: 1000, replayWindowMs: 30 });
  const call = <M extends RequestMethod>(method: M, params: RequestMap[M]['params']) => h.handle({ kind: 'request', id: 1, method, params } as never) as Promise<RequestMap[M]['result']>;
  return { h, call, opened };
}

describe('extension: panel request handlers', () => {
  it('loads the board and saves a move as a cards.move run; a conflict keeps its code and details', async () => {
    const cards = makeCards(3);
    const conflict = makeRun({ tool: 'cards.move', status: 'failed', error: { code: 'conflict', message: 'card PO-1 is at version 1, not 5', details: { currentVersion: 1, card: cards[0] } } });
    const moved = makeRun({ tool: 'cards.move', status: 'succeeded', output: { card: { ...cards[0], lane: 'done', version: 2 } } });
    const api = new FakeApi({
      listLanes: () => ({ lanes: LANES }),
      listCards: () => ({ cards }),
      createRun: (a) => ((a.body as { input: { if_version: number } }).input.if_version === 1 ? { ...moved, status: 'queued' } : { ...conflict, status: 'queued' }),
      waitRun: (a) => (a.params!.id === moved.id ? moved : conflict),
    });
    const { call } = handlers(api);
    assert.equal((await call('board/load', {})).cards.length, 3);
    assert.equal((await call('card/move', { key: 'PO-1', ifVersion: 1, lane: 'done', position: 3 })).version, 2);
    const posted = api.calls.find((c) => c.route === 'createRun');
    assert.deepEqual(posted?.body, { tool: 'cards.move', input: { card_key: 'PO-1', if_version: 1, lane: 'done', position: 3 } });
    const waited = api.calls.at(-1)!;
    assert.deepEqual([waited.route, waited.params, (waited.query as { until: string }).until], ['waitRun', { id: moved.id }, 'settled']);
    assert.ok((waited.query as { timeoutMs: number }).timeoutMs <= 1000, 'the wait is bounded by the panel’s runWaitMs');
    await assert.rejects(call('card/move', { key: 'PO-1', ifVersion: 5, lane: 'done', position: 3 }), (e: { code: string; details: { card: { key: string }; runId: string } }) => e.code === 'conflict' && e.details.card.key === 'PO-1' && e.details.runId === conflict.id);
  });

  it('creates, edits and archives cards through their tools', async () => {
    const card = makeCards(1)[0];
    const api = new FakeApi({
      createRun: (a) => makeRun({ tool: (a.body as { tool: string }).tool, status: 'succeeded', output: { card } }),
    });
    const { call } = handlers(api);
    await call('card/create', { title: 'New', lane: 'ready', priority: 'high' });
    await call('card/update', { key: 'PO-1', ifVersion: 1, title: 'Renamed', labels: ['a'] });
    await call('card/archive', { key: 'PO-1', ifVersion: 2, archived: true });
    await call('card/archive', { key: 'PO-1', ifVersion: 3, archived: false });
    assert.deepEqual(
      api.calls.map((c) => c.body),
      [
        { tool: 'cards.create', input: { title: 'New', lane: 'ready', priority: 'high' } },
        { tool: 'cards.update', input: { card_key: 'PO-1', if_version: 1, title: 'Renamed', labels: ['a'] } },
        { tool: 'cards.archive', input: { card_key: 'PO-1', if_version: 2 } },
        { tool: 'cards.restore', input: { card_key: 'PO-1', if_version: 3 } },
      ],
      'a run that ended at once is not waited for',
    );
  });

  it('runs a card with cards.run and passes a refusal (no model configured) through', async () => {
    const refusal = cardsRunRefusal();
    assert.equal(refusal.code, 'not_configured');
    const api = new FakeApi({
      createRun: () => {
        // The real backend's words (from the Docker executor's availability check), not a copy.
        throw { status: 503, code: refusal.code, message: refusal.message, details: { tool: 'cards.run' } };
      },
    });
    const { call } = handlers(api);
    await assert.rejects(call('card/run', { key: 'PO-7' }), (e: { code: string; message: string }) => e.code === 'not_configured' && e.message === refusal.message);
    assert.deepEqual(api.calls[0].body, { tool: 'cards.run', input: { card_key: 'PO-7' }, correlationId: 'card:PO-7' });
  });

  it('reads a card’s history in one request', async () => {
    const run = makeRun({ tool: 'cards.move' });
    const api = new FakeApi({ cardHistory: (a) => ({ events: [{ id: 1, cardKey: a.params!.key, type: 'moved', actor: 'a', data: {}, runId: run.id, createdAt: '2025-01-01T00:00:00.000Z' }], runs: [run] }) });
    const { call } = handlers(api);
    const { events, runs } = await call('card/history', { key: 'PO-2' });
    assert.equal(events[0].cardKey, 'PO-2');
    assert.deepEqual(runs.map((r) => r.id), [run.id]);
    assert.equal(api.calls.length, 1);
  });

  it('loads the brand profile with a read (no run), with the schema from the registry', async () => {
    const api = new FakeApi({
      listTools: () => ({ tools: toolList(() => false) }),
      getBrand: () => ({ profileId: 'default', version: 2, brand: sampleProfile, updatedAt: '2025-01-01T00:00:00.000Z' }),
      brandHistory: () => ({ versions: brandVersions() }),
    });
    const { call } = handlers(api);
    const loaded = await call('brand/load', { profileId: 'default' });
    assert.deepEqual(loaded.profile, sampleProfile);
    assert.deepEqual(loaded.schema, brandSchema);
    assert.equal(loaded.versions.length, 2);
    assert.ok(!api.calls.some((c) => c.route === 'createRun'), 'opening the Brain starts no run');
  });

  it('reports no profile as null, and a failed save as its run’s error', async () => {
    const failedSave = makeRun({ tool: 'brand.update_profile', status: 'failed', error: { code: 'invalid_input', message: 'bad', details: { violations: [{ pointer: '/patch/name', rule: 'type', message: 'x' }] } } });
    const api = new FakeApi({
      listTools: () => ({ tools: toolList(() => false) }),
      getBrand: () => {
        throw { status: 404, code: 'not_found', message: 'no brand profile "default"' };
      },
      createRun: () => failedSave,
      brandHistory: () => ({ versions: [] }),
    });
    const { call } = handlers(api);
    assert.equal((await call('brand/load', { profileId: 'default' })).profile, null);
    await assert.rejects(call('brand/save', { profileId: 'default', patch: { name: 1 } }), (e: { code: string; details: { runId: string; violations: unknown[] } }) => e.code === 'invalid_input' && e.details.runId === failedSave.id && e.details.violations.length === 1);
  });

  it('reverts to a version with one brand.revert_profile run', async () => {
    const saved = makeRun({ tool: 'brand.revert_profile', status: 'succeeded', output: { ok: true, version: 3, updated_at: 'x' } });
    const api = new FakeApi({ createRun: () => saved });
    const { call } = handlers(api);
    assert.equal((await call('brand/revert', { profileId: 'default', version: 1 })).id, saved.id);
    assert.deepEqual(api.calls.map((c) => c.body), [{ tool: 'brand.revert_profile', input: { profile_id: 'default', version: 1 } }]);
  });

  it('retries a run with the same tool and input', async () => {
    const old = makeRun({ tool: 'system.ping', input: { message: 'x' }, correlationId: 'c', status: 'failed' });
    const api = new FakeApi({ getRun: () => old, createRun: (a) => ({ ...makeRun(), ...(a.body as object) }) });
    const { call } = handlers(api);
    await call('run/retry', { id: old.id });
    assert.deepEqual(api.calls.at(-1)!.body, { tool: 'system.ping', input: { message: 'x' }, correlationId: 'c' });
  });

  it('answers run/get with the replayed events, then forwards live events and log lines', async () => {
    const run = makeRun({ status: 'running' });
    const api = new FakeApi({ getRun: () => run, listLogs: () => ({ lines: [] }) });
    const notes: HostNotification[] = [];
    const { h, call } = handlers(api, notes);
    const answer = call('run/get', { id: run.id });
    api.emit(run.id, { id: 1, type: 'state', data: { from: null, to: 'queued' } });
    const got = await answer;
    assert.deepEqual(got.events.map((e) => e.id), [1]);
    api.emit(run.id, { id: 2, type: 'state', data: { from: 'queued', to: 'running' } });
    for (const l of api.logListeners) if (l.runId === run.id) l.fn({ id: 9, ts: '2025-01-01T00:00:00.000Z', level: 'info', source: 'w', runId: run.id, message: 'hi', fields: {} });
    assert.deepEqual(notes.map((n) => n.type), ['run/event', 'log/line']);
    h.dispose();
    assert.equal(api.runEvents.get(run.id)!.length, 0);
    assert.equal(api.logListeners.length, 0);
  });

  it('opens another panel and shows messages through the editor', async () => {
    const { call, opened } = handlers(new FakeApi({}));
    await call('ui/openPanel', { panel: 'runs', runId: 'r1' });
    assert.deepEqual(opened, [['runs', { runId: 'r1', cardKey: undefined }]]);
  });
});
