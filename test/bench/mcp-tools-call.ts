/**
 * MCP `tools/call` of `system.ping`: our /mcp (Fastify, bearer auth, Ajv validation, policy,
 * a durable run in PGlite, audit, output validation) against a bare @modelcontextprotocol/sdk
 * server exposing the same tool with the same schemas over the same transport mode
 * (low-level Server + StreamableHTTPServerTransport with sessions, SSE responses) on plain
 * node:http. Same client, same concurrency, same call budget, in one process, rounds
 * alternating bare/ours (ABBA order) after a warm-up; the figures are medians of rounds.
 *
 * Knobs (environment): BENCH_CONCURRENCY (8 sessions per side), BENCH_ROUNDS (5 per side),
 * BENCH_CALLS (max calls per round, 4000), BENCH_SECONDS (max seconds per round, 3),
 * BENCH_WARMUP_CALLS (500 per side), BENCH_CLIENT=worker|inline (worker: the clients run in a
 * worker thread, off the servers' event loop; inline: on it), PRODUCT_OS_CONCURRENCY (passed
 * to our backend), BENCH_SQL_DETAIL=1 (statement counts by kind on stderr).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, isInitializeRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { createBackend, type Backend } from '../../backend/main';
import type { Db } from '../../backend/store/db';
import { ClientPool, type Measurement, type PoolOptions } from './mcp-client-pool';
import type { WorkerReply, WorkerRequest } from './mcp-client-worker';
import { envNumber, log, median, percentile, round, type BenchResult } from './bench';

const TOOL = 'system.ping';
const TARGET = 0.8;

interface Side {
  name: 'bare' | 'ours';
  measure(calls: number, seconds: number): Promise<Measurement>;
  close(): Promise<void>;
}

interface RoundFigures {
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  calls: number;
  errors: number;
}

export async function run(): Promise<BenchResult> {
  const concurrency = envNumber('BENCH_CONCURRENCY', 8);
  const rounds = envNumber('BENCH_ROUNDS', 5);
  const calls = envNumber('BENCH_CALLS', 4000);
  const seconds = envNumber('BENCH_SECONDS', 3);
  const warmupCalls = envNumber('BENCH_WARMUP_CALLS', 500);
  const clientMode = process.env.BENCH_CLIENT === 'inline' ? 'inline' : 'worker';

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-bench-'));
  const token = `bench-${randomUUID()}`;
  const backendLog: string[] = [];
  let backend: Backend | undefined;
  let bare: { url: string; close(): Promise<void> } | undefined;
  const sides: Side[] = [];
  try {
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: token, ...(process.env.PRODUCT_OS_CONCURRENCY ? { PRODUCT_OS_CONCURRENCY: process.env.PRODUCT_OS_CONCURRENCY } : {}) },
      overrides: { dataDir, port: 0 },
      stderr: (line) => void backendLog.push(line),
    });
    const oursUrl = `${await backend.listen()}/mcp`;
    const tool = backend.registry.get(TOOL);
    if (!tool) throw new Error(`the registry has no ${TOOL}`);
    bare = await startBareServer({
      name: TOOL,
      title: tool.spec.title,
      description: tool.spec.description,
      inputSchema: tool.spec.inputSchema as Tool['inputSchema'],
      outputSchema: tool.spec.outputSchema as Tool['outputSchema'],
    });
    const sql = countStatements(backend.db);

    const pool = (url: string, headers: Record<string, string> = {}): PoolOptions => ({ url, headers, clients: concurrency, tool: TOOL, args: {} });
    sides.push(await connectSide('bare', pool(bare.url), clientMode));
    sides.push(await connectSide('ours', pool(oursUrl, { authorization: `Bearer ${token}` }), clientMode));
    const [bareSide, oursSide] = sides;

    log(`mcp-tools-call: warm-up, ${warmupCalls} calls per side (${concurrency} sessions each, clients: ${clientMode})`);
    for (const side of sides) check(side.name, await side.measure(warmupCalls, seconds));

    const figures: Record<'bare' | 'ours', RoundFigures[]> = { bare: [], ours: [] };
    let oursCalls = 0;
    let oursStatements = 0;
    let oursStatementMs = 0;
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? [bareSide, oursSide] : [oursSide, bareSide]) {
        const before = { ...sql.totals };
        const m = await side.measure(calls, seconds);
        check(side.name, m);
        const f = toFigures(m);
        figures[side.name].push(f);
        if (side.name === 'ours') {
          oursCalls += m.ok + m.errors;
          oursStatements += sql.totals.count - before.count;
          oursStatementMs += sql.totals.ms - before.ms;
        }
        log(`round ${r + 1}/${rounds} ${side.name}: ${round(f.callsPerSec, 1)} calls/s, p50 ${round(f.p50Ms)} ms, p99 ${round(f.p99Ms)} ms (${f.calls} calls${f.errors ? `, ${f.errors} errors` : ''})`);
      }
    }
    if (process.env.BENCH_SQL_DETAIL === '1') {
      for (const [kind, n] of [...sql.byKind].sort((a, b) => b[1].count - a[1].count)) {
        log(`sql ${n.count}× ${round(n.ms / n.count, 3)} ms avg: ${kind}`);
      }
    }

    const summary = (name: 'bare' | 'ours') => {
      const f = figures[name];
      return {
        callsPerSec: round(median(f.map((x) => x.callsPerSec)), 1),
        p50Ms: round(median(f.map((x) => x.p50Ms)), 3),
        p99Ms: round(median(f.map((x) => x.p99Ms)), 3),
        calls: f.reduce((s, x) => s + x.calls, 0),
        errors: f.reduce((s, x) => s + x.errors, 0),
      };
    };
    const oursSummary = summary('ours');
    const bareSummary = summary('bare');
    const ratio = round(oursSummary.callsPerSec / bareSummary.callsPerSec, 3);
    return {
      tool: TOOL,
      concurrency,
      rounds,
      maxCallsPerRound: calls,
      maxSecondsPerRound: seconds,
      client: clientMode === 'worker' ? 'worker_thread (own event loop)' : 'inline (shares the servers’ event loop)',
      cpus: os.availableParallelism(),
      node: process.version,
      ours: {
        ...oursSummary,
        engineConcurrency: backend.config.concurrency,
        db: backend.db.kind,
        sqlPerCall: round(oursStatements / Math.max(1, oursCalls), 2),
        sqlWallMsPerCall: round(oursStatementMs / Math.max(1, oursCalls), 3),
      },
      bare: bareSummary,
      ratioPerRound: figures.ours.map((o, i) => round(o.callsPerSec / figures.bare[i].callsPerSec, 3)),
      ratio,
      target: `>=${TARGET}`,
      pass: ratio >= TARGET && oursSummary.errors === 0 && bareSummary.errors === 0,
    };
  } catch (err) {
    if (backendLog.length > 0) log(`backend log (last lines):\n${backendLog.slice(-20).join('\n')}`);
    throw err;
  } finally {
    for (const side of sides) await side.close().catch(() => undefined);
    await bare?.close().catch(() => undefined);
    await backend?.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function toFigures(m: Measurement): RoundFigures {
  return {
    callsPerSec: m.ok / (m.elapsedMs / 1000),
    p50Ms: percentile(m.latencies, 50),
    p99Ms: percentile(m.latencies, 99),
    calls: m.ok + m.errors,
    errors: m.errors,
  };
}

function check(side: string, m: Measurement): void {
  if (m.ok === 0) throw new Error(`${side}: no call succeeded${m.firstError ? `: ${m.firstError}` : ''}`);
  if (m.errors > 0) log(`${side}: ${m.errors} call(s) failed, first: ${m.firstError}`);
}

// ---- the reference: a bare SDK server ------------------------------------------------------

/** Low-level Server + StreamableHTTPServerTransport with sessions, on node:http: what /mcp would be with nothing of ours in it. */
export async function startBareServer(tool: Tool): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const newServer = () => {
    const server = new Server({ name: 'bare-sdk', version: '0.0.0' }, { capabilities: { tools: { listChanged: false } } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [tool] }));
    server.setRequestHandler(CallToolRequestSchema, async (req) => {
      if (req.params.name !== tool.name) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
      const output = { pong: true as const, at: new Date().toISOString() };
      return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
    });
    return server;
  };
  const reply = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url?.split('?')[0] !== '/mcp') return reply(res, 404, 'Not found');
    let body: unknown;
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(res, 400, 'Parse error');
      }
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (sessionId !== undefined) return reply(res, 404, 'Session not found');
    if (req.method !== 'POST' || !isInitializeRequest(body)) return reply(res, 400, 'Bad Request: no valid session');
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await newServer().connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) reply(res, 500, err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- clients -------------------------------------------------------------------------------

async function connectSide(name: Side['name'], opts: PoolOptions, mode: 'worker' | 'inline'): Promise<Side> {
  if (mode === 'inline') {
    const pool = await ClientPool.connect(opts);
    return { name, measure: (c, s) => pool.measure(c, s), close: () => pool.close() };
  }
  // Worker threads do not inherit tsx's loader hooks: register tsx's require hook in the worker first.
  const entry = path.join(__dirname, 'mcp-client-worker.ts');
  const worker = new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, workerData: opts });
  let pending: { resolve(r: WorkerReply): void; reject(e: Error): void } | undefined;
  const next = () =>
    new Promise<WorkerReply>((resolve, reject) => {
      pending = { resolve, reject };
    });
  worker.on('message', (m: WorkerReply) => pending?.resolve(m));
  worker.on('error', (err) => pending?.reject(err));
  worker.on('exit', (code) => pending?.reject(new Error(`${name} client worker exited (${code})`)));
  const ask = async (req: WorkerRequest | null): Promise<WorkerReply> => {
    const reply = next();
    if (req) worker.postMessage(req);
    const m = await reply;
    if (m.type === 'error') throw new Error(`${name} client worker: ${m.message}`);
    return m;
  };
  await ask(null); // ready
  return {
    name,
    async measure(calls, seconds) {
      const m = await ask({ type: 'measure', calls, seconds });
      if (m.type !== 'measured') throw new Error(`${name} client worker answered ${m.type}`);
      return m.measurement;
    },
    async close() {
      await Promise.race([ask({ type: 'close' }), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
      await worker.terminate();
    },
  };
}

// ---- what our side asks of the database ----------------------------------------------------

/**
 * Counts (and times, queueing included) every statement the backend sends, by wrapping the
 * Db object's query method in place: the engine holds the same object. Read-only observation;
 * the backend's code is unchanged.
 */
function countStatements(db: Db): { totals: { count: number; ms: number }; byKind: Map<string, { count: number; ms: number }> } {
  const totals = { count: 0, ms: 0 };
  const byKind = new Map<string, { count: number; ms: number }>();
  const target = db as { query: Db['query'] };
  const query = target.query.bind(db);
  target.query = (async (sql: string, params?: unknown[]) => {
    const t0 = performance.now();
    try {
      return await query(sql, params);
    } finally {
      const ms = performance.now() - t0;
      totals.count += 1;
      totals.ms += ms;
      const kind = sql.replace(/\s+/g, ' ').trim().slice(0, 90);
      const k = byKind.get(kind) ?? { count: 0, ms: 0 };
      k.count += 1;
      k.ms += ms;
      byKind.set(kind, k);
    }
  }) as Db['query'];
  return { totals, byKind };
}
