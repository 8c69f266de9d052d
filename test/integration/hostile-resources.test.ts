import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { startBackend, until, type TestBackend } from '../helpers/backend';
import { mcpPost, MCP_INIT, mcpSession } from '../helpers/hostile';
import { MAX_SSE_STREAMS } from '../../backend/api/sse';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * Every per-client resource has a cap and an idle timeout, and the cap's refusal is a clear
 * error (issue 8, item 2): 3,000 initialize calls without DELETE used to keep 3,000 sessions
 * for 30 minutes (6,000 took the heap from 36 to 195 MB).
 */
describe('per-client resources are bounded (issue 8, item 2)', function () {
  this.timeout(240_000);

  describe('MCP sessions', () => {
    let t: TestBackend;
    before(async () => {
      t = await startBackend({ mcp: { maxSessions: 4 } });
    });
    after(() => t?.close());

    it('past the cap, the longest-idle session gives way to a new one', async () => {
      const first = await mcpSession(t);
      for (let i = 0; i < 4; i++) await mcpSession(t);
      const gone = await mcpPost(t, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), first);
      assert.equal(gone.status, 404, 'the oldest idle session was closed to make room');
    });

    it('when every session is in use (a stream open), a new one is refused with a clear 503', async () => {
      const streams: AbortController[] = [];
      try {
        for (let i = 0; i < 4; i++) {
          const session = await mcpSession(t);
          const abort = new AbortController();
          streams.push(abort);
          // The GET stream: the client is there, listening.
          const res = await fetch(new URL('/mcp', t.url), {
            headers: { authorization: `Bearer ${t.token}`, accept: 'text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
            signal: abort.signal,
          });
          assert.equal(res.status, 200);
        }
        const refused = await mcpPost(t, MCP_INIT);
        assert.equal(refused.status, 503);
        assert.equal(refused.messages[0].error.code, -32000);
        assert.match(refused.messages[0].error.message, /too many MCP sessions: 4 are open/);
      } finally {
        for (const a of streams) a.abort();
      }
      // Once the streams close, sessions are idle again and a new one gets in.
      await until(async () => (await mcpPost(t, MCP_INIT)).session, 'a session after the streams closed');
    });

    it('calls waiting for approval are capped per session; one more is a clear isError, and frees up when one ends', async () => {
      const gated = await startBackend({ env: { PRODUCT_OS_MEDIUM_RISK: 'approval' }, mcp: { maxCallsInFlight: 2 } });
      try {
        const session = await mcpSession(gated);
        const call = (id: number) =>
          mcpPost(gated, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'brand.update_profile', arguments: { profile_id: `cap${id}`, patch: { name: 'x' } } } }), session);
        const waiting = [call(1), call(2)];
        const awaiting = () => gated.api('GET', '/api/runs?status=awaiting_approval');
        await until(async () => (await awaiting()).body.runs.length === 2, 'two runs awaiting approval');
        const third = await call(3);
        assert.equal(third.messages[0].result.isError, true);
        assert.match(third.messages[0].result.content[0].text, /2 calls of this session are already waiting/);
        assert.equal((await awaiting()).body.runs.length, 2, 'the refused call made no run');
        for (const run of (await awaiting()).body.runs) await gated.api('POST', `/api/runs/${run.id}/deny`, { reason: 'test' });
        await Promise.all(waiting);
        const fourth = call(4);
        await until(async () => (await awaiting()).body.runs.length === 1, 'a new call is taken once the others ended');
        for (const run of (await awaiting()).body.runs) await gated.api('POST', `/api/runs/${run.id}/deny`, { reason: 'test' });
        await fourth;
      } finally {
        await gated.close();
      }
    });

    it('an idle session is closed after its idle time', async () => {
      const quick = await startBackend({ mcp: { idleSessionMs: 200 } });
      try {
        const session = await mcpSession(quick);
        // Any request would keep it alive: leave it alone for ten times its idle time, then ask once.
        await new Promise((r) => setTimeout(r, 2000));
        assert.equal((await mcpPost(quick, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), session)).status, 404);
      } finally {
        await quick.close();
      }
    });
  });

  it('10,000 abandoned sessions leave the heap bounded', async () => {
    const t = await startBackend();
    try {
      // Warm up (first sessions compile code and fill caches), then measure.
      for (let i = 0; i < 100; i++) await mcpPost(t, MCP_INIT);
      const before = heapMb();
      const TOTAL = 10_000;
      const PARALLEL = 16;
      const deadline = Date.now() + 180_000;
      let made = 0;
      let refused = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (made < TOTAL && Date.now() < deadline) {
            made++;
            const res = await mcpPost(t, MCP_INIT);
            if (!res.session) refused++;
          }
        }),
      );
      const after = heapMb();
      assert.equal(made, TOTAL, `only ${made} sessions made within the time bound`);
      assert.equal(refused, 0, 'abandoned (idle) sessions give way; none is refused');
      // 6,000 sessions used to cost 160 MB: bounded, the growth is a few MB whatever the count.
      assert.ok(after - before < 40, `heap grew ${(after - before).toFixed(1)} MB over ${TOTAL} abandoned sessions`);
      process.stdout.write(`      heap ${before.toFixed(1)} → ${after.toFixed(1)} MB after ${TOTAL} abandoned sessions\n`);
    } finally {
      await t.close();
    }
  });

  it(`event streams are capped at ${MAX_SSE_STREAMS}; one more is a clear 503`, async () => {
    const t = await startBackend();
    const aborts: AbortController[] = [];
    try {
      for (let i = 0; i < MAX_SSE_STREAMS; i++) {
        const abort = new AbortController();
        aborts.push(abort);
        const res = await fetch(new URL('/api/stream', t.url), { headers: { authorization: `Bearer ${t.token}` }, signal: abort.signal });
        assert.equal(res.status, 200);
      }
      const refused = await t.api('GET', '/api/stream');
      assert.equal(refused.status, 503);
      assert.match(refused.body.error.message, /too many event streams/);
      aborts.pop()!.abort();
      await until(async () => {
        const abort = new AbortController();
        const res = await fetch(new URL('/api/stream', t.url), { headers: { authorization: `Bearer ${t.token}` }, signal: abort.signal });
        aborts.push(abort);
        return res.status === 200;
      }, 'a stream once one closed');
    } finally {
      for (const a of aborts) a.abort();
      await t.close();
    }
  });
});
