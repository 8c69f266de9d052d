import { randomUUID } from 'node:crypto';
/**
 * The store, run twice: on embedded PGlite (a temp data folder) and on a real PostgreSQL
 * server (a fresh database from TEST_DATABASE_URL). Same SQL, same expectations.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDb, type Db, type Queryable } from '../../backend/store/db';
import { migrate } from '../../backend/store/migrate';
import * as runs from '../../backend/store/runs';
import * as cards from '../../backend/store/cards';
import { saveBrand, getBrand, brandHistory } from '../../backend/store/brand';
import { ProductOsError } from '../../backend/errors';
import type { RunStatus, StateEventData } from '../../contracts/rest';
import { freshDatabase } from '../helpers/postgres';
import { tempDir } from '../helpers/backend';

/** `embedded`: the default store, a PostgreSQL server from the bundled binaries in the data folder (forced, so a missing one fails). */
type Driver = 'pglite' | 'embedded' | 'postgres';

function newRun(over: Partial<runs.NewRun> = {}): runs.NewRun {
  return {
    id: randomUUID(),
    tool: 'system.ping',
    status: 'queued',
    risk: 'low',
    input: { message: 'hi' },
    caller: 'test',
    maxAttempts: 1,
    audit: { argsShape: { message: 'string' }, outcome: 'queued' },
    ...over,
  };
}

async function insert(q: Queryable, over: Partial<runs.NewRun> = {}): Promise<runs.StoredRun> {
  const r = await runs.insertRun(q, newRun(over));
  assert.ok(r, 'insertRun returned null');
  return r.run;
}

async function count(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  const rows = await db.query<{ n: number }>(sql, params);
  return Number(rows[0].n);
}

/** Walks a run through the given statuses, one guarded step at a time. */
async function walk(db: Db, id: string, path: RunStatus[]): Promise<void> {
  for (let i = 1; i < path.length; i++) {
    const moved = await runs.advanceRun(db, id, [path[i - 1]], [{ from: path[i - 1], to: path[i] }]);
    assert.ok(moved, `advance ${path[i - 1]} → ${path[i]} failed`);
  }
}

async function openFor(driver: Driver, url: string | undefined, dataDir: string): Promise<Db> {
  return driver === 'postgres' ? openDb({ databaseUrl: url, dataDir }) : openDb({ dataDir, store: driver === 'pglite' ? 'pglite' : 'postgres' });
}

