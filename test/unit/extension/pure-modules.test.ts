import assert from 'node:assert/strict';
import type { Lane, Run } from '../../../contracts/rest';
import { RUN_STATUSES, TERMINAL_STATUSES } from '../../../contracts/rest';
import { defaultFlavor, mcpConfig, mcpConfigText } from '../../../extension/mcp/mcp-config';
import { ACTIVE_STATUSES, TERMINAL } from '../../../extension/run-status';
import { backendEnv, backendRuntimeEnv, readSettings, resolveServer, validateSettings } from '../../../extension/settings';
import { checkCall, executorNeedsTrust, type TrustLookups } from '../../../extension/trust';
import { orderLanes } from '../../../extension/views/lanes';
import { ago, runStatusIcon } from '../../../extension/views/run-icons';
import { RunStore } from '../../../extension/views/run-store';
import type { BackendApi } from '../../../extension/backend-api';
import { ToolCatalog } from '../../../extension/tools/tool-catalog';

describe('extension: MCP server config', () => {
  const endpoint = { url: 'http://127.0.0.1:7331/mcp', token: 'secret-token-0123456789' };

  it('writes a VS Code mcp.json entry (servers, type http, bearer header)', () => {
    assert.deepEqual(mcpConfig(endpoint, 'vscode'), {
      servers: { 'product-os': { type: 'http', url: 'http://127.0.0.1:7331/mcp', headers: { Authorization: 'Bearer secret-token-0123456789' } } },
    });
  });

  it('writes an mcpServers entry for Cursor, Claude Desktop and Cline', () => {
    const text = mcpConfigText(endpoint, 'mcpServers');
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(JSON.parse(text), { mcpServers: { 'product-os': { url: 'http://127.0.0.1:7331/mcp', headers: { Authorization: 'Bearer secret-token-0123456789' } } } });
  });

  it('picks the flavor of the editor it runs in', () => {
    assert.equal(defaultFlavor('Cursor'), 'mcpServers');
    assert.equal(defaultFlavor('Visual Studio Code'), 'vscode');
    assert.equal(defaultFlavor('VSCodium'), 'vscode');
  });
});

describe('extension: restricted mode (untrusted workspaces)', () => {
  const executors: Record<string, string> = { 'cards.run': 'docker', 'cloudrun.deploy_service': 'http', 'system.ping': 'local', 'brand.update_profile': 'local' };
  const runs: Record<string, string> = { r1: 'cloudrun.rollback_service', r2: 'brand.update_profile' };
  const lookups = (trusted: boolean): TrustLookups => ({
    isTrusted: () => trusted,
    executorOf: async (t) => (t === 'cloudrun.rollback_service' ? 'http' : executors[t]),
    toolOfRun: async (id) => runs[id],
  });

  it('treats docker and http executors as needing trust', () => {
    assert.equal(executorNeedsTrust('docker'), true);
    assert.equal(executorNeedsTrust('http'), true);
    assert.equal(executorNeedsTrust('local'), false);
    assert.equal(executorNeedsTrust(undefined), false);
  });

  it('refuses to call worker and remote tools, and names the tool', async () => {
    const refusal = await checkCall('createRun', { body: { tool: 'cards.run', input: {} } }, lookups(false));
    assert.match(refusal ?? '', /^cards\.run runs a worker or a remote executor.*trust this workspace/);
    assert.ok(await checkCall('createRun', { body: { tool: 'cloudrun.deploy_service', input: {} } }, lookups(false)));
  });

  it('refuses to approve a run that would start one', async () => {
    assert.ok(await checkCall('approveRun', { params: { id: 'r1' } }, lookups(false)));
    assert.equal(await checkCall('approveRun', { params: { id: 'r2' } }, lookups(false)), undefined);
  });

  it('lets local tools, reads, denials and cancellations through', async () => {
    const l = lookups(false);
    assert.equal(await checkCall('createRun', { body: { tool: 'system.ping', input: {} } }, l), undefined);
    assert.equal(await checkCall('listRuns', {}, l), undefined);
    assert.equal(await checkCall('denyRun', { params: { id: 'r1' } }, l), undefined);
    assert.equal(await checkCall('cancelRun', { params: { id: 'r1' } }, l), undefined);
    assert.equal(await checkCall('getCard', { params: { key: 'POS-1' } }, l), undefined);
  });

  it('gates nothing in a trusted workspace', async () => {
    assert.equal(await checkCall('createRun', { body: { tool: 'cards.run', input: {} } }, lookups(true)), undefined);
    assert.equal(await checkCall('approveRun', { params: { id: 'r1' } }, lookups(true)), undefined);
  });
});

