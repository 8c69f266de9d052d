import assert from 'node:assert/strict';
import { describeEvent, matchesFilters, queryFor, RunDetailModel, RunsModel, tokenCounts } from '../../../webviews/runs/runs-model';
import { makeLog, makeRun } from '../../e2e/panels/fixtures';

describe('webviews: runs list and detail models', () => {
  it('matches filters as the backend does and builds the query', () => {
    const r = makeRun({ tool: 'system.ping', status: 'failed', correlationId: 'c1' });
    assert.equal(matchesFilters(r, { status: '', tool: '', correlationId: '' }), true);
    assert.equal(matchesFilters(r, { status: 'failed,cancelled', tool: 'system.ping', correlationId: 'c1' }), true);
    assert.equal(matchesFilters(r, { status: 'succeeded', tool: '', correlationId: '' }), false);
    assert.equal(matchesFilters(r, { status: '', tool: 'x', correlationId: '' }), false);
    assert.deepEqual(queryFor({ status: '', tool: 'a', correlationId: ' c ' }, 'cur', 50), { tool: 'a', correlationId: 'c', cursor: 'cur', limit: 50 });
  });

  it('keeps runs newest first, merges pages and live changes, drops ones that stop matching', () => {
    const m = new RunsModel({ status: 'running,queued', tool: '', correlationId: '' });
    const a = makeRun({ status: 'running', createdAt: '2025-01-01T00:00:03.000Z' });
    const b = makeRun({ status: 'queued', createdAt: '2025-01-01T00:00:02.000Z' });
    m.reset([b, a], 'next');
    assert.deepEqual(m.runs.map((r) => r.id), [a.id, b.id]);
    const c = makeRun({ status: 'queued', createdAt: '2025-01-01T00:00:05.000Z' });
    assert.equal(m.upsert(c), true);
    assert.deepEqual(m.runs.map((r) => r.id), [c.id, a.id, b.id]);
    // Older than what is loaded while more pages remain: waits for its page.
    assert.equal(m.upsert(makeRun({ status: 'queued', createdAt: '2024-01-01T00:00:00.000Z' })), false);
    // A late, older version is ignored; a newer one replaces.
    assert.equal(m.upsert({ ...a, version: 1 }), false);
    assert.equal(m.upsert({ ...a, version: 9, status: 'queued' }), true);
    assert.equal(m.get(a.id)!.status, 'queued');
    // No longer matching the filter: leaves the list.
    assert.equal(m.upsert({ ...b, version: 9, status: 'succeeded' }), true);
    assert.deepEqual(m.runs.map((r) => r.id), [c.id, a.id]);
    m.addPage([b, makeRun({ status: 'queued', createdAt: '2024-06-01T00:00:00.000Z' })], null);
    assert.equal(m.runs.length, 4);
    assert.equal(m.nextCursor, null);
  });

  it('hides the views\' own low-risk reads (origin=view) from pages and live changes unless asked to show them', () => {
    const mine = makeRun({ tool: 'cards.move', createdAt: '2025-01-01T00:00:01.000Z' });
    const read = makeRun({ tool: 'cloudrun.list_services', labels: { origin: 'view' }, createdAt: '2025-01-01T00:00:02.000Z' });
    const risky = makeRun({ tool: 'cloudrun.rollback_service', risk: 'high', labels: { origin: 'view' }, createdAt: '2025-01-01T00:00:03.000Z' });
    const hidden = new RunsModel({ status: '', tool: '', correlationId: '' });
    hidden.reset([risky, read, mine], null);
    assert.deepEqual(hidden.runs.map((r) => r.tool), ['cloudrun.rollback_service', 'cards.move']);
    assert.equal(hidden.upsert(makeRun({ tool: 'cloudrun.get_service_status', labels: { origin: 'view' } })), false);
    const shown = new RunsModel({ status: '', tool: '', correlationId: '', viewReads: true });
    shown.reset([risky, read, mine], null);
    assert.deepEqual(shown.runs.map((r) => r.tool), ['cloudrun.rollback_service', 'cloudrun.list_services', 'cards.move']);
    assert.deepEqual(queryFor({ status: '', tool: '', correlationId: '', viewReads: true }), { limit: 100 }, 'not a backend filter');
  });

  it('merges replayed and live events and log lines of one run by id', () => {
    const run = makeRun({ status: 'running' });
    const d = new RunDetailModel(run, [{ id: 2, runId: run.id, type: 'state', data: { from: 'queued', to: 'running' }, createdAt: run.createdAt }], [makeLog(run.id, 1, 'a')]);
    assert.equal(d.addEvent({ id: 2, runId: run.id, type: 'state', data: {}, createdAt: run.createdAt }), false);
    assert.equal(d.addEvent({ id: 1, runId: run.id, type: 'state', data: { from: null, to: 'queued' }, createdAt: run.createdAt }), true);
    assert.equal(d.addEvent({ id: 3, runId: 'other', type: 'log', data: {}, createdAt: run.createdAt }), false);
    assert.deepEqual(d.timeline().map((e) => e.id), [1, 2]);
    assert.equal(d.addLog(makeLog(run.id, 1, 'dup')), false);
    assert.equal(d.addLog(makeLog(run.id, 2, 'b')), true);
    assert.equal(d.addLog(makeLog(null, 3, 'not this run')), false);
    assert.deepEqual(d.logLines().map((l) => l.message), ['a', 'b']);
    assert.deepEqual([d.canApprove, d.canCancel, d.canRetry], [false, true, false]);
    d.run = { ...run, status: 'awaiting_approval' };
    assert.equal(d.canApprove, true);
  });

  it('reads token counts from a run’s output and describes events', () => {
    assert.deepEqual(tokenCounts(makeRun({ output: { tokens: { prompt: 5, completion: 7 } } })), { prompt: 5, completion: 7 });
    assert.equal(tokenCounts(makeRun({ output: { message: 'x' } })), null);
    const e = (type: 'state' | 'progress' | 'log' | 'output', data: unknown) => describeEvent({ id: 1, runId: 'r', type, data, createdAt: '' });
    assert.equal(e('state', { from: 'queued', to: 'awaiting_approval', reason: 'high risk' }), 'queued → awaiting approval (high risk)');
    assert.equal(e('progress', { progress: 3, total: 4, message: 'copying' }), 'progress 75%: copying');
    assert.equal(e('log', { message: 'hi' }), 'log: hi');
  });
});
