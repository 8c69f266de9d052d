import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { createBackend, type Backend } from '../../backend/main';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import type { LocalHandler } from '../../backend/executors/local';
import { callRoute } from '../../contracts/client';
import { tempDir } from '../helpers/backend';
import { redact } from '../../common/redact';

/**
 * DEBUG_REDACTED_MODE with PII samples through every log path: the backend logger (its stderr
 * mirror, the stored lines GET /api/logs serves and streams), a run's log and progress events
 * (a Docker worker's log lines arrive through the same ExecutionContext.log), the engine's log
 * of a failed handler, and the CLI's diagnostics. On (the default) none of the samples is
 * there; off, every one is, verbatim.
 */
const SAMPLES = {
  email: 'alice.founder@example.com',
  key: 'sk-live0123456789abcdefABCDEF',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlMTIzNDU',
  password: 'hunter2hunter2',
  ipv4: '203.0.113.77',
  ipv6: '2001:db8::8a2e:370:7334',
  home: 'alicejones',
  container: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  shortContainer: '4f9a1c2b3d5e',
};
const TEXT = `user ${SAMPLES.email} key ${SAMPLES.key} auth Bearer ${SAMPLES.jwt} password=${SAMPLES.password} from ${SAMPLES.ipv4} and ${SAMPLES.ipv6} file /home/${SAMPLES.home}/app/.env container ${SAMPLES.container} short ${SAMPLES.shortContainer}`;

const TOOL = {
  title: 'PII (test)',
  description: 'Logs, reports progress and fails with personal data in the text.',
  module: 'system',
  risk: 'low',
  idempotent: true,
  timeout_seconds: 30,
  executor: { kind: 'local', handler: 'test.pii' },
  inputSchema: { type: 'object', additionalProperties: false, properties: { fail: { type: 'boolean' } } },
  outputSchema: { type: 'object', additionalProperties: false, properties: { ok: { type: 'boolean' } } },
};
const pii: LocalHandler = async (input: { fail?: boolean }, ctx) => {
  await ctx.log('info', `worker says: ${TEXT}`, { detail: TEXT, nested: { list: [TEXT] } });
  await ctx.progress({ progress: 1, total: 2, message: `halfway for ${TEXT}` });
  if (input.fail) throw new Error(`crashed on ${TEXT}`);
  return { ok: true };
};

function leaks(text: string): string[] {
  return Object.entries(SAMPLES)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
}

async function withBackend(redacted: boolean, fn: (b: Backend, stderr: string[]) => Promise<void>): Promise<void> {
  const registry = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  registry.tools['test.pii'] = TOOL;
  const registryFile = path.join(tempDir('product-os-redaction-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(registryFile, stringify(registry));
  const stderr: string[] = [];
  const dataDir = tempDir('product-os-redaction-');
  const backend = await createBackend({
    env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_REGISTRY: registryFile, DEBUG_REDACTED_MODE: redacted ? 'true' : 'false' },
    overrides: { dataDir, port: 0 },
    handlers: new Map([['test.pii', pii]]),
    stderr: (l) => stderr.push(l),
  });
  try {
    await backend.listen();
    await fn(backend, stderr);
  } finally {
    await backend.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Everything each log path holds after a logger line, a run that logs, and a run that fails. */
async function exercise(backend: Backend, stderr: string[]): Promise<Record<string, string>> {
  const conn = { url: backend.url!, token: backend.token };
  const streamed: string[] = [];
  const off = backend.context.bus.onLog((l) => streamed.push(JSON.stringify(l)));
  await backend.context.logger.warn('test', `backend saw ${TEXT}`, { detail: TEXT });
  const runs = [];
  for (const fail of [false, true]) {
    const run = await callRoute(conn, 'createRun', { body: { tool: 'test.pii', input: { fail } } });
    runs.push(await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 20_000 } }));
  }
  assert.deepEqual(runs.map((r) => r.status), ['succeeded', 'failed']);
  await backend.context.logger.flush();
  off();
  const events = [];
  for (const r of runs) events.push(...(await backend.engine.events(r.id, 0)));
  const stored = await callRoute(conn, 'listLogs', { query: { limit: 1000 } });
  return {
    'stderr mirror': stderr.join('\n'),
    'stored logs (GET /api/logs)': JSON.stringify(stored.lines),
    'log stream': streamed.join('\n'),
    'run log events': JSON.stringify(events.filter((e) => e.type === 'log')),
    'run progress events': JSON.stringify(events.filter((e) => e.type === 'progress')),
    "the engine's log of a failed handler": stderr.filter((l) => l.includes('crashed on')).join('\n'),
  };
}

function cli(env: Record<string, string>): Promise<string> {
  const root = path.resolve(__dirname, '../..');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'backend/cli.ts'), 'tools'], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (_err, _stdout, stderr) => resolve(stderr));
  });
}

describe('redacted debug mode (DEBUG_REDACTED_MODE) on every log path', function () {
  this.timeout(180_000);

  it('the masks cover each kind of sample, and leave ordinary text alone', () => {
    assert.deepEqual(leaks(redact(TEXT)), []);
    for (const plain of ['std::vector<int> at 12:30:45', 'run 7 took 1.5 s', 'Foo::Bar.baz()']) assert.equal(redact(plain), plain);
  });

  it('on (the default): no sample reaches the stderr mirror, stored or streamed logs, run events, or the engine\'s error log', async () => {
    await withBackend(true, async (backend, stderr) => {
      const paths = await exercise(backend, stderr);
      for (const [where, text] of Object.entries(paths)) {
        assert.ok(text.length > 0, `${where} has something to look at`);
        assert.deepEqual(leaks(text), [], `${where} leaks`);
        assert.match(text, /\[redacted-email\]/, `${where} shows where it masked`);
      }
    });
  });

  it('off: every sample is there verbatim, for isolated debugging', async () => {
    await withBackend(false, async (backend, stderr) => {
      const paths = await exercise(backend, stderr);
      for (const [where, text] of Object.entries(paths)) assert.deepEqual(leaks(text).sort(), Object.keys(SAMPLES).sort(), `${where} is verbose`);
    });
  });

  it('the CLI\'s diagnostics are masked when on and verbatim when off', async () => {
    // An invalid setting whose message repeats the address it was given.
    const env = { PRODUCT_OS_DATA: tempDir('product-os-redaction-cli-'), PRODUCT_OS_LLM_URL: `http://${SAMPLES.ipv4}:8080/v1` };
    const on = await cli({ ...env, DEBUG_REDACTED_MODE: 'true' });
    assert.match(on, /PRODUCT_OS_LLM_URL/);
    assert.ok(!on.includes(SAMPLES.ipv4), on);
    const off = await cli({ ...env, DEBUG_REDACTED_MODE: 'false' });
    assert.ok(off.includes(SAMPLES.ipv4), off);
  });
});
