import './vscode-hook';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fake, fakeContext } from './vscode-fake';
import { activate, deactivate } from '../../../extension/extension';
import { COMMANDS } from '../../../extension/commands/index';
import { registerMcp } from '../../../extension/mcp/register';
import type { Services } from '../../../extension/services';
import { statusText } from '../../../extension/views/status-bar';
import { startFakeBackend, tool, TOKEN, type FakeBackendServer } from './fake-backend';
import { flush } from './fakes';

const ROOT = path.join(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

async function activated(settings: Record<string, unknown> = {}) {
  fake.reset();
  for (const [k, v] of Object.entries(settings)) fake.settings.set(k, v);
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-storage-'));
  const context = fakeContext(ROOT, storage);
  const api = await activate(context as unknown as vscode.ExtensionContext);
  return { api, context, storage };
}

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('extension: activation (fake vscode)', () => {
  afterEach(async () => {
    await deactivate();
  });

  it('registers every contributed command and nothing else, and starts no backend', async () => {
    const { api, storage } = await activated();
    const contributed = (manifest.contributes.commands as Array<{ command: string }>).map((c) => c.command).sort();
    assert.deepEqual([...fake.commands.keys()].sort(), contributed);
    assert.equal(api.state().kind, 'idle');
    assert.equal(fs.existsSync(path.join(storage, 'extension-backend.json')), false);
    assert.ok(fake.treeViews.has('productOs.cards') && fake.treeViews.has('productOs.runs'));
    assert.equal(fake.context.get('productOs.backendState'), 'idle');
    assert.equal(fake.statusItems.length, 1);
    assert.match(String(fake.statusItems[0].text), /Product OS/);
    assert.equal(fake.channels[0]?.name, 'Product OS');
  });

  // How long activate() takes is a figure, not pass/fail: `npm run bench -- extension-activate`.

  it('the built bundle (dist/extension.js) loads and activates with only `vscode` external', async function () {
    const bundle = path.join(ROOT, 'dist/extension.js');
    assert.ok(fs.existsSync(bundle), `${bundle} is missing: run \`npm run build\` (npm test builds it first)`);
    fake.reset();
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-storage-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(bundle) as { activate(c: unknown): Promise<{ state(): { kind: string } }>; deactivate(): Promise<void> };
    const api = await ext.activate(fakeContext(ROOT, storage));
    try {
      assert.equal(api.state().kind, 'idle');
      assert.equal(fake.commands.size, (manifest.contributes.commands as unknown[]).length);
    } finally {
      await ext.deactivate();
    }
  });

  it('restores every panel: an onWebviewPanel event for each panel view type', async () => {
    const { PANEL_VIEW_TYPES } = await import('../../../extension/panels/index');
    const events = (manifest.activationEvents as string[]).filter((e) => e.startsWith('onWebviewPanel:')).map((e) => e.slice('onWebviewPanel:'.length));
    assert.deepEqual(events.sort(), Object.values(PANEL_VIEW_TYPES).sort());
  });

  it('has a handler for every command the table names', () => {
    for (const id of Object.keys(COMMANDS)) assert.ok((manifest.contributes.commands as Array<{ command: string }>).some((c) => c.command === id), id);
  });
});

describe('extension: commands against a backend (server mode, fake vscode)', function () {
  this.timeout(20_000);
  let backend: FakeBackendServer;
  beforeEach(async () => {
    backend = await startFakeBackend();
  });
  afterEach(async () => {
    await deactivate();
    await backend.close();
  });

  async function serverMode() {
    const a = await activated({ 'productOs.server.url': backend.url });
    await a.context.secrets.store('productOs.server.token', TOKEN);
    return a;
  }

  it('connects to the configured server with the token from secret storage', async () => {
    const { api } = await serverMode();
    const conn = await api.ensureReady();
    assert.equal(conn.url, backend.url);
    assert.equal(api.state().kind, 'ready');
    assert.equal(fake.context.get('productOs.backendState'), 'ready');
    assert.equal(backend.requests[0].path, '/health');
  });

  it('runs a card: asks the optional fields, calls cards.run and reports the result', async () => {
    backend.tools = [tool('cards.run', 'docker', { type: 'object', required: ['card_key'], properties: { card_key: { type: 'string' }, max_steps: { type: 'integer', minimum: 1, maximum: 200, default: 40 } } })];
    backend.output = { card_key: 'POS-1', status: 'completed', files_changed: ['a.ts', 'b.ts'], summary: 'Did it.', tokens: { prompt: 1, completion: 1 } };
    await serverMode();
    fake.quickPickAnswers.push((items: Array<{ label: string }>) => items.filter((i) => i.label === 'max_steps'));
    fake.inputBoxAnswers.push((_: unknown, options: { validateInput: (v: string) => string | undefined }) => {
      assert.equal(options.validateInput('0'), 'max_steps must be an integer from 1 to 200');
      return '12';
    });
    await fake.commands.get('productOs.runCard')!('POS-1');
    const post = backend.requests.find((r) => r.method === 'POST' && r.path === '/api/runs');
    assert.deepEqual(post?.body, { tool: 'cards.run', input: { card_key: 'POS-1', max_steps: 12 } });
    assert.equal(fake.progress[0].title, 'cards.run');
    const done = fake.messages.find((m) => m.level === 'info');
    assert.match(done?.message ?? '', /POS-1: completed \(2 files changed\)\. Did it\./);
  });

  it('refuses worker and remote tools in an untrusted workspace, from commands and from the API', async () => {
    backend.tools = [tool('cards.run', 'docker', { type: 'object', properties: { card_key: { type: 'string' } } }), tool('system.ping', 'local', { type: 'object', properties: {} })];
    const { api } = await serverMode();
    fake.trusted = false;
    await fake.commands.get('productOs.runCard')!('POS-1');
    assert.match(fake.messages[0]?.message ?? '', /cards\.run runs a worker or a remote executor/);
    assert.deepEqual(fake.messages[0]?.items, ['Manage Workspace Trust']);
    await assert.rejects(api.api.call('createRun', { body: { tool: 'cards.run', input: { card_key: 'POS-1' } } }), { code: 'untrusted_workspace' });
    assert.equal(backend.requests.filter((r) => r.method === 'POST').length, 0, 'nothing was called');
    // Local tools still work.
    await api.api.call('createRun', { body: { tool: 'system.ping', input: {} } });
    assert.equal(backend.requests.filter((r) => r.method === 'POST').length, 1);
  });

  it('says clearly when a tool cannot run here yet', async () => {
    backend.tools = [tool('cloudrun.deploy_service', 'http', { type: 'object' }, { available: false, unavailableReason: 'cloudrun.deploy_service runs on the http executor, which is not implemented yet' })];
    await serverMode();
    await fake.commands.get('productOs.deployService')!();
    assert.equal(fake.messages[0]?.level, 'warning');
    assert.match(fake.messages[0]?.message ?? '', /is not available yet: .*http executor, which is not implemented yet/);
  });

  it('cancelling the progress notification cancels the run in the backend', async () => {
    backend.tools = [tool('ops.gpu_report', 'docker', { type: 'object', properties: {} })];
    backend.outcome = 'hang';
    await serverMode();
    fake.quickPickAnswers.push([]);
    const running = fake.commands.get('productOs.gpuReport')!() as Promise<unknown>;
    await waitFor(() => [...backend.runs.values()].some((r) => r.status === 'running'));
    fake.progress[0].cancel();
    await running;
    assert.ok(backend.requests.some((r) => r.method === 'POST' && /\/cancel$/.test(r.path)));
    assert.match(fake.messages.at(-1)?.message ?? '', /was cancelled/);
  });

  it('copies a ready MCP config with the URL and bearer token', async () => {
    await serverMode();
    fake.quickPickAnswers.push((items: Array<{ flavor: string }>) => items.find((i) => i.flavor === 'mcpServers'));
    await fake.commands.get('productOs.copyMcpConfig')!();
    assert.deepEqual(JSON.parse(fake.clipboard), { mcpServers: { 'product-os': { url: `${backend.url}/mcp`, headers: { Authorization: `Bearer ${TOKEN}` } } } });
  });

  it('validates the configuration: the settings and the backend report', async () => {
    await serverMode();
    fake.settings.set('productOs.backend.port', -1);
    await fake.commands.get('productOs.validateConfiguration')!();
    assert.equal(fake.messages[0]?.level, 'error');
    assert.match(fake.messages[0]?.message ?? '', /productOs\.backend\.port must be an integer from 0 to 65535/);
    assert.ok(fake.channels[0].lines.some((l) => /DATABASE_URL: missing/.test(l.message)));
  });

  it('tells the user what is wrong when server mode has no token', async () => {
    await activated({ 'productOs.server.url': backend.url });
    await fake.commands.get('productOs.copyMcpConfig')!();
    await flush();
    assert.equal(fake.messages[0]?.level, 'error');
    assert.match(fake.messages[0]?.message ?? '', /no token.*Set Server Token/);
    assert.deepEqual(fake.messages[0]?.items, ['Show Backend Log', 'Restart Backend']);
  });
});

describe('extension: MCP registration (fake vscode)', () => {
  class Def {
    constructor(
      public label: string,
      public uri: vscode.Uri,
      public headers: Record<string, string> = {},
      public version?: string,
    ) {}
  }
  const services = (trusted = true) => {
    const emitter = new vscode.EventEmitter<unknown>();
    let state: { kind: string; connection?: { url: string; mcpUrl: string; token: string } } = { kind: 'idle' };
    const s = {
      settings: () => ({ registerMcp: true }),
      isTrusted: () => trusted,
      state: () => state,
      onDidChangeState: emitter.event,
      api: { mcpEndpoint: async () => ({ url: 'http://127.0.0.1:4444/mcp', token: 'tok-tok-tok-tok-tok' }) },
      log: { info() {}, warn() {} },
    };
    const set = (next: typeof state) => {
      state = next;
      emitter.fire(next);
    };
    return { s: s as unknown as Services, set };
  };
  const context = () => ({ subscriptions: [] as Array<{ dispose(): unknown }>, extension: { packageJSON: { version: '1.2.3' } } }) as unknown as vscode.ExtensionContext;

  it('offers a provider on VS Code 1.101+ that starts the backend only when resolved', async () => {
    let provider: { provideMcpServerDefinitions(): Def[]; resolveMcpServerDefinition(d: Def): Promise<Def> } | undefined;
    let id = '';
    const { s } = services();
    registerMcp(context(), s, { lm: { registerMcpServerDefinitionProvider: (i: string, p: never) => ((id = i), (provider = p), new vscode.Disposable(() => {})) }, ctor: Def as never });
    assert.equal(id, 'productOs.mcp');
    assert.equal(id, manifest.contributes.mcpServerDefinitionProviders[0].id);
    const defs = provider!.provideMcpServerDefinitions();
    assert.equal(defs.length, 1);
    assert.equal(defs[0].label, 'Product OS');
    assert.equal(defs[0].version, '1.2.3');
    const resolved = await provider!.resolveMcpServerDefinition(defs[0]);
    assert.equal(resolved.uri.toString(), 'http://127.0.0.1:4444/mcp');
    assert.deepEqual(resolved.headers, { Authorization: 'Bearer tok-tok-tok-tok-tok' });
  });

  it('offers no server in restricted mode', () => {
    let provider: { provideMcpServerDefinitions(): Def[] } | undefined;
    registerMcp(context(), services(false).s, { lm: { registerMcpServerDefinitionProvider: (_i: string, p: never) => ((provider = p), new vscode.Disposable(() => {})) }, ctor: Def as never });
    assert.deepEqual(provider!.provideMcpServerDefinitions(), []);
  });

  it("registers with Cursor's MCP API once a backend is ready, and again when it changes", () => {
    const calls: string[] = [];
    const cursor = { registerServer: (c: { name: string; server: { url: string; headers?: Record<string, string> } }) => calls.push(`register ${c.name} ${c.server.url} ${c.server.headers?.Authorization}`), unregisterServer: (n: string) => calls.push(`unregister ${n}`) };
    const { s, set } = services();
    const ctx = context();
    registerMcp(ctx, s, { cursor });
    assert.deepEqual(calls, [], 'nothing before a backend runs');
    set({ kind: 'ready', connection: { url: 'u', mcpUrl: 'http://127.0.0.1:1/mcp', token: 'a' } });
    set({ kind: 'ready', connection: { url: 'u', mcpUrl: 'http://127.0.0.1:1/mcp', token: 'a' } });
    set({ kind: 'ready', connection: { url: 'u', mcpUrl: 'http://127.0.0.1:2/mcp', token: 'b' } });
    set({ kind: 'failed' });
    assert.deepEqual(calls, ['register product-os http://127.0.0.1:1/mcp Bearer a', 'register product-os http://127.0.0.1:2/mcp Bearer b', 'unregister product-os']);
  });

  it('does nothing where neither API exists', () => {
    const ctx = context();
    registerMcp(ctx, services().s, {});
    assert.equal((ctx.subscriptions as unknown[]).length, 0);
  });
});

describe('extension: status bar text', () => {
  it('shows the state and the active runs', () => {
    assert.match(statusText({ kind: 'ready', connection: { url: 'http://127.0.0.1:1', mcpUrl: '', token: '' }, origin: 'spawned' }, 3).text, /server-process\) Product OS \$\(sync~spin\) 3$/);
    const failed = statusText({ kind: 'failed', message: 'it died' }, 0);
    assert.equal(failed.error, true);
    assert.match(failed.tooltip, /it died/);
    assert.match(statusText({ kind: 'idle' }, 0).tooltip, /starts when you first use it/);
  });
});
