import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { request, tempDir, until } from '../helpers/backend';
import { spawnTestServe, type ServeProcess } from '../helpers/serve-process';
import { testRegistryFile } from '../helpers/test-tools';
import { freshDatabase } from '../helpers/postgres';
import type { Run } from '../../contracts/rest';

const TOKEN = 'recovery-token-0123456789';

// The embedded default (a PostgreSQL server beside the backend) and PGlite (on a thread of the backend's own process).
for (const store of ['postgres', 'pglite'] as const) describe(`crash recovery (kill -9 mid-run, ${store === 'pglite' ? 'PGlite' : 'embedded PostgreSQL'})`, function () {
  this.timeout(90_000);
  let proc: ServeProcess | undefined;
  afterEach(() => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  });

  it('loses no run: not-started and idempotent runs are re-run, others fail with the reason', async () => {
    const dataDir = tempDir();
    const env = { PRODUCT_OS_TOKEN: TOKEN, PRODUCT_OS_REGISTRY: testRegistryFile(), PRODUCT_OS_CONCURRENCY: '2', PRODUCT_OS_MEDIUM_RISK: 'approval', PRODUCT_OS_STORE: store };
    proc = await spawnTestServe(dataDir, env);
    const api = (url: string) => (method: string, p: string, body?: unknown) => request<Run>(url, TOKEN, method, p, body);
    let call = api(proc.url);
    assert.equal((await request<{ store: string }>(proc.url, TOKEN, 'GET', '/health')).body.store, store, 'the store under test');

    const done = (await call('POST', '/api/runs', { tool: 'system.ping', input: {} })).body;
    await until(async () => (await call('GET', `/api/runs/${done.id}`)).body.status === 'succeeded', 'ping to finish');
    const nonIdempotent = (await call('POST', '/api/runs', { tool: 'test.sleep', input: { ms: 1500 } })).body;
    const idempotent = (await call('POST', '/api/runs', { tool: 'test.sleep_idempotent', input: { ms: 600 } })).body;
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push((await call('POST', '/api/runs', { tool: 'test.sleep_idempotent', input: { ms: 50 } })).body);
    const waiting = (await call('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'x', patch: { name: 'X' } } })).body;
    assert.equal(waiting.status, 'awaiting_approval');
    await until(
      async () => (await Promise.all([nonIdempotent, idempotent].map((r) => call('GET', `/api/runs/${r.id}`)))).every((r) => r.body.status === 'running'),
      'both sleeps to be running',
    );

    proc.child.kill('SIGKILL');
    assert.equal(await proc.exited, null, 'killed by signal');
    assert.ok(fs.existsSync(path.join(dataDir, 'backend.lock')), 'the dead process left its lock behind');

    proc = await spawnTestServe(dataDir, env);
    call = api(proc.url);
    const all = [done, nonIdempotent, idempotent, ...queued, waiting];
    const final = await until(async () => {
      const runs = await Promise.all(all.map(async (r) => (await call('GET', `/api/runs/${r.id}`)).body));
      const settled = runs.every((r) => ['succeeded', 'failed', 'cancelled', 'timed_out', 'awaiting_approval'].includes(r.status));
      return settled ? runs : null;
    }, 'every run to settle after restart', 20_000);
    const byId = new Map(final.map((r) => [r.id, r]));

    assert.equal(byId.get(done.id)!.status, 'succeeded');
    const crashed = byId.get(nonIdempotent.id)!;
    assert.equal(crashed.status, 'failed');
    assert.equal(crashed.error?.code, 'backend_crashed');
    assert.match(crashed.error!.message, /not idempotent/);
    const rerun = byId.get(idempotent.id)!;
    assert.equal(rerun.status, 'succeeded');
    assert.equal(rerun.attempt, 2, 'the idempotent run ran again');
    for (const q of queued) assert.equal(byId.get(q.id)!.status, 'succeeded');
    assert.equal(byId.get(waiting.id)!.status, 'awaiting_approval', 'approval survives the crash');

    const list = await request<{ runs: Run[] }>(proc.url, TOKEN, 'GET', '/api/runs?limit=100');
    assert.equal(list.body.runs.length, all.length, 'no run lost, none invented');
    const events = await request<string>(proc.url, TOKEN, 'GET', `/api/runs/${idempotent.id}/events`);
    assert.match(events.body, /re-queued/);
  });
});

describe('several backends on one PostgreSQL', function () {
  this.timeout(120_000);
  const procs: ServeProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await drop?.();
  });

  it('share the queue, and a live backend settles the runs of one that was killed', async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const env = { PRODUCT_OS_TOKEN: TOKEN, PRODUCT_OS_REGISTRY: testRegistryFile(), DATABASE_URL: db.url, PRODUCT_OS_CONCURRENCY: '1' };
    const a = await spawnTestServe(tempDir(), env);
    procs.push(a);
    const b = await spawnTestServe(tempDir(), env);
    procs.push(b);
    const onA = (method: string, p: string, body?: unknown) => request<Run>(a.url, TOKEN, method, p, body);
    const onB = (method: string, p: string, body?: unknown) => request<Run>(b.url, TOKEN, method, p, body);

    // A takes a long non-idempotent run; its next runs wait in the shared queue, where B takes them.
    const long = (await onA('POST', '/api/runs', { tool: 'test.sleep', input: { ms: 1900 } })).body;
    await until(async () => (await onA('GET', `/api/runs/${long.id}`)).body.status === 'running', 'A to run it');
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push((await onA('POST', '/api/runs', { tool: 'system.ping', input: {} })).body);
    for (const q of queued) await until(async () => (await onB('GET', `/api/runs/${q.id}`)).body.status === 'succeeded', 'B to run the queued pings');

    a.child.kill('SIGKILL');
    await a.exited;
    // B notices A's heart stopped (15 s without a beat) and settles what A held.
    const settled = await until(async () => {
      const r = (await onB('GET', `/api/runs/${long.id}`)).body;
      return r.status === 'running' ? null : r;
    }, "B to settle A's run", 40_000);
    assert.equal(settled.status, 'failed');
    assert.equal(settled.error?.code, 'backend_crashed');
  });
});
