import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';

/** Values a schema could let through but the store cannot hold: each a clear 400, never a 500. */
describe('REST API: values at the edge of what the store holds', () => {
  let t: TestBackend;
  let runId: string;
  before(async () => {
    t = await startBackend();
    runId = (await t.api('POST', '/api/runs', { tool: 'system.ping', input: {} })).body.id;
  });
  after(() => t.close());

  const cases: Array<[string, string, string, unknown, RegExp]> = [
    ['ifVersion beyond a Postgres integer', 'PATCH', '', { ifVersion: 3_000_000_000, labels: { a: 'b' } }, /ifVersion/],
    ['afterId beyond a safe integer', 'GET', '/api/logs?afterId=99999999999999999999', undefined, /afterId/],
    ['a NUL character in tool input', 'POST', '/api/runs', '{"tool":"system.ping","input":{"message":"a\\u0000b"}}', /NUL/],
    ['a NUL character in a tool name', 'POST', '/api/runs', '{"tool":"x\\u0000","input":{}}', /NUL/],
    ['a tool name with odd characters', 'POST', '/api/runs', { tool: 'sys tem/ping', input: {} }, /\/tool/],
  ];
  for (const [name, method, p, body, message] of cases) {
    it(`${name} → 400`, async () => {
      const before = (await t.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs'))[0].n;
      const res = await t.api(method, p || `/api/runs/${runId}`, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
      assert.doesNotMatch(JSON.stringify(res.body), /\n\s+at /);
      assert.equal((await t.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs'))[0].n, before);
    });
  }

  it('a leap-second timestamp in since is read as Postgres reads it, not a 500', async () => {
    const res = await t.api('GET', '/api/runs?since=2099-12-31T23:59:60Z');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.runs, []);
  });

  it('a backslash before u0000 that is itself escaped is ordinary text', async () => {
    const res = await t.api('POST', '/api/runs', '{"tool":"system.ping","input":{"message":"a\\\\u0000b"}}');
    assert.equal(res.status, 201);
  });
});
