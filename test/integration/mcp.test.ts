import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ErrorCode, ListToolsResultSchema, McpError, type CallToolResult, type Progress, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { startBackend, tempDir, until, type TestBackend } from '../helpers/backend';
import { CLI } from '../helpers/serve-process';
import { testRegistryFile, TEST_HANDLERS } from '../helpers/test-tools';
import type { Run } from '../../contracts/rest';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-fetch', version: '0' } },
};

async function connect(t: TestBackend, name = 'mcp-test'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
    requestInit: { headers: { authorization: `Bearer ${t.token}` } },
  });
  await client.connect(transport);
  return client;
}

async function listAll(client: Client): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

async function runsOf(t: TestBackend, tool: string): Promise<Run[]> {
  const res = await t.api<{ runs: Run[] }>('GET', `/api/runs?tool=${encodeURIComponent(tool)}`);
  assert.equal(res.status, 200);
  return res.body.runs;
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function rawPost(url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface SseEvent {
  id?: string;
  retry?: string;
  data: string;
}

/** Reads SSE events from a body until `enough` says so (then cancels the read), bounded in time. */
async function readSse(body: ReadableStream<Uint8Array>, enough: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`SSE stream ended after ${JSON.stringify(events)}`);
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        let comment = true;
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon === 0) continue; // a comment (keep-alive)
          comment = false;
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'retry') event.retry = value;
          else if (field === 'data') event.data += value;
        }
        if (!comment) events.push(event);
      }
    }
    return events;
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}