describe('extension: settings', () => {
  const read = (values: Record<string, unknown>) => readSettings((k) => values[k]);

  it('reads defaults when nothing is set', () => {
    const s = read({});
    assert.equal(s.serverUrl, '');
    assert.equal(s.requestTimeoutSeconds, 30);
    assert.equal(s.mediumRisk, 'auto');
    assert.deepEqual(s.lanes, []);
    assert.equal(s.registerMcp, true);
  });

  it('builds the bundled backend environment, with the token last and the editor as Node', () => {
    const s = read({ 'approvals.mediumRisk': 'approval', 'backend.environment': { DATABASE_URL: 'postgres://x', PRODUCT_OS_TOKEN: 'nope', N: 3 }, 'gcp.project': 'my-project-1', 'logs.folder': 'var/log' });
    const env = backendEnv({ PATH: '/bin', PRODUCT_OS_URL: 'http://elsewhere', PRODUCT_OS_PORT: '1' }, s, 'the-token', '/ws');
    assert.equal(env.ELECTRON_RUN_AS_NODE, '1');
    assert.equal(env.PRODUCT_OS_TOKEN, 'the-token');
    assert.equal(env.PRODUCT_OS_MEDIUM_RISK, 'approval');
    assert.equal(env.DATABASE_URL, 'postgres://x');
    assert.equal(env.GOOGLE_CLOUD_PROJECT, 'my-project-1');
    assert.equal(env.PRODUCT_OS_LOGS, '/ws/var/log');
    assert.equal(env.PATH, '/bin');
    assert.equal(env.PRODUCT_OS_URL, undefined);
    assert.equal(env.PRODUCT_OS_PORT, undefined);
    assert.equal(env.N, undefined, 'non-string values are dropped');
    assert.equal(backendEnv({}, read({}), 't', '/ws').PRODUCT_OS_LOGS, '/ws/logs');
  });

  it("tunes the backend's Node: compile cache in the data folder, a smaller young generation, the user's NODE_OPTIONS kept after ours", () => {
    const s = read({ 'backend.environment': { NODE_OPTIONS: '--max-old-space-size=512' } });
    const env = backendRuntimeEnv(backendEnv({ PATH: '/bin' }, s, 't', '/ws'), '/data');
    assert.equal(env.NODE_COMPILE_CACHE, '/data/compile-cache');
    assert.equal(env.NODE_OPTIONS, '--max-semi-space-size=8 --max-old-space-size=512');
    assert.equal(env.PRODUCT_OS_TOKEN, 't', 'the rest of the environment is kept');
    assert.equal(backendRuntimeEnv({}, '/data').NODE_OPTIONS, '--max-semi-space-size=8');
  });

  it('hands the local-model settings to the backend (threads only when set)', () => {
    const env = backendEnv({}, read({ 'llm.model': 'qwen2.5-7b-instruct-q4_k_m.gguf', 'llm.provider': 'llama.cpp', 'llm.modelsFolder': '/srv/models', 'llm.threads': 4 }), 't', '/ws');
    assert.deepEqual(
      { model: env.PRODUCT_OS_LLM_MODEL, provider: env.PRODUCT_OS_LLM_PROVIDER, models: env.PRODUCT_OS_MODELS, threads: env.PRODUCT_OS_LLM_THREADS },
      { model: 'qwen2.5-7b-instruct-q4_k_m.gguf', provider: 'llama.cpp', models: '/srv/models', threads: '4' },
    );
    const none = backendEnv({}, read({ 'llm.threads': 0 }), 't', '/ws');
    assert.equal(none.PRODUCT_OS_LLM_THREADS, undefined);
    assert.equal(none.PRODUCT_OS_LLM_MODEL, undefined);
  });

  it('reports problems naming the setting', () => {
    const problems = validateSettings(read({ 'server.url': 'ftp://x', 'backend.port': 70000, 'backend.environment': { 'BAD-NAME': 'x', PRODUCT_OS_TOKEN: 'y' } }));
    const names = problems.map((p) => p.setting);
    assert.ok(names.includes('productOs.server.url'));
    assert.ok(names.includes('productOs.backend.port'));
    assert.equal(names.filter((n) => n === 'productOs.backend.environment').length, 2);
    assert.deepEqual(validateSettings(read({})), []);
  });

  it('resolves server mode from secret storage, else the token file', async () => {
    const s = read({ 'server.url': 'http://10.0.0.5:7331/', 'server.tokenFile': '/t' });
    assert.deepEqual(await resolveServer(s, async () => 'from-secrets', async () => 'from-file'), { url: 'http://10.0.0.5:7331', mcpUrl: 'http://10.0.0.5:7331/mcp', token: 'from-secrets' });
    assert.equal((await resolveServer(s, async () => undefined, async () => 'from-file\n')).token, 'from-file');
    await assert.rejects(resolveServer(s, async () => undefined, async () => Promise.reject(new Error('ENOENT'))), /cannot read productOs\.server\.tokenFile \/t: ENOENT/);
    await assert.rejects(resolveServer(read({ 'server.url': 'http://x' }), async () => undefined, async () => ''), /no token.*Set Server Token/);
  });
});