for (const driver of ['pglite', 'embedded', 'postgres'] as const) {
  describe(`store on ${driver}`, function () {
    this.timeout(60000);
    let db: Db;
    let url: string | undefined;
    let dataDir: string;
    let dropDb: (() => Promise<void>) | undefined;
    let firstMigration: number[];

    before(async () => {
      dataDir = tempDir('product-os-store-');
      if (driver === 'postgres') {
        const fresh = await freshDatabase();
        url = fresh.url;
        dropDb = fresh.drop;
      }
      db = await openFor(driver, url, dataDir);
      assert.equal(db.kind, driver === 'pglite' ? 'pglite' : 'postgres');
      firstMigration = await migrate(db);
    });

    after(async () => {
      await db?.close();
      await dropDb?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** Each runs test starts from an empty runs table. */
    async function resetRuns(): Promise<void> {
      // CASCADE: tables added later that point at runs (insights) empty with them.
      await db.exec('TRUNCATE runs, run_events, llm_usage, approvals, audit_log CASCADE');
    }

    describe('migrations', () => {
      it('apply every migration once, in order, and record them in schema_migrations', async () => {
        // What should be there comes from the migration files on disk (NNNN_name.ts), not
        // from the list the migrator uses: a file it forgets to register fails here.
        const onDisk = fs
          .readdirSync(path.join(__dirname, '../../backend/store/migrations'))
          .map((f) => /^(\d{4})_(\w+)\.ts$/.exec(f))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ version: Number(m[1]), name: m[2] }))
          .sort((a, b) => a.version - b.version);
        assert.ok(onDisk.length >= 6, `migration files: ${JSON.stringify(onDisk)}`);
        assert.deepEqual(firstMigration, onDisk.map((m) => m.version));
        const rows = await db.query<{ version: number; name: string; applied_at: Date }>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows.map((r) => ({ version: r.version, name: r.name })),
          onDisk,
        );
        for (const r of rows) assert.ok(r.applied_at, 'applied_at is set');
      });

      it('are idempotent: a second migrate applies nothing and adds no rows', async () => {
        const before = await count(db, 'SELECT count(*)::int AS n FROM schema_migrations');
        assert.deepEqual(await migrate(db), []);
        assert.deepEqual(await migrate(db), []);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM schema_migrations'), before);
      });

      it('a second connection migrating the same database applies nothing', async () => {
        if (driver !== 'postgres') {
          // One process per data folder: reopen after closing.
          await db.close();
          db = await openFor(driver, url, dataDir);
        }
        const other = driver === 'postgres' ? await openFor(driver, url, dataDir) : db;
        try {
          assert.deepEqual(await migrate(other), []);
          // The schema survived the reopen: the seeded lanes are there.
          assert.equal(await count(other, 'SELECT count(*)::int AS n FROM lanes'), 5);
        } finally {
          if (other !== db) await other.close();
        }
      });
    });

    describe('runs', () => {
      beforeEach(resetRuns);

      it('insertRun stores the run, its first state event(s) and an audit row', async () => {
        const r = await runs.insertRun(db, newRun({ correlationId: 'corr-1', labels: { a: 'b' }, priority: 3 }));
        assert.ok(r);
        assert.equal(r.run.status, 'queued');
        assert.equal(r.run.version, 1);
        assert.equal(r.run.correlationId, 'corr-1');
        assert.deepEqual(r.run.labels, { a: 'b' });
        assert.equal(r.run.priority, 3);
        assert.deepEqual(r.run.input, { message: 'hi' });
        assert.deepEqual(r.events.map((e) => e.data), [{ from: null, to: 'queued' }]);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1', [r.run.id]), 1);

        const waiting = await runs.insertRun(db, newRun({ status: 'awaiting_approval', risk: 'high' }));
        assert.ok(waiting);
        assert.equal(waiting.run.status, 'awaiting_approval');
        assert.deepEqual(
          waiting.events.map((e) => [(e.data as StateEventData).from, (e.data as StateEventData).to]),
          [
            [null, 'queued'],
            ['queued', 'awaiting_approval'],
          ],
        );
        assert.ok(waiting.events[0].id < waiting.events[1].id);
      });

      it('advanceRun from the wrong status returns null and changes nothing', async () => {
        const run = await insert(db);
        const eventsBefore = await runs.listRunEvents(db, run.id);
        const wrong = await runs.advanceRun(db, run.id, ['running'], [{ from: 'running', to: 'succeeded' }], {
          finished: true,
          output: { pong: true },
          audit: { caller: 'test', action: 'tool.result', tool: run.tool, outcome: 'succeeded' },
        });
        assert.equal(wrong, null);
        const after = await runs.getRun(db, run.id);
        assert.deepEqual(after, run, 'the run row is unchanged');
        assert.deepEqual(await runs.listRunEvents(db, run.id), eventsBefore, 'no event was appended');
        assert.equal(await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND action = 'tool.result'`, [run.id]), 0, 'no audit row was written');

        // The right status moves it, bumps the version and appends one event per step.
        const ok = await runs.advanceRun(db, run.id, ['queued'], [
          { from: 'queued', to: 'dispatching' },
          { from: 'dispatching', to: 'running' },
        ], { owner: 'me', started: true, attempt: 1 });
        assert.ok(ok);
        assert.equal(ok.run.status, 'running');
        assert.equal(ok.run.version, run.version + 1);
        assert.equal(ok.run.owner, 'me');
        assert.equal(ok.run.attempt, 1);
        assert.ok(ok.run.startedAt);
        assert.equal(ok.events.length, 2);

        // Once moved, the old guard fails again (a racing second advance loses cleanly).
        assert.equal(await runs.advanceRun(db, run.id, ['queued'], [{ from: 'queued', to: 'dispatching' }]), null);
        // The owner guard: another owner cannot settle it.
        assert.equal(await runs.advanceRun(db, run.id, ['running'], [{ from: 'running', to: 'failed' }], {}, 'someone-else'), null);
        assert.equal((await runs.getRun(db, run.id))?.status, 'running');
      });

      it('writeRuns stores new runs and advances others in one statement, each answered in order (null where a guard failed)', async () => {
        const old = await insert(db);
        const stale = await insert(db);
        const fresh = [newRun(), newRun({ status: 'awaiting_approval', risk: 'high' })];
        const { inserted, advanced } = await runs.writeRuns(db, fresh, [
          { id: old.id, from: ['queued'], steps: [{ from: 'queued', to: 'cancelled' }], changes: { finished: true, audit: { caller: 'test', action: 'run.cancel', tool: old.tool, outcome: 'cancelled' } } },
          { id: stale.id, from: ['running'], steps: [{ from: 'running', to: 'succeeded' }] },
        ]);
        assert.deepEqual(inserted.map((c) => c?.run.id), fresh.map((n) => n.id));
        assert.deepEqual(inserted.map((c) => c?.run.status), ['queued', 'awaiting_approval']);
        assert.equal(advanced[0]?.run.status, 'cancelled');
        assert.deepEqual(advanced[0]?.events.map((e) => (e.data as StateEventData).to), ['cancelled']);
        assert.equal(advanced[1], null);
        assert.equal((await runs.getRun(db, stale.id))?.status, 'queued');
        assert.equal(await count(db, `SELECT count(*)::int AS n FROM audit_log WHERE run_id = ANY($1::uuid[])`, [[old.id, ...fresh.map((n) => n.id)]]), 4);
      });

      it('insertRun with an end stores a claimed run already ended: its columns, every state event, both audit rows', async () => {
        const r = await runs.insertRun(db, newRun({
          claimedBy: 'me',
          end: {
            steps: [{ from: 'dispatching', to: 'running' }, { from: 'running', to: 'succeeded' }],
            changes: { output: { pong: true }, started: true, attempt: 1, executedOn: 'local', finished: true, audit: { caller: 'test', action: 'tool.result', tool: 'system.ping', outcome: 'succeeded' } },
          },
        }));
        assert.ok(r);
        assert.equal(r.run.status, 'succeeded');
        assert.deepEqual(r.run.output, { pong: true });
        assert.equal(r.run.attempt, 1);
        assert.equal(r.run.executedOn, 'local');
        assert.equal(r.run.owner, 'me');
        assert.ok(r.run.startedAt && r.run.finishedAt);
        assert.deepEqual(r.events.map((e) => (e.data as StateEventData).to), ['queued', 'dispatching', 'running', 'succeeded']);
        assert.deepEqual(await runs.getRun(db, r.run.id), r.run);
        const audit = await db.query<{ action: string; outcome: string }>('SELECT action, outcome FROM audit_log WHERE run_id = $1 ORDER BY id', [r.run.id]);
        assert.deepEqual(audit, [{ action: 'tool.call', outcome: 'queued' }, { action: 'tool.result', outcome: 'succeeded' }]);
        // Only a claimed run's end, through allowed transitions.
        await assert.rejects(runs.insertRun(db, newRun({ end: { steps: [{ from: 'queued', to: 'succeeded' }] } })), /only a claimed run's end/);
        await assert.rejects(runs.insertRun(db, newRun({ claimedBy: 'me', end: { steps: [{ from: 'dispatching', to: 'succeeded' }] } })), /dispatching.*succeeded/);
      });

      it('a run inserted with several steps keeps them in one row, and reads back as the same state events: ids, order, data, after any id', async () => {
        const r = await runs.insertRun(db, newRun({
          claimedBy: 'me',
          end: { steps: [{ from: 'dispatching', to: 'running' }, { from: 'running', to: 'succeeded' }], changes: { output: { pong: true }, started: true, attempt: 1, finished: true } },
        }));
        assert.ok(r);
        const ids = r.events.map((e) => e.id);
        assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), `ids increase: ${ids}`);
        const stored = await db.query<{ id: number; type: string }>('SELECT id, type FROM run_events WHERE run_id = $1', [r.run.id]);
        assert.deepEqual(stored.map((row) => [Number(row.id), row.type]), [[ids[3], 'states']], 'one row, named by its last id');
        // Read back exactly as the insert answered, and as four separate rows would have been.
        assert.deepEqual(await runs.listRunEvents(db, r.run.id), r.events);
        assert.deepEqual(await runs.listRunEvents(db, r.run.id, ids[1]), r.events.slice(2), 'after an id inside the row: only the later steps');
        assert.deepEqual(await runs.listRunEvents(db, r.run.id, ids[3]), []);
        // Events appended later come after it; a run inserted with one step keeps a plain row.
        const later = await runs.appendRunEvent(db, r.run.id, 'progress', { progress: 1 });
        assert.ok(later.id > ids[3]);
        assert.deepEqual((await runs.listRunEvents(db, r.run.id, ids[2])).map((e) => e.id), [ids[3], later.id]);
        const plain = await runs.insertRun(db, newRun({}));
        assert.ok(plain);
        assert.deepEqual((await db.query<{ type: string }>('SELECT type FROM run_events WHERE run_id = $1', [plain.run.id])).map((row) => row.type), ['state']);
        assert.deepEqual(await runs.listRunEvents(db, plain.run.id), plain.events);
      });

      it('insertRuns stores a batch in the order sent: per run its own events in step order, its audit rows, and null for a key an earlier item of the batch took', async () => {
        const ended = (): Partial<runs.NewRun> => ({
          claimedBy: 'me',
          end: {
            steps: [{ from: 'dispatching', to: 'running' }, { from: 'running', to: 'succeeded' }],
            changes: { output: { pong: true }, started: true, attempt: 1, finished: true, audit: { caller: 'test', action: 'tool.result', tool: 'system.ping', outcome: 'succeeded' } },
          },
        });
        const batch = [
          newRun({ ...ended(), idempotencyKey: 'batch-key' }),
          newRun({ status: 'awaiting_approval', risk: 'high' }),
          newRun({ idempotencyKey: 'batch-key', input: { message: 'second' } }),
          newRun(ended()),
          newRun(),
        ];
        const out = await runs.insertRuns(db, batch);
        assert.equal(out.length, batch.length);
        assert.equal(out[2], null, 'the second item with the key is answered null');
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM runs WHERE id = $1', [batch[2].id]), 0, 'and stores nothing');
        const expected = [['queued', 'dispatching', 'running', 'succeeded'], ['queued', 'awaiting_approval'], null, ['queued', 'dispatching', 'running', 'succeeded'], ['queued']];
        out.forEach((r, i) => {
          if (expected[i] === null) return;
          assert.ok(r, `item ${i} stored`);
          assert.equal(r.run.id, batch[i].id);
          assert.deepEqual(r.events.map((e) => (e.data as StateEventData).to), expected[i]);
          for (const e of r.events) assert.equal(e.runId, r.run.id);
        });
        // Event ids follow the batch: item by item, step by step.
        const ids = out.flatMap((r) => r?.events.map((e) => e.id) ?? []);
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
        for (const [i, r] of out.entries()) {
          if (!r) continue;
          assert.deepEqual(await runs.getRun(db, r.run.id), r.run, `item ${i}: the answer is the stored run`);
          assert.deepEqual(await runs.listRunEvents(db, r.run.id), r.events, `item ${i}: the answer's events are the stored ones`);
        }
        const audit = await db.query<{ run_id: string; action: string }>('SELECT run_id, action FROM audit_log WHERE run_id = ANY($1::uuid[]) ORDER BY id', [batch.map((n) => n.id)]);
        assert.deepEqual(
          audit.map((a) => [batch.findIndex((n) => n.id === a.run_id), a.action]),
          [[0, 'tool.call'], [0, 'tool.result'], [1, 'tool.call'], [3, 'tool.call'], [3, 'tool.result'], [4, 'tool.call']],
        );
        assert.deepEqual(await runs.insertRuns(db, []), []);
      });

      it('state events are append-only and in order', async () => {
        const run = await insert(db);
        const first = await runs.listRunEvents(db, run.id);
        await walk(db, run.id, ['queued', 'dispatching', 'running']);
        await runs.appendRunEvent(db, run.id, 'progress', { progress: 1, total: 2 });
        await runs.appendRunEvent(db, run.id, 'log', { level: 'info', message: 'half way' });
        await walk(db, run.id, ['running', 'succeeded']);
        const all = await runs.listRunEvents(db, run.id);

        // Earlier events are exactly as they were: nothing was rewritten.
        assert.deepEqual(all.slice(0, first.length), first);
        // Ids strictly increase, and the state events chain from → to without gaps.
        for (let i = 1; i < all.length; i++) assert.ok(all[i].id > all[i - 1].id, 'event ids increase');
        const states = all.filter((e) => e.type === 'state').map((e) => e.data as StateEventData);
        assert.deepEqual(
          states.map((s) => s.to),
          ['queued', 'dispatching', 'running', 'succeeded'],
        );
        for (let i = 1; i < states.length; i++) assert.equal(states[i].from, states[i - 1].to);
        assert.deepEqual(
          all.map((e) => e.type),
          ['state', 'state', 'state', 'progress', 'log', 'state'],
        );
        // Reading after an id returns only what came later (SSE resume).
        const later = await runs.listRunEvents(db, run.id, all[2].id);
        assert.deepEqual(later, all.slice(3));
        // Every event belongs to this run.
        for (const e of all) assert.equal(e.runId, run.id);
      });

      it('an idempotency key already used returns null and stores nothing', async () => {
        const first = await insert(db, { idempotencyKey: 'key-1' });
        const runsBefore = await count(db, 'SELECT count(*)::int AS n FROM runs');
        const eventsBefore = await count(db, 'SELECT count(*)::int AS n FROM run_events');
        const auditBefore = await count(db, 'SELECT count(*)::int AS n FROM audit_log');
        assert.equal(await runs.insertRun(db, newRun({ idempotencyKey: 'key-1', input: { message: 'other' } })), null);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM runs'), runsBefore);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM run_events'), eventsBefore);
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM audit_log'), auditBefore);
        const found = await runs.getRunByIdempotencyKey(db, 'key-1');
        assert.equal(found?.id, first.id);
        assert.deepEqual(found?.input, { message: 'hi' });
        // A different key is a different run.
        assert.ok(await runs.insertRun(db, newRun({ idempotencyKey: 'key-2' })));
      });

      it('claimQueued takes each queued run exactly once, marks it dispatching and records the event', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 12; i++) ids.add((await insert(db)).id);
        const waiting = await insert(db, { status: 'awaiting_approval', risk: 'high' });
        const claimed: string[] = [];
        for (let pass = 0; pass < 20; pass++) {
          const batch = await runs.claimQueued(db, 'owner-a', 5);
          if (batch.length === 0) break;
          assert.ok(batch.length <= 5);
          for (const c of batch) {
            assert.equal(c.run.status, 'dispatching');
            assert.equal(c.run.owner, 'owner-a');
            assert.deepEqual(c.events.map((e) => e.data), [{ from: 'queued', to: 'dispatching' }]);
            claimed.push(c.run.id);
          }
        }
        assert.equal(claimed.length, ids.size);
        assert.deepEqual(new Set(claimed), ids);
        assert.equal(new Set(claimed).size, claimed.length, 'no run claimed twice');
        assert.equal((await runs.getRun(db, waiting.id))?.status, 'awaiting_approval', 'a run awaiting approval is never claimed');
        assert.deepEqual(await runs.claimQueued(db, 'owner-b', 5), []);
      });

      it('claimQueued honours priority, then age', async () => {
        const low = await insert(db, { priority: 0 });
        const high = await insert(db, { priority: 10 });
        const batch = await runs.claimQueued(db, 'o', 1);
        assert.deepEqual(batch.map((c) => c.run.id), [high.id]);
        assert.deepEqual((await runs.claimQueued(db, 'o', 1)).map((c) => c.run.id), [low.id]);
      });

      if (driver === 'postgres') {
        it('two claimers on separate connection pools never take the same run (SKIP LOCKED) and take them all', async () => {
          const total = 60;
          const ids = new Set<string>();
          await db.transaction(async (tx) => {
            for (let i = 0; i < total; i++) ids.add((await insert(tx)).id);
          });
          const a = await openDb({ databaseUrl: url, dataDir });
          const b = await openDb({ databaseUrl: url, dataDir });
          try {
            const claimer = async (q: Db, owner: string) => {
              const got: string[] = [];
              for (let pass = 0; pass < total + 5; pass++) {
                const batch = await runs.claimQueued(q, owner, 2);
                if (batch.length === 0) break;
                got.push(...batch.map((c) => c.run.id));
              }
              return got;
            };
            // Several loops per pool, so the claims really overlap in time.
            const results = await Promise.all([claimer(a, 'a'), claimer(b, 'b'), claimer(a, 'a'), claimer(b, 'b')]);
            const all = results.flat();
            assert.equal(all.length, total, 'every run claimed once in all');
            assert.equal(new Set(all).size, total, 'no run claimed twice');
            assert.deepEqual(new Set(all), ids);
            const byA = results[0].length + results[2].length;
            const byB = results[1].length + results[3].length;
            assert.ok(byA > 0 && byB > 0, `both pools claimed (a ${byA}, b ${byB})`);
            // The store agrees: each run is dispatching, owned by the pool that reported it, with one claim event.
            const owners = await db.query<{ id: string; owner: string; status: string }>('SELECT id, owner, status FROM runs');
            const claimedBy = new Map<string, string>();
            results.forEach((r, i) => r.forEach((id) => claimedBy.set(id, i % 2 === 0 ? 'a' : 'b')));
            for (const r of owners) {
              assert.equal(r.status, 'dispatching');
              assert.equal(r.owner, claimedBy.get(r.id));
            }
            assert.equal(await count(db, `SELECT count(*)::int AS n FROM run_events WHERE data->>'to' = 'dispatching'`), total);
          } finally {
            await a.close();
            await b.close();
          }
        });

        it('a claim held open in one transaction is skipped, not waited for, by another pool', async () => {
          const ids: string[] = [];
          for (let i = 0; i < 4; i++) ids.push((await insert(db)).id);
          const other = await openDb({ databaseUrl: url, dataDir });
          try {
            const held = await db.transaction(async (tx) => {
              const mine = await runs.claimQueued(tx, 'holder', 1);
              assert.equal(mine.length, 1);
              // While that row is locked, the other pool takes the rest without blocking.
              const rest = await Promise.race([
                runs.claimQueued(other, 'other', 10),
                new Promise<never>((_, reject) => setTimeout(() => reject(new Error('claimQueued blocked on a locked row')), 5000)),
              ]);
              assert.equal(rest.length, 3);
              assert.ok(!rest.some((c) => c.run.id === mine[0].run.id));
              return mine[0].run.id;
            });
            assert.equal((await runs.getRun(db, held))?.owner, 'holder');
            assert.deepEqual(await runs.claimQueued(other, 'other', 10), []);
            const statuses = await db.query<{ status: string }>('SELECT status FROM runs WHERE id = ANY($1::uuid[])', [ids]);
            assert.deepEqual(statuses.map((s) => s.status), ['dispatching', 'dispatching', 'dispatching', 'dispatching']);
          } finally {
            await other.close();
          }
        });
      }

      it('listRuns pages by cursor through many runs created in the same instant: each exactly once', async () => {
        const total = 53;
        // One transaction: now() is the same for every row, so created_at ties everywhere.
        const ids = await db.transaction(async (tx) => {
          const out: string[] = [];
          for (let i = 0; i < total; i++) out.push((await insert(tx, { tool: 'test.page' })).id);
          return out;
        });
        const distinct = await count(db, 'SELECT count(DISTINCT created_at)::int AS n FROM runs');
        assert.equal(distinct, 1, 'all runs share one created_at');
        // And a few more within the same millisecond, apart only by microseconds.
        const micro = await db.transaction(async (tx) => {
          const out: string[] = [];
          for (let i = 0; i < 7; i++) out.push((await insert(tx, { tool: 'test.page' })).id);
          return out;
        });
        for (let i = 0; i < micro.length; i++) {
          await db.query(`UPDATE runs SET created_at = timestamptz '2030-01-02 03:04:05.123000+00' + make_interval(secs => $2::double precision / 1000000) WHERE id = $1`, [micro[i], i * 7]);
        }
        const expected = (await db.query<{ id: string }>('SELECT id FROM runs ORDER BY created_at DESC, id DESC')).map((r) => r.id);
        assert.equal(expected.length, total + micro.length);

        for (const limit of [1, 7, 50]) {
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let page = 0; page <= expected.length + 1; page++) {
            const res = await runs.listRuns(db, { limit, ...(cursor ? { cursor } : {}) });
            assert.ok(res.runs.length <= limit);
            seen.push(...res.runs.map((r) => r.id));
            if (!res.nextCursor) break;
            cursor = res.nextCursor;
          }
          assert.equal(new Set(seen).size, seen.length, `limit ${limit}: no run twice`);
          assert.deepEqual(seen, expected, `limit ${limit}: every run once, newest first`);
        }
        assert.deepEqual(new Set(expected), new Set([...ids, ...micro]));
        // The public view hides engine-only fields.
        const one = (await runs.listRuns(db, { limit: 1 })).runs[0] as unknown as Record<string, unknown>;
        assert.ok(!('owner' in one) && !('cancelRequested' in one));
      });

      it('listRuns refuses a cursor it did not issue', async () => {
        for (const bad of ['nope', Buffer.from('["x","y"]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
          await assert.rejects(runs.listRuns(db, { cursor: bad }), runs.CursorError);
        }
      });

      it('listRuns refuses a forged cursor that has our shape but no real timestamp or uuid with a CursorError', async () => {
        const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        for (const v of [
          ['2024-13-45 99:99:99+00', '00000000-0000-4000-8000-000000000000'],
          ['2024-01-01 00:00:00+00', '------------------------------------'],
        ]) {
          await assert.rejects(runs.listRuns(db, { cursor: forge(v) }), (e: unknown) => {
            assert.ok(e instanceof runs.CursorError, `${JSON.stringify(v)}: expected a CursorError, got ${(e as Error).message}`);
            return true;
          });
        }
      });

      it('listRuns filters by status, tool, correlationId and since', async () => {
        const a = await insert(db, { tool: 'tool.a', correlationId: 'c1' });
        const b = await insert(db, { tool: 'tool.b', correlationId: 'c1' });
        const c = await insert(db, { tool: 'tool.a', correlationId: 'c2' });
        const d = await insert(db, { tool: 'tool.b', status: 'awaiting_approval', risk: 'high' });
        await walk(db, b.id, ['queued', 'dispatching', 'running', 'succeeded']);
        await walk(db, c.id, ['queued', 'cancelled']);
        // `a` is old.
        await db.query(`UPDATE runs SET created_at = now() - interval '2 days' WHERE id = $1`, [a.id]);
        const ids = async (q: Parameters<typeof runs.listRuns>[1]) => new Set((await runs.listRuns(db, q)).runs.map((r) => r.id));

        assert.deepEqual(await ids({ status: 'queued' }), new Set([a.id]));
        assert.deepEqual(await ids({ status: 'succeeded,cancelled' }), new Set([b.id, c.id]));
        assert.deepEqual(await ids({ status: 'awaiting_approval' }), new Set([d.id]));
        assert.deepEqual(await ids({ status: 'failed' }), new Set());
        assert.deepEqual(await ids({ tool: 'tool.a' }), new Set([a.id, c.id]));
        assert.deepEqual(await ids({ tool: 'tool.none' }), new Set());
        assert.deepEqual(await ids({ correlationId: 'c1' }), new Set([a.id, b.id]));
        assert.deepEqual(await ids({ correlationId: 'c1', tool: 'tool.b' }), new Set([b.id]));
        const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
        assert.deepEqual(await ids({ since: yesterday }), new Set([b.id, c.id, d.id]));
        assert.deepEqual(await ids({ since: yesterday, tool: 'tool.a' }), new Set([c.id]));
        assert.deepEqual(await ids({ since: new Date(Date.now() + 3600 * 1000).toISOString() }), new Set());
        // Filters combine with paging.
        const p1 = await runs.listRuns(db, { tool: 'tool.b', limit: 1 });
        assert.equal(p1.runs.length, 1);
        assert.ok(p1.nextCursor);
        const p2 = await runs.listRuns(db, { tool: 'tool.b', limit: 1, cursor: p1.nextCursor });
        assert.equal(p2.runs.length, 1);
        assert.equal(p2.nextCursor, null);
        assert.deepEqual(new Set([p1.runs[0].id, p2.runs[0].id]), new Set([b.id, d.id]));
      });

      it('patchRun with a stale version returns null and changes nothing', async () => {
        const run = await insert(db, { labels: { keep: 'me' } });
        const patched = await runs.patchRun(db, run.id, run.version, { labels: { env: 'prod' }, priority: 5 });
        assert.ok(patched);
        assert.equal(patched.version, run.version + 1);
        assert.deepEqual(patched.labels, { env: 'prod' });
        assert.equal(patched.priority, 5);

        assert.equal(await runs.patchRun(db, run.id, run.version, { labels: { env: 'stale' }, priority: 1 }), null);
        assert.deepEqual(await runs.getRun(db, run.id), patched, 'the stale patch changed nothing');
        assert.equal(await runs.patchRun(db, run.id, run.version + 5, { priority: 1 }), null, 'a future version is as wrong as a past one');
        // Only the given fields change.
        const onlyPriority = await runs.patchRun(db, run.id, patched.version, { priority: -3 });
        assert.ok(onlyPriority);
        assert.deepEqual(onlyPriority.labels, { env: 'prod' });
        assert.equal(onlyPriority.priority, -3);
        assert.equal(await runs.patchRun(db, '00000000-0000-4000-8000-000000000000', 1, { priority: 1 }), null);
      });
    });

    it('llm_usage has token counts, ids, provider, model, duration and timestamps: no text column for prompts or output', async () => {
      const cols = await db.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'llm_usage' ORDER BY ordinal_position`,
      );
      const byName = Object.fromEntries(cols.map((c) => [c.column_name, c.data_type]));
      assert.deepEqual(byName, {
        id: 'bigint',
        run_id: 'uuid',
        model: 'text',
        prompt_tokens: 'integer',
        completion_tokens: 'integer',
        created_at: 'timestamp with time zone',
        provider: 'text',
        duration_ms: 'integer',
      });
      // The text columns are the model's and the provider's names; nothing could hold a prompt or a completion.
      const textual = cols.filter((c) => /text|char|json|bytea/.test(c.data_type)).map((c) => c.column_name);
      assert.deepEqual(textual, ['model', 'provider']);
      await assert.rejects(db.query(`INSERT INTO llm_usage (model, prompt_tokens, completion_tokens) VALUES ('m', -1, 0)`), 'negative token counts are refused');
      await assert.rejects(db.query(`INSERT INTO llm_usage (model, prompt_tokens, completion_tokens, duration_ms) VALUES ('m', 1, 0, -5)`), 'a negative duration is refused');
    });

    describe('cards', () => {
      before(async () => {
        await db.exec(`TRUNCATE cards, card_events; ALTER SEQUENCE card_numbers RESTART WITH 1`);
      });

      it('createCard keys cards PO-1, PO-2, … at the end of their lane and records a created event', async () => {
        const c1 = await cards.createCard(db, { title: 'First' }, { caller: 'tester', runId: null });
        const c2 = await cards.createCard(db, { title: 'Second', lane: 'ready', labels: ['x'] }, { caller: 'tester', runId: null });
        const c3 = await cards.createCard(db, { title: 'Third', description: 'd' }, { caller: 'tester', runId: null });
        assert.deepEqual([c1.key, c2.key, c3.key], ['PO-1', 'PO-2', 'PO-3']);
        assert.equal(c1.lane, 'backlog');
        assert.equal(c2.lane, 'ready');
        assert.deepEqual(c2.labels, ['x']);
        assert.equal(c1.version, 1);
        assert.ok(c3.position > c1.position, 'a new card goes to the end of its lane');
        const events = await cards.listCardEvents(db, 'PO-1');
        assert.equal(events.length, 1);
        assert.equal(events[0].type, 'created');
        assert.equal(events[0].actor, 'tester');
        assert.equal(events[0].cardKey, 'PO-1');
        assert.deepEqual((await cards.listLanes(db)).map((l) => l.id), ['backlog', 'ready', 'in_progress', 'review', 'done']);
        assert.deepEqual((await cards.listCards(db, { lane: 'backlog' })).map((c) => c.key), ['PO-1', 'PO-3']);
      });

      it('createCard refuses an unknown lane and writes nothing', async () => {
        const before = await count(db, 'SELECT count(*)::int AS n FROM cards');
        await assert.rejects(
          db.transaction((tx) => cards.createCard(tx, { title: 'x', lane: 'nowhere' }, { caller: 'tester', runId: null })),
          (e: unknown) => e instanceof ProductOsError && e.code === 'invalid_input',
        );
        assert.equal(await count(db, 'SELECT count(*)::int AS n FROM cards'), before);
      });

      it('changeCard moves at the right version, records the move, and refuses a stale version', async () => {
        const card = await cards.createCard(db, { title: 'Move me' }, { caller: 'tester', runId: null });
        const moved = await cards.changeCard(db, card.key, card.version, { lane: 'in_progress' }, { caller: 'mover', runId: null });
        assert.equal(moved.lane, 'in_progress');
        assert.equal(moved.version, card.version + 1);

        await assert.rejects(
          cards.changeCard(db, card.key, card.version, { lane: 'done', title: 'stale' }, { caller: 'late', runId: null }),
          (e: unknown) => {
            assert.ok(e instanceof ProductOsError);
            assert.equal(e.code, 'conflict');
            assert.equal(e.status, 409);
            assert.equal((e.details as { currentVersion: number }).currentVersion, moved.version);
            return true;
          },
        );
        const now = await cards.getCard(db, card.key);
        assert.deepEqual(now, moved, 'the stale change changed nothing');

        const events = await cards.listCardEvents(db, card.key);
        assert.deepEqual(events.map((e) => e.type), ['created', 'moved'], 'a refused patch records no event');
        assert.deepEqual(events[1].data, { from: 'backlog', to: 'in_progress', position: moved.position });
        assert.equal(events[1].actor, 'mover');

        const edited = await cards.changeCard(db, card.key, moved.version, { title: 'Renamed' }, { caller: 'editor', runId: null });
        assert.equal(edited.title, 'Renamed');
        assert.equal(edited.lane, 'in_progress');
        assert.deepEqual((await cards.listCardEvents(db, card.key)).map((e) => e.type), ['created', 'moved', 'edited']);
        await assert.rejects(cards.changeCard(db, 'PO-99999', 1, { title: 'x' }, { caller: 't', runId: null }), (e: unknown) => e instanceof ProductOsError && e.code === 'not_found');
      });
    });

    describe('brand profiles', () => {
      it('saveBrand writes versions 1, 2, … with history, and refuses a stale expected version', async () => {
        const v1 = await saveBrand(db, 'acme', 0, { name: 'Acme' }, 'alice', null);
        assert.ok(v1);
        assert.equal(v1.version, 1);
        assert.equal(await saveBrand(db, 'acme', 0, { name: 'Again' }, 'bob', null), null, 'creating an existing profile loses');
        const v2 = await saveBrand(db, 'acme', 1, { name: 'Acme 2' }, 'bob', null);
        assert.ok(v2);
        assert.equal(v2.version, 2);
        assert.equal(await saveBrand(db, 'acme', 1, { name: 'Stale' }, 'carol', null), null, 'a stale version loses');

        const current = await getBrand(db, 'acme');
        assert.equal(current?.version, 2);
        assert.deepEqual(current?.brand, { name: 'Acme 2' });
        const history = await brandHistory(db, 'acme');
        assert.deepEqual(
          history.map((h) => [h.version, (h.brand as { name: string }).name, h.changedBy]),
          [
            [2, 'Acme 2', 'bob'],
            [1, 'Acme', 'alice'],
          ],
        );
        assert.deepEqual(await brandHistory(db, 'nobody'), []);
        assert.equal(await getBrand(db, 'nobody'), null);
      });
    });
  });
}
