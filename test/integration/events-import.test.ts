import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbWarehouse } from '../../backend/analytics/duckdb-engine';
import { importEventsFile } from '../../backend/analytics/import-file';
import { eventsDbFile } from '../../backend/analytics/open-warehouse';
import { startBackend, type TestBackend } from '../helpers/backend';

const ROOT = path.join(__dirname, '..', '..');

describe('events: ingest and import (real DuckDB)', function () {
  this.timeout(120_000);
  let dir: string;
  let w: DuckDbWarehouse;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'po-import-'));
    w = await DuckDbWarehouse.open(path.join(dir, 'events.duckdb'));
  });
  afterEach(async () => {
    await w?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const CSV = [
    'event_id,user_id,event,timestamp,plan,properties',
    'e1,u1,signup_completed,2026-11-01T10:00:00Z,team,"{""source"": ""ads""}"',
    'e2,u1,activated,2026-11-02T10:00:00+01:00,,',
    'e3,u2,signup_completed,2026-11-03 08:00:00Z,"so\nlo","{""note"": ""a, quoted note""}"',
    'e4,u3,signup_completed,yesterday,solo,',
    'e5,u4,activated,2026-11-04T10:00:00Z,,{not json}',
    'e6,,activated,2026-11-04T10:00:00Z,,',
    'e7,u5,activated,2026-11-05T10:00:00Z,solo,',
  ].join('\n');

  it('a bad row stops the import by default, named by its line, and nothing is stored', async () => {
    const f = write('events.csv', CSV);
    await assert.rejects(importEventsFile(w, f, { onError: 'stop' }), /events\.csv line 6: timestamp "yesterday" is not an ISO 8601 date-time with a zone.*Nothing was imported/);
    assert.equal(await w.count(), 0);
  });

  it('--on-error skip imports the good rows and reports each bad one by its line (multi-line fields counted)', async () => {
    const f = write('events.csv', CSV);
    const r = await importEventsFile(w, f, { onError: 'skip' });
    assert.deepEqual(r.errors.map((e) => e.line), [6, 7, 8]);
    assert.match(r.errors[1].message, /properties is not valid JSON/);
    assert.match(r.errors[2].message, /user_id is missing/);
    assert.equal(r.inserted, 4);
    assert.equal(r.skipped, 3);
    assert.equal(await w.count(), 4);
    const cat = await w.catalog();
    assert.deepEqual(cat.properties.map((p) => p.key).sort(), ['note', 'plan', 'source']);
    // Times are stored in UTC: +01:00 is an hour earlier.
    assert.equal(cat.events.find((e) => e.name === 'activated')!.firstSeen, '2026-11-02T09:00:00.000Z');
  });

  it('importing the same file again counts nothing twice (idempotent per event id)', async () => {
    const lines = ['{"event_id":"a","user_id":"u1","event_name":"x","timestamp":"2026-11-01T00:00:00Z","properties":{"k":1}}', '', '{"event_id":"b","user_id":"u1","event_name":"y","timestamp":1793000000}', '{"event_id":"a","user_id":"u1","event_name":"x","timestamp":"2026-11-01T00:00:00Z"}'];
    const f = write('events.jsonl', lines.join('\n'));
    const first = await importEventsFile(w, f, { onError: 'stop' });
    assert.deepEqual([first.rows, first.inserted, first.duplicates], [3, 2, 1]);
    const again = await importEventsFile(w, f, { onError: 'stop' });
    assert.deepEqual([again.inserted, again.duplicates], [0, 3]);
    assert.equal(await w.count(), 2);
    await assert.rejects(importEventsFile(w, write('bad.jsonl', '{"user_id":"u"}\n[1,2]\n'), { onError: 'stop' }), /bad\.jsonl line 1: event_name is missing/);
    const broken = await importEventsFile(w, write('broken.jsonl', '{"user_id":"u","event_name":"e","timestamp":"2026-11-01T00:00:00Z"}\n{"user_id": \n'), { onError: 'skip' });
    assert.deepEqual(broken.errors.map((e) => e.line), [2]);
    assert.match(broken.errors[0].message, /not valid JSON/);
  });

  it('reads Parquet (row numbers stand for lines)', async () => {
    const f = path.join(dir, 'events.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT 'p' || i AS event_id, 'u' || (i % 7) AS user_id, CASE WHEN i % 2 = 0 THEN 'signup_completed' ELSE 'activated' END AS event_name,
      TIMESTAMP '2026-11-01 00:00:00' + to_minutes(i) AS timestamp, CASE WHEN i = 41 THEN NULL ELSE 'team' END AS plan FROM range(100) t(i)) TO '${f}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const r = await importEventsFile(w, f, { onError: 'stop' });
    assert.equal(r.inserted, 100);
    assert.equal((await w.catalog()).properties[0].key, 'plan');
    const rows = await w.funnel({ range: { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') }, steps: [{ event: 'signup_completed' }, { event: 'activated' }], windowMs: 86_400_000 });
    assert.deepEqual(rows.steps.map((s) => s.users), [7, 7]);
  });

  it('kill -9 in the middle of a long import: nothing is counted, and the next import works', async function () {
    const f = path.join(dir, 'big.csv');
    const out = fs.createWriteStream(f);
    out.write('user_id,event,timestamp,plan\n');
    const base = Date.parse('2026-10-01T00:00:00Z');
    for (let i = 0; i < 600_000; i++) out.write(`u${i % 50000},e${i % 5},${new Date(base + i * 1000).toISOString()},p${i % 3}\n`);
    await new Promise((r) => out.end(r));
    await w.close();
    const data = path.join(dir, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'backend', 'cli.ts'), 'events', 'import', f, '--data', data], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PRODUCT_OS_STORE: 'pglite' } });
    const progress = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /importing big\.csv: [\d,]+ rows read, \d+ %[^\n]*/.exec(err);
        if (m) resolve(m[0]);
      });
      child.on('exit', (code) => reject(new Error(`the import ended (${code}) before its first progress line: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    console.log(`      killed at: ${progress}`);
    w = await DuckDbWarehouse.open(eventsDbFile(data));
    assert.equal(await w.count(), 0, 'nothing of the killed import was counted');
    const again = await importEventsFile(w, write('small.csv', 'user_id,event,timestamp\nu1,x,2026-11-01T00:00:00Z\n'), { onError: 'stop' });
    assert.equal(again.inserted, 1);
    assert.equal(await w.count(), 1);
  });

  describe('events.ingest', () => {
    let b: TestBackend;
    before(async () => (b = await startBackend()));
    after(async () => b?.close());

    it('stores the valid events, reports each refused one by index, and a retried batch counts once', async () => {
      const events = [
        { event_id: 'i1', event_name: 'signup_completed', user_id: 'u1', timestamp: '2026-11-01T10:00:00Z', properties: { plan: 'team' } },
        { event_id: 'i2', event_name: 'activated', user_id: 'u1', timestamp: '2999-01-01T00:00:00Z' },
        { event_id: 'i3', event_name: 'activated', user_id: 'u1', timestamp: '2026-11-02T10:00:00+02:00' },
      ];
      const run = await b.tool('events.ingest', { events, source: 'test' });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(run.output, { accepted: 2, rejected: 1, duplicates: 0, errors: [{ index: 1, message: 'timestamp 2999-01-01T00:00:00.000Z is more than a day in the future' }] });
      assert.equal(run.executedOn, 'local');
      const retry = await b.tool('events.ingest', { events, source: 'test' });
      assert.deepEqual(retry.output, { accepted: 0, rejected: 1, duplicates: 2, errors: [{ index: 1, message: 'timestamp 2999-01-01T00:00:00.000Z is more than a day in the future' }] });
      assert.equal(await (await b.backend.analytics.warehouse()).count(), 2);
    });

    it('write_insight: a row in the store and a JSON artifact in the data folder, the output naming both', async () => {
      const insight = { type: 'funnel_drop', title: 'Onboarding loses a third', summary: '32 % leave at onboarding', severity: 'medium', confidence: 0.9, window: { range_days: 28 }, recommendations: [{ action: 'Shorten onboarding', rationale: 'Step 2 loses most' }] };
      const run = await b.tool('analytics.write_insight', { insight });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as { insight_id: string; stored: { local: { table: string; row_id: string; artifact: string } } };
      assert.equal(out.stored.local.row_id, out.insight_id);
      assert.ok(out.stored.local.artifact.startsWith(path.join(b.dataDir, 'insights')));
      const doc = JSON.parse(fs.readFileSync(out.stored.local.artifact, 'utf8'));
      assert.equal(doc.title, insight.title);
      const rows = await b.backend.db.query<{ title: string; run_id: string }>('SELECT title, run_id FROM insights WHERE id = $1', [out.insight_id]);
      assert.deepEqual(rows, [{ title: insight.title, run_id: run.id }]);
    });
  });
});
