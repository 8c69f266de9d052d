import assert from 'node:assert/strict';
import type { BackendApi } from '../../../extension/backend-api';
import { PanelHandlers } from '../../../extension/panels/handlers';
import { waitForRun } from '../../../extension/panels/run-wait';
import type { HostNotification, RequestMap, RequestMethod } from '../../../webviews/common/protocol';
import type { LogLine, Run, RunEvent } from '../../../contracts/rest';
import { cardsRunRefusal } from '../../helpers/real-refusals';
import { brandSchema, brandVersions, makeCards, makeRun, sampleProfile, toolList, LANES } from '../../e2e/panels/fixtures';

type Route = (body: unknown) => unknown;

/** A BackendApi over a route table; errors are ApiError-shaped objects. */
class FakeApi implements BackendApi {
  calls: Array<{ method: string; path: string; body: unknown }> = [];
  runEvents = new Map<string, Array<(e: RunEvent) => void>>();
  logListeners: Array<{ fn: (l: LogLine) => void; runId?: string }> = [];
  constructor(public routes: Record<string, Route>) {}
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.calls.push({ method, path, body });
    const route = this.routes[`${method} ${path}`] ?? this.routes[`${method} ${path.split('?')[0]}`];
    if (!route) throw { status: 404, code: 'not_found', message: `no route ${method} ${path}` };
    return route(body) as T;
  }
  onRun(): () => void {
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
  it('loads the board and saves a move with ifVersion; a 409 keeps its code and details', async () => {
    const cards = makeCards(3);
    const api = new FakeApi({
      'GET /api/lanes': () => ({ lanes: LANES }),
      'GET /api/cards': () => ({ cards }),
      'PATCH /api/cards/PO-1': (body) => {
        if ((body as { ifVersion: number }).ifVersion !== 1) throw { status: 409, code: 'conflict', message: 'card PO-1 is at version 1, not 5', details: { currentVersion: 1, card: cards[0] } };
        return { ...cards[0], lane: 'done', version: 2 };
      },
    });
    const { call } = handlers(api);
    assert.equal((await call('board/load', {})).cards.length, 3);
    assert.equal((await call('card/move', { key: 'PO-1', ifVersion: 1, lane: 'done', position: 3 })).version, 2);
    assert.deepEqual(api.calls.at(-1), { method: 'PATCH', path: '/api/cards/PO-1', body: { ifVersion: 1, lane: 'done', position: 3 } });
    await assert.rejects(call('card/move', { key: 'PO-1', ifVersion: 5, lane: 'done', position: 3 }), (e: { code: string; details: { card: { key: string } } }) => e.code === 'conflict' && e.details.card.key === 'PO-1');
  });

  it('runs a card with cards.run and passes not_implemented through', async () => {
    const refusal = cardsRunRefusal();
    assert.equal(refusal.code, 'not_implemented');
    const api = new FakeApi({
      'POST /api/runs': () => {
        // The real backend's words (from the Docker executor's availability check), not a copy.
        throw { status: 501, code: refusal.code, message: refusal.message, details: { tool: 'cards.run' } };
      },
    });
    const { call } = handlers(api);
    await assert.rejects(call('card/run', { key: 'PO-7' }), (e: { code: string; message: string }) => e.code === 'not_implemented' && e.message === refusal.message);
    assert.deepEqual(api.calls[0].body, { tool: 'cards.run', input: { card_key: 'PO-7' }, correlationId: 'card:PO-7' });
  });

  it('collects a card’s history and its runs (by correlation, by input, by event)', async () => {
    const byCorrelation = makeRun({ tool: 'cards.run', correlationId: 'card:PO-2', input: { card_key: 'PO-2' } });
    const byInput = makeRun({ tool: 'cards.run', input: { card_key: 'PO-2' } });
    const other = makeRun({ tool: 'cards.run', input: { card_key: 'PO-3' } });
    const byEvent = makeRun({ tool: 'system.ping' });
    const api = new FakeApi({
      'GET /api/cards/PO-2/events': () => ({ events: [{ id: 1, cardKey: 'PO-2', type: 'moved', actor: 'a', data: {}, runId: byEvent.id, createdAt: '2025-01-01T00:00:00.000Z' }] }),
      'GET /api/runs?correlationId=card%3APO-2&limit=50': () => ({ runs: [byCorrelation], nextCursor: null }),
      'GET /api/runs?tool=cards.run&limit=200': () => ({ runs: [byCorrelation, byInput, other], nextCursor: null }),
      [`GET /api/runs/${byEvent.id}`]: () => byEvent,
    });
    const { call } = handlers(api);
    const { events, runs } = await call('card/history', { key: 'PO-2' });
    assert.equal(events.length, 1);
    assert.deepEqual(new Set(runs.map((r) => r.id)), new Set([byCorrelation.id, byInput.id, byEvent.id]));
  });

  it('loads the brand profile through brand.get_profile, with the schema from the registry', async () => {
    const run = makeRun({ tool: 'brand.get_profile', status: 'succeeded', output: { profile_id: 'default', brand: sampleProfile } });
    const api = new FakeApi({
      'GET /api/tools': () => ({ tools: toolList(() => false) }),
      'POST /api/runs': () => ({ ...run, status: 'queued' }),
      [`GET /api/runs/${run.id}`]: () => run,
      'GET /api/brand/default/history': () => ({ versions: brandVersions() }),
    });
    const { call } = handlers(api);
    const loaded = await call('brand/load', { profileId: 'default' });
    assert.deepEqual(loaded.profile, sampleProfile);
    assert.deepEqual(loaded.schema, brandSchema);
    assert.equal(loaded.versions.length, 2);
  });

  it('reports no profile as null, and a failed save as its run’s error', async () => {
    const missing = makeRun({ tool: 'brand.get_profile', status: 'failed', error: { code: 'not_found', message: 'no brand profile "default"' } });
    const failedSave = makeRun({ tool: 'brand.update_profile', status: 'failed', error: { code: 'invalid_input', message: 'bad', details: { violations: [{ pointer: '/patch/name', rule: 'type', message: 'x' }] } } });
    let next = missing;
    const api = new FakeApi({
      'GET /api/tools': () => ({ tools: toolList(() => false) }),
      'POST /api/runs': () => next,
      [`GET /api/runs/${missing.id}`]: () => missing,
      [`GET /api/runs/${failedSave.id}`]: () => failedSave,
      'GET /api/brand/default/history': () => ({ versions: [] }),
    });
    const { call } = handlers(api);
    assert.equal((await call('brand/load', { profileId: 'default' })).profile, null);
    next = failedSave;
    await assert.rejects(call('brand/save', { profileId: 'default', patch: { name: 1 } }), (e: { code: string; details: { runId: string; violations: unknown[] } }) => e.code === 'invalid_input' && e.details.runId === failedSave.id && e.details.violations.length === 1);
  });

  it('reverts to a version with the merge patch from the current profile', async () => {
    const current = makeRun({ tool: 'brand.get_profile', status: 'succeeded', output: { profile_id: 'default', brand: sampleProfile } });
    const saved = makeRun({ tool: 'brand.update_profile', status: 'succeeded', output: { ok: true, updated_at: 'x' } });
    const posted: unknown[] = [];
    const api = new FakeApi({
      'GET /api/brand/default/history': () => ({ versions: brandVersions() }),
      'POST /api/runs': (body) => (posted.push(body), (body as { tool: string }).tool === 'brand.get_profile' ? current : saved),
      [`GET /api/runs/${current.id}`]: () => current,
      [`GET /api/runs/${saved.id}`]: () => saved,
    });
    const { call } = handlers(api);
    assert.equal((await call('brand/revert', { profileId: 'default', version: 1 })).id, saved.id);
    assert.deepEqual(posted.at(-1), { tool: 'brand.update_profile', input: { profile_id: 'default', patch: { voice: { tone: ['friendly'] } } } });
    await assert.rejects(call('brand/revert', { profileId: 'default', version: 9 }), (e: { code: string; message: string }) => e.code === 'not_found' && /no version 9/.test(e.message));
  });

  it('retries a run with the same tool and input', async () => {
    const old = makeRun({ tool: 'system.ping', input: { message: 'x' }, correlationId: 'c', status: 'failed' });
    const api = new FakeApi({ [`GET /api/runs/${old.id}`]: () => old, 'POST /api/runs': (b) => ({ ...makeRun(), ...(b as object) }) });
    const { call } = handlers(api);
    await call('run/retry', { id: old.id });
    assert.deepEqual(api.calls.at(-1)!.body, { tool: 'system.ping', input: { message: 'x' }, correlationId: 'c' });
  });

  it('answers run/get with the replayed events, then forwards live events and log lines', async () => {
    const run = makeRun({ status: 'running' });
    const api = new FakeApi({ [`GET /api/runs/${run.id}`]: () => run, 'GET /api/logs': () => ({ lines: [] }) });
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

  it('waits for a run to settle (ended, or awaiting approval)', async () => {
    let run: Run = makeRun({ status: 'queued' });
    const api = new FakeApi({ [`GET /api/runs/${run.id}`]: () => run });
    const waiting = waitForRun(api, run.id, 5000);
    await new Promise((r) => setImmediate(r));
    run = { ...run, status: 'awaiting_approval' };
    api.emit(run.id, { id: 3, type: 'state', data: { from: 'queued', to: 'awaiting_approval' } });
    assert.equal((await waiting).status, 'awaiting_approval');
    // On timeout it answers with the run as it is.
    run = { ...run, status: 'running' };
    assert.equal((await waitForRun(api, run.id, 20)).status, 'running');
  });

  it('opens another panel and shows messages through the editor', async () => {
    const { call, opened } = handlers(new FakeApi({}));
    await call('ui/openPanel', { panel: 'runs', runId: 'r1' });
    assert.deepEqual(opened, [['runs', { runId: 'r1', cardKey: undefined }]]);
  });
});
