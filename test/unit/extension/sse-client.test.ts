import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { subscribeSse } from '../../../extension/backend/sse';
import { BackendClient, BackendRequestError, checkHealth } from '../../../extension/backend/client';
import { systemClock, type Connection } from '../../../extension/backend/types';

interface Server {
  url: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string, n: number) => void): Promise<Server> {
  const requests: Server['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body, requests.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const conn = (s: Server, token = 'tok-123'): Connection => ({ url: s.url, mcpUrl: `${s.url}/mcp`, token });
const sseHead = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('extension: SSE subscription', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('parses events, reconnects when the stream drops, and resumes with Last-Event-ID', async () => {
    server = await serve((req, res, _b, n) => {
      sseHead(res);
      res.write('retry: 10\n\n');
      const from = Number(req.headers['last-event-id'] ?? 0);
      // Two events per connection, then the connection drops.
      res.write(`id: ${from + 1}\nevent: log\ndata: {"n":${from + 1}}\n\n`);
      res.write(`: keep-alive\n\nid: ${from + 2}\nevent: log\ndata: {"n":`);
      res.end(`${from + 2}}\n\n`);
      void n;
    });
    const got: number[] = [];
    const sub = subscribeSse({ connect: async () => conn(server!), path: '/api/logs/stream', clock: systemClock, minDelayMs: 5, onEvent: (m) => got.push((JSON.parse(m.data) as { n: number }).n) });
    await waitFor(() => got.length >= 6);
    sub.close();
    await sub.done;
    assert.deepEqual(got.slice(0, 6), [1, 2, 3, 4, 5, 6]);
    assert.equal(server.requests[0].headers['last-event-id'], undefined);
    assert.equal(server.requests[1].headers['last-event-id'], '2');
    assert.equal(server.requests[2].headers['last-event-id'], '4');
    assert.equal(server.requests[0].headers.authorization, 'Bearer tok-123');
    assert.equal(server.requests[0].headers.accept, 'text/event-stream');
  });

  it('stops after the last event it needs, without reconnecting', async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.write('id: 1\nevent: state\ndata: {"to":"running"}\n\n');
      res.write('id: 2\nevent: state\ndata: {"to":"succeeded"}\n\n');
      res.write('id: 3\nevent: state\ndata: {"to":"ignored"}\n\n');
    });
    const got: string[] = [];
    const sub = subscribeSse({
      connect: async () => conn(server!),
      path: '/api/runs/x/events',
      clock: systemClock,
      minDelayMs: 5,
      onEvent: (m) => got.push((JSON.parse(m.data) as { to: string }).to),
      isLast: (m) => (JSON.parse(m.data) as { to: string }).to === 'succeeded',
    });
    await sub.done;
    assert.deepEqual(got, ['running', 'succeeded']);
    assert.equal(server.requests.length, 1);
  });

  it('gives up on a 4xx and reports it', async () => {
    server = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"not_found","message":"no run x"}}');
    });
    let fatal: unknown;
    const sub = subscribeSse({ connect: async () => conn(server!), path: '/api/runs/x/events', clock: systemClock, minDelayMs: 5, onEvent: () => {}, onFatal: (e) => (fatal = e) });
    await sub.done;
    assert.deepEqual(fatal, { status: 404, code: 'not_found', message: 'no run x' });
    assert.equal(server.requests.length, 1);
  });

  it('retries a 5xx or a refused connection, asking for the connection again each time', async () => {
    server = await serve((_req, res, _b, n) => {
      if (n < 3) {
        res.writeHead(503);
        res.end();
        return;
      }
      sseHead(res);
      res.write('event: run\ndata: {"id":"a"}\n\n');
    });
    let connects = 0;
    let unreachable = 0;
    const got: string[] = [];
    const sub = subscribeSse({
      onUnreachable: () => unreachable++,
      connect: async () => {
        connects++;
        // The first attempt goes to a port nobody listens on (a backend that just died).
        return connects === 1 ? { url: 'http://127.0.0.1:1', mcpUrl: '', token: 't' } : conn(server!);
      },
      path: '/api/stream',
      clock: systemClock,
      minDelayMs: 5,
      onEvent: (m) => got.push(m.data),
    });
    await waitFor(() => got.length === 1);
    sub.close();
    await sub.done;
    assert.equal(connects, 4);
    assert.deepEqual(got, ['{"id":"a"}']);
    assert.equal(unreachable, 1, 'only the refused connection, not the 503s');
  });
});

