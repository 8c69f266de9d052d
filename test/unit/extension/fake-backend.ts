/** A scripted HTTP backend for the extension's UI tests (server mode points the extension at it). */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Run, ToolInfo } from '../../../contracts/rest';

export const TOKEN = 'fake-backend-token-0123456789';

export interface FakeBackendServer {
  url: string;
  requests: Array<{ method: string; path: string; body: unknown }>;
  tools: ToolInfo[];
  runs: Map<string, Run>;
  /** How a new run ends; 'hang' leaves it running until cancelled; 'fail' ends it with `error`. */
  outcome: 'succeed' | 'hang' | 'fail';
  output: unknown;
  error?: { code: string; message: string; details?: unknown };
  close(): Promise<void>;
}

export function tool(name: string, executor: string, inputSchema: unknown, extra: Partial<ToolInfo> = {}): ToolInfo {
  return { name, title: name, description: '', module: 'x', risk: 'low', executor, available: true, inputSchema, outputSchema: {}, ...extra };
}

export async function startFakeBackend(): Promise<FakeBackendServer> {
  const state: Omit<FakeBackendServer, 'url' | 'close'> = { requests: [], tools: [], runs: new Map(), outcome: 'succeed', output: {} };
  const streams = new Map<string, http.ServerResponse[]>();
  /** Callers of the wait route, answered when their run ends (as the real backend does). */
  const waiters = new Map<string, Array<() => void>>();
  const TERMINAL = new Set<Run['status']>(['succeeded', 'failed', 'cancelled', 'timed_out']);
  let seq = 0;
  const now = () => new Date().toISOString();
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const push = (run: Run, to: Run['status'], id: number) => {
    run.status = to;
    run.version++;
    for (const res of streams.get(run.id) ?? []) {
      res.write(`id: ${id}\nevent: state\ndata: ${JSON.stringify({ id, runId: run.id, type: 'state', data: { from: null, to }, createdAt: now() })}\n\n`);
      if (to === 'succeeded' || to === 'cancelled' || to === 'failed') res.end();
    }
    if (TERMINAL.has(to)) {
      for (const answer of waiters.get(run.id) ?? []) answer();
      waiters.delete(run.id);
    }
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) : undefined;
      state.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, { error: { code: 'unauthorized', message: 'bad token' } });
      const p = url.pathname;
      if (p === '/health') return send(res, 200, { status: 'ok', version: '0', instanceId: 'i', store: 'pglite', role: 'all', activeRuns: 0, uptimeSeconds: 1 });
      if (p === '/api/tools') return send(res, 200, { tools: state.tools });
      if (p === '/api/lanes') return send(res, 200, { lanes: [{ id: 'backlog', name: 'Backlog', position: 0 }] });
      if (p === '/api/cards') return send(res, 200, { cards: [] });
      if (p === '/config/validate') return send(res, 200, { ok: true, settings: [{ name: 'DATABASE_URL', status: 'missing', required: false, message: 'not set' }] });
      if (p === '/api/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return;
      }
      if (p === '/api/runs' && req.method === 'POST') {
        const t = state.tools.find((x) => x.name === body.tool);
        if (!t) return send(res, 404, { error: { code: 'unknown_tool', message: `no tool ${body.tool}` } });
        const id = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
        const run: Run = { id, tool: body.tool, status: 'queued', risk: 'low', input: body.input, labels: {}, priority: 0, caller: 'api:vscode', idempotencyKey: null, correlationId: null, traceId: 't', version: 1, attempt: 0, maxAttempts: 1, createdAt: now(), updatedAt: now(), startedAt: null, finishedAt: null };
        state.runs.set(id, run);
        return send(res, 201, run);
      }
      const m = /^\/api\/runs\/([^/]+)(\/events|\/cancel|\/wait)?$/.exec(p);
      if (m) {
        const run = state.runs.get(m[1]);
        if (!run) return send(res, 404, { error: { code: 'not_found', message: 'no run' } });
        if (m[2] === '/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          streams.set(run.id, [...(streams.get(run.id) ?? []), res]);
          push(run, 'running', 1);
          if (state.outcome === 'succeed') {
            run.output = state.output;
            setTimeout(() => push(run, 'succeeded', 2), 10);
          }
          if (state.outcome === 'fail') {
            run.error = state.error as Run['error'];
            setTimeout(() => push(run, 'failed', 2), 10);
          }
          return;
        }
        if (m[2] === '/wait') {
          if (TERMINAL.has(run.status)) return send(res, 200, run);
          const answer = () => {
            clearTimeout(timer);
            send(res, 200, run);
          };
          const timer = setTimeout(() => {
            waiters.set(run.id, (waiters.get(run.id) ?? []).filter((w) => w !== answer));
            send(res, 200, run);
          }, Number(url.searchParams.get('timeoutMs') ?? 30_000));
          waiters.set(run.id, [...(waiters.get(run.id) ?? []), answer]);
          return;
        }
        if (m[2] === '/cancel') {
          push(run, 'cancelled', 3);
          return send(res, 200, run);
        }
        return send(res, 200, run);
      }
      send(res, 404, { error: { code: 'not_found', message: `no route ${p}` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
