/**
 * The REST + SSE API of an in-process backend on embedded PGlite: every error path answers
 * `{error: {code, message}}` with its own 4xx and changes nothing; the happy paths work end
 * to end (runs, idempotency, approvals, SSE replay and resume, logs, cards, brand history).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createBackend } from '../../backend/main';
import { validateConfig } from '../../backend/config';
import type { Run, RunEvent, StateEventData } from '../../contracts/rest';
import { startBackend, tempDir, until, type Response, type TestBackend } from '../helpers/backend';
import { watchDispatchPasses } from '../helpers/dispatch-passes';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

interface ErrorJson {
  error: { code: string; message: string; details?: unknown };
}

/** Asserts the error contract: status, JSON body `{error: {code, message}}`, no stack trace. */
function expectError(res: Response, status: number, code: string): ErrorJson['error'] {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, 'error bodies are JSON');
  const body = res.body as ErrorJson;
  assert.equal(typeof body, 'object', `body is JSON: ${text}`);
  assert.equal(typeof body.error, 'object', `body has an error object: ${text}`);
  assert.equal(body.error.code, code, `error code: ${text}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0, 'error message is not empty');
  assert.ok(!text.includes('    at '), `error body carries a stack trace: ${text}`);
  return body.error;
}

/** The JSON pointers an invalid_input / bad_request error names. */
function pointers(err: ErrorJson['error']): string[] {
  const details = err.details as { violations?: Array<{ pointer: string }> } | undefined;
  return (details?.violations ?? []).map((v) => v.pointer);
}

/** Counts of everything a refused request must leave alone. */
async function snapshot(b: TestBackend): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['runs', 'run_events', 'cards', 'card_events', 'brand_profiles', 'brand_profile_history', 'approvals']) {
    const rows = await b.backend.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = Number(rows[0].n);
  }
  return out;
}

/** Runs `fn` and asserts that no run, event, card or profile was written meanwhile. */
async function changesNothing(b: TestBackend, fn: () => Promise<void>): Promise<void> {
  const before = await snapshot(b);
  await fn();
  // Give anything wrongly queued a moment to show up.
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await snapshot(b), before, 'a refused request changed the store');
}

async function waitForStatus(b: TestBackend, id: string, want: (s: string) => boolean, what: string): Promise<Run> {
  return until(async () => {
    const res = await b.api<Run>('GET', `/api/runs/${id}`);
    assert.equal(res.status, 200);
    return want(res.body.status) ? res.body : undefined;
  }, `run ${id} to be ${what}`);
}

async function pingRun(b: TestBackend, extra: Record<string, unknown> = {}, message = 'hello'): Promise<Run> {
  const res = await b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message }, ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return waitForStatus(b, res.body.id, (s) => TERMINAL.has(s), 'finished');
}

/** A raw request with full control of the headers (no bearer token added). */
async function raw(b: TestBackend, method: string, p: string, headers: Record<string, string>, body?: string): Promise<Response> {
  const res = await fetch(new URL(p, b.url), { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** node:http, because fetch does not let a caller set Host. */
function withHost(b: TestBackend, host: string, p = '/health'): Promise<{ status: number; body: unknown; headers: http.IncomingHttpHeaders }> {
  const u = new URL(b.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: p, method: 'GET', headers: { host, authorization: `Bearer ${b.token}` }, timeout: 10000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---- SSE ------------------------------------------------------------------------------------

interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

interface SseReader {
  status: number;
  contentType: string;
  events: SseEvent[];
  /** The raw text received, for the `id:` line check. */
  text(): string;
  readonly ended: boolean;
  /** Resolves when the server ends the stream (bounded). */
  finished(timeoutMs?: number): Promise<void>;
  waitFor(pred: (events: SseEvent[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

function parseBlock(block: string): SseEvent | null {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  return { id, event, data: JSON.parse(data.join('\n')) };
}

async function openSse(b: TestBackend, p: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const ac = new AbortController();
  const res = await fetch(new URL(p, b.url), { headers: { authorization: `Bearer ${b.token}`, accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  let all = '';
  let buf = '';
  let ended = false;
  const decoder = new TextDecoder();
  const pump = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        all += chunk;
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const ev = parseBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (ev) events.push(ev);
        }
      }
    } catch {
      /* aborted by close() */
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events,
    text: () => all,
    get ended() {
      return ended;
    },
    async finished(timeoutMs = 10000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`SSE stream ${p} did not end within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([pump, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async waitFor(pred, what, timeoutMs = 10000) {
      await until(async () => pred(events), what, timeoutMs);
    },
    close: () => ac.abort(),
  };
}

const stateTo = (e: SseEvent) => ((e.data as RunEvent).data as StateEventData).to;

// ---- the suite ------------------------------------------------------------------------------

describe('REST API (PGlite backend)', function () {
  this.timeout(60000);
  let b: TestBackend;
  const backends: TestBackend[] = [];

  async function start(env: Record<string, string> = {}): Promise<TestBackend> {
    const t = await startBackend({ env });
    backends.push(t);
    return t;
  }

  before(async () => {
    b = await start();
  });

  after(async () => {
    for (const t of backends) {
      await t.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });

  describe('error paths: their own 4xx, a JSON error body, nothing changed', () => {
    it('malformed JSON → 400 invalid_json', async () => {
      await changesNothing(b, async () => {
        const err = expectError(await b.api('POST', '/api/runs', '{"tool": "system.ping", "input": {'), 400, 'invalid_json');
        assert.match(err.message, /JSON/);
        expectError(await b.api('PATCH', `/api/runs/00000000-0000-4000-8000-000000000000`, '{ifVersion: 1}'), 400, 'invalid_json');
        expectError(await b.api('POST', '/api/runs', '[1, 2'), 400, 'invalid_json');
      });
    });

    it('wrong types → 400 invalid_input naming the pointer', async () => {
      await changesNothing(b, async () => {
        const e1 = expectError(await b.api('POST', '/api/runs', { tool: 42, input: {} }), 400, 'invalid_input');
        assert.ok(pointers(e1).includes('/tool'), JSON.stringify(e1));
        assert.match(e1.message, /\/tool/);
        const e2 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: 'not an object' }), 400, 'invalid_input');
        assert.ok(pointers(e2).includes('/input'), JSON.stringify(e2));
        const e3 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: {}, priority: '5' }), 400, 'invalid_input');
        assert.ok(pointers(e3).includes('/priority'), 'no coercion of "5" to 5');
        // Inside the tool's input: the registry's schema, pointer relative to the input.
        const e4 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: { message: 5 } }), 400, 'invalid_input');
        assert.ok(pointers(e4).includes('/message'), JSON.stringify(e4));
        assert.match(e4.message, /\/message/);
        const e5 = expectError(await b.api('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'default' } }), 400, 'invalid_input');
        assert.ok(pointers(e5).includes('/patch'), `a missing required field is named: ${JSON.stringify(e5)}`);
      });
    });

    it('unknown tool → 404 unknown_tool', async () => {
      await changesNothing(b, async () => {
        const err = expectError(await b.api('POST', '/api/runs', { tool: 'no.such_tool', input: {} }), 404, 'unknown_tool');
        assert.match(err.message, /no\.such_tool/);
      });
    });

    it('an unknown field in the body or in the tool input → 400 naming the field', async () => {
      await changesNothing(b, async () => {
        const e1 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: {}, colour: 'red' }), 400, 'invalid_input');
        assert.ok(pointers(e1).includes('/colour'), JSON.stringify(e1));
        assert.match(e1.message, /colour/);
        const e2 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: { message: 'x', colour: 'red' } }), 400, 'invalid_input');
        assert.ok(pointers(e2).includes('/colour'), JSON.stringify(e2));
        assert.match(e2.message, /colour/);
        const e3 = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: {}, colour: 'red' }), 400, 'invalid_input');
        assert.match(e3.message, /colour/);
      });
    });

    it('a missing token → 401 with WWW-Authenticate; a wrong token → 401', async () => {
      await changesNothing(b, async () => {
        const missing = await raw(b, 'POST', '/api/runs', { 'content-type': 'application/json' }, JSON.stringify({ tool: 'system.ping', input: {} }));
        expectError(missing, 401, 'unauthorized');
        assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
        expectError(await raw(b, 'GET', '/api/runs', {}), 401, 'unauthorized');
        expectError(await raw(b, 'GET', '/health', { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthorized');

        const wrong = await b.api('POST', '/api/runs', { tool: 'system.ping', input: {} }, { authorization: 'Bearer not-the-token-0123456789' });
        expectError(wrong, 401, 'unauthorized');
        assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer.*invalid_token/);
        expectError(await b.api('GET', '/api/runs', undefined, { authorization: `Bearer ${b.token}x` }), 401, 'unauthorized');
        expectError(await b.api('GET', '/api/runs', undefined, { authorization: `Bearer ${b.token.slice(0, -1)}` }), 401, 'unauthorized');
      });
    });

    it('a foreign Origin → 403 even with a valid token', async () => {
      await changesNothing(b, async () => {
        const err = expectError(await b.api('POST', '/api/runs', { tool: 'system.ping', input: {} }, { origin: 'https://evil.example' }), 403, 'forbidden_origin');
        assert.match(err.message, /evil\.example/);
        expectError(await b.api('GET', '/api/runs', undefined, { origin: 'http://localhost:3000' }), 403, 'forbidden_origin');
        expectError(await b.api('GET', '/health', undefined, { origin: 'null' }), 403, 'forbidden_origin');
      });
    });

    it('a Host header this backend does not serve → 403 (DNS rebinding)', async () => {
      const bad = await withHost(b, 'evil.example.com');
      assert.equal(bad.status, 403);
      assert.equal((bad.body as ErrorJson).error.code, 'forbidden_host');
      const badPort = await withHost(b, 'attacker.test:80', '/api/runs');
      assert.equal(badPort.status, 403);
      // The usual names for this machine pass.
      const port = new URL(b.url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) {
        const ok = await withHost(b, host);
        assert.equal(ok.status, 200, `Host ${host}`);
      }
    });

    it('a stale ifVersion on PATCH /api/runs/:id → 409, run unchanged', async () => {
      const run = await pingRun(b);
      const ok = await b.api<Run>('PATCH', `/api/runs/${run.id}`, { ifVersion: run.version, labels: { env: 'test' } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.version, run.version + 1);
      assert.deepEqual(ok.body.labels, { env: 'test' });
      await changesNothing(b, async () => {
        const err = expectError(await b.api('PATCH', `/api/runs/${run.id}`, { ifVersion: run.version, labels: { env: 'stale' }, priority: 9 }), 409, 'conflict');
        assert.equal((err.details as { currentVersion: number }).currentVersion, run.version + 1);
        const missing = expectError(await b.api('PATCH', `/api/runs/${run.id}`, { labels: { env: 'x' } }), 400, 'invalid_input');
        assert.ok(pointers(missing).includes('/ifVersion'), JSON.stringify(missing));
        expectError(await b.api('PATCH', `/api/runs/${run.id}`, { ifVersion: ok.body.version, status: 'succeeded' }), 400, 'invalid_input');
      });
      const now = await b.api<Run>('GET', `/api/runs/${run.id}`);
      assert.deepEqual(now.body, ok.body, 'the refused PATCH left the run as it was');
    });

    it('an unknown run id → 404 not_found', async () => {
      await changesNothing(b, async () => {
        const unknown = '00000000-0000-4000-8000-000000000000';
        expectError(await b.api('GET', `/api/runs/${unknown}`), 404, 'not_found');
        expectError(await b.api('GET', '/api/runs/not-a-uuid'), 404, 'not_found');
        expectError(await b.api('PATCH', `/api/runs/${unknown}`, { ifVersion: 1, priority: 1 }), 404, 'not_found');
        expectError(await b.api('POST', `/api/runs/${unknown}/cancel`), 404, 'not_found');
        expectError(await b.api('POST', `/api/runs/${unknown}/approve`, {}), 404, 'not_found');
        expectError(await b.api('POST', `/api/runs/${unknown}/deny`, { reason: 'no' }), 404, 'not_found');
        expectError(await b.api('GET', `/api/runs/${unknown}/events`), 404, 'not_found');
        expectError(await b.api('GET', '/api/cards/PO-99999'), 404, 'not_found');
        expectError(await b.api('GET', '/api/no-such-route'), 404, 'not_found');
      });
    });

    it('approving or denying a run that is not awaiting approval → 409', async () => {
      const run = await pingRun(b);
      await changesNothing(b, async () => {
        const e = expectError(await b.api('POST', `/api/runs/${run.id}/approve`, {}), 409, 'invalid_state');
        assert.match(e.message, /succeeded/);
        expectError(await b.api('POST', `/api/runs/${run.id}/deny`, { reason: 'too late' }), 409, 'invalid_state');
      });
      assert.equal((await b.api<Run>('GET', `/api/runs/${run.id}`)).body.status, 'succeeded');
    });

    it('cancelling a finished run → 409', async () => {
      const run = await pingRun(b);
      assert.equal(run.status, 'succeeded');
      await changesNothing(b, async () => {
        const e = expectError(await b.api('POST', `/api/runs/${run.id}/cancel`), 409, 'invalid_state');
        assert.match(e.message, /succeeded/);
      });
      const now = await b.api<Run>('GET', `/api/runs/${run.id}`);
      assert.equal(now.body.status, 'succeeded');
      assert.equal(now.body.version, run.version);
    });

    it('a bad cursor or a bad filter on GET /api/runs → 400', async () => {
      const c1 = expectError(await b.api('GET', '/api/runs?cursor=not-a-cursor'), 400, 'bad_request');
      assert.ok(pointers(c1).includes('/cursor'), JSON.stringify(c1));
      const forged = Buffer.from(JSON.stringify(['2024-01-01 00:00:00+00', 'x'])).toString('base64url');
      expectError(await b.api('GET', `/api/runs?cursor=${forged}`), 400, 'bad_request');
      const s = expectError(await b.api('GET', '/api/runs?status=bogus'), 400, 'bad_request');
      assert.match(s.message, /status/);
      expectError(await b.api('GET', '/api/runs?status=queued,'), 400, 'bad_request');
      expectError(await b.api('GET', '/api/runs?since=yesterday'), 400, 'bad_request');
      expectError(await b.api('GET', '/api/runs?limit=0'), 400, 'bad_request');
      expectError(await b.api('GET', '/api/runs?limit=100000'), 400, 'bad_request');
      expectError(await b.api('GET', '/api/runs?colour=red'), 400, 'bad_request');
      expectError(await b.api('GET', '/api/logs?level=loud'), 400, 'bad_request');
    });

    it('a cursor shaped like ours but not a real timestamp or uuid → 400, not 500', async () => {
      const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const uuid = '00000000-0000-4000-8000-000000000000';
      const wrong: string[] = [];
      for (const v of [
        ['2024-13-45 99:99:99+00', uuid],
        ['2024-01-01 00:00:00+00', '------------------------------------'],
      ]) {
        const res = await b.api('GET', `/api/runs?cursor=${forge(v)}`);
        if (res.status !== 400) wrong.push(`${JSON.stringify(v)} → ${res.status} ${JSON.stringify(res.body)}`);
        else expectError(res, 400, 'bad_request');
      }
      assert.deepEqual(wrong, [], 'every forged cursor is a 400');
    });

    it('a malformed run id → 404 on every route, never a 500', async () => {
      await changesNothing(b, async () => {
        const calls: Array<[string, string, unknown]> = [
          ['GET', '/api/runs/not-a-uuid', undefined],
          ['GET', '/api/runs/not-a-uuid/events', undefined],
          ['POST', '/api/runs/not-a-uuid/cancel', undefined],
          ['PATCH', '/api/runs/not-a-uuid', { ifVersion: 1, priority: 1 }],
          ['POST', '/api/runs/not-a-uuid/approve', {}],
          ['POST', '/api/runs/not-a-uuid/deny', { reason: 'no' }],
        ];
        const wrong: string[] = [];
        for (const [method, path, body] of calls) {
          const res = await b.api(method, path, body);
          if (res.status !== 404) wrong.push(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
          else expectError(res, 404, 'not_found');
        }
        assert.deepEqual(wrong, [], 'every malformed id is a 404');
      });
    });

    it('an unsupported content type → 415', async () => {
      await changesNothing(b, async () => {
        const res = await b.api('POST', '/api/runs', '<run tool="system.ping"/>', { 'content-type': 'application/xml' });
        expectError(res, 415, 'unsupported_media_type');
        expectError(await b.api('POST', '/api/runs', 'tool=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
      });
    });

    // Every tool has an implementation now (issue 11 made the deploy tools real); cards.run
    // without a local model is the one that cannot run here.
    it('a tool that cannot run here → 503 not_configured, saying which setting', async () => {
      await changesNothing(b, async () => {
        const err = expectError(await b.api('POST', '/api/runs', { tool: 'cards.run', input: { card_key: 'WEB-1' } }), 503, 'not_configured');
        assert.match(err.message, /PRODUCT_OS_LLM/);
      });
    });

    describe('with PRODUCT_OS_MAX_BODY_BYTES=2048', () => {
      let small: TestBackend;
      before(async () => {
        small = await start({ PRODUCT_OS_MAX_BODY_BYTES: '2048' });
      });

      it('an oversize body → 413 payload_too_large', async () => {
        await changesNothing(small, async () => {
          const big = { tool: 'system.ping', input: { message: 'x'.repeat(900) }, labels: { a: 'y'.repeat(400), b: 'z'.repeat(400), c: 'w'.repeat(400) } };
          assert.ok(JSON.stringify(big).length > 2048);
          expectError(await small.api('POST', '/api/runs', big), 413, 'payload_too_large');
          expectError(await small.api('POST', '/api/runs', { tool: 'cards.create', input: { title: 't', description: 'd'.repeat(5000) } }), 413, 'payload_too_large');
        });
        // Under the cap is fine.
        const ok = await small.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'x'.repeat(900) } });
        assert.equal(ok.status, 201);
      });
    });

    describe('with PRODUCT_OS_ALLOWED_ORIGINS', () => {
      let open: TestBackend;
      before(async () => {
        open = await start({ PRODUCT_OS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173' });
      });

      it('an allowed Origin passes; any other still gets 403', async () => {
        const ok = await open.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: {} }, { origin: 'https://app.example.com' });
        assert.equal(ok.status, 201, JSON.stringify(ok.body));
        assert.equal((await open.api('GET', '/health', undefined, { origin: 'http://localhost:5173' })).status, 200);
        expectError(await open.api('GET', '/health', undefined, { origin: 'https://app.example.com.evil.test' }), 403, 'forbidden_origin');
        expectError(await open.api('GET', '/health', undefined, { origin: 'http://localhost:5174' }), 403, 'forbidden_origin');
        // An allowed Origin does not replace the token.
        expectError(await raw(open, 'GET', '/api/runs', { origin: 'https://app.example.com' }), 401, 'unauthorized');
      });
    });
  });

  describe('runs', () => {
    it('POST /api/runs → 201, and the run reaches succeeded with its output', async () => {
      const res = await b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'hi there' }, correlationId: 'corr-happy', labels: { k: 'v' } });
      assert.equal(res.status, 201);
      assert.equal(res.body.tool, 'system.ping');
      assert.equal(res.body.risk, 'low');
      assert.equal(res.body.correlationId, 'corr-happy');
      assert.deepEqual(res.body.labels, { k: 'v' });
      assert.ok(['queued', 'dispatching', 'running', 'succeeded'].includes(res.body.status));
      const done = await waitForStatus(b, res.body.id, (s) => TERMINAL.has(s), 'finished');
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      const output = done.output as { pong: boolean; message: string; at: string };
      assert.equal(output.pong, true);
      assert.equal(output.message, 'hi there');
      assert.ok(done.finishedAt && done.startedAt);
      assert.equal(done.attempt, 1);
    });

    it('brand.update_profile with a patch the profile schema refuses fails the run naming the field, and writes no version', async () => {
      const res = await b.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'strict', patch: { name: 'Acme', colour: 'red' } } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const done = await waitForStatus(b, res.body.id, (s) => TERMINAL.has(s), 'finished');
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'invalid_input');
      assert.match(done.error?.message ?? '', /\/patch\/colour/);
      assert.ok(!JSON.stringify(done.error).includes('    at '));
      assert.deepEqual((await b.api('GET', '/api/brand/strict/history')).body.versions, []);
      // A valid patch then works, and reads back.
      const ok = await b.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'strict', patch: { name: 'Acme' } } });
      assert.equal((await waitForStatus(b, ok.body.id, (s) => TERMINAL.has(s), 'finished')).status, 'succeeded');
      const read = await b.api<Run>('POST', '/api/runs', { tool: 'brand.get_profile', input: { profile_id: 'strict' } });
      const got = await waitForStatus(b, read.body.id, (s) => TERMINAL.has(s), 'finished');
      assert.equal(got.status, 'succeeded');
      assert.equal((got.output as { brand: { name: string } }).brand.name, 'Acme');
    });

    it('an idempotencyKey replay → 200 with the same run, and only one run exists', async () => {
      const before = await snapshot(b);
      const key = `idem-${Date.now()}`;
      const first = await b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'once' }, idempotencyKey: key });
      assert.equal(first.status, 201);
      const second = await b.api<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'once' }, idempotencyKey: key });
      assert.equal(second.status, 200);
      assert.equal(second.body.id, first.body.id);
      // Different input under the same key is another call, not a retry: a conflict (issue 8, item 6).
      const third = await b.api('POST', '/api/runs', { tool: 'system.ping', input: { message: 'different input, same key' }, idempotencyKey: key });
      expectError(third, 409, 'conflict');
      assert.equal((await snapshot(b)).runs, before.runs + 1);
      const rows = await b.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs WHERE idempotency_key = $1', [key]);
      assert.equal(Number(rows[0].n), 1);
      // The same key for another tool is a conflict, not a silent reuse.
      const other = await b.api('POST', '/api/runs', { tool: 'brand.get_profile', input: { profile_id: 'default' }, idempotencyKey: key });
      expectError(other, 409, 'conflict');
    });

    it('GET /api/runs filters by status, tool, correlationId and since, and pages by cursor', async () => {
      const corr = `corr-list-${Date.now()}`;
      const startedAt = new Date(Date.now() - 1000).toISOString();
      const made: Run[] = [];
      for (let i = 0; i < 5; i++) made.push(await pingRun(b, { correlationId: corr }, `list ${i}`));
      const ids = new Set(made.map((r) => r.id));

      const all = await b.api<{ runs: Run[]; nextCursor: string | null }>('GET', `/api/runs?correlationId=${corr}`);
      assert.equal(all.status, 200);
      assert.deepEqual(new Set(all.body.runs.map((r) => r.id)), ids);
      assert.equal(all.body.nextCursor, null);
      // Newest first.
      const times = all.body.runs.map((r) => Date.parse(r.createdAt));
      for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i]);

      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const q: string = `/api/runs?correlationId=${corr}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await b.api<{ runs: Run[]; nextCursor: string | null }>('GET', q);
        assert.equal(res.status, 200);
        assert.ok(res.body.runs.length <= 2);
        seen.push(...res.body.runs.map((r) => r.id));
        cursor = res.body.nextCursor;
        if (!cursor) break;
      }
      assert.equal(seen.length, 5);
      assert.deepEqual(new Set(seen), ids);

      const byStatus = await b.api<{ runs: Run[] }>('GET', `/api/runs?correlationId=${corr}&status=succeeded`);
      assert.equal(byStatus.body.runs.length, 5);
      const none = await b.api<{ runs: Run[] }>('GET', `/api/runs?correlationId=${corr}&status=failed,cancelled`);
      assert.equal(none.body.runs.length, 0);
      const byTool = await b.api<{ runs: Run[] }>('GET', `/api/runs?correlationId=${corr}&tool=system.ping`);
      assert.equal(byTool.body.runs.length, 5);
      assert.equal((await b.api<{ runs: Run[] }>('GET', `/api/runs?correlationId=${corr}&tool=brand.get_profile`)).body.runs.length, 0);
      const since = await b.api<{ runs: Run[] }>('GET', `/api/runs?correlationId=${corr}&since=${encodeURIComponent(startedAt)}`);
      assert.equal(since.body.runs.length, 5);
      const future = await b.api<{ runs: Run[] }>('GET', `/api/runs?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
      assert.equal(future.status, 200);
      assert.equal(future.body.runs.length, 0);
    });
  });

  describe('run events over SSE', () => {
    it('GET /api/runs/:id/events replays every state event with id: lines and ends after the final state', async () => {
      const run = await pingRun(b);
      const sse = await openSse(b, `/api/runs/${run.id}/events`);
      assert.equal(sse.status, 200);
      assert.match(sse.contentType, /^text\/event-stream/);
      await sse.finished();
      const states = sse.events.filter((e) => e.event === 'state');
      assert.deepEqual(states.map(stateTo), ['queued', 'dispatching', 'running', 'succeeded']);
      for (const e of sse.events) {
        assert.ok(e.id, 'every event has an id');
        assert.equal((e.data as RunEvent).runId, run.id);
        assert.equal(String((e.data as RunEvent).id), e.id);
      }
      const ids = sse.events.map((e) => Number(e.id));
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);
      assert.match(sse.text(), new RegExp(`^id: ${ids[0]}$`, 'm'));
      // Exactly what the store holds.
      const stored = await b.backend.engine.events(run.id);
      assert.deepEqual(ids, stored.map((e) => e.id));
    });

    it('resuming with Last-Event-ID sends only later events', async () => {
      const run = await pingRun(b);
      const first = await openSse(b, `/api/runs/${run.id}/events`);
      await first.finished();
      assert.ok(first.events.length >= 4);
      const after = first.events[1].id!;
      const resumed = await openSse(b, `/api/runs/${run.id}/events`, { 'last-event-id': after });
      await resumed.finished();
      assert.deepEqual(resumed.events.map((e) => e.id), first.events.slice(2).map((e) => e.id));
      assert.deepEqual(resumed.events.filter((e) => e.event === 'state').map(stateTo), ['running', 'succeeded']);
      // The query-string form for clients that cannot set headers.
      const byQuery = await openSse(b, `/api/runs/${run.id}/events?lastEventId=${first.events[2].id}`);
      await byQuery.finished();
      assert.deepEqual(byQuery.events.map((e) => e.id), first.events.slice(3).map((e) => e.id));
    });
  });

  describe('run events over SSE, resumed after the end', () => {
    it('resuming a finished run from its final event ends the stream at once (EventSource reconnects after every end)', async () => {
      const run = await pingRun(b);
      const first = await openSse(b, `/api/runs/${run.id}/events`);
      await first.finished();
      const lastId = first.events[first.events.length - 1].id!;
      assert.equal(stateTo(first.events[first.events.length - 1]), 'succeeded');
      const again = await openSse(b, `/api/runs/${run.id}/events`, { 'last-event-id': lastId });
      try {
        assert.ok(again.status === 200 || again.status === 204, `status ${again.status}`);
        await again.finished(3000);
        assert.deepEqual(again.events, [], 'nothing new to send');
      } finally {
        again.close();
      }
    });
  });

  describe('logs', () => {
    it('GET /api/logs returns a stored line; GET /api/logs/stream delivers a new one live', async () => {
      const stored = `stored line ${Math.random().toString(36).slice(2, 8)}`;
      await b.backend.context.logger.info('test', stored, { part: 'api-test' });
      const res = await b.api<{ lines: Array<{ id: number; message: string; source: string; level: string; fields: Record<string, unknown> }> }>('GET', '/api/logs?level=info&limit=1000');
      assert.equal(res.status, 200);
      const line = res.body.lines.find((l) => l.message === stored);
      assert.ok(line, 'the stored line is listed');
      assert.equal(line.source, 'test');
      assert.equal(line.level, 'info');
      assert.deepEqual(line.fields, { part: 'api-test' });
      const later = await b.api<{ lines: Array<{ id: number }> }>('GET', `/api/logs?afterId=${line.id}`);
      assert.ok(later.body.lines.every((l) => l.id > line.id));
      const errorsOnly = await b.api<{ lines: Array<{ message: string }> }>('GET', '/api/logs?level=error&limit=1000');
      assert.ok(!errorsOnly.body.lines.some((l) => l.message === stored), 'level filter excludes info');

      const sse = await openSse(b, '/api/logs/stream');
      try {
        assert.equal(sse.status, 200);
        assert.match(sse.contentType, /^text\/event-stream/);
        const live = `live line ${Math.random().toString(36).slice(2, 8)}`;
        await b.backend.context.logger.info('test', live);
        await sse.waitFor((evs) => evs.some((e) => e.event === 'log' && (e.data as { message: string }).message === live), 'the live log line on the stream');
        const ev = sse.events.find((e) => (e.data as { message: string }).message === live)!;
        assert.equal(String((ev.data as { id: number }).id), ev.id, 'log events carry id: lines');
      } finally {
        sse.close();
      }
    });

    it('GET /api/logs/stream resumes from Last-Event-ID', async () => {
      const marker = `resume line ${Math.random().toString(36).slice(2, 8)}`;
      const before = await b.api<{ lines: Array<{ id: number }> }>('GET', '/api/logs?limit=1000');
      const lastId = Math.max(0, ...before.body.lines.map((l) => l.id));
      await b.backend.context.logger.warn('test', marker);
      const sse = await openSse(b, '/api/logs/stream', { 'last-event-id': String(lastId) });
      try {
        await sse.waitFor((evs) => evs.some((e) => (e.data as { message: string }).message === marker), 'the missed line replayed');
        assert.ok(sse.events.every((e) => Number(e.id) > lastId));
      } finally {
        sse.close();
      }
    });
  });

  describe('system routes', () => {
    it('GET /health', async () => {
      const res = await b.api('GET', '/health');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ok');
      // The embedded default is a PostgreSQL server (backend/store/embedded-postgres.ts).
      assert.equal(res.body.store, 'postgres');
      assert.equal(res.body.instanceId, b.backend.context.instanceId);
      assert.equal(typeof res.body.version, 'string');
      assert.equal(typeof res.body.activeRuns, 'number');
    });

    it('GET /config/validate reports every setting; an invalid setting stops createBackend naming it', async () => {
      const res = await b.api<{ ok: boolean; settings: Array<{ name: string; status: string; message: string; value?: string }> }>('GET', '/config/validate');
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      const byName = new Map(res.body.settings.map((s) => [s.name, s]));
      for (const name of ['PRODUCT_OS_TOKEN', 'DATABASE_URL', 'PRODUCT_OS_LLM_URL', 'PRODUCT_OS_ALLOWED_ORIGINS', 'PRODUCT_OS_MAX_BODY_BYTES']) {
        assert.ok(byName.has(name), `${name} is reported`);
      }
      assert.equal(byName.get('PRODUCT_OS_TOKEN')?.status, 'ok');
      assert.equal(byName.get('PRODUCT_OS_TOKEN')?.value, undefined, 'a secret is never shown');
      assert.ok(!JSON.stringify(res.body).includes(b.token), 'the token is not in the report');
      assert.equal(byName.get('DATABASE_URL')?.status, 'missing');
      for (const s of res.body.settings) assert.ok(['ok', 'missing', 'invalid'].includes(s.status) && s.message.length > 0);

      // The same check, for an invalid value.
      const report = validateConfig({ PRODUCT_OS_LLM_URL: 'https://api.openai.com' });
      const llm = report.find((s) => s.name === 'PRODUCT_OS_LLM_URL');
      assert.equal(llm?.status, 'invalid');
      assert.match(llm?.message ?? '', /api\.openai\.com/);

      const dataDir = tempDir();
      try {
        await assert.rejects(
          createBackend({ env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_LLM_URL: 'https://api.openai.com' }, overrides: { dataDir, port: 0 }, stderr: () => undefined }),
          (err: Error) => {
            assert.equal(err.name, 'ConfigError');
            assert.match(err.message, /PRODUCT_OS_LLM_URL/);
            return true;
          },
        );
        await assert.rejects(
          createBackend({ env: { PRODUCT_OS_TOKEN: 'short', PRODUCT_OS_MAX_BODY_BYTES: 'lots' }, overrides: { dataDir, port: 0 }, stderr: () => undefined }),
          (err: Error) => /PRODUCT_OS_TOKEN/.test(err.message) && /PRODUCT_OS_MAX_BODY_BYTES/.test(err.message),
        );
        assert.ok(!fs.existsSync(`${dataDir}/backend.lock`), 'a refused start leaves no lock behind');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('GET /api/openapi.json lists the paths', async () => {
      const res = await b.api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/api/openapi.json');
      assert.equal(res.status, 200);
      assert.match(res.body.openapi, /^3\./);
      const paths = Object.keys(res.body.paths);
      for (const p of [
        '/health',
        '/config/validate',
        '/api/tools',
        '/api/runs',
        '/api/runs/{id}',
        '/api/runs/{id}/cancel',
        '/api/runs/{id}/approve',
        '/api/runs/{id}/deny',
        '/api/runs/{id}/events',
        '/api/logs',
        '/api/logs/stream',
        '/api/lanes',
        '/api/cards',
        '/api/cards/{key}',
        '/api/cards/{key}/history',
        '/api/board/stream',
        '/api/runs/{id}/wait',
        '/api/brand/{profileId}',
        '/api/brand/{profileId}/history',
      ]) {
        assert.ok(paths.includes(p), `${p} is documented (have: ${paths.join(', ')})`);
      }
      const runsPath = res.body.paths['/api/runs'] as Record<string, unknown>;
      assert.ok(runsPath.get && runsPath.post, 'GET and POST /api/runs are documented');
      assert.ok((res.body.paths['/api/runs/{id}'] as Record<string, unknown>).patch, 'PATCH /api/runs/{id} is documented');
    });

    it('GET /api/tools lists every registry tool with available flags', async () => {
      const res = await b.api<{ tools: Array<{ name: string; available: boolean; unavailableReason?: string; risk: string; inputSchema: unknown; outputSchema: unknown }> }>('GET', '/api/tools');
      assert.equal(res.status, 200);
      const count = b.backend.registry.tools.size;
      assert.ok(count >= 25, `the registry has ${count} tools`);
      assert.equal(res.body.tools.length, count);
      assert.equal(new Set(res.body.tools.map((t) => t.name)).size, count);
      for (const t of res.body.tools) {
        assert.equal(typeof t.available, 'boolean', `${t.name} has an available flag`);
        assert.ok(t.inputSchema && t.outputSchema, `${t.name} has its schemas`);
        if (!t.available) assert.ok(t.unavailableReason, `${t.name} says why it is unavailable`);
      }
      const byName = new Map(res.body.tools.map((t) => [t.name, t]));
      assert.equal(byName.get('system.ping')?.available, true);
      assert.equal(byName.get('brand.get_profile')?.available, true);
      assert.equal(byName.get('brand.update_profile')?.available, true);
      assert.equal(byName.get('cards.run')?.available, false);
      assert.equal(byName.get('cloudrun.rollback_service')?.available, true);
      assert.equal(byName.get('cloudrun.rollback_service')?.risk, 'high');
    });
  });

  describe('cards: reads over REST, writes as tools through the engine', () => {
    it('lists lanes, creates a card, moves it with if_version, fails a stale version with the current one, and shows the move', async () => {
      const lanes = await b.api<{ lanes: Array<{ id: string; name: string; position: number }> }>('GET', '/api/lanes');
      assert.equal(lanes.status, 200);
      assert.deepEqual(lanes.body.lanes.map((l) => l.id), ['backlog', 'ready', 'in_progress', 'review', 'done']);

      const created = await b.tool('cards.create', { title: 'Ship the API tests', labels: ['tests'] });
      assert.equal(created.status, 'succeeded', JSON.stringify(created.error));
      const card = (created.output as { card: { key: string; lane: string; version: number; priority: string; archived: boolean } }).card;
      assert.match(card.key, /^PO-\d+$/);
      assert.equal(card.lane, 'backlog');
      assert.equal(card.version, 1);
      assert.equal(card.priority, 'none');
      assert.equal(card.archived, false);
      const second = (await b.tool('cards.create', { title: 'Next one', lane: 'ready', priority: 'high' })).output as { card: { key: string; priority: string } };
      assert.equal(Number(second.card.key.split('-')[1]), Number(card.key.split('-')[1]) + 1, 'keys count up');
      assert.equal(second.card.priority, 'high');

      const listed = await b.api<{ cards: Array<{ key: string }> }>('GET', '/api/cards?lane=backlog');
      assert.ok(listed.body.cards.some((c) => c.key === card.key));

      const moved = await b.tool('cards.move', { card_key: card.key, if_version: 1, lane: 'in_progress' }, { caller: 'mover' });
      assert.equal(moved.status, 'succeeded', JSON.stringify(moved.error));
      assert.equal((moved.output as { card: { lane: string; version: number } }).card.lane, 'in_progress');
      assert.equal((moved.output as { card: { lane: string; version: number } }).card.version, 2);

      const cardRows = async () => JSON.stringify((await b.api('GET', `/api/cards/${card.key}`)).body);
      const before = await cardRows();
      const stale = await b.tool('cards.move', { card_key: card.key, if_version: 1, lane: 'done' });
      assert.equal(stale.status, 'failed');
      assert.equal(stale.error?.code, 'conflict');
      assert.equal((stale.error?.details as { currentVersion: number }).currentVersion, 2);
      const lane = await b.tool('cards.move', { card_key: card.key, if_version: 2, lane: 'nowhere' });
      assert.equal(lane.error?.code, 'invalid_input');
      assert.ok(pointers(lane.error as ErrorJson['error']).includes('/lane'));
      assert.equal((await b.tool('cards.move', { card_key: 'PO-99999', if_version: 1, lane: 'done' })).error?.code, 'not_found');
      await changesNothing(b, async () => {
        expectError(await b.api('POST', '/api/runs', { tool: 'cards.move', input: { card_key: card.key, lane: 'done' } }), 400, 'invalid_input');
        expectError(await b.api('POST', '/api/runs', { tool: 'cards.create', input: { title: '' } }), 400, 'invalid_input');
        expectError(await b.api('POST', '/api/runs', { tool: 'cards.move', input: { card_key: card.key, if_version: 2, lane: 'done', position: 1e300 } }), 400, 'invalid_input');
      });
      assert.equal(await cardRows(), before, 'refused and failed writes changed nothing');

      const got = await b.api('GET', `/api/cards/${card.key}`);
      assert.equal(got.body.lane, 'in_progress');
      assert.equal(got.body.version, 2);

      const history = await b.api<{ events: Array<{ type: string; data: Record<string, unknown>; cardKey: string; actor: string; runId: string }>; runs: Array<{ id: string; tool: string }> }>('GET', `/api/cards/${card.key}/history`);
      assert.equal(history.status, 200);
      assert.deepEqual(history.body.events.map((e) => e.type), ['created', 'moved']);
      assert.equal(history.body.events[1].data.from, 'backlog');
      assert.equal(history.body.events[1].data.to, 'in_progress');
      assert.equal(history.body.events[1].actor, 'api:mover');
      assert.equal(history.body.events[1].runId, moved.id, 'the move names the run that made it');
      assert.ok(history.body.runs.some((r) => r.id === moved.id && r.tool === 'cards.move'), 'the card history lists its runs');
      const audit = await b.backend.db.query<{ action: string; tool: string; run_id: string }>('SELECT action, tool, run_id FROM audit_log WHERE run_id = $1', [moved.id]);
      assert.ok(audit.length > 0 && audit.every((a) => a.tool === 'cards.move'), 'the move is in the audit log');
    });

    it('edits, archives and restores a card; archived cards leave the board but keep their history', async () => {
      const { card } = (await b.tool('cards.create', { title: 'Archive me' })).output as { card: { key: string; version: number } };
      const edited = await b.tool('cards.update', { card_key: card.key, if_version: card.version, title: 'Archive me soon', labels: ['x'], priority: 'low' });
      assert.equal(edited.status, 'succeeded', JSON.stringify(edited.error));
      const v2 = (edited.output as { card: { version: number; title: string; priority: string } }).card;
      assert.deepEqual([v2.title, v2.priority], ['Archive me soon', 'low']);
      const archived = await b.tool('cards.archive', { card_key: card.key, if_version: v2.version });
      assert.equal((archived.output as { card: { archived: boolean } }).card.archived, true);
      const again = await b.tool('cards.archive', { card_key: card.key, if_version: v2.version + 1 });
      assert.equal(again.error?.code, 'invalid_state', 'archiving an archived card changes nothing and says so');
      const onBoard = await b.api<{ cards: Array<{ key: string }> }>('GET', '/api/cards');
      assert.ok(!onBoard.body.cards.some((c) => c.key === card.key), 'an archived card is off the board');
      const inArchive = await b.api<{ cards: Array<{ key: string }> }>('GET', '/api/cards?archived=true');
      assert.ok(inArchive.body.cards.some((c) => c.key === card.key));
      const restored = await b.tool('cards.restore', { card_key: card.key, if_version: v2.version + 1 });
      assert.equal((restored.output as { card: { archived: boolean } }).card.archived, false);
      const history = await b.api<{ events: Array<{ type: string }> }>('GET', `/api/cards/${card.key}/history`);
      assert.deepEqual(history.body.events.map((e) => e.type), ['created', 'edited', 'archived', 'restored']);
    });

    it('streams each card change on the board stream', async () => {
      const res = await fetch(new URL('/api/board/stream', b.url), { headers: { authorization: `Bearer ${b.token}`, accept: 'text/event-stream' } });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const created = await b.tool('cards.create', { title: 'Streamed' });
      const key = (created.output as { card: { key: string } }).card.key;
      let text = '';
      const deadline = Date.now() + 10_000;
      while (!text.includes(key) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      assert.match(text, /event: card/);
      const data = JSON.parse(/data: (.*)/.exec(text)![1]) as { card: { key: string }; runId: string; tool: string };
      assert.deepEqual([data.card.key, data.runId, data.tool], [key, created.id, 'cards.create']);
    });
  });

  describe('approvals (PRODUCT_OS_MEDIUM_RISK=approval)', () => {
    let ap: TestBackend;
    before(async () => {
      ap = await start({ PRODUCT_OS_MEDIUM_RISK: 'approval' });
    });

    it('brand.update_profile waits in awaiting_approval; approve → succeeded, with a version in the brand history', async () => {
      const res = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'default', patch: { name: 'Acme', voice: { tone: ['plain'] } } } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.status, 'awaiting_approval');
      assert.equal(res.body.risk, 'medium');
      const sse = await openSse(ap, `/api/runs/${res.body.id}/events`);
      try {
        await sse.waitFor((evs) => evs.filter((e) => e.event === 'state').length >= 2, 'the first two state events');
        // It stays there: dispatch passes (every 500 ms) do not take it.
        const passes = watchDispatchPasses(ap.backend.engine);
        await passes.after(1).finally(passes.restore);
        assert.equal((await ap.api<Run>('GET', `/api/runs/${res.body.id}`)).body.status, 'awaiting_approval');
        assert.equal(sse.ended, false, 'the stream stays open while the run waits');
        assert.deepEqual((await ap.api('GET', '/api/brand/default/history')).body.versions, []);

        // A stale ifVersion on the decision is refused.
        expectError(await ap.api('POST', `/api/runs/${res.body.id}/approve`, { ifVersion: res.body.version + 7 }), 409, 'conflict');
        const approved = await ap.api<Run>('POST', `/api/runs/${res.body.id}/approve`, { reason: 'looks right' });
        assert.equal(approved.status, 200, JSON.stringify(approved.body));
        assert.notEqual(approved.body.status, 'awaiting_approval');
        const done = await waitForStatus(ap, res.body.id, (s) => TERMINAL.has(s), 'finished');
        assert.equal(done.status, 'succeeded', JSON.stringify(done));
        assert.equal((done.output as { ok: boolean }).ok, true);

        // The open stream saw it through to the end, and then closed.
        await sse.finished();
        assert.deepEqual(sse.events.filter((e) => e.event === 'state').map(stateTo), ['queued', 'awaiting_approval', 'queued', 'dispatching', 'running', 'succeeded']);
      } finally {
        sse.close();
      }

      const history = await ap.api<{ versions: Array<{ version: number; runId: string | null; brand: { name: string; voice: { tone: string[] } } }> }>('GET', '/api/brand/default/history');
      assert.equal(history.status, 200);
      assert.equal(history.body.versions.length, 1);
      assert.equal(history.body.versions[0].version, 1);
      assert.equal(history.body.versions[0].runId, res.body.id);
      assert.equal(history.body.versions[0].brand.name, 'Acme');
      assert.deepEqual(history.body.versions[0].brand.voice.tone, ['plain']);
      const approvals = await ap.backend.db.query<{ decision: string }>('SELECT decision FROM approvals WHERE run_id = $1', [res.body.id]);
      assert.deepEqual(approvals.map((a) => a.decision), ['approved']);
      // Decided once: a second decision is refused.
      expectError(await ap.api('POST', `/api/runs/${res.body.id}/deny`, {}), 409, 'invalid_state');
    });

    it('deny → cancelled, and the profile is not touched', async () => {
      const historyBefore = (await ap.api('GET', '/api/brand/default/history')).body.versions.length;
      const res = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'default', patch: { name: 'Denied Corp' } } });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'awaiting_approval');
      const denied = await ap.api<Run>('POST', `/api/runs/${res.body.id}/deny`, { reason: 'off brand' });
      assert.equal(denied.status, 200, JSON.stringify(denied.body));
      assert.equal(denied.body.status, 'cancelled');
      assert.equal(denied.body.error?.code, 'cancelled');
      assert.match(denied.body.error?.message ?? '', /off brand/);
      const passes = watchDispatchPasses(ap.backend.engine);
      await passes.after(1).finally(passes.restore);
      assert.equal((await ap.api<Run>('GET', `/api/runs/${res.body.id}`)).body.status, 'cancelled');
      assert.equal((await ap.api('GET', '/api/brand/default/history')).body.versions.length, historyBefore);
      expectError(await ap.api('POST', `/api/runs/${res.body.id}/approve`, {}), 409, 'invalid_state');
      expectError(await ap.api('POST', `/api/runs/${res.body.id}/cancel`), 409, 'invalid_state');
    });

    it('cancelling a run that waits for approval → cancelled', async () => {
      const res = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'default', patch: { name: 'Never' } } });
      assert.equal(res.body.status, 'awaiting_approval');
      const cancelled = await ap.api<Run>('POST', `/api/runs/${res.body.id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
    });

    it('approve and deny need no body (the reason is optional), like cancel', async () => {
      const one = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'bodiless', patch: { name: 'One' } } });
      const two = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'bodiless', patch: { name: 'Two' } } });
      assert.equal(one.body.status, 'awaiting_approval');
      assert.equal(two.body.status, 'awaiting_approval');
      const approved = await ap.api<Run>('POST', `/api/runs/${one.body.id}/approve`);
      assert.equal(approved.status, 200, `POST …/approve without a body: ${JSON.stringify(approved.body)}`);
      const denied = await ap.api<Run>('POST', `/api/runs/${two.body.id}/deny`);
      assert.equal(denied.status, 200, `POST …/deny without a body: ${JSON.stringify(denied.body)}`);
      assert.equal(denied.body.status, 'cancelled');
      // An empty JSON body is "no body" too (json-body.ts).
      const three = await ap.api<Run>('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'bodiless', patch: { name: 'Three' } } });
      const empty = await ap.api<Run>('POST', `/api/runs/${three.body.id}/deny`, '', { 'content-type': 'application/json' });
      assert.equal(empty.status, 200, `POST …/deny with an empty JSON body: ${JSON.stringify(empty.body)}`);
    });

    it('low-risk tools still run without approval', async () => {
      const run = await pingRun(ap);
      assert.equal(run.status, 'succeeded');
    });
  });
});