describe('extension: views (pure parts)', () => {
  const lanes: Lane[] = [
    { id: 'done', name: 'Done', position: 4 },
    { id: 'backlog', name: 'Backlog', position: 0 },
    { id: 'in_progress', name: 'In progress', position: 2 },
  ];

  it('orders lanes by the setting (names or ids), or the backend order when empty', () => {
    assert.deepEqual(orderLanes(lanes, []).map((l) => l.id), ['backlog', 'in_progress', 'done']);
    assert.deepEqual(orderLanes(lanes, ['Done', 'backlog', 'nope', 'done']).map((l) => l.id), ['done', 'backlog']);
  });

  it('has a codicon for every run status', () => {
    for (const s of RUN_STATUSES) assert.ok(runStatusIcon(s).codicon, s);
    assert.equal(runStatusIcon('running').codicon, 'sync~spin');
    assert.equal(runStatusIcon('failed').color, 'testing.iconFailed');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.equal(ago('2026-01-01T11:59:58Z', now), 'just now');
    assert.equal(ago('2026-01-01T11:59:32Z', now), '28 s ago', 'says "ago", not a bare duration');
    assert.equal(ago('2026-01-01T11:30:00Z', now), '30 min ago');
    assert.equal(ago('2026-01-01T09:00:00Z', now), '3 h ago');
  });

  it('keeps the run statuses in step with the protocol', () => {
    assert.deepEqual([...TERMINAL].sort(), [...TERMINAL_STATUSES].sort());
    assert.deepEqual([...ACTIVE_STATUSES, ...TERMINAL].sort(), [...RUN_STATUSES].sort());
  });
});

function run(id: string, status: Run['status'], version = 1, createdAt = `2026-01-01T00:00:0${id.length}Z`): Run {
  return { id, tool: 'system.ping', status, risk: 'low', input: {}, labels: {}, priority: 0, caller: 'api', idempotencyKey: null, correlationId: null, traceId: 't', version, attempt: 0, maxAttempts: 1, createdAt, updatedAt: createdAt, startedAt: null, finishedAt: null };
}

describe('extension: run store', () => {
  it('subscribes before it reads, keeps the newest version, and counts active runs', async () => {
    const order: string[] = [];
    let push!: (r: Run) => void;
    const store = new RunStore({
      onRun: (l) => {
        order.push('subscribe');
        push = l;
        return () => order.push('unsubscribe');
      },
      call: (async (route: string, args: { query?: { status?: string } }) => {
        order.push(`${route}${args.query?.status ? ' by status' : ''}`);
        // A change that arrives while the list is being read must not be lost.
        push(run('a', 'succeeded', 3, '2026-01-01T00:00:01Z'));
        return { runs: args.query?.status ? [run('b', 'running', 1, '2026-01-01T00:00:02Z')] : [run('a', 'running', 2, '2026-01-01T00:00:01Z')], nextCursor: null };
      }) as unknown as BackendApi['call'],
    });
    let changes = 0;
    store.onDidChange(() => changes++);
    await store.start();
    assert.equal(order[0], 'subscribe');
    assert.equal(store.get('a')?.status, 'succeeded', 'the stream version 3 beats the list version 2');
    assert.equal(store.activeCount(), 1);
    assert.deepEqual(store.list().map((r) => r.id), ['b', 'a']);
    push(run('c', 'awaiting_approval', 1, '2026-01-01T00:00:03Z'));
    assert.equal(store.activeCount(), 2);
    assert.deepEqual(store.awaitingApproval().map((r) => r.id), ['c']);
    assert.ok(changes >= 2);
    store.stop();
    assert.equal(order[order.length - 1], 'unsubscribe');
  });
});

describe('extension: tool catalog', () => {
  it('caches the tool list for a minute and forgets a failed read', async () => {
    let calls = 0;
    let now = 0;
    let fail = true;
    const catalog = new ToolCatalog(
      {
        call: (async () => {
          calls++;
          if (fail) throw new Error('down');
          return { tools: [{ name: 'system.ping', executor: 'local' }] };
        }) as unknown as BackendApi['call'],
      },
      () => now,
    );
    await assert.rejects(catalog.list(), /down/);
    fail = false;
    assert.equal((await catalog.get('system.ping'))?.executor, 'local');
    await catalog.get('x');
    assert.equal(calls, 2);
    now = 61_000;
    await catalog.list();
    assert.equal(calls, 3);
  });
});
