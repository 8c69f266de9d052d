/**
 * Deploy Service… (the command the palette, the Services view's title and a service's menu
 * run): a deploy whose traffic stays pinned by an earlier rollback (Cloud Run) offers to send
 * the traffic to the latest revision, which is a rollback to "latest" (high risk, approved like
 * any rollback); a deploy whose new revision never became healthy offers that revision's logs;
 * a plain deploy offers to open the service; in a git workspace the ref offered is the one
 * checked out. Against the fake backend.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fake, fakeContext } from './vscode-fake';
import { activate, deactivate } from '../../../extension/extension';
import { checkedOut, followLogs, stopFollowingLogs } from '../../../extension/commands/service-commands';
import type { Services } from '../../../extension/services';
import type { RunEvent } from '../../../contracts/rest';
import { startFakeBackend, tool, TOKEN, type FakeBackendServer } from './fake-backend';

const ROOT = path.join(__dirname, '../../..');

const DEPLOY_SCHEMA = {
  type: 'object',
  required: ['service_name', 'env'],
  properties: { service_name: { type: 'string' }, env: { type: 'string', enum: ['dev', 'prod'] }, region: { type: 'string' } },
};
const ROLLBACK_SCHEMA = {
  type: 'object',
  required: ['service_name', 'env', 'reason'],
  properties: { service_name: { type: 'string' }, region: { type: 'string' }, env: { type: 'string', enum: ['dev', 'prod'] }, to_revision: { type: 'string' }, reason: { type: 'string' } },
};
const PIN = 'revision web-00003 is deployed but serves no traffic: all traffic is pinned to revision web-00001: later deploys create revisions but send them no traffic until traffic goes back to latest';

describe('extension: Deploy Service…', function () {
  this.timeout(20_000);
  let backend: FakeBackendServer;

  beforeEach(async () => {
    backend = await startFakeBackend();
    backend.tools = [tool('cloudrun.deploy_service', 'local', DEPLOY_SCHEMA), tool('cloudrun.rollback_service', 'local', ROLLBACK_SCHEMA, { risk: 'high' })];
    fake.reset();
    fake.settings.set('productOs.server.url', backend.url);
    const context = fakeContext(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-storage-')));
    await activate(context as unknown as vscode.ExtensionContext);
    await context.secrets.store('productOs.server.token', TOKEN);
  });

  afterEach(async () => {
    await deactivate();
    await backend.close();
  });

  /** Answers the deploy's questions: service web, env dev, and the region when given (an optional setting here). */
  function answerDeploy(opts: { region?: string } = {}): void {
    fake.inputBoxAnswers.push('web', ...(opts.region ? [opts.region] : []));
    fake.quickPickAnswers.push(
      (items: unknown) => (items as Array<{ label: string }>).find((i) => i.label === 'dev'),
      (items: unknown) => (items as Array<{ label: string }>).filter((i) => opts.region && i.label === 'region'),
    );
  }

  const created = () => backend.requests.filter((r) => r.method === 'POST' && r.path === '/api/runs').map((r) => r.body as { tool: string; input: Record<string, unknown> });

  it('a deploy pinned by an earlier rollback offers to send traffic to the latest revision: a rollback to "latest"', async () => {
    backend.output = { service_url: 'https://web.run.app', revision: 'web-00003', warnings: [PIN] };
    answerDeploy();
    fake.messageAnswers.push('Send Traffic to Latest');
    await fake.commands.get('productOs.deployService')!();
    const offer = fake.messages.find((m) => m.level === 'warning');
    assert.match(offer?.message ?? '', /Deployed revision web-00003, but traffic stays pinned by an earlier rollback/);
    assert.deepEqual(offer?.items, ['Send Traffic to Latest']);
    const runs = created();
    assert.deepEqual(runs.map((r) => r.tool), ['cloudrun.deploy_service', 'cloudrun.rollback_service']);
    assert.deepEqual(runs[1].input, { service_name: 'web', env: 'dev', to_revision: 'latest', reason: 'send traffic to the latest revision (web-00003) after a deploy' });
    assert.ok(fake.executed.some((e) => e.id === 'productOs.refreshServices'), 'the Services view reads again');
  });

  it('a deploy pinned by an earlier rollback changes nothing more when the offer is dismissed', async () => {
    backend.output = { service_url: 'https://web.run.app', revision: 'web-00003', warnings: [PIN] };
    answerDeploy();
    fake.messageAnswers.push(undefined);
    await fake.commands.get('productOs.deployService')!();
    assert.deepEqual(created().map((r) => r.tool), ['cloudrun.deploy_service']);
  });

  it('a deploy whose revision never became healthy offers that revision\'s logs beside the error', async () => {
    backend.outcome = 'fail';
    backend.error = { code: 'executor_failed', message: 'revision web-00002-def never became healthy: its container exited with code 3; traffic stays on revision web-00001-abc.', details: { revision: 'web-00002-def', serving_revision: 'web-00001-abc' } };
    answerDeploy({ region: 'local' });
    await fake.commands.get('productOs.deployService')!();
    const error = fake.messages.find((m) => m.level === 'error');
    assert.match(error?.message ?? '', /^Deploy failed: revision web-00002-def never became healthy/);
    assert.deepEqual(error?.items, ['Show Revision Logs', 'Show Run']);
  });

  it('a deploy that failed before any revision existed keeps the usual error and its ways out', async () => {
    backend.outcome = 'fail';
    backend.error = { code: 'not_found', message: 'ref "nope" does not exist in the repository' };
    answerDeploy({ region: 'local' });
    await fake.commands.get('productOs.deployService')!();
    const error = fake.messages.find((m) => m.level === 'error');
    assert.match(error?.message ?? '', /ref "nope" does not exist/);
    assert.deepEqual(error?.items, ['Show Run', 'Show Backend Log']);
  });

  it('in a git workspace, the repository is preset and the ref offered is what it has checked out', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-deploy-ws-'));
    fs.mkdirSync(path.join(repo, '.git'));
    fs.writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/release/1.2\n');
    backend.tools = [tool('cloudrun.deploy_service', 'local', { ...DEPLOY_SCHEMA, required: ['service_name', 'repo', 'ref'], properties: { service_name: { type: 'string' }, repo: { type: 'string' }, ref: { type: 'string' } } })];
    backend.output = { service_url: 'http://127.0.0.1:4000', revision: 'web-00001-abc' };
    const ws = vscode.workspace as unknown as { workspaceFolders: unknown };
    ws.workspaceFolders = [{ uri: { scheme: 'file', fsPath: repo } }];
    try {
      fake.inputBoxAnswers.push('web', (_: unknown, options: { value?: string }) => options.value);
      await fake.commands.get('productOs.deployService')!();
      assert.deepEqual(fake.inputBoxes.map((b) => b.options.value), ['', 'release/1.2']);
      assert.deepEqual(created()[0].input, { repo, service_name: 'web', ref: 'release/1.2' });
    } finally {
      ws.workspaceFolders = undefined;
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it('reads what a repository has checked out: a branch, a detached commit, or nothing it understands', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-head-'));
    try {
      assert.equal(checkedOut(repo), undefined, 'no .git');
      fs.mkdirSync(path.join(repo, '.git'));
      fs.writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      assert.equal(checkedOut(repo), 'main');
      fs.writeFileSync(path.join(repo, '.git', 'HEAD'), `${'a1'.repeat(20)}\n`);
      assert.equal(checkedOut(repo), 'a1'.repeat(20));
      fs.writeFileSync(path.join(repo, '.git', 'HEAD'), 'garbage\n');
      assert.equal(checkedOut(repo), undefined);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it('a plain deploy says which revision serves where, and offers to open it', async () => {
    backend.output = { service_url: 'http://127.0.0.1:4000', revision: 'web-00001-abc', warnings: [] };
    answerDeploy();
    await fake.commands.get('productOs.deployService')!();
    const done = fake.messages.find((m) => /Deployed revision/.test(m.message));
    assert.equal(done?.message, 'Deployed revision web-00001-abc: http://127.0.0.1:4000');
    assert.deepEqual(done?.items, ['Open']);
    assert.deepEqual(created().map((r) => r.tool), ['cloudrun.deploy_service']);
  });
});

describe('extension: Follow Logs', () => {
  // Output channels live as long as the window (module state): each test follows services of its own.
  const summary = (name: string) => ({ service_name: name, region: 'local', service_url: 'http://127.0.0.1:4000', status: 'ready' as const, serving_revision: `${name}-00001-abc`, revision_count: 1 });
  const revisionOf = (name: string) => ({ kind: 'revision', service: summary(name), revision: { name: `${name}-00001-abc`, status: 'ready', traffic_percent: 100, created_at: '2026-11-30T10:00:00Z' } });

  /** Services whose backend records the calls and lets the test send each run's events. */
  function followServices() {
    const calls: Array<{ route: string; args: { body?: { tool: string; input: Record<string, unknown>; labels?: unknown }; params?: { id: string } } }> = [];
    const listeners = new Map<string, (e: RunEvent) => void>();
    const unsubscribed: string[] = [];
    let n = 0;
    const s = {
      api: {
        call: async (route: string, args: (typeof calls)[number]['args']) => {
          calls.push({ route, args });
          if (route === 'createRun') return { id: `00000000-0000-4000-8000-00000000000${++n}`, tool: 'logs.tail', status: 'queued' };
          if (route === 'getRun') return { id: args.params!.id, status: 'failed', error: { code: 'not_found', message: 'service web has no revision web-9' } };
          return {};
        },
        onRunEvents: (runId: string, listener: (e: RunEvent) => void) => {
          listeners.set(runId, listener);
          return () => unsubscribed.push(runId);
        },
      },
    } as unknown as Services;
    let eventId = 0;
    const send = (runId: string, type: RunEvent['type'], data: unknown, id = ++eventId) => listeners.get(runId)!({ id, runId, type, data: data as RunEvent['data'], createdAt: '2026-11-30T10:00:00Z' });
    const created = () => calls.filter((c) => c.route === 'createRun');
    const cancelled = () => calls.filter((c) => c.route === 'cancelRun').map((c) => c.args.params!.id);
    return { s, calls, send, created, cancelled, unsubscribed };
  }
  const channel = (name: string) => fake.channels.filter((c) => c.name === name);

  beforeEach(() => fake.reset());
  afterEach(() => stopFollowingLogs());

  it('one logs.tail run with follow per follow: its log events are the channel\'s lines, each once; Stop Following cancels it', async () => {
    const f = followServices();
    await followLogs(f.s, { kind: 'service', service: summary('web') });
    const [c] = f.created();
    assert.equal(f.created().length, 1);
    assert.deepEqual(c.args.body, { tool: 'logs.tail', input: { scope: 'service', service_name: 'web', region: 'local', limit: 500, since_seconds: 900, follow: true, follow_seconds: 900 } });
    const id = '00000000-0000-4000-8000-000000000001';
    f.send(id, 'state', { from: 'queued', to: 'running' });
    f.send(id, 'log', { level: 'info', message: '[web-00001-abc] serving web-00001-abc on 8080\n', timestamp: '2026-11-30T10:00:00.000Z', severity: 'DEFAULT' });
    f.send(id, 'log', { level: 'error', message: 'boom', timestamp: '2026-11-30T10:00:01.000Z', severity: 'ERROR' });
    // A reconnected stream replays from the start: what was shown is not shown again.
    f.send(id, 'log', { level: 'error', message: 'boom', timestamp: '2026-11-30T10:00:01.000Z', severity: 'ERROR' }, 3);
    f.send(id, 'log', { level: 'info', message: 'no time' });
    const [out] = channel('Product OS logs: web');
    assert.deepEqual(out.lines.map((l) => l.message), ['2026-11-30T10:00:00.000Z DEFAULT [web-00001-abc] serving web-00001-abc on 8080', '2026-11-30T10:00:01.000Z ERROR boom', 'no time']);
    stopFollowingLogs();
    assert.deepEqual(f.cancelled(), [id], 'the one run is cancelled');
    assert.deepEqual(f.unsubscribed, [id]);
    assert.equal(out.lines.at(-1)!.message, '— stopped following —');
    assert.equal(f.created().length, 1, 'no run per poll');
  });

  it('following the same service again reuses its channel, cleared, and cancels the earlier run; a revision has its own', async () => {
    const f = followServices();
    const node = { kind: 'service', service: summary('api') };
    await followLogs(f.s, node);
    await followLogs(f.s, node);
    assert.equal(channel('Product OS logs: api').length, 1, 'one channel for the service');
    assert.deepEqual(channel('Product OS logs: api')[0].lines, [], 'cleared: the new run sends the window again');
    assert.deepEqual(f.cancelled(), ['00000000-0000-4000-8000-000000000001']);
    await followLogs(f.s, revisionOf('api'));
    assert.equal(channel('Product OS logs: api-00001-abc').length, 1, 'a revision has its own');
    assert.equal(f.created().at(-1)!.args.body!.input.revision, 'api-00001-abc');
  });

  it('a follow that ends on the backend stops without cancelling; one that failed says why', async () => {
    const f = followServices();
    await followLogs(f.s, { kind: 'service', service: summary('jobs') });
    f.send('00000000-0000-4000-8000-000000000001', 'state', { from: 'running', to: 'succeeded' });
    assert.equal(channel('Product OS logs: jobs')[0].lines.at(-1)!.message, '— stopped following —');
    await followLogs(f.s, revisionOf('jobs'));
    f.send('00000000-0000-4000-8000-000000000002', 'state', { from: 'running', to: 'failed' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.cancelled(), []);
    assert.deepEqual(
      channel('Product OS logs: jobs-00001-abc')[0].lines.map((l) => l.message),
      ['— stopped following —', 'Cannot read the logs: service web has no revision web-9'],
    );
  });
});
