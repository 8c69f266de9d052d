import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { request, tempDir } from '../helpers/backend';
import { CLI, spawnServe, spawnServeFromSource, type ServeProcess } from '../helpers/serve-process';
import { ExecutorReadyLine } from '../../contracts/ready-line';
import { compileSchema } from '../../contracts/validator';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../helpers/fake-google-identity';

const exec = promisify(execFile);

/**
 * The TCP addresses a process listens on, from /proc (Linux): its socket inodes, matched
 * against the kernel's IPv4 and IPv6 socket tables, state LISTEN (0A).
 */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }).toString());
    if (m) inodes.add(m[1]);
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue;
      const [hex, portHex] = f[1].split(':');
      const port = parseInt(portHex, 16);
      if (hex.length === 8) out.push(`${[...Buffer.from(hex, 'hex')].reverse().join('.')}:${port}`);
      else out.push(`[${hex}]:${port}`); // IPv6 (wildcard or otherwise): never expected here
    }
  }
  return out.sort();
}

/** Whether a TCP connection to host:port is accepted (bounded: a silent drop counts as no). */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(5000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Runs the built CLI; resolves with its exit code and output instead of throwing. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, PRODUCT_OS_URL: '', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('product-os CLI', function () {
  this.timeout(60_000);

  it('demo fills a data folder once; call runs tools against it; exit codes say what happened', async () => {
    const data = tempDir();
    const demo = await cli(['demo', '--data', data]);
    assert.equal(demo.code, 0, demo.stderr);
    const filled = JSON.parse(demo.stdout) as { events: { status: string; events: number } };
    assert.deepEqual({ ...filled, events: filled.events.status }, { event: 'demo', dataDir: data, cards: 7, brand: 'created', events: 'created' });
    assert.ok(filled.events.events > 10_000, 'the demo brings a product’s events for Insights');
    const again = JSON.parse((await cli(['demo', '--data', data])).stdout) as { brand: string; events: { status: string } };
    assert.deepEqual([again.brand, again.events.status], ['kept', 'kept'], 'a second demo changes nothing');
    const stat = fs.statSync(path.join(data, 'token'));
    assert.equal(stat.mode & 0o777, 0o600, 'the generated token is private');

    const ping = await cli(['call', 'system.ping', '--input', '{"message":"hi"}', '--data', data]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(JSON.parse(ping.stdout).message, 'hi');

    const brand = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"default"}', '--data', data]);
    assert.equal(JSON.parse(brand.stdout).brand.name, 'Lumen Notes');

    const bad = await cli(['call', 'system.ping', '--input', '{"mesage":"hi"}', '--data', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown field \/mesage/);

    const notJson = await cli(['call', 'system.ping', '--input', '{oops', '--data', data]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /--input is not valid JSON/);

    const missing = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"nobody"}', '--data', data]);
    assert.equal(missing.code, 1, 'a failed run exits 1');
    assert.match(missing.stderr, /no brand profile "nobody"/);

    const waiting = await cli(['call', 'brand.update_profile', '--input', '{"profile_id":"default","patch":{"name":"X"}}', '--data', data], { PRODUCT_OS_MEDIUM_RISK: 'approval' });
    assert.equal(waiting.code, 3, 'a run waiting for approval exits 3');
    assert.equal(JSON.parse(waiting.stdout).status, 'awaiting_approval');

    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.match((await cli(['serve', '--port', 'x'])).stderr, /--port must be 0\.\.65535/);
  });

  it('a new user\'s first steps: tools lists, call --help explains, a typo gets "did you mean", get_profile says what to do', async () => {
    const data = tempDir();
    const list = await cli(['tools', '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^brand\.get_profile +low +\S/m);
    assert.match(list.stdout, /^system\.ping /m);
    const json = JSON.parse((await cli(['tools', '--json', '--data', data])).stdout) as Array<{ name: string; available: boolean }>;
    assert.ok(json.some((t) => t.name === 'system.ping' && t.available));

    const help = await cli(['call', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /product-os call <tool> --input/);
    const toolHelp = await cli(['call', 'brand.get_profile', '--help', '--data', data]);
    assert.equal(toolHelp.code, 0, toolHelp.stderr);
    assert.match(toolHelp.stdout, /profile_id +string/);
    assert.match(toolHelp.stdout, /product-os call brand\.get_profile --input '\{"profile_id":"…"\}'/);

    const typo = await cli(['call', 'brand.get_profil', '--input', '{"profile_id":"default"}', '--data', data]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no tool named "brand\.get_profil"; did you mean brand\.get_profile\?/);
    assert.doesNotMatch((await cli(['call', 'frobnicate.all', '--data', data])).stderr, /did you mean/, 'no wild guesses');

    const fresh = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"default"}', '--data', data]);
    assert.equal(fresh.code, 1);
    assert.match(fresh.stderr, /no brand profile "default" yet: fill it in the Company Brain panel or call brand\.update_profile \(product-os demo saves a sample one\)/);
  });

  it('approve and deny decide a run waiting for approval', async () => {
    const data = tempDir();
    const env = { PRODUCT_OS_MEDIUM_RISK: 'approval' };
    const waiting = async (name: string) => {
      const res = await cli(['call', 'brand.update_profile', '--input', JSON.stringify({ profile_id: 'default', patch: { name } }), '--data', data], env);
      assert.equal(res.code, 3, res.stderr);
      assert.match(res.stderr, /product-os approve /);
      return JSON.parse(res.stdout).runId as string;
    };
    const first = await waiting('Approved Co');
    const approved = await cli(['approve', first, '--reason', 'looks right', '--data', data], env);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(JSON.parse(approved.stdout).ok, true, 'approve waits for the run and prints its output');
    const second = await waiting('Denied Co');
    const denied = await cli(['deny', second, '--data', data], env);
    assert.equal(denied.code, 0, denied.stderr);
    assert.deepEqual(JSON.parse(denied.stdout), { runId: second, status: 'cancelled', denied: true });
    const again = await cli(['approve', second, '--data', data], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is cancelled, not awaiting approval/);
    const brand = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"default"}', '--data', data]);
    assert.equal(JSON.parse(brand.stdout).brand.name, 'Approved Co');
    assert.match((await cli(['approve', '--data', data])).stderr, /approve needs exactly one run id/);
  });

  it('the Google Cloud clients are a bundle of their own beside the CLI, loaded only when used', async () => {
    const chunk = path.join(path.dirname(CLI), 'google-cloud.js');
    // The CLI bundle names the chunk but holds none of the clients' code (a third of the bytes to compile at every start).
    const bundle = fs.readFileSync(CLI, 'utf8');
    assert.ok(bundle.includes('require("./google-cloud.js")'));
    assert.ok(!bundle.includes('google.cloud.run.v2') && fs.readFileSync(chunk, 'utf8').includes('google.cloud.run.v2'));
    // Each package the backend uses is there, and loads.
    const probe = `const c = require(${JSON.stringify(chunk)}); console.log(JSON.stringify({ names: Object.keys(c), kinds: Object.keys(c).map((k) => typeof c[k]) }));`;
    const { stdout } = await exec(process.execPath, ['-e', probe]);
    const seen = JSON.parse(stdout) as { names: string[]; kinds: string[] };
    for (const name of ['@google-cloud/run', '@google-cloud/cloudbuild', '@google-cloud/logging', '@google-cloud/bigquery', '@google-cloud/firestore', '@google-cloud/secret-manager', 'google-auth-library']) assert.ok(seen.names.includes(name), name);
    assert.ok(seen.kinds.every((k) => k === 'object' || k === 'function'), seen.kinds.join());
  });

  describe('serve', () => {
    let proc: ServeProcess;
    const token = 'cli-test-token-0123456789';
    const data = tempDir();
    before(async () => {
      proc = await spawnServe(['--data', data], { PRODUCT_OS_TOKEN: token });
    });
    after(async () => {
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0, 'SIGTERM shuts down cleanly');
      assert.equal(fs.existsSync(path.join(data, 'backend.lock')), false, 'and releases the data folder');
    });

    it('prints a ready line and listens on 127.0.0.1 only', async () => {
      assert.match(proc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await request(proc.url, token, 'GET', '/health')).body.status, 'ok');
      const port = Number(new URL(proc.url).port);
      // The kernel's view of the process's listening sockets: one, bound to 127.0.0.1.
      assert.deepEqual(listeningAddresses(proc.child.pid!), [`127.0.0.1:${port}`]);
      // Another address of this host (127.0.0.2 is on lo on every Linux host; a socket bound to
      // 0.0.0.0 would answer there) and any non-loopback one are refused.
      const others = ['127.0.0.2', ...Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address)];
      for (const host of others) assert.equal(await connects(host, port), false, `the backend answers on ${host}:${port}`);
    });

    it('refuses a second backend on the same data folder, naming the one that has it', async () => {
      const second = await cli(['call', 'system.ping', '--data', data]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`in use by another Product OS backend \\(pid ${proc.child.pid}\\)`));
    });

    it('call uses PRODUCT_OS_URL when set, with the token it is given', async () => {
      const ok = await cli(['call', 'system.ping', '--input', '{"message":"remote"}'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: token });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).message, 'remote');
      const runs = await request(proc.url, token, 'GET', '/api/runs?tool=system.ping');
      assert.equal(runs.body.runs[0].caller, 'api:cli');

      const tools = await cli(['tools'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: token });
      assert.match(tools.stdout, /^system\.ping /m, tools.stderr);
      const typo = await cli(['call', 'sytem.ping'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: token });
      assert.match(typo.stderr, /did you mean system\.ping\?/);

      const wrong = await cli(['call', 'system.ping'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: 'not-the-token-at-all' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /wrong bearer token/);
    });
  });

  describe('serve --role executor', () => {
    const audience = 'https://executor.example.a.run.app';
    let identity: FakeGoogleIdentity;
    let proc: ServeProcess;
    before(async () => {
      identity = await startFakeGoogleIdentity();
      proc = await spawnServeFromSource(['--role', 'executor', '--data', tempDir()], {
        PRODUCT_OS_EXECUTOR_AUDIENCE: audience,
        PRODUCT_OS_EXECUTOR_INVOKERS: identity.email,
        PRODUCT_OS_EXECUTOR_CERTS_URL: identity.certsUrl,
        PRODUCT_OS_STORE: 'pglite',
      });
    });
    after(async () => {
      proc?.child.kill('SIGTERM');
      await proc?.exited;
      await identity?.close();
    });

    it('its ready line names what it serves, each route there, and no /mcp (which it does not serve)', async () => {
      assert.deepEqual(compileSchema(ExecutorReadyLine)(proc.ready), [], JSON.stringify(proc.ready));
      assert.equal(proc.ready.mcp, undefined, JSON.stringify(proc.ready));
      const serves = proc.ready.serves as string[];
      assert.ok(serves.includes('GET /health') && serves.includes('POST /_executor/cancel'), serves.join(', '));
      assert.ok(serves.some((r) => /^POST \/execute\//.test(r)), serves.join(', '));
      // With a valid ID token (past the check that answers 401 to anything), a route that is
      // not there answers 404; each named one is there (an empty body is refused with 400).
      const authorization = `Bearer ${identity.sign({ aud: audience, sub: '1', email: identity.email, email_verified: true })}`;
      const ask = (method: string, p: string) => fetch(`${proc.url}${p}`, { method, headers: { authorization, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      for (const route of serves) {
        const [method, p] = route.split(' ');
        const res = await ask(method, p);
        assert.ok(res.status === 200 || res.status === 400, `${route}: ${res.status}`);
      }
      assert.equal((await ask('POST', '/mcp')).status, 404);
    });
  });
});