describe('extension: backend client', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const client = (s: Server, extra: Partial<ConstructorParameters<typeof BackendClient>[0]> = {}) =>
    new BackendClient({ connect: async () => conn(s), timeoutMs: () => 2000, minDelayMs: 5, ...extra } as ConstructorParameters<typeof BackendClient>[0]);

  const RUN = {
    id: '00000000-0000-4000-8000-000000000001', tool: 'system.ping', status: 'queued', risk: 'low', input: {}, labels: {}, priority: 0, caller: 'api:vscode',
    idempotencyKey: null, correlationId: null, traceId: 't', version: 1, attempt: 0, maxAttempts: 1,
    createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', startedAt: null, finishedAt: null,
  };

  it('sends the token, the caller and a JSON body, and parses the answer', async () => {
    server = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(RUN));
    });
    const run = await client(server).call('createRun', { body: { tool: 'system.ping', input: {} } });
    assert.equal(run.id, RUN.id);
    assert.equal(server.requests[0].url, '/api/runs');
    const r = server.requests[0];
    assert.equal(r.headers.authorization, 'Bearer tok-123');
    assert.equal(r.headers['x-product-os-caller'], 'vscode');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.body), { tool: 'system.ping', input: {} });
  });

  it('sends no content type without a body (the backend refuses an empty JSON body)', async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(RUN));
    });
    await client(server).call('cancelRun', { params: { id: 'r/1' } });
    assert.equal(server.requests[0].url, '/api/runs/r%2F1/cancel', 'path parameters are encoded');
    assert.equal(server.requests[0].headers['content-type'], undefined);
    assert.equal(server.requests[0].body, '');
  });

  it('turns error bodies into ApiErrors with status, code, message and details', async () => {
    server = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"invalid_input","message":"invalid body","details":{"violations":[{"pointer":"/limit","message":"must be <= 2000"}]}}}');
    });
    await assert.rejects(client(server).call('createRun', { body: { tool: 'x', input: {} } }), (e: unknown) => {
      assert.ok(e instanceof BackendRequestError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid_input');
      assert.deepEqual(e.details, { violations: [{ pointer: '/limit', message: 'must be <= 2000' }] });
      return true;
    });
  });

  it('says when a tool is not implemented (501)', async () => {
    server = await serve((_req, res) => {
      res.writeHead(501, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"not_implemented","message":"the http executor is not implemented yet"}}');
    });
    await assert.rejects(client(server).call('createRun', { body: { tool: 'x', input: {} } }), { status: 501, code: 'not_implemented' });
  });

  it('refuses an answer that is not what the route declares, naming the field', async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...RUN, status: 'exploded' }));
    });
    await assert.rejects(client(server).call('getRun', { params: { id: RUN.id } }), (e: unknown) => {
      assert.ok(e instanceof BackendRequestError);
      assert.equal(e.code, 'invalid_response');
      assert.match(e.message, /GET \/api\/runs\/:id answered .*\/status/);
      return true;
    });
  });

  it('times a request out', async () => {
    server = await serve(() => {
      /* never answers */
    });
    const started = Date.now();
    await assert.rejects(client(server, { timeoutMs: () => 100 }).call('listTools', {}), { code: 'timeout', status: 0 });
    assert.ok(Date.now() - started < 1500);
  });

  it('says the backend is unreachable and tells the supervisor', async () => {
    let told = 0;
    const c = new BackendClient({ connect: async () => ({ url: 'http://127.0.0.1:1', mcpUrl: '', token: 't' }), timeoutMs: () => 2000, onUnreachable: () => told++ });
    await assert.rejects(c.call('listTools', {}), { code: 'unreachable' });
    assert.equal(told, 1);
  });

  it('honours a caller abort signal', async () => {
    server = await serve(() => {});
    const ac = new AbortController();
    const p = client(server).call('listTools', {}, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, { code: 'cancelled' });
  });

  it('shares one stream between run listeners and closes it with the last one', async () => {
    let open = 0;
    server = await serve((req, res) => {
      if (req.url === '/api/stream') {
        open++;
        req.on('close', () => open--);
        sseHead(res);
        res.write('event: run\ndata: {"id":"a","version":1}\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"runs":[]}');
    });
    const c = client(server);
    const a: string[] = [];
    const b: string[] = [];
    const offA = c.onRun((r) => a.push(r.id));
    const offB = c.onRun((r) => b.push(r.id));
    await waitFor(() => a.length === 1);
    assert.equal(server.requests.filter((r) => r.url === '/api/stream').length, 1);
    offA();
    offB();
    await waitFor(() => open === 0);
  });

  it('checks health with the token', async () => {
    server = await serve((req, res) => {
      res.writeHead(req.headers.authorization === 'Bearer tok-123' ? 200 : 401, { 'content-type': 'application/json' });
      res.end(req.headers.authorization === 'Bearer tok-123' ? '{"status":"ok","version":"0.1.0"}' : '{"error":{"code":"unauthorized","message":"bad token"}}');
    });
    await checkHealth(conn(server), 1000);
    await assert.rejects(checkHealth(conn(server, 'wrong'), 1000), { code: 'unauthorized' });
  });
});
