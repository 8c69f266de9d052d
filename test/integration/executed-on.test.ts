import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';
import { freshDatabase } from '../helpers/postgres';

/**
 * The run record says where each run executed (migration 0010), on both stores: written with
 * the change to running, also when a quick idempotent run goes from dispatching to its end in
 * one statement.
 */
for (const store of ['PGlite', 'PostgreSQL'] as const) {
  describe(`where a run executed is recorded (${store})`, function () {
    this.timeout(120_000);
    let b: TestBackend;
    let drop: (() => Promise<void>) | undefined;

    before(async () => {
      if (store === 'PostgreSQL') {
        const db = await freshDatabase();
        drop = db.drop;
        b = await startBackend({ env: { DATABASE_URL: db.url } });
      } else {
        b = await startBackend({ env: { PRODUCT_OS_STORE: 'pglite' } });
      }
    });
    after(async () => {
      await b?.close();
      await drop?.();
    });

    it('an http-executor analytics tool with no executor URL ran "local", and so did an in-process tool', async () => {
      const ingest = await b.tool('events.ingest', { events: [{ event_name: 'signup_completed', user_id: 'u1', timestamp: '2026-11-01T00:00:00Z' }] });
      assert.equal(ingest.status, 'succeeded', JSON.stringify(ingest.error));
      assert.equal(ingest.executedOn, 'local');
      const ping = await b.tool('system.ping', {});
      assert.equal(ping.executedOn, 'local');
      const listed = await b.api('GET', `/api/runs/${ingest.id}`);
      assert.equal(listed.body.executedOn, 'local');
    });

    it('a run that failed in its handler still says where it ran', async () => {
      const run = await b.tool('analytics.funnel_summary', { range_days: 7, funnel: { name: 'x', steps: [{ event_name: 'nope' }, { event_name: 'signup_completed' }] } });
      assert.equal(run.status, 'failed');
      assert.equal(run.executedOn, 'local');
    });
  });
}
