import assert from 'node:assert/strict';
import { claimPublish } from '../../backend/store/publish-attempts';
import type { Queryable } from '../../backend/store/db';

describe('claimPublish: a record that disappears while it is claimed', () => {
  it('is tried again a bounded number of times, then a conflict names the key', async () => {
    const statements: string[] = [];
    // The insert finds a conflicting row it may not take, and the row is gone when read back.
    const q = { query: async (sql: string) => (statements.push(sql.trim().split(/\s+/)[0]), []) } as unknown as Queryable;
    await assert.rejects(claimPublish(q, { provider: 'missinglettr', key: 'k-1', requestHash: 'h', runId: 'r' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'conflict');
      assert.match(err.message, /idempotency key "k-1" kept disappearing/);
      return true;
    });
    assert.deepEqual(statements, ['INSERT', 'SELECT', 'INSERT', 'SELECT', 'INSERT', 'SELECT']);
  });
});
