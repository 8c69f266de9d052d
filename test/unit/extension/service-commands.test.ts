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
  const SUMMARY = { service_name: 'web', region: 'local', service_url: 'http://127.0.0.1:4000', status: 'ready' as const, serving_revision: 'web-00001-abc', revision_count: 1 };

  /** Services whose logs.tail answers `lines` (each call a fresh copy), counting the calls. */
  function logsServices(lines: Array<{ timestamp: string; text: string }>) {
    const inputs: Array<Record<string, unknown>> = [];
    const s = {
      api: {
        call: async (route: string, args: { body?: { tool: string; input: Record<string, unknown> } }) => {
          if (route === 'createRun') inputs.push(args.body!.input);
          return { id: '00000000-0000-4000-8000-000000000001', tool: 'logs.tail', status: 'succeeded', output: { lines: lines.map((l) => ({ ...l })) } };
        },
      },
    } as unknown as Services;
    return { s, inputs };
  }

  beforeEach(() => fake.reset());
  afterEach(() => stopFollowingLogs());

  it('following the same service again reuses its channel, read again from the start: one channel, no line twice', async () => {
    const { s, inputs } = logsServices([{ timestamp: '2026-11-30T10:00:00.000Z', text: 'serving web-00001-abc on 8080' }]);
    const node = { kind: 'service', service: SUMMARY };
    await followLogs(s, node);
    await followLogs(s, node);
    const channels = fake.channels.filter((c) => c.name === 'Product OS logs: web');
    assert.equal(channels.length, 1, 'one channel for the service');
    assert.deepEqual(channels[0].lines.map((l) => l.message), ['2026-11-30T10:00:00.000Z serving web-00001-abc on 8080']);
    const { since_seconds: since, ...first } = inputs[0];
    assert.deepEqual(first, { scope: 'service', service_name: 'web', region: 'local', limit: 500 });
    assert.ok(typeof since === 'number' && since > 900, 'the first read covers the last 15 minutes');
    await followLogs(s, { kind: 'revision', service: SUMMARY, revision: { name: 'web-00001-abc', status: 'ready', traffic_percent: 100, created_at: '2026-11-30T10:00:00Z' } });
    assert.equal(fake.channels.filter((c) => c.name === 'Product OS logs: web-00001-abc').length, 1, 'a revision has its own');
    assert.equal(inputs.at(-1)!.revision, 'web-00001-abc');
  });
});
