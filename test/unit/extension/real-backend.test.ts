/**
 * The extension's backend layer against the real thing: the HTTP client and SSE against an
 * in-process backend, and the process layer and supervisor starting the built dist/cli.js
 * (run `npm run build` first; `npm test` does).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogLine, Run, RunEvent } from '../../../contracts/rest';
import { BackendClient, checkHealth } from '../../../extension/backend/client';
import { bundledLauncher, newToken } from '../../../extension/backend/launcher';
import { launchProcess } from '../../../extension/backend/process';
import { SharedState, isProcessAlive } from '../../../extension/backend/shared-state';
import { Supervisor } from '../../../extension/backend/supervisor';
import { nullLogger, systemClock, type Logger } from '../../../extension/backend/types';
import { backendEnv, readSettings } from '../../../extension/settings';
import { startBackend, type TestBackend } from '../../helpers/backend';

const CLI = path.join(__dirname, '../../../dist/cli.js');
const waitFor = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('extension: client against an in-process backend', function () {
  this.timeout(60_000);
  let b: TestBackend;
  let client: BackendClient;
  before(async () => {
    b = await startBackend();
    client = new BackendClient({ connect: async () => ({ url: b.url, mcpUrl: `${b.url}/mcp`, token: b.token }), timeoutMs: () => 10_000 });
  });
  after(async () => {
    client.dispose();
    await b.close();
  });

  it('lists tools with their availability and input schemas', async () => {
    const { tools } = await client.call('listTools', {});
    const ping = tools.find((t) => t.name === 'system.ping');
    assert.equal(ping?.available, true);
    assert.equal((ping?.inputSchema as { type: string }).type, 'object');
  });

  it('follows a run live: run changes, its events until the final state, and log lines', async () => {
    const runs: Run[] = [];
    const offRun = client.onRun((r) => runs.push(r));
    await new Promise((r) => setTimeout(r, 200)); // let the stream open
    const run = await client.call('createRun', { body: { tool: 'system.ping', input: { message: 'hi' } } });
    const logs: LogLine[] = [];
    const offLog = client.onLog((l) => logs.push(l), run.id);
    await new Promise((r) => setTimeout(r, 200));
    await b.backend.context.logger.info('test', 'a line for this run', { runId: run.id });
    await b.backend.context.logger.info('test', 'a line for no run');
    const events: RunEvent[] = [];
    await new Promise<void>((resolve) => {
      client.onRunEvents(run.id, (e) => {
        events.push(e);
        if (e.type === 'state' && (e.data as { to: string }).to === 'succeeded') resolve();
      });
    });
    const states = events.filter((e) => e.type === 'state').map((e) => (e.data as { to: string }).to);
    assert.deepEqual(states.slice(-1), ['succeeded']);
    assert.equal(states[0], 'queued');
    await waitFor(() => runs.some((r) => r.id === run.id && r.status === 'succeeded'));
    await waitFor(() => logs.some((l) => l.message === 'a line for this run'));
    assert.ok(logs.every((l) => l.runId === run.id), 'only this run\'s lines');
    offRun();
    offLog();
  });

  it('answers a bad input with the field that was wrong', async () => {
    await assert.rejects(client.call('createRun', { body: { tool: 'system.ping', input: { mesage: 'x' } } }), (e: unknown) => {
      const err = e as { status: number; code: string; message: string };
      assert.equal(err.status, 400);
      assert.equal(err.code, 'invalid_input');
      assert.match(err.message, /mesage/);
      return true;
    });
  });
});

describe('extension: the real backend process', function () {
  this.timeout(90_000);
  let dataDir: string;
  before(function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  });
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const spec = (token: string) => ({
    command: process.execPath,
    args: [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--data', dataDir],
    env: backendEnv(process.env, readSettings(() => undefined), token, undefined),
    readyTimeoutMs: 60_000,
  });
  const realSpawn = (command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) => spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });

  it('starts dist/cli.js, waits for the ready line, passes the health check and stops on SIGTERM', async () => {
    const token = newToken();
    const proc = await launchProcess(spec(token), realSpawn, () => {});
    assert.match(proc.ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await checkHealth({ url: proc.ready.url, mcpUrl: proc.ready.mcp, token }, 5000);
    await assert.rejects(checkHealth({ url: proc.ready.url, mcpUrl: proc.ready.mcp, token: 'not-the-token-0123456789' }, 5000), { status: 401 });
    const exit = await proc.stop(10_000);
    assert.deepEqual(exit, { code: 0, signal: null }, 'a graceful exit, not a kill');
    assert.ok(!fs.existsSync(path.join(dataDir, 'backend.lock')), 'the data folder lock was released');
  });

  it('names the reason when the backend refuses to start (its stderr reaches the log)', async () => {
    const lines: string[] = [];
    const bad = { ...spec(newToken()), env: { ...spec(newToken()).env, PRODUCT_OS_MEDIUM_RISK: 'sometimes' } };
    await assert.rejects(launchProcess(bad, realSpawn, (level, text) => lines.push(`${level} ${text}`)), /exited \(code 2\) before it was ready: .*PRODUCT_OS_MEDIUM_RISK must be auto or approval/);
    assert.ok(lines.some((l) => /PRODUCT_OS_MEDIUM_RISK/.test(l)));
  });

  it('supervises it: restarts it after a crash, shares it with another window, and shuts it down', async () => {
    const logged: string[] = [];
    const log: Logger = { ...nullLogger, info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) };
    const shared = new SharedState(path.join(dataDir, 'extension-backend.json'));
    const launcherFor = (ownerPid: number) =>
      bundledLauncher({
        spec,
        spawn: realSpawn,
        shared,
        health: (c) => checkHealth(c, 5000),
        isAlive: isProcessAlive,
        kill: (pid, sig) => process.kill(pid, sig),
        log,
        clock: systemClock,
        ownerPid,
      });
    const sup = new Supervisor({ launch: launcherFor(process.pid), health: (c) => checkHealth(c, 5000), clock: systemClock, log });
    const first = await sup.ensureReady();
    const pid1 = sup.state.kind === 'ready' ? sup.state.pid : undefined;
    assert.ok(pid1 && isProcessAlive(pid1));
    const record = shared.read();
    assert.equal(record?.pid, pid1);
    assert.equal(record?.token, first.token);
    assert.equal(fs.statSync(path.join(dataDir, 'extension-backend.json')).mode & 0o777, 0o600);

    // Another window (another extension host, alive) attaches instead of fighting for the folder.
    const sibling = await launcherFor(process.ppid)();
    assert.equal(sibling.origin, 'attached');
    assert.deepEqual(sibling.connection, first);

    // A crash: restarted after 1 s with a new port and token.
    process.kill(pid1, 'SIGKILL');
    await waitFor(() => sup.state.kind === 'restarting');
    const second = await sup.ensureReady();
    assert.notEqual(second.token, first.token);
    await checkHealth(second, 5000);
    const pid2 = sup.state.kind === 'ready' ? sup.state.pid : undefined;
    assert.ok(pid2 && pid2 !== pid1);

    await sup.stop();
    await waitFor(() => !isProcessAlive(pid2));
    assert.equal(shared.read(), undefined, 'the record is removed with the process');
    assert.ok(logged.some((l) => /exited unexpectedly \(signal SIGKILL\)/.test(l)));
  });

  it('stops an orphan left by a window that is gone, then starts its own', async () => {
    const token = newToken();
    const orphan = await launchProcess(spec(token), realSpawn, () => {});
    // Up and answering, as an orphan is (the backend installs its SIGTERM handler just after
    // the ready line: a signal in between would kill it without a graceful shutdown).
    await checkHealth({ url: orphan.ready.url, mcpUrl: orphan.ready.mcp, token }, 5000);
    const shared = new SharedState(path.join(dataDir, 'extension-backend.json'));
    // The window that started it is gone: a pid that is not alive.
    shared.write({ pid: orphan.pid!, ownerPid: 2 ** 22 + 12345, url: orphan.ready.url, mcpUrl: orphan.ready.mcp, token, startedAt: '' });
    const launched = await bundledLauncher({
      spec,
      spawn: realSpawn,
      shared,
      health: (c) => checkHealth(c, 5000),
      isAlive: isProcessAlive,
      kill: (pid, sig) => process.kill(pid, sig),
      log: nullLogger,
      clock: systemClock,
      ownerPid: process.pid,
    })();
    assert.equal(launched.origin, 'spawned');
    assert.notEqual(launched.pid, orphan.pid);
    assert.deepEqual(await orphan.exited, { code: 0, signal: null });
    await launched.stop(10_000);
  });
});
