import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';
import { TEST_HANDLERS, testRegistryFile } from '../helpers/test-tools';

/**
 * A backend at rest beside the editor (issue 15): on a store only it uses (the embedded
 * default), an idle engine looks at the queue every 5 s instead of twice a second, and still
 * runs what it is given at once and retries when a retry is due.
 */
describe('an idle backend on its own store', function () {
  this.timeout(60_000);
  let t: TestBackend;
  const statements: string[] = [];

  before(async () => {
    t = await startBackend({ env: { PRODUCT_OS_REGISTRY: testRegistryFile() }, handlers: TEST_HANDLERS });
    assert.equal(t.backend.db.exclusive, true, 'the default store is the embedded one, used by this backend alone');
    const db = t.backend.db as { query: (sql: string, params?: unknown[]) => Promise<unknown[]> };
    const query = db.query.bind(db);
    db.query = (sql, params) => {
      statements.push(sql);
      return query(sql, params);
    };
  });
  after(() => t?.close());

  const polls = () => statements.filter((s) => /status = 'queued'/.test(s) && /FOR UPDATE SKIP LOCKED/.test(s)).length;

  it('polls the queue slowly while nothing is running or queued', async () => {
    await t.tool('system.ping', {}); // then idle
    await new Promise((r) => setTimeout(r, 5500)); // the next poll was scheduled at the busy pace
    const before = polls();
    await new Promise((r) => setTimeout(r, 3000));
    // At the busy pace (every 500 ms) that would be six.
    assert.ok(polls() - before <= 1, `${polls() - before} queue polls in 3 s of rest`);
  });

  it('still runs a call at once, and a retry when it is due', async () => {
    const ping = await t.tool('system.ping', { message: 'awake' });
    assert.equal(ping.status, 'succeeded');
    const flaky = await t.tool('test.flaky', { failures: 1, retryable: true });
    assert.equal(flaky.status, 'succeeded', JSON.stringify(flaky.error));
    assert.deepEqual(flaky.output, { attempt: 2 });
  });
});
