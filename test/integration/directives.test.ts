import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { openDb, type Db } from '../../backend/store/db';
import { migrate } from '../../backend/store/migrate';
import * as runs from '../../backend/store/runs';
import * as directives from '../../backend/store/directives';
import { logTriageContext, type LogTriageContext } from '../../workers/tasks/log-triage/context';
import { ProductOsError } from '../../backend/errors';
import { freshDatabase } from '../helpers/postgres';
import { startBackend, tempDir, type TestBackend } from '../helpers/backend';
import { loadRegistry } from '../../registry/loader';

const registry = loadRegistry();

/**
 * Directives D1–D4 and custom ones: seeded by migration 0005, versioned, edited only at the
 * version read; the snapshot a run keeps; "the last successful run of the same directive".
 * The store runs on PGlite and on PostgreSQL (TEST_DATABASE_URL); the REST routes once.
 */

async function rejects(p: Promise<unknown>, code: string, match?: RegExp): Promise<ProductOsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProductOsError, `expected a ProductOsError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (match) assert.match(err.message, match);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const LOG_TRIAGE_OUTPUT = (until: string, templates: Array<{ id: string; template: string; count: number; file?: string }>) => ({
  files_scanned: 1,
  lines: templates.reduce((n, t) => n + t.count, 0),
  templates: templates.map((t) => ({ levels: { info: t.count }, is_new: false, spike: false, examples: ['x'], ...t, ...(t.file ? { line_numbers: [1] } : {}) })),
  new_templates: 0,
  spikes: 0,
  since_run_id: null,
  window: { since: null, until },
});

for (const driver of ['pglite', 'embedded', 'postgres'] as const) {
  describe(`directives store on ${driver}`, function () {
    this.timeout(60_000);
    let db: Db;
    let dataDir: string;
    let dropDb: (() => Promise<void>) | undefined;

    before(async () => {
      dataDir = tempDir('product-os-directives-');
      let url: string | undefined;
      if (driver === 'postgres') {
        const fresh = await freshDatabase();
        url = fresh.url;
        dropDb = fresh.drop;
      }
      db = await openDb({ dataDir, databaseUrl: url, store: driver === 'pglite' ? 'pglite' : 'postgres' });
      await migrate(db);
    });
    after(async () => {
      await db?.close();
      await dropDb?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** A run of `tool` as the engine stores it, optionally settled as succeeded with `output`. */
    async function run(tool: string, input: Record<string, unknown>, settle?: { output: unknown; directive: directives.DirectiveSnapshot }): Promise<string> {
      const id = randomUUID();
      await runs.insertRun(db, { id, tool, status: 'queued', risk: 'low', input, caller: 'test', maxAttempts: 1, audit: { argsShape: {}, outcome: 'queued' } });
      if (settle) {
        await directives.recordRunDirective(db, id, settle.directive);
        await db.query("UPDATE runs SET status = 'succeeded', output = $2::jsonb, started_at = now(), finished_at = clock_timestamp() WHERE id = $1", [id, JSON.stringify(settle.output)]);
      }
      return id;
    }

    it('seeds D1–D3 (the ops tools\' defaults) and D4 (custom), each at version 1; migrating again changes nothing', async () => {
      assert.deepEqual(await migrate(db), [], 'the migrator registers 0005 and applies it once');
      const all = await directives.listDirectives(db);
      assert.deepEqual(
        all.map((d) => [d.id, d.tool, d.kind, d.version]),
        [
          ['D1', 'ops.log_triage', 'default', 1],
          ['D2', 'ops.gpu_report', 'default', 1],
          ['D3', 'ops.service_map', 'default', 1],
          ['D4', 'ops.log_triage', 'custom', 1],
        ],
      );
      assert.deepEqual(all[0]!.config, { spike: { ratio: 3, min_count: 10 } });
      assert.deepEqual(all[1]!.config, { include_containers: true, alerts: { temperature_c: 85, memory_used_pct: 90, utilization_pct: 95 } });
      assert.deepEqual(all[2]!.config, { include_stopped: false });
      assert.deepEqual(all[3]!.config, { spike: { ratio: 2, min_count: 5 } });
      for (const d of all) {
        assert.ok(d.text.length > 20, `${d.id} has a text`);
        assert.deepEqual((await directives.directiveVersions(db, d.id)).map((v) => [v.version, v.name, v.changedBy]), [[1, d.name, 'system']]);
      }
      assert.deepEqual((await directives.listDirectives(db, { tool: 'ops.log_triage' })).map((d) => d.id), ['D1', 'D4']);
      // Every directive's config fits its tool's config schema.
      for (const d of all) directives.checkDirectiveConfig(registry, d.tool, d.config);
    });

    it('creates custom directives (any tool plus a config JSON), numbered D5, D6, …; checks the config of the tools that read it', async () => {
      const a = await db.transaction((tx) => directives.createDirective(tx, { name: 'Pings', tool: 'system.ping', text: 'Any tool, any config.', config: { anything: [1, { nested: true }] } }, 'api', registry));
      assert.match(a.id, /^D\d+$/);
      assert.ok(Number(a.id.slice(1)) >= 5);
      assert.equal(a.kind, 'custom');
      assert.equal(a.version, 1);
      assert.deepEqual(a.config, { anything: [1, { nested: true }] });
      const b = await db.transaction((tx) => directives.createDirective(tx, { name: 'Quiet triage', tool: 'ops.log_triage', text: 'Spikes only at 10x.', config: { spike: { ratio: 10, min_count: 50 } } }, 'api', registry));
      assert.equal(Number(b.id.slice(1)), Number(a.id.slice(1)) + 1);
      const c = await db.transaction((tx) => directives.createDirective(tx, { name: 'No config', tool: 'ops.service_map', text: 'Defaults.' }, 'api', registry));
      assert.deepEqual(c.config, {});
      assert.deepEqual((await directives.directiveVersions(db, b.id)).map((v) => [v.version, v.changedBy, v.text]), [[1, 'api', 'Spikes only at 10x.']]);

      const bad = await rejects(db.transaction((tx) => directives.createDirective(tx, { name: 'x', tool: 'ops.log_triage', text: 'x', config: { spike: { ratio: 0, min_count: 5 }, colour: 'red' } }, 'api', registry)), 'invalid_input');
      const pointers = (bad.details as { violations: Array<{ pointer: string }> }).violations.map((v) => v.pointer).sort();
      assert.deepEqual(pointers, ['/config/colour', '/config/spike/ratio']);
      await rejects(db.transaction((tx) => directives.createDirective(tx, { name: 'x', tool: 'ops.gpu_report', text: 'x', config: { alerts: { memory_used_pct: 150 } } }, 'api', registry)), 'invalid_input', /memory_used_pct/);
      await rejects(db.transaction((tx) => directives.createDirective(tx, { name: 'x', tool: 'system.ping', text: 'x', config: [1, 2] as unknown as Record<string, unknown> }, 'api', registry)), 'invalid_input', /JSON object/);
      await rejects(db.transaction((tx) => directives.createDirective(tx, { name: 'x', tool: 'system.ping', text: 'x', config: { big: 'x'.repeat(40_000) } }, 'api', registry)), 'invalid_input', /at most/);
      // Nothing half-written: the refused ones left no directive behind.
      assert.equal((await directives.listDirectives(db)).length, 7);
    });

    it('edits make a new version, only at the version read (conflict otherwise); every version is kept whole; the tool never changes', async () => {
      const v2 = await db.transaction((tx) => directives.updateDirective(tx, 'D1', { ifVersion: 1, text: 'Triage, v2.', config: { spike: { ratio: 4, min_count: 20 } } }, 'api:editor', registry));
      assert.equal(v2.version, 2);
      assert.equal(v2.name, 'Log triage');
      assert.equal(v2.tool, 'ops.log_triage');
      assert.equal(v2.text, 'Triage, v2.');
      assert.ok(Date.parse(v2.updatedAt) >= Date.parse(v2.createdAt));
      const v3 = await db.transaction((tx) => directives.updateDirective(tx, 'D1', { ifVersion: 2, name: 'Log triage (tuned)' }, 'api', registry));
      assert.equal(v3.version, 3);
      assert.equal(v3.text, 'Triage, v2.', 'fields left out keep their value');
      assert.deepEqual(v3.config, { spike: { ratio: 4, min_count: 20 } });
      const versions = await directives.directiveVersions(db, 'D1');
      assert.deepEqual(
        versions.map((v) => [v.version, v.name, v.config, v.changedBy]),
        [
          [1, 'Log triage', { spike: { ratio: 3, min_count: 10 } }, 'system'],
          [2, 'Log triage', { spike: { ratio: 4, min_count: 20 } }, 'api:editor'],
          [3, 'Log triage (tuned)', { spike: { ratio: 4, min_count: 20 } }, 'api'],
        ],
      );
      assert.match(versions[0]!.text, /since the last successful run/);

      const stale = await rejects(db.transaction((tx) => directives.updateDirective(tx, 'D1', { ifVersion: 2, text: 'lost update' }, 'api', registry)), 'conflict', /version 3, not 2/);
      assert.equal((stale.details as { currentVersion: number }).currentVersion, 3);
      await rejects(db.transaction((tx) => directives.updateDirective(tx, 'D1', { ifVersion: 3, config: { spike: { ratio: 'high' } } as never }, 'api', registry)), 'invalid_input');
      await rejects(db.transaction((tx) => directives.updateDirective(tx, 'D404', { ifVersion: 1, text: 'x' }, 'api', registry)), 'not_found');
      assert.equal((await directives.getDirective(db, 'D1'))!.version, 3, 'refused edits wrote nothing');
      assert.equal((await directives.directiveVersions(db, 'D1')).length, 3);
    });

    it('two edits from the same version at once: exactly one wins, the other gets a conflict', async () => {
      const at = (await directives.getDirective(db, 'D3'))!.version;
      const results = await Promise.allSettled(
        ['left', 'right'].map((who) => db.transaction((tx) => directives.updateDirective(tx, 'D3', { ifVersion: at, text: `edited by ${who}` }, who, registry))),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal((lost.reason as ProductOsError).code, 'conflict');
      assert.equal((await directives.getDirective(db, 'D3'))!.version, at + 1);
      assert.equal((await directives.directiveVersions(db, 'D3')).length, at + 1);
    });

    it('a run keeps a snapshot of the directive it used, unchanged by later edits; foreign and unknown directives are refused', async () => {
      const snap = await directives.directiveSnapshot(db, 'ops.gpu_report');
      assert.deepEqual(Object.keys(snap).sort(), ['config', 'id', 'name', 'text', 'version']);
      assert.equal(snap.id, 'D2');
      const id = await run('ops.gpu_report', {});
      assert.deepEqual(await directives.runDirective(db, id), { directive: null });
      await directives.recordRunDirective(db, id, snap);
      await db.transaction((tx) => directives.updateDirective(tx, 'D2', { ifVersion: snap.version, text: 'changed later' }, 'api', registry));
      assert.deepEqual(await directives.runDirective(db, id), { directive: snap });
      assert.equal(await directives.runDirective(db, randomUUID()), null);

      await rejects(directives.directiveSnapshot(db, 'ops.log_triage', 'D2'), 'invalid_input', /D2 is for ops\.gpu_report, not ops\.log_triage/);
      await rejects(directives.directiveSnapshot(db, 'ops.log_triage', 'D77'), 'invalid_input', /no directive D77/);
      await rejects(directives.directiveSnapshot(db, 'system.ping'), 'invalid_input', /no default directive/);
      await rejects(directives.recordRunDirective(db, randomUUID(), snap), 'not_found');
    });

    it('log triage context: D1 by default, snapshot on the run; previous = the last succeeded run of the same directive and path; nothing on a first run', async () => {
      await db.exec("DELETE FROM runs WHERE tool = 'ops.log_triage'");
      const r1 = await run('ops.log_triage', { include_line_groups: false, max_examples: 3 });
      const c1 = (await logTriageContext({ include_line_groups: false, max_examples: 3 }, db, r1)) as unknown as LogTriageContext;
      assert.equal(c1.directive.id, 'D1');
      assert.equal(c1.previous, null);
      assert.equal(c1.since, null);
      assert.equal(c1.redact, true);
      assert.deepEqual((await directives.runDirective(db, r1))?.directive, c1.directive);

      // A succeeded D1 run over the whole folder, with line groups (one entry per file), and a later one over another path.
      const until = '2030-01-02T03:04:05.000Z';
      const done = await run('ops.log_triage', {}, {
        directive: c1.directive,
        output: LOG_TRIAGE_OUTPUT(until, [
          { id: 'a', template: 'request <*> served', count: 5, file: 'one.log' },
          { id: 'a', template: 'request <*> served', count: 7, file: 'two.log' },
          { id: 'b', template: 'job <*> failed', count: 2, file: 'one.log' },
        ]),
      });
      await run('ops.log_triage', { path: 'other' }, { directive: c1.directive, output: LOG_TRIAGE_OUTPUT('2031-01-01T00:00:00.000Z', []) });
      // Runs of another directive, and failed runs, are not "the last successful run of D1".
      const d4 = await directives.directiveSnapshot(db, 'ops.log_triage', 'D4');
      await run('ops.log_triage', {}, { directive: d4, output: LOG_TRIAGE_OUTPUT('2032-01-01T00:00:00.000Z', []) });
      const failed = await run('ops.log_triage', {});
      await directives.recordRunDirective(db, failed, c1.directive);
      await db.query("UPDATE runs SET status = 'failed', finished_at = clock_timestamp() WHERE id = $1", [failed]);

      const r2 = await run('ops.log_triage', { path: './' });
      const c2 = (await logTriageContext({ path: './' }, db, r2)) as unknown as LogTriageContext;
      assert.equal(c2.previous?.run_id, done);
      assert.equal(c2.since, until);
      assert.deepEqual(c2.previous?.window, { since: null, until });
      assert.deepEqual(c2.previous?.templates, [
        { id: 'a', template: 'request <*> served', count: 12 },
        { id: 'b', template: 'job <*> failed', count: 2 },
      ]);
      const c3 = (await logTriageContext({ path: 'other/' }, db)) as unknown as LogTriageContext;
      assert.equal(c3.since, '2031-01-01T00:00:00.000Z');
      const c4 = (await logTriageContext({ directive_id: 'D4' }, db)) as unknown as LogTriageContext;
      assert.equal(c4.directive.id, 'D4');
      assert.equal(c4.since, '2032-01-01T00:00:00.000Z');

      await rejects(logTriageContext({ path: '../secrets' }, db), 'invalid_input', /outside the logs folder/);
      await rejects(logTriageContext({ path: 'a/../../b' }, db), 'invalid_input', /outside the logs folder/);
      await rejects(logTriageContext({ directive_id: 'D3' }, db), 'invalid_input', /D3 is for ops\.service_map/);
    });
  });
}

describe('directives over REST (backend/api/routes/directives.ts, registered in backend/api/server.ts)', function () {
  this.timeout(60_000);
  let t: TestBackend;
  before(async () => {
    t = await startBackend();
  });
  after(async () => {
    await t?.close();
  });

  const isError = (body: any, code: string) => {
    assert.equal(typeof body?.error?.message, 'string', JSON.stringify(body));
    assert.equal(body.error.code, code, JSON.stringify(body));
  };

  it('GET /api/directives lists D1–D4; GET /api/directives/:id adds every version; unknown ids are 404, malformed ones 400', async () => {
    const list = await t.api('GET', '/api/directives');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.directives.map((d: any) => d.id), ['D1', 'D2', 'D3', 'D4']);
    assert.deepEqual(Object.keys(list.body.directives[0]).sort(), ['config', 'createdAt', 'id', 'kind', 'name', 'text', 'tool', 'updatedAt', 'version']);
    const gpu = await t.api('GET', '/api/directives?tool=ops.gpu_report');
    assert.deepEqual(gpu.body.directives.map((d: any) => d.id), ['D2']);
    const one = await t.api('GET', '/api/directives/D1');
    assert.equal(one.status, 200);
    assert.equal(one.body.tool, 'ops.log_triage');
    assert.deepEqual(one.body.versions.map((v: any) => v.version), [1]);
    assert.deepEqual(one.body.versions[0].config, { spike: { ratio: 3, min_count: 10 } });

    const missing = await t.api('GET', '/api/directives/D999');
    assert.equal(missing.status, 404);
    isError(missing.body, 'not_found');
    const malformed = await t.api('GET', '/api/directives/x1');
    assert.equal(malformed.status, 400);
    isError(malformed.body, 'bad_request');
    const badQuery = await t.api('GET', '/api/directives?colour=red');
    assert.equal(badQuery.status, 400);
  });

  it('POST /api/directives creates a custom directive (a registry tool plus a config JSON); every input is validated', async () => {
    const created = await t.api('POST', '/api/directives', { name: 'Quiet triage', tool: 'ops.log_triage', text: 'Spikes at 10x only.', config: { spike: { ratio: 10, min_count: 100 } } }, { 'x-product-os-caller': 'tester' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.id, 'D5');
    assert.equal(created.body.kind, 'custom');
    assert.equal(created.body.version, 1);
    const got = await t.api('GET', '/api/directives/D5');
    assert.equal(got.body.versions[0].changedBy, 'api:tester');

    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ name: 'x', tool: 'no.such_tool', text: 'x' }, 400, 'invalid_input', /no tool no\.such_tool/],
      [{ name: 'x', tool: 'ops.log_triage', text: 'x', config: { spike: { ratio: 0.5, min_count: 1 } } }, 400, 'invalid_input', /\/config\/spike\/ratio/],
      [{ name: 'x', tool: 'ops.log_triage', text: 'x', extra: true }, 400, 'invalid_input', /unknown field \/extra/],
      [{ name: '', tool: 'ops.log_triage', text: 'x' }, 400, 'invalid_input', /\/name/],
      [{ name: 'x', tool: 'ops.log_triage' }, 400, 'invalid_input', /\/text/],
      [{ name: 'x', tool: 'system.ping', text: 'x', config: [1] }, 400, 'invalid_input', /\/config/],
      ['{"name": "x",', 400, 'invalid_json', /./],
    ];
    for (const [body, status, code, message] of cases) {
      const res = await t.api('POST', '/api/directives', body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      isError(res.body, code);
      assert.match(res.body.error.message, message);
    }
    const list = await t.api('GET', '/api/directives');
    assert.deepEqual(list.body.directives.map((d: any) => d.id), ['D1', 'D2', 'D3', 'D4', 'D5'], 'refused ones left nothing');
  });

  it('PUT /api/directives/:id makes a new version at ifVersion, 409 on a stale one', async () => {
    const v2 = await t.api('PUT', '/api/directives/D2', { ifVersion: 1, config: { include_containers: false, alerts: { temperature_c: 80 } } });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.equal(v2.body.version, 2);
    assert.deepEqual(v2.body.config, { include_containers: false, alerts: { temperature_c: 80 } });
    assert.equal(v2.body.text, (await t.api('GET', '/api/directives/D2')).body.versions[0].text, 'text kept');

    const stale = await t.api('PUT', '/api/directives/D2', { ifVersion: 1, text: 'lost update' });
    assert.equal(stale.status, 409);
    isError(stale.body, 'conflict');
    assert.equal(stale.body.error.details.currentVersion, 2);

    const cases: Array<[string, unknown, number, string]> = [
      ['/api/directives/D2', { ifVersion: 2 }, 400, 'invalid_input'], // nothing to change
      ['/api/directives/D2', { text: 'no version' }, 400, 'invalid_input'],
      ['/api/directives/D2', { ifVersion: 2, tool: 'ops.log_triage' }, 400, 'invalid_input'], // the tool never changes
      ['/api/directives/D2', { ifVersion: 2, config: { alerts: { utilization_pct: 101 } } }, 400, 'invalid_input'],
      ['/api/directives/D2', { ifVersion: '2', text: 'x' }, 400, 'invalid_input'], // no coercion in bodies
      ['/api/directives/D404', { ifVersion: 1, text: 'x' }, 404, 'not_found'],
    ];
    for (const [p, body, status, code] of cases) {
      const res = await t.api('PUT', p, body);
      assert.equal(res.status, status, `${p} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      isError(res.body, code);
    }
    const history = await t.api('GET', '/api/directives/D2');
    assert.deepEqual(history.body.versions.map((v: any) => v.version), [1, 2]);
  });

  it('GET /api/runs/:id/directive answers what a run used (null for tools without directives), 404 for no run', async () => {
    const created = await t.api('POST', '/api/runs', { tool: 'system.ping', input: {} });
    assert.ok(created.status === 200 || created.status === 201, JSON.stringify(created.body));
    const res = await t.api('GET', `/api/runs/${created.body.id}/directive`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { runId: created.body.id, directive: null });
    const snap = await directives.directiveSnapshot(t.backend.db, 'ops.log_triage');
    await directives.recordRunDirective(t.backend.db, created.body.id, snap);
    const kept = await t.api('GET', `/api/runs/${created.body.id}/directive`);
    assert.deepEqual(kept.body.directive, snap);
    const none = await t.api('GET', `/api/runs/${randomUUID()}/directive`);
    assert.equal(none.status, 404);
    isError(none.body, 'not_found');
    const notUuid = await t.api('GET', '/api/runs/abc/directive');
    assert.equal(notUuid.status, 400);
  });
});