/** Rejects when `p` does not settle within `ms`, so a hung call fails the test clearly. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('MCP over Streamable HTTP (/mcp)', function () {
  this.timeout(60_000);
  let t: TestBackend;
  let client: Client;

  before(async () => {
    t = await startBackend();
    client = await connect(t);
  });
  after(async () => {
    await client?.close();
    await t?.close();
  });

  it('identifies itself and offers tools only', () => {
    assert.equal(client.getServerVersion()?.name, 'product-os');
    const caps = client.getServerCapabilities();
    assert.ok(caps?.tools, 'tools capability');
    assert.equal(caps?.resources, undefined);
    assert.equal(caps?.prompts, undefined);
  });

  it('tools/list serves every registry tool with the registry schemas unchanged', async () => {
    const tools = await listAll(client);
    const registry = t.backend.registry;
    assert.deepEqual(tools.map((x) => x.name).sort(), [...registry.tools.keys()].sort());
    assert.equal(new Set(tools.map((x) => x.name)).size, tools.length, 'no tool listed twice');
    // As written in the YAML file, not merely as the loader holds them (Ajv must not have
    // added defaults or ids to the served copies).
    const file = parseYaml(fs.readFileSync(registry.file, 'utf8')) as { tools: Record<string, { inputSchema: unknown; outputSchema: unknown; title?: string }> };
    for (const tool of tools) {
      const spec = registry.get(tool.name)!.spec;
      assert.deepEqual(tool.inputSchema, spec.inputSchema, `${tool.name} inputSchema`);
      assert.deepEqual(tool.outputSchema, spec.outputSchema, `${tool.name} outputSchema`);
      assert.deepEqual(tool.inputSchema, file.tools[tool.name].inputSchema, `${tool.name} inputSchema as in the file`);
      assert.deepEqual(tool.outputSchema, file.tools[tool.name].outputSchema, `${tool.name} outputSchema as in the file`);
      assert.equal(tool.inputSchema.type, 'object');
      assert.ok(tool.description, `${tool.name} has a description`);
      assert.equal(tool.annotations?.destructiveHint, spec.risk === 'high', `${tool.name} destructiveHint`);
    }
  });

  it('tools/call system.ping returns structuredContent valid against the outputSchema and stores the run', async () => {
    const before = await runsOf(t, 'system.ping');
    const result = (await client.callTool({ name: 'system.ping', arguments: { message: 'hello' } })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    const out = result.structuredContent as Record<string, unknown>;
    assert.equal(out.pong, true);
    assert.equal(out.message, 'hello');
    assert.equal(typeof out.at, 'string');
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(t.backend.registry.get('system.ping')!.spec.outputSchema as object);
    assert.ok(validate(out), JSON.stringify(validate.errors));
    // The text content carries the same object, for clients that ignore structuredContent.
    assert.deepEqual(JSON.parse(textOf(result)), out);

    const after = await runsOf(t, 'system.ping');
    assert.equal(after.length, before.length + 1);
    const run = after.find((r) => !before.some((b) => b.id === r.id))!;
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, out);
    assert.deepEqual(run.input, { message: 'hello' });
    assert.match(run.caller, /^mcp/);
  });

  it('invalid input is an isError result naming the field, and creates no run', async () => {
    const before = await runsOf(t, 'system.ping');

    const unknownField = (await client.callTool({ name: 'system.ping', arguments: { mesage: 'typo' } })) as CallToolResult;
    assert.equal(unknownField.isError, true);
    assert.match(textOf(unknownField), /invalid_input/);
    assert.match(textOf(unknownField), /\/mesage/);

    const wrongType = (await client.callTool({ name: 'system.ping', arguments: { message: 42 } })) as CallToolResult;
    assert.equal(wrongType.isError, true);
    assert.match(textOf(wrongType), /invalid_input/);
    assert.match(textOf(wrongType), /\/message/);
    assert.match(textOf(wrongType), /string/);

    const missing = (await client.callTool({ name: 'brand.get_profile', arguments: {} })) as CallToolResult;
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /profile_id/);

    assert.equal((await runsOf(t, 'system.ping')).length, before.length);
    assert.equal((await runsOf(t, 'brand.get_profile')).length, 0);
  });

  it('an unknown tool is a JSON-RPC error (invalid params), not a tool result', async () => {
    await assert.rejects(
      () => client.callTool({ name: 'no.such_tool', arguments: {} }),
      (err: unknown) => {
        assert.ok(err instanceof McpError, String(err));
        assert.equal(err.code, ErrorCode.InvalidParams);
        // One "MCP error" prefix (the client's), not the server's doubled into the message.
        assert.equal(err.message, 'MCP error -32602: Unknown tool: no.such_tool');
        return true;
      },
    );
  });

  // Every tool has an implementation now (issue 11 made the deploy tools real); cards.run
  // without a local model is the tool that cannot run here.
  it('a tool that cannot run here answers isError with the reason (not_configured), and makes no run', async () => {
    const result = (await client.callTool({ name: 'cards.run', arguments: { card_key: 'WEB-1' } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /not_configured/);
    assert.equal((await runsOf(t, 'cards.run')).length, 0);
    const listed = (await listAll(client)).find((x) => x.name === 'cards.run')!;
    assert.match(listed.description ?? '', /Not available yet/);
  });

  it('a tool error from the handler is an isError result with its code and the run id', async () => {
    const result = (await client.callTool({ name: 'brand.get_profile', arguments: { profile_id: 'nobody' } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /not_found/);
    const [run] = await runsOf(t, 'brand.get_profile');
    assert.equal(run.status, 'failed');
    assert.ok(textOf(result).includes(run.id), 'the text names the run');
  });

  it('audits MCP calls with a caller starting "mcp"', async () => {
    // Its own calls, so the test holds in any order: one of each outcome, after a mark.
    const [{ mark }] = await t.backend.db.query<{ mark: number | null }>('SELECT max(id) AS mark FROM audit_log');
    await client.callTool({ name: 'system.ping', arguments: { message: 'hello' } });
    await client.callTool({ name: 'system.ping', arguments: { mesage: 'typo' } });
    await client.callTool({ name: 'no.such_tool', arguments: {} }).catch(() => undefined);
    await client.callTool({ name: 'cards.run', arguments: { card_key: 'WEB-1' } });
    await client.callTool({ name: 'brand.get_profile', arguments: { profile_id: 'nobody' } });
    const rows = await t.backend.db.query<{ caller: string; tool: string | null; outcome: string; args_shape: unknown }>(
      `SELECT caller, tool, outcome, args_shape FROM audit_log WHERE caller LIKE 'mcp%' AND id > $1 ORDER BY id`,
      [mark ?? 0],
    );
    assert.ok(rows.length >= 3, `audit rows: ${JSON.stringify(rows)}`);
    assert.ok(rows.every((r) => r.caller === 'mcp:mcp-test'), JSON.stringify(rows.map((r) => r.caller)));
    const has = (tool: string, outcome: string) => assert.ok(rows.some((r) => r.tool === tool && r.outcome === outcome), `${tool} ${outcome} audited: ${JSON.stringify(rows)}`);
    has('system.ping', 'queued');
    has('system.ping', 'succeeded');
    has('system.ping', 'refused:invalid_input');
    has('no.such_tool', 'refused:unknown_tool');
    has('cards.run', 'refused:not_configured');
    has('brand.get_profile', 'failed');
    assert.deepEqual(rows.find((r) => r.outcome === 'refused:invalid_input')?.args_shape, { mesage: 'string' });
    // The shape of the arguments, never their values.
    assert.ok(!JSON.stringify(rows).includes('hello'), 'argument values are not audited');
  });

  it('without the bearer token /mcp answers 401; with a foreign Origin, 403', async () => {
    const url = new URL('/mcp', t.url);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const noToken = await fetch(url, { method: 'POST', headers, body: JSON.stringify(INIT) });
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrongToken = await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong-token-0123456789' }, body: JSON.stringify(INIT) });
    assert.equal(wrongToken.status, 401);
    const noTokenGet = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(noTokenGet.status, 401);
    const foreign = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${t.token}`, origin: 'https://evil.example.com' }, body: JSON.stringify(INIT) });
    assert.equal(foreign.status, 403);
    // fetch will not send another Host: DNS rebinding is checked with node:http.
    const rebinding = await rawPost(url, { ...headers, authorization: `Bearer ${t.token}`, host: 'evil.example.com' }, JSON.stringify(INIT));
    assert.equal(rebinding.status, 403);
    assert.equal(rebinding.headers['mcp-session-id'], undefined);
    for (const res of [noToken, wrongToken, foreign]) assert.equal(res.headers.get('mcp-session-id'), null, 'no session opened');
  });

  it('rejects a request for an unknown session (404) and one without a session that is not initialize (400)', async () => {
    const url = new URL('/mcp', t.url);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}` };
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const unknown = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'not-a-session' }, body: JSON.stringify(list) });
    assert.equal(unknown.status, 404);
    const none = await fetch(url, { method: 'POST', headers, body: JSON.stringify(list) });
    assert.equal(none.status, 400);
  });

  it('a closed session (DELETE) is gone', async () => {
    const other = new Client({ name: 'short-lived', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', t.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } });
    await other.connect(transport);
    const sessionId = transport.sessionId!;
    assert.ok(sessionId);
    await transport.terminateSession();
    await other.close();
    const res = await fetch(new URL('/mcp', t.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}`, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }),
    });
    assert.equal(res.status, 404);
  });
});

describe('MCP tools/list paging', function () {
  this.timeout(60_000);
  let t: TestBackend;
  let client: Client;

  before(async () => {
    t = await startBackend({ mcp: { pageSize: 5 } });
    client = await connect(t);
  });
  after(async () => {
    await client?.close();
    await t?.close();
  });

  it('pages with nextCursor and yields every tool exactly once', async () => {
    const total = t.backend.registry.tools.size;
    assert.ok(total > 10, 'enough tools for several pages');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.request({ method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, ListToolsResultSchema);
      pages += 1;
      assert.ok(page.tools.length <= 5 && page.tools.length > 0, `page ${pages} has ${page.tools.length} tools`);
      if (page.nextCursor !== undefined) {
        assert.equal(typeof page.nextCursor, 'string');
        assert.equal(page.tools.length, 5, 'only the last page is short');
      }
      seen.push(...page.tools.map((x) => x.name));
      cursor = page.nextCursor;
      assert.ok(pages <= total, 'paging terminates');
    } while (cursor !== undefined);
    assert.equal(pages, Math.ceil(total / 5));
    assert.equal(seen.length, total);
    assert.deepEqual([...seen].sort(), [...t.backend.registry.tools.keys()].sort());
  });

  it('an invalid cursor is a JSON-RPC invalid-params error', async () => {
    for (const cursor of ['not a cursor!', Buffer.from('nope').toString('base64url'), Buffer.from('99999').toString('base64url'), Buffer.from('-5').toString('base64url'), '']) {
      await assert.rejects(
        () => client.request({ method: 'tools/list', params: { cursor } }, ListToolsResultSchema),
        (err: unknown) => err instanceof McpError && err.code === ErrorCode.InvalidParams,
        `cursor ${JSON.stringify(cursor)}`,
      );
    }
  });
});

describe('MCP long-running calls: progress and cancellation', function () {
  this.timeout(60_000);
  let t: TestBackend;
  let client: Client;

  before(async () => {
    // brand.update_profile is medium risk; with this setting it waits for a person's approval,
    // which makes it a call that stays open until we act from the REST API.
    t = await startBackend({ env: { PRODUCT_OS_MEDIUM_RISK: 'approval' } });
    client = await connect(t, 'long-calls');
  });
  after(async () => {
    await client?.close();
    await t?.close();
  });

  async function awaitingRun(): Promise<Run> {
    return until(async () => (await runsOf(t, 'brand.update_profile')).find((r) => r.status === 'awaiting_approval'), 'a run awaiting approval');
  }

  it('sends progress notifications while the call waits for approval and runs, then returns the result', async () => {
    const progress: Progress[] = [];
    const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'acme', patch: { name: 'Acme' } } }, undefined, {
      onprogress: (p) => void progress.push(p),
    });
    const run = await awaitingRun();
    await until(async () => progress.length > 0, 'the first progress notification');
    assert.match(progress[0].message ?? '', /awaits approval/);
    assert.ok(progress[0].message?.includes(run.id), 'the progress names the run');

    const approved = await t.api('POST', `/api/runs/${run.id}/approve`, { reason: 'test' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));

    const result = (await within(call, 20_000, 'the approved call')) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal((result.structuredContent as { ok: boolean }).ok, true);
    assert.ok(progress.length >= 2, `progress after approval: ${JSON.stringify(progress)}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
    assert.ok(progress.some((p) => /queued|running/.test(p.message ?? '')), JSON.stringify(progress));
    assert.equal((await t.api<Run>('GET', `/api/runs/${run.id}`)).body.status, 'succeeded');

    const profile = (await client.callTool({ name: 'brand.get_profile', arguments: { profile_id: 'acme' } })) as CallToolResult;
    assert.equal((profile.structuredContent as { brand: { name: string } }).brand.name, 'Acme');
  });

  it('a call denied from the REST API ends as an isError result', async () => {
    const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'acme', patch: { name: 'Denied' } } });
    const run = await awaitingRun();
    assert.equal((await t.api('POST', `/api/runs/${run.id}/deny`, { reason: 'not today' })).status, 200);
    const result = (await within(call, 20_000, 'the denied call')) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /denied/);
  });

  it('MCP cancellation (notifications/cancelled) turns the run cancelled', async () => {
    const abort = new AbortController();
    const progress: Progress[] = [];
    const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'acme', patch: { name: 'Never' } } }, undefined, {
      signal: abort.signal,
      onprogress: (p) => void progress.push(p),
    });
    const settled = call.then(
      () => 'resolved',
      (err: Error) => err,
    );
    const run = await awaitingRun();
    await until(async () => progress.length > 0, 'the first progress notification');
    abort.abort('user pressed stop');
    const outcome = await within(settled, 10_000, 'the aborted call to settle');
    assert.ok(outcome instanceof Error, 'the cancelled call rejects on the client');

    const done = await until(async () => {
      const r = (await t.api<Run>('GET', `/api/runs/${run.id}`)).body;
      return r.status === 'cancelled' ? r : undefined;
    }, 'the run to be cancelled');
    assert.equal(done.error?.code, 'cancelled');
    const [row] = await t.backend.db.query<{ caller: string; outcome: string }>(`SELECT caller, outcome FROM audit_log WHERE run_id = $1 AND action = 'run.cancel'`, [run.id]);
    assert.equal(row?.caller, 'mcp');
    assert.equal(row?.outcome, 'cancelled');

    // The profile was never changed, and the session still works.
    const profile = (await client.callTool({ name: 'brand.get_profile', arguments: { profile_id: 'acme' } })) as CallToolResult;
    assert.equal((profile.structuredContent as { brand: { name: string } }).brand.name, 'Acme');
  });

  it('a dropped response stream resumes with Last-Event-ID and delivers the result', async () => {
    const url = new URL('/mcp', t.url);
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}` };
    const init = await fetch(url, { method: 'POST', headers: base, body: JSON.stringify({ ...INIT, params: { ...INIT.params, protocolVersion: '2025-11-25' } }) });
    assert.equal(init.status, 200);
    const session = init.headers.get('mcp-session-id')!;
    assert.ok(session);
    await init.text();
    const headers = { ...base, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    assert.equal((await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).status, 202);

    const abort = new AbortController();
    const call = await fetch(url, {
      method: 'POST',
      headers,
      signal: abort.signal,
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'brand.update_profile', arguments: { profile_id: 'resumed', patch: { name: 'Resumed' } }, _meta: { progressToken: 'p7' } } }),
    });
    assert.equal(call.status, 200);
    assert.match(call.headers.get('content-type') ?? '', /text\/event-stream/);
    // The priming event: an id to resume from and how soon to retry, no data.
    const first = await readSse(call.body!, (events) => events.length >= 2);
    assert.ok(first[0].id, JSON.stringify(first));
    assert.match(first[0].retry ?? '', /^\d+$/);
    const progress = first.find((e) => e.data.includes('notifications/progress'))!;
    assert.ok(progress?.id, 'progress events carry ids');
    abort.abort(); // the connection drops while the call waits

    const run = await awaitingRun();
    assert.equal((await t.api('POST', `/api/runs/${run.id}/approve`, {})).status, 200);
    await until(async () => (await t.api<Run>('GET', `/api/runs/${run.id}`)).body.status === 'succeeded', 'the run to finish');

    const resumed = await fetch(url, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': progress.id! } });
    assert.equal(resumed.status, 200);
    const replayed = await readSse(resumed.body!, (events) => events.some((e) => e.data.includes('"id":7')));
    const response = JSON.parse(replayed.find((e) => e.data.includes('"id":7'))!.data) as { result: CallToolResult };
    assert.equal((response.result.structuredContent as { ok: boolean }).ok, true);
    assert.ok(!replayed.some((e) => e.id === progress.id), 'nothing at or before Last-Event-ID is sent again');
    assert.ok(replayed.some((e) => e.data.includes('notifications/progress')), 'the progress missed meanwhile is replayed');

    const unknown = await fetch(url, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': '999999' } });
    assert.equal(unknown.status, 400);
    await unknown.text();
    await fetch(url, { method: 'DELETE', headers });
  });

  it('closing the client while a call waits does not leave the backend stuck', async () => {
    const other = await connect(t, 'leaver');
    const call = other.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'acme', patch: { name: 'Later' } } }).catch(() => undefined);
    const run = await awaitingRun();
    await other.close();
    await call;
    // The run is still there for a person to decide on; approving it still works.
    const approved = await t.api('POST', `/api/runs/${run.id}/approve`, {});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await until(async () => (await t.api<Run>('GET', `/api/runs/${run.id}`)).body.status === 'succeeded', 'the run to finish');
  });
});

describe('MCP calls of running tools (test tools): progress and cancellation', function () {
  this.timeout(60_000);
  let t: TestBackend;
  let client: Client;

  before(async () => {
    t = await startBackend({ env: { PRODUCT_OS_REGISTRY: testRegistryFile() }, handlers: TEST_HANDLERS });
    client = await connect(t, 'runner');
  });
  after(async () => {
    await client?.close();
    await t?.close();
  });

  it('relays the run\'s progress and log events as progress notifications', async () => {
    const progress: Progress[] = [];
    const result = (await client.callTool({ name: 'test.chatty', arguments: { lines: 3, ms: 20 } }, undefined, { onprogress: (p) => void progress.push(p) })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    assert.deepEqual(result.structuredContent, { lines: 3 });
    const messages = progress.map((p) => p.message ?? '');
    for (const step of ['step 1', 'step 2', 'step 3']) assert.ok(messages.includes(step), `${step} in ${JSON.stringify(messages)}`);
    assert.ok(messages.some((m) => m.startsWith('running')), JSON.stringify(messages));
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
    // Log lines go out the way the logs store them (redacted), never more.
    const logged = await t.api<{ lines: { message: string; source: string }[] }>('GET', '/api/logs');
    const stored = logged.body.lines.filter((l) => l.source === 'test.chatty').map((l) => l.message);
    const relayed = messages.filter((m) => m.startsWith('line '));
    assert.equal(relayed.length, 3, JSON.stringify(messages));
    assert.deepEqual([...relayed].sort(), [...stored].sort());
    assert.ok(!relayed.some((m) => m.includes('bob@example.com')), `progress leaks an address: ${JSON.stringify(relayed)}`);
  });

  it('a run that reports at once loses nothing: every state, progress and log event from its start is relayed', async () => {
    // No pause between steps: the run starts, runs and reports before the call's handler could
    // have subscribed after submitting it; what it wrote meanwhile comes from the store.
    for (let attempt = 0; attempt < 5; attempt++) {
      const progress: Progress[] = [];
      const result = (await client.callTool({ name: 'test.chatty', arguments: { lines: 3, ms: 0 } }, undefined, { onprogress: (p) => void progress.push(p) })) as CallToolResult;
      assert.deepEqual(result.structuredContent, { lines: 3 }, textOf(result));
      const messages = progress.map((p) => p.message ?? '');
      for (const expected of ['running', 'step 1', 'line 1', 'step 2', 'step 3']) assert.ok(messages.some((m) => m === expected || m.startsWith(`${expected}:`) || m.startsWith(`${expected} `)), `${expected} in ${JSON.stringify(messages)}`);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
    }
  });

  it('MCP cancellation of a running call reaches the executor and the run ends cancelled', async () => {
    const abort = new AbortController();
    const progress: Progress[] = [];
    const call = client
      .callTool({ name: 'test.sleep', arguments: { ms: 1500 } }, undefined, { signal: abort.signal, onprogress: (p) => void progress.push(p) })
      .then(() => 'resolved', (err: Error) => err);
    await until(async () => progress.some((p) => p.message?.startsWith('running')), 'the run to be running');
    const [run] = await runsOf(t, 'test.sleep');
    abort.abort();
    assert.ok((await within(call, 5000, 'the aborted call')) instanceof Error);
    const done = await until(async () => {
      const r = (await t.api<Run>('GET', `/api/runs/${run.id}`)).body;
      return r.status === 'cancelled' ? r : undefined;
    }, 'the running run to be cancelled');
    // Cancelled, not succeeded: the cancel landed before the 1.5 s sleep ended (no clock needed).
    assert.equal(done.error?.code, 'cancelled');
  });

  it('a tool whose output breaks its schema is an isError result, not bad structuredContent', async () => {
    const result = (await client.callTool({ name: 'test.bad_output', arguments: {} })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /invalid_output/);
    assert.equal(result.structuredContent, undefined);
  });
});

describe('MCP sessions ending are not cancellations', function () {
  this.timeout(60_000);

  // Streamable HTTP: "Disconnection SHOULD NOT be interpreted as the client cancelling its
  // request"; only notifications/cancelled is. A run waiting for a person stays for them.
  it('terminating the session (DELETE) leaves its waiting run for a person to decide', async () => {
    const t = await startBackend({ env: { PRODUCT_OS_MEDIUM_RISK: 'approval' } });
    try {
      const client = new Client({ name: 'deleter', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', t.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } });
      await client.connect(transport);
      const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'p', patch: { name: 'P' } } }).catch(() => undefined);
      const run = await until(async () => (await runsOf(t, 'brand.update_profile')).find((r) => r.status === 'awaiting_approval'), 'a waiting run');
      const sessionId = transport.sessionId!;
      await transport.terminateSession();
      await client.close();
      await call;
      // The server has closed the session (its handlers were aborted then): a request naming it is 404.
      await until(async () => (await fetch(new URL('/mcp', t.url), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}`, 'mcp-session-id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }) })).status === 404, 'the session to be closed');
      assert.equal((await t.api<Run>('GET', `/api/runs/${run.id}`)).body.status, 'awaiting_approval');
      // Still a person's to decide: approving it runs it to the end, with no cancel in its history.
      assert.equal((await t.api('POST', `/api/runs/${run.id}/approve`, {})).status, 200);
      const done = await t.backend.engine.waitForTerminal(run.id);
      assert.equal(done.status, 'succeeded');
    } finally {
      await t.close();
    }
  });

  it('an idle session is closed, but not one whose call is still waiting on an open stream', async () => {
    const t = await startBackend({ env: { PRODUCT_OS_MEDIUM_RISK: 'approval' }, mcp: { idleSessionMs: 300 } });
    try {
      const url = new URL('/mcp', t.url);
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}` };
      // A client with a call waiting for approval well past the idle time.
      const client = await connect(t, 'patient');
      const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'slow', patch: { name: 'Slow' } } });
      const run = await until(async () => (await runsOf(t, 'brand.update_profile')).find((r) => r.status === 'awaiting_approval'), 'a waiting run');
      // Then a raw session, no GET stream, nothing open: swept. Its sweep is the event that
      // proves a sweep ran after the patient client's last request, and spared it. Checked no
      // more often than the idle time, since a request to the session would keep it alive.
      const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify(INIT) });
      const idle = init.headers.get('mcp-session-id')!;
      await init.text();
      await until(async () => {
        await new Promise((r) => setTimeout(r, 400));
        const gone = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': idle }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }) });
        await gone.text();
        return gone.status === 404;
      }, 'the idle session to be closed');
      assert.equal((await t.api('POST', `/api/runs/${run.id}/approve`, {})).status, 200);
      const result = (await within(call, 10_000, 'the waiting call')) as CallToolResult;
      assert.equal((result.structuredContent as { ok: boolean }).ok, true);
      await client.close();
    } finally {
      await t.close();
    }
  });

  it('closing the backend leaves a call that awaits approval waiting after the restart', async () => {
    const dataDir = tempDir();
    const env = { PRODUCT_OS_MEDIUM_RISK: 'approval' };
    let t = await startBackend({ env, dataDir });
    let runId: string;
    try {
      const client = await connect(t, 'restarter');
      const call = client.callTool({ name: 'brand.update_profile', arguments: { profile_id: 'r', patch: { name: 'R' } } }).catch(() => undefined);
      runId = (await until(async () => (await runsOf(t, 'brand.update_profile')).find((r) => r.status === 'awaiting_approval'), 'a waiting run')).id;
      await t.close();
      // The server ends the open response stream without an answer; the client gives up.
      await client.close();
      await call;
    } finally {
      await t.close();
    }
    t = await startBackend({ env, dataDir });
    try {
      assert.equal((await t.api<Run>('GET', `/api/runs/${runId}`)).body.status, 'awaiting_approval');
      assert.equal((await t.api('POST', `/api/runs/${runId}/approve`, {})).status, 200);
      await until(async () => (await t.api<Run>('GET', `/api/runs/${runId}`)).body.status === 'succeeded', 'the approved run to finish');
    } finally {
      await t.close();
    }
  });
});

describe('product-os mcp --stdio', function () {
  this.timeout(60_000);
  let client: Client;
  let transport: StdioClientTransport;
  const stderr: string[] = [];

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    const data = tempDir();
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--stdio', '--data', data],
      // Not the test runner's environment: PRODUCT_OS_URL there would make it a relay.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? data },
      cwd: data,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
  });

  it('lists every tool', async () => {
    const tools = await listAll(client);
    const file = parseYaml(fs.readFileSync(path.join(path.dirname(CLI), 'tool-registry.yaml'), 'utf8')) as { tools: Record<string, { inputSchema: unknown }> };
    assert.deepEqual(tools.map((x) => x.name).sort(), Object.keys(file.tools).sort(), stderr.join(''));
    for (const tool of tools) assert.deepEqual(tool.inputSchema, file.tools[tool.name].inputSchema);
  });

  it('calls system.ping', async () => {
    const result = (await client.callTool({ name: 'system.ping', arguments: { message: 'over stdio' } })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal((result.structuredContent as { pong: boolean }).pong, true);
    assert.equal((result.structuredContent as { message: string }).message, 'over stdio');
  });

  it('answers invalid input with isError naming the field', async () => {
    const result = (await client.callTool({ name: 'system.ping', arguments: { mesage: 'x' } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(textOf(result), /\/mesage/);
  });

  it('exits when the client closes stdin', async () => {
    const pid = transport.pid!;
    assert.ok(pid);
    await client.close();
    await until(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the stdio server to exit', 15_000);
  });
});

describe('product-os mcp --stdio relaying to a running backend (PRODUCT_OS_URL)', function () {
  this.timeout(60_000);
  let t: TestBackend;
  let client: Client;
  let transport: StdioClientTransport;

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    t = await startBackend({ env: { PRODUCT_OS_MEDIUM_RISK: 'approval' } });
    const data = tempDir();
    client = new Client({ name: 'relay-test', version: '1.0.0' });
    transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'mcp', '--stdio', '--data', data],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? data, PRODUCT_OS_URL: t.url, PRODUCT_OS_TOKEN: t.token },
        cwd: data,
        stderr: 'pipe',
    });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await t?.close();
  });

  it('lists the backend\'s tools and calls system.ping in the backend\'s store', async () => {
    const tools = await listAll(client);
    assert.deepEqual(tools.map((x) => x.name).sort(), [...t.backend.registry.tools.keys()].sort());
    const result = (await client.callTool({ name: 'system.ping', arguments: { message: 'relayed' } })) as CallToolResult;
    assert.notEqual(result.isError, true, textOf(result));
    assert.equal((result.structuredContent as { message: string }).message, 'relayed');
    const [run] = await runsOf(t, 'system.ping');
    assert.equal(run.status, 'succeeded');
    assert.equal(run.caller, 'mcp:relay-test');
  });

  it('relays progress and cancellation', async () => {
    const abort = new AbortController();
    const progress: Progress[] = [];
    const call = client
      .callTool({ name: 'brand.update_profile', arguments: { profile_id: 'relay', patch: { name: 'R' } } }, undefined, { signal: abort.signal, onprogress: (p) => void progress.push(p) })
      .then(() => 'resolved', (err: Error) => err);
    const run = await until(async () => (await runsOf(t, 'brand.update_profile')).find((r) => r.status === 'awaiting_approval'), 'a waiting run');
    await until(async () => progress.length > 0, 'progress through the relay');
    assert.match(progress[0].message ?? '', /awaits approval/);
    abort.abort();
    assert.ok((await within(call, 10_000, 'the aborted relayed call')) instanceof Error);
    await until(async () => (await t.api<Run>('GET', `/api/runs/${run.id}`)).body.status === 'cancelled', 'the relayed cancel to cancel the run');
  });

  it('exits when the client closes stdin', async () => {
    const pid = transport.pid!;
    await client.close();
    await until(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the relay to exit', 15_000);
  });
});

describe('product-os mcp --stdio relaying to a backend that is not there', function () {
  this.timeout(60_000);

  it('answers requests with an error at once instead of leaving the client to time out', async () => {
    const data = tempDir();
    // A port nothing listens on: one a closed backend just gave back.
    const gone = await startBackend();
    const url = gone.url;
    await gone.close();
    const client = new Client({ name: 'orphan', version: '1' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--stdio', '--data', data],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? data, PRODUCT_OS_URL: url, PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef' },
      cwd: data,
      stderr: 'pipe',
    });
    // A client-side timeout would reject with the SDK's "Request timed out", not this: the
    // relay's own error is what proves it answered instead of leaving the client to wait.
    // It names the server and what to do, not the HTTP library's "fetch failed".
    await assert.rejects(() => client.connect(transport, { timeout: 30_000 }), (err: Error) => {
      assert.match(err.message, new RegExp(`Product OS backend at PRODUCT_OS_URL=${url} does not answer \\(ECONNREFUSED\\)`));
      assert.match(err.message, /start it \(product-os serve.*or unset PRODUCT_OS_URL/);
      assert.doesNotMatch(err.message, /fetch failed/);
      return true;
    });
    await client.close();
  });
});

