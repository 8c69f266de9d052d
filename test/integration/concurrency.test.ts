/**
 * Optimistic concurrency under load: 50 writes sent at once with the same version, to a run
 * (PATCH) and to a card (cards.* runs), on embedded PGlite and on a real PostgreSQL server. Exactly one wins;
 * the other 49 get 409 with the winner's version; the version moves by exactly one.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Run, Card } from '../../contracts/rest';
import { startBackend, until, type Response, type TestBackend } from '../helpers/backend';
import { freshDatabase } from '../helpers/postgres';

const N = 50;

interface ConflictBody {
  error: { code: string; message: string; details?: { currentVersion?: number } };
}

function tally(results: Response[]): { ok: Response[]; conflicts: Response[]; other: Response[] } {
  return {
    ok: results.filter((r) => r.status === 200),
    conflicts: results.filter((r) => r.status === 409),
    other: results.filter((r) => r.status !== 200 && r.status !== 409),
  };
}

for (const driver of ['pglite', 'embedded', 'postgres'] as const) {
  describe(`${N} concurrent PATCHes with one ifVersion (${driver})`, function () {
    this.timeout(60000);
    let b: TestBackend;
    let dropDb: (() => Promise<void>) | undefined;

    before(async () => {
      let env: Record<string, string> = { PRODUCT_OS_STORE: driver === 'pglite' ? 'pglite' : 'postgres' };
      if (driver === 'postgres') {
        const fresh = await freshDatabase();
        dropDb = fresh.drop;
        env = { DATABASE_URL: fresh.url };
      }
      // Medium-risk tools wait for approval here, for the concurrent-approval race.
      b = await startBackend({ env: { ...env, PRODUCT_OS_MEDIUM_RISK: 'approval' } });
      const health = await b.api('GET', '/health');
      assert.equal(health.body.store, driver === 'pglite' ? 'pglite' : 'postgres');
    });

    after(async () => {
      await b?.close();
      await dropDb?.();
      if (b) fs.rmSync(b.dataDir, { recursive: true, force: true });
    });

    it('PATCH /api/runs/:id: exactly one 200, 49 × 409, version + 1', async () => {
      const created = await b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'race' } });
      assert.equal(created.status, 201);
      // Let the engine finish with it first, so only the PATCHes move its version.
      const settled = await until(async () => {
        const r = await b.api<Run>('GET', `/api/runs/${created.body.id}`);
        return r.body.status === 'succeeded' ? r.body : undefined;
      }, 'the run to succeed');
      const v = settled.version;
      const eventsBefore = await b.backend.engine.events(settled.id);

      const results = await Promise.all(
        Array.from({ length: N }, (_, i) => b.api<Run | ConflictBody>('PATCH', `/api/runs/${settled.id}`, { ifVersion: v, labels: { writer: String(i) }, priority: i % 100 })),
      );
      const { ok, conflicts, other } = tally(results);
      assert.deepEqual(other.map((r) => [r.status, r.body]), [], 'only 200s and 409s');
      assert.equal(ok.length, 1, `exactly one winner (got ${ok.length})`);
      assert.equal(conflicts.length, N - 1);
      for (const c of conflicts) {
        const body = c.body as ConflictBody;
        assert.equal(body.error.code, 'conflict');
        assert.equal(body.error.details?.currentVersion, v + 1, 'the loser is told the winning version');
      }

      const winner = ok[0].body as Run;
      assert.equal(winner.version, v + 1);
      const final = await b.api<Run>('GET', `/api/runs/${settled.id}`);
      assert.equal(final.body.version, v + 1, 'the version moved exactly once');
      assert.deepEqual(final.body.labels, winner.labels, "the winner's labels are stored");
      assert.equal(final.body.priority, winner.priority);
      assert.equal(final.body.status, 'succeeded');
      assert.deepEqual(await b.backend.engine.events(settled.id), eventsBefore, 'a PATCH adds no run events');

      // The next PATCH at the new version wins; the old one still loses.
      assert.equal((await b.api('PATCH', `/api/runs/${settled.id}`, { ifVersion: v + 1, priority: 1 })).status, 200);
      assert.equal((await b.api('PATCH', `/api/runs/${settled.id}`, { ifVersion: v + 1, priority: 2 })).status, 409);
    });

    it(`${N} concurrent POST /api/runs with one idempotencyKey: one 201, the rest 200 with the same run`, async () => {
      const key = `race-${driver}-${Date.now()}`;
      const results = await Promise.all(
        Array.from({ length: N }, () => b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'once' }, idempotencyKey: key })),
      );
      const created = results.filter((r) => r.status === 201);
      const replayed = results.filter((r) => r.status === 200);
      assert.deepEqual(results.filter((r) => r.status !== 200 && r.status !== 201).map((r) => [r.status, r.body]), []);
      assert.equal(created.length, 1, `exactly one 201 (got ${created.length})`);
      assert.equal(replayed.length, N - 1);
      assert.equal(new Set(results.map((r) => r.body.id)).size, 1, 'every answer names the same run');
      const rows = await b.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs WHERE idempotency_key = $1', [key]);
      assert.equal(Number(rows[0].n), 1);
    });

    it(`${N} concurrent approvals of one run: one 200, the rest 409, one approval row`, async () => {
      const res = await b.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: `race-${driver}`, patch: { name: 'Raced' } } });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'awaiting_approval');
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) => b.api('POST', `/api/runs/${res.body.id}/${i % 2 === 0 ? 'approve' : 'deny'}`, { reason: `decider ${i}` })),
      );
      const { ok, conflicts, other } = tally(results);
      assert.deepEqual(other.map((r) => [r.status, r.body]), [], 'only 200s and 409s');
      assert.equal(ok.length, 1, `exactly one decision wins (got ${ok.length})`);
      assert.equal(conflicts.length, N - 1);
      for (const c of conflicts) assert.equal((c.body as ConflictBody).error.code, 'invalid_state');
      const approvals = await b.backend.db.query<{ decision: string }>('SELECT decision FROM approvals WHERE run_id = $1', [res.body.id]);
      assert.equal(approvals.length, 1, 'one approval row');
      const final = await until(async () => {
        const r = await b.api<Run>('GET', `/api/runs/${res.body.id}`);
        return ['succeeded', 'cancelled', 'failed'].includes(r.body.status) ? r.body : undefined;
      }, 'the decided run to settle');
      assert.equal(final.status, approvals[0].decision === 'approved' ? 'succeeded' : 'cancelled');
      const states = (await b.backend.engine.events(res.body.id)).filter((e) => e.type === 'state').map((e) => (e.data as { to: string }).to);
      assert.equal(states.filter((s) => s === 'awaiting_approval').length, 1);
      assert.equal(states.filter((s) => s === 'succeeded' || s === 'cancelled').length, 1, 'decided and settled once');
    });

    it('cards.move + edit: exactly one run succeeds, 49 fail with conflict, version + 1, one event of each', async () => {
      const created = await b.tool('cards.create', { title: 'Contended card' });
      assert.equal(created.status, 'succeeded');
      const card = (created.output as { card: Card }).card;
      assert.equal(card.version, 1);
      const lanes = ['ready', 'in_progress', 'review', 'done'];

      // Two tools writing the same card at one version: a move and an edit race each other.
      const runs = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          i % 2 === 0
            ? b.tool('cards.move', { card_key: card.key, if_version: card.version, lane: lanes[i % lanes.length] })
            : b.tool('cards.update', { card_key: card.key, if_version: card.version, title: `writer ${i}` }),
        ),
      );
      const ok = runs.filter((r) => r.status === 'succeeded');
      const conflicts = runs.filter((r) => r.status === 'failed' && r.error?.code === 'conflict');
      assert.deepEqual(runs.filter((r) => !ok.includes(r) && !conflicts.includes(r)).map((r) => [r.status, r.error]), [], 'only successes and conflicts');
      assert.equal(ok.length, 1, `exactly one winner (got ${ok.length})`);
      assert.equal(conflicts.length, N - 1);
      for (const c of conflicts) assert.equal((c.error?.details as { currentVersion?: number }).currentVersion, card.version + 1, 'the loser is told the winning version');

      const winner = (ok[0].output as { card: Card }).card;
      assert.equal(winner.version, card.version + 1);
      const final = await b.api<Card>('GET', `/api/cards/${card.key}`);
      assert.equal(final.body.version, card.version + 1, 'the version moved exactly once');
      assert.equal(final.body.title, winner.title);
      assert.equal(final.body.lane, winner.lane);

      // Only the winner left a trace in the card's history.
      const history = await b.api<{ events: Array<{ type: string; runId: string }> }>('GET', `/api/cards/${card.key}/history`);
      assert.deepEqual(history.body.events.map((e) => e.type), ['created', ok[0].tool === 'cards.move' ? 'moved' : 'edited']);
      assert.equal(history.body.events[1].runId, ok[0].id);
    });
  });
}
