/**
 * `serve --role executor` as the remote executor of a second backend (the control plane),
 * through the real http executor: Google ID tokens from the metadata server (a local fake of
 * its public contract), checked by the executor with google-auth-library against the fake's
 * certificates; a proxy in between injects 429/503 answers and lost answers.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { createBackend, type Backend } from '../../backend/main';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import { ProductOsError } from '../../backend/errors';
import type { LocalHandler } from '../../backend/executors/local';
import { UPSTREAM_LABELS } from '../../contracts/executor-protocol';
import { callRoute } from '../../contracts/client';
import { startBackend, tempDir, type TestBackend } from '../helpers/backend';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../helpers/fake-google-identity';
import { freshDatabase } from '../helpers/postgres';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';

const obj = (properties: object, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const remote = (p: string, url: string) => ({ kind: 'http', url, path: p });

function registryFile(url: string): string {
  const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  const common = { module: 'system', idempotent: false, timeout_seconds: 20 };
  Object.assign(doc.tools, {
    'test.remote_echo': { ...common, title: 'Remote echo', description: 'Echoes on the executor.', risk: 'low', executor: remote('/execute/test/echo', url), inputSchema: obj({ text: { type: 'string' } }, ['text']), outputSchema: obj({ echo: { type: 'string' }, executions: { type: 'integer' } }, ['echo', 'executions']) },
    'test.remote_slow': { ...common, title: 'Remote sleep', description: 'Sleeps on the executor.', risk: 'low', executor: remote('/execute/test/slow', url), inputSchema: obj({ ms: { type: 'integer' } }, ['ms']), outputSchema: obj({ slept: { type: 'integer' } }, ['slept']) },
    'test.remote_fail': { ...common, title: 'Remote failure', description: 'Fails on the executor.', risk: 'low', executor: remote('/execute/test/fail', url), inputSchema: obj({}), outputSchema: obj({}) },
    'test.remote_high': { ...common, title: 'Remote high risk', description: 'Approved on the control plane.', risk: 'high', executor: remote('/execute/test/high', url), inputSchema: obj({}), outputSchema: obj({ done: { type: 'boolean' } }, ['done']) },
  });
  const file = path.join(tempDir('product-os-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}

describe('remote executor (serve --role executor) behind a control plane', function () {
  this.timeout(60_000);
  let identity: FakeGoogleIdentity;
  let proxy: FaultProxy;
  let executor: Backend;
  let control: TestBackend;
  let executorDb: { url: string; drop(): Promise<void> };
  let controlDb: { url: string; drop(): Promise<void> };
  const executions = new Map<string, number>();
  const slowStarted: string[] = [];
  const slowAborted: string[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  const handlers = new Map<string, LocalHandler>([
    [
      'test.remote_echo',
      async (input: { text: string }, ctx) => {
        const upstream = ctx.run.labels[UPSTREAM_LABELS.runId];
        executions.set(upstream, (executions.get(upstream) ?? 0) + 1);
        await ctx.progress({ progress: 1, total: 2, message: 'echoing on the executor' });
        await ctx.log('info', 'echo step done');
        return { echo: input.text, executions: executions.get(upstream)! };
      },
    ],
    [
      'test.remote_slow',
      async (input: { ms: number }, ctx) => {
        slowStarted.push(ctx.run.labels[UPSTREAM_LABELS.runId]);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, input.ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            slowAborted.push(ctx.run.labels[UPSTREAM_LABELS.runId]);
            resolve();
          }, { once: true });
        });
        return { slept: input.ms };
      },
    ],
    [
      'test.remote_fail',
      async () => {
        throw new ProductOsError('invalid_state', 'the service has no revision to roll back to');
      },
    ],
    ['test.remote_high', async () => ({ done: true })],
  ]);

  before(async () => {
    // Two stores: the executor's runs are its own (one shared queue would let either take the other's runs).
    executorDb = await freshDatabase();
    controlDb = await freshDatabase();
    identity = await startFakeGoogleIdentity();
    proxy = await startFaultProxy();
    // The control plane finds its credentials the way it does on Cloud Run: the metadata server.
    for (const k of ['GCE_METADATA_HOST', 'METADATA_SERVER_DETECTION', 'GOOGLE_APPLICATION_CREDENTIALS']) savedEnv[k] = process.env[k];
    process.env.GCE_METADATA_HOST = identity.metadataHost;
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    executor = await createBackend({
      env: {
        DATABASE_URL: executorDb.url,
        PRODUCT_OS_REGISTRY: registryFile('https://executor-REPLACE.a.run.app'),
        // The audience is the URL callers reach the executor at: here the proxy in front of it.
        PRODUCT_OS_EXECUTOR_AUDIENCE: proxy.url,
        PRODUCT_OS_EXECUTOR_INVOKERS: identity.email,
        PRODUCT_OS_EXECUTOR_CERTS_URL: identity.certsUrl,
      },
      overrides: { role: 'executor', dataDir: tempDir(), port: 0 },
      handlers,
      stderr: () => undefined,
    });
    proxy.target = await executor.listen();
    control = await startBackend({ env: { DATABASE_URL: controlDb.url, PRODUCT_OS_REGISTRY: registryFile(proxy.url) } });
  });

  after(async () => {
    await control?.close();
    await executor?.close();
    await proxy?.close();
    await identity?.close();
    await executorDb?.drop();
    await controlDb?.drop();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  beforeEach(() => {
    proxy.plan = [];
    proxy.seen = [];
  });

  const post = (p: string, body: unknown, authorization?: string) =>
    fetch(`${proxy.target}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
  const goodToken = () => identity.sign({ aud: proxy.url, sub: '1', email: identity.email, email_verified: true });

  it('runs the tool on the executor with a metadata-server ID token, and the control plane gets its output', async () => {
    const run = await control.tool('test.remote_echo', { text: 'hello' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { echo: 'hello', executions: 1 });
    assert.ok(identity.minted >= 1, 'the token came from the metadata server');
    // The executor kept its own run of the call, naming who called and which run it served.
    const mine = await executor.engine.list({ tool: 'test.remote_echo' });
    const served = mine.runs.find((r) => r.labels[UPSTREAM_LABELS.runId] === run.id);
    assert.ok(served, 'the executor has a run labelled with the control plane run id');
    assert.equal(served.caller, `executor:${identity.email}`);
    assert.equal(served.status, 'succeeded');
    // The executor's progress and log lines arrived as the control plane run's own events.
    const events = (await control.backend.engine.events(run.id)) as Array<{ type: string; data: { message?: string } }>;
    assert.ok(events.some((e) => e.type === 'progress' && e.data.message === 'echoing on the executor'), JSON.stringify(events.map((e) => e.type)));
    assert.ok(events.some((e) => e.type === 'log' && e.data.message === 'executor: echo step done'));
  });

  it('answers 401 to a missing token, a foreign signature, another audience, an expired token and a caller not on the list', async () => {
    const body = { runId: 'r1', attempt: 1, input: { text: 'x' } };
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['missing', undefined, /missing ID token/],
      ['not a bearer', 'Basic abc', /missing ID token/],
      ['foreign key', `Bearer ${identity.sign({ aud: proxy.url, sub: '1', email: identity.email, email_verified: true }, identity.foreignKey)}`, /signature/],
      ['other audience', `Bearer ${identity.sign({ aud: 'https://someone-else.a.run.app', sub: '1', email: identity.email, email_verified: true })}`, /recipient|audience/],
      ['expired', `Bearer ${identity.sign({ aud: proxy.url, sub: '1', email: identity.email, email_verified: true, iat: 1_000_000, exp: 1_000_600 })}`, /too late/],
      ['not an invoker', `Bearer ${identity.sign({ aud: proxy.url, sub: '2', email: 'intruder@other.iam.gserviceaccount.com', email_verified: true })}`, /not in PRODUCT_OS_EXECUTOR_INVOKERS/],
      ['garbage', 'Bearer not.a.jwt', /ID token refused/],
    ];
    for (const [name, authorization, reason] of cases) {
      const res = await post('/execute/test/echo', body, authorization);
      assert.equal(res.status, 401, `${name}: ${res.status}`);
      const err = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(err.error.code, 'unauthorized', name);
      assert.match(err.error.message, reason, name);
      assert.ok(!err.error.message.includes('eyJ'), `${name}: the token is not echoed back (${err.error.message})`);
    }
    assert.equal(executions.get('r1'), undefined, 'nothing ran');
  });

  it('has no editor API: /api, /mcp and /config are not there even with a valid token', async () => {
    for (const p of ['/api/tools', '/api/runs', '/mcp', '/config/validate']) {
      const res = await fetch(`${proxy.target}${p}`, { headers: { authorization: `Bearer ${goodToken()}` } });
      assert.equal(res.status, 404, p);
    }
    const health = await fetch(`${proxy.target}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { role: string }).role, 'executor');
  });

  it('answers plain JSON to a caller that does not ask for the stream, and the same run to a repeat', async () => {
    const body = { runId: 'direct-1', attempt: 1, input: { text: 'plain' } };
    const first = await post('/execute/test/echo', body, `Bearer ${goodToken()}`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /application\/json/);
    const a = (await first.json()) as { executorRunId: string; status: string; output: unknown };
    assert.equal(a.status, 'succeeded');
    assert.deepEqual(a.output, { echo: 'plain', executions: 1 });
    const again = (await (await post('/execute/test/echo', body, `Bearer ${goodToken()}`)).json()) as { executorRunId: string };
    assert.equal(again.executorRunId, a.executorRunId);
    assert.equal(executions.get('direct-1'), 1);
  });

  it('refuses an input its registry refuses (400 naming the field), without running anything', async () => {
    const res = await post('/execute/test/echo', { runId: 'r-bad', attempt: 1, input: { text: 5 } }, `Bearer ${goodToken()}`);
    assert.equal(res.status, 400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'invalid_input');
    assert.match(err.error.message, /text/);
  });

  it('retries 429 and 503 with backoff, then succeeds having run the tool once', async () => {
    proxy.plan = [{ status: 429, retryAfter: '0' }, { status: 503 }];
    const run = await control.tool('test.remote_echo', { text: 'again' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { echo: 'again', executions: 1 });
    assert.deepEqual(proxy.seen.map((s) => s.outcome), ['answered 429', 'answered 503', 'forwarded 200']);
  });

  it('a request whose answer was lost is retried and picks up the same executor run (no second execution)', async () => {
    proxy.plan = ['drop-answer'];
    const run = await control.tool('test.remote_echo', { text: 'once' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, { echo: 'once', executions: 1 }, 'the retry got the first execution, not a second');
    assert.deepEqual(proxy.seen.map((s) => s.outcome), ['forwarded, answer 200 dropped', 'forwarded 200']);
  });

  /** The executor's lines the control plane relayed onto its run, in order. */
  const relayedLines = async (runId: string) =>
    ((await control.backend.engine.events(runId)) as Array<{ type: string; data: { message?: string } }>)
      .filter((e) => (e.type === 'progress' || e.type === 'log') && /echoing on|echo step/.test(e.data.message ?? ''))
      .map((e) => `${e.type}: ${e.data.message}`);

  it('a retry after a lost answer still relays every line the executor run wrote before it, once', async () => {
    // The retry finds the run already done: every line it wrote was before this stream subscribed.
    proxy.plan = ['drop-answer'];
    const run = await control.tool('test.remote_echo', { text: 'replayed' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(await relayedLines(run.id), ['progress: echoing on the executor', 'log: executor: echo step done']);
  });

  it('a stream cut after its first line is resumed after that line: nothing missed, nothing twice', async () => {
    proxy.plan = [{ cutAfterLines: 1 }];
    const run = await control.tool('test.remote_echo', { text: 'resumed' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(proxy.seen.map((s) => s.outcome), ['forwarded, answer 200 cut after 1 lines', 'forwarded 200']);
    assert.deepEqual(await relayedLines(run.id), ['progress: echoing on the executor', 'log: executor: echo step done']);
  });

  it('gives up after its bounded tries with a clear unavailable error', async () => {
    proxy.plan = Array.from({ length: 10 }, () => ({ status: 503 }));
    const run = await control.tool('test.remote_echo', { text: 'never' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'unavailable');
    assert.match(run.error!.message, /did not answer after 5 tries: it answered 503/);
    assert.equal(proxy.seen.length, 5);
  });

  it("reports the tool's own error from the executor as the run's error", async () => {
    const run = await control.tool('test.remote_fail', {});
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'invalid_state');
    assert.equal(run.error?.message, 'the service has no revision to roll back to');
  });

  it('a high-risk tool waits for approval on the control plane only, then runs on the executor', async () => {
    const conn = { url: control.url, token: control.token };
    const created = await callRoute(conn, 'createRun', { body: { tool: 'test.remote_high', input: {} } });
    assert.equal(created.status, 'awaiting_approval');
    assert.equal(proxy.seen.length, 0, 'nothing reached the executor before approval');
    await callRoute(conn, 'approveRun', { params: { id: created.id }, body: {} });
    const done = await callRoute(conn, 'waitRun', { params: { id: created.id }, query: { timeoutMs: 20_000 } });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  });

  it('cancelling on the control plane cancels the run on the executor', async () => {
    const conn = { url: control.url, token: control.token };
    const created = await callRoute(conn, 'createRun', { body: { tool: 'test.remote_slow', input: { ms: 15_000 } } });
    const deadline = Date.now() + 10_000;
    while (!slowStarted.includes(created.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(slowStarted.includes(created.id), 'the executor started the run');
    await callRoute(conn, 'cancelRun', { params: { id: created.id } });
    const done = await callRoute(conn, 'waitRun', { params: { id: created.id }, query: { timeoutMs: 10_000 } });
    assert.equal(done.status, 'cancelled');
    while (!slowAborted.includes(created.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(slowAborted.includes(created.id), "the executor's handler saw its signal abort");
    const mine = await executor.engine.list({ tool: 'test.remote_slow' });
    const served = mine.runs.find((r) => r.labels[UPSTREAM_LABELS.runId] === created.id);
    assert.equal(served?.status, 'cancelled');
  });

  it('will not start as an executor without the audience it accepts tokens for', async () => {
    await assert.rejects(
      createBackend({ env: { DATABASE_URL: executorDb.url }, overrides: { role: 'executor', dataDir: tempDir(), port: 0 }, stderr: () => undefined }),
      (err: Error) => err instanceof ProductOsError && /PRODUCT_OS_EXECUTOR_AUDIENCE/.test(err.message),
    );
  });
});
