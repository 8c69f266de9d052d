/**
 * MCP `tools/call` of `system.ping`: our /mcp (Fastify, bearer auth, Ajv validation, policy,
 * a durable run in the store, audit, output validation) against a bare @modelcontextprotocol/sdk
 * server exposing the same tool with the same schemas over the same transport mode
 * (low-level Server + StreamableHTTPServerTransport with sessions, SSE responses) on plain
 * node:http. Our side is measured on each store in turn — the embedded default (PostgreSQL run
 * as a child process; PGlite where it cannot run), PGlite (PRODUCT_OS_STORE=pglite) and a
 * PostgreSQL by DATABASE_URL (a fresh database on the test server) — and each store's rounds
 * alternate with rounds of the same bare server (ABBA order) after a warm-up, so every ratio
 * compares figures taken under the same machine load. Same client, same concurrency, same
 * call budget, in one process; the figures are medians of rounds. The result's `ratio` is the
 * worst store's. Each side also gets the main thread's CPU time per call (the servers' own
 * work; the clients are in worker threads): a figure a loaded machine barely moves, and the
 * clients' CPU per call. On the first store's backend our API is also measured with the run
 * record taken out (`transportOnly`): how much of the gap is the transport, how much the run.
 *
 * Knobs (environment): BENCH_STORES (embedded,pglite,postgres), BENCH_DATABASE_URL (the
 * PostgreSQL server to create the bench database on; else TEST_DATABASE_URL, else the one
 * scripts/ensure-postgres.sh starts), BENCH_CONCURRENCY (8 sessions per side), BENCH_ROUNDS
 * (5 per side), BENCH_CALLS (max calls per round, 4000), BENCH_SECONDS (max seconds per round,
 * 3), BENCH_WARMUP_CALLS (500 per side), BENCH_CLIENT=worker|inline (worker: the clients run in
 * a worker thread, off the servers' event loop; inline: on it), PRODUCT_OS_CONCURRENCY (passed
 * to our backend), BENCH_SQL_DETAIL=1 (statement counts by kind on stderr).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Client as PgClient } from 'pg';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, isInitializeRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { createBackend, type Backend } from '../../backend/main';
import { buildApi } from '../../backend/api/server';
import type { ApiContext } from '../../backend/api/context';
import type { Db } from '../../backend/store/db';
import { loadRegistry } from '../../registry/loader';
import { ClientPool, threadCpuMs, type Measurement, type PoolOptions } from './mcp-client-pool';
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
  /**
   * CPU time of this process's main thread per call while the side was measured: the server's
   * own work (the clients run in worker threads unless BENCH_CLIENT=inline), which other load
   * on the machine barely moves, unlike calls per second.
   */
  mainThreadCpuMsPerCall: number;
  /** CPU time of the clients' thread per call (worker mode only): what each side costs its callers. */
  clientCpuMsPerCall: number;
}

/** The stores our side is measured on, each against the same bare server in the same run. */
type StoreName = 'embedded' | 'pglite' | 'postgres';

interface StoreFigures {
  store: StoreName;
  db: string;
  served: string;
  engineConcurrency: number;
  ours: ReturnType<typeof summarize>;
  bare: ReturnType<typeof summarize>;
  sqlPerCall: number;
  sqlWallMsPerCall: number;
  ratioPerRound: number[];
  ratio: number;
  /**
   * Our /mcp with the run record taken out (an engine that answers at once and stores
   * nothing), against the same bare server: what Fastify, the security hook, request checks
   * and the resumable event store cost, so that ratio ÷ transportOnly.ratio is the run record's share.
   */
  transportOnly?: { ours: ReturnType<typeof summarize>; bare: ReturnType<typeof summarize>; ratio: number };
}

interface RoundOptions {
  concurrency: number;
  rounds: number;
  calls: number;
  seconds: number;
  warmupCalls: number;
  clientMode: 'worker' | 'inline';
}

export async function run(): Promise<BenchResult> {
  const concurrency = envNumber('BENCH_CONCURRENCY', 8);
  const rounds = envNumber('BENCH_ROUNDS', 5);
  const calls = envNumber('BENCH_CALLS', 4000);
  const seconds = envNumber('BENCH_SECONDS', 3);
  const warmupCalls = envNumber('BENCH_WARMUP_CALLS', 500);
  const clientMode = process.env.BENCH_CLIENT === 'inline' ? 'inline' : 'worker';
  const stores = benchStores();

  let bare: { url: string; close(): Promise<void> } | undefined;
  let bareSide: Side | undefined;
  const results: StoreFigures[] = [];
  try {
    // The bare server and its clients stay up across the stores: each store's rounds alternate with its own bare rounds.
    const tool = await toolSpec();
    bare = await startBareServer(tool);
    bareSide = await connectSide('bare', { url: bare.url, headers: {}, clients: concurrency, tool: TOOL, args: {} }, clientMode);
    check('bare', await bareSide.measure(warmupCalls, seconds));
    for (const store of stores) {
      // The transport alone is measured once, on the first store's backend (it touches no store).
      results.push(await measureStore(store, bareSide, { concurrency, rounds, calls, seconds, warmupCalls, clientMode, transportOnly: results.length === 0 }));
    }
  } finally {
    await bareSide?.close().catch(() => undefined);
    await bare?.close().catch(() => undefined);
  }
  const ratio = Math.min(...results.map((r) => r.ratio));
  return {
    tool: TOOL,
    concurrency,
    rounds,
    maxCallsPerRound: calls,
    maxSecondsPerRound: seconds,
    client: clientMode === 'worker' ? 'worker_thread (own event loop)' : 'inline (shares the servers’ event loop)',
    cpus: os.availableParallelism(),
    loadavg: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    stores: Object.fromEntries(results.map((r) => [r.store, r])),
    // Not a target: where the gap is (the transport, or the durable run record).
    transportOnlyRatio: results[0]?.transportOnly?.ratio,
    // The figure the target is about: the worst store's ratio (each store is compared with its own interleaved bare rounds).
    ratio,
    target: `>=${TARGET} on every store`,
    pass: results.every((r) => r.ratio >= TARGET && r.ours.errors === 0 && r.bare.errors === 0),
  };
}

/** BENCH_STORES=embedded,pglite,postgres (the default: all three). */
function benchStores(): StoreName[] {
  const raw = (process.env.BENCH_STORES || 'embedded,pglite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
  const known: StoreName[] = ['embedded', 'pglite', 'postgres'];
  const bad = raw.filter((s) => !known.includes(s as StoreName));
  if (bad.length > 0) throw new Error(`BENCH_STORES: unknown store ${bad.join(', ')} (known: ${known.join(', ')})`);
  return raw as StoreName[];
}

/** The tool's published spec, from the registry the backend loads (no store needed). */
async function toolSpec(): Promise<Tool> {
  const tool = loadRegistry().get(TOOL);
  if (!tool) throw new Error(`the registry has no ${TOOL}`);
  return {
    name: TOOL,
    title: tool.spec.title,
    description: tool.spec.description,
    inputSchema: tool.spec.inputSchema as Tool['inputSchema'],
    outputSchema: tool.spec.outputSchema as Tool['outputSchema'],
  };
}

/** The PostgreSQL the tests use: BENCH_DATABASE_URL, TEST_DATABASE_URL, or the one scripts/ensure-postgres.sh starts. */
function adminDatabaseUrl(): string {
  return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || execFileSync('bash', ['scripts/ensure-postgres.sh'], { encoding: 'utf8' }).trim();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function measureStore(
  store: StoreName,
  bareSide: Side,
  o: RoundOptions & { transportOnly: boolean },
): Promise<StoreFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `product-os-bench-${store}-`));
  const token = `bench-${randomUUID()}`;
  const backendLog: string[] = [];
  const env: Record<string, string> = { PRODUCT_OS_TOKEN: token, PRODUCT_OS_STORE: store === 'pglite' ? 'pglite' : 'auto' };
  if (process.env.PRODUCT_OS_CONCURRENCY) env.PRODUCT_OS_CONCURRENCY = process.env.PRODUCT_OS_CONCURRENCY;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (store === 'postgres') {
    // A database of its own on the test server, dropped afterwards.
    const admin = adminDatabaseUrl();
    const name = `po_bench_${process.pid}_${Date.now()}`;
    await adminQuery(admin, `CREATE DATABASE ${name}`);
    dropDatabase = () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const u = new URL(admin);
    u.pathname = `/${name}`;
    env.DATABASE_URL = u.toString();
  }
  let backend: Backend | undefined;
  let oursSide: Side | undefined;
  try {
    backend = await createBackend({ env, overrides: { dataDir, port: 0 }, stderr: (line) => void backendLog.push(line) });
    const oursUrl = `${await backend.listen()}/mcp`;
    const sql = countStatements(backend.db);
    oursSide = await connectSide('ours', { url: oursUrl, headers: { authorization: `Bearer ${token}` }, clients: o.concurrency, tool: TOOL, args: {} }, o.clientMode);
    log(`mcp-tools-call [${store}: ${backend.db.kind}]: warm-up, ${o.warmupCalls} calls per side (${o.concurrency} sessions each, clients: ${o.clientMode})`);
    check(`ours (${store})`, await oursSide.measure(o.warmupCalls, o.seconds));
    check('bare', await bareSide.measure(o.warmupCalls, o.seconds));

    let oursCalls = 0;
    let oursStatements = 0;
    let oursStatementMs = 0;
    let before = { ...sql.totals };
    const figures = await interleave(store, oursSide, bareSide, o, {
      before: () => void (before = { ...sql.totals }),
      after: (m) => {
        oursCalls += m.ok + m.errors;
        oursStatements += sql.totals.count - before.count;
        oursStatementMs += sql.totals.ms - before.ms;
      },
    });
    if (process.env.BENCH_SQL_DETAIL === '1') {
      for (const [kind, n] of [...sql.byKind].sort((a, b) => b[1].count - a[1].count)) {
        log(`[${store}] sql ${n.count}× ${round(n.ms / n.count, 3)} ms avg: ${kind}`);
      }
    }
    const ours = summarize(figures.ours);
    const bare = summarize(figures.bare);
    const transportOnly = o.transportOnly ? await measureTransportOnly(backend, token, bareSide, o) : undefined;
    return {
      store,
      db: backend.db.kind,
      served: backend.db.description.replace(dataDir, '<data>'),
      engineConcurrency: backend.config.concurrency,
      ours,
      bare,
      sqlPerCall: round(oursStatements / Math.max(1, oursCalls), 2),
      sqlWallMsPerCall: round(oursStatementMs / Math.max(1, oursCalls), 3),
      ratioPerRound: figures.ours.map((f, i) => round(f.callsPerSec / figures.bare[i].callsPerSec, 3)),
      ratio: round(ours.callsPerSec / bare.callsPerSec, 3),
      ...(transportOnly ? { transportOnly } : {}),
    };
  } catch (err) {
    if (backendLog.length > 0) log(`[${store}] backend log (last lines):\n${backendLog.slice(-20).join('\n')}`);
    throw err;
  } finally {
    await oursSide?.close().catch(() => undefined);
    await backend?.close().catch(() => undefined);
    await dropDatabase?.().catch((err: Error) => log(`[${store}] could not drop the bench database: ${err.message}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `rounds` rounds of each side, alternating which goes first (ABBA), after which neither is favoured by the machine's drift. */
async function interleave(
  label: string,
  oursSide: Side,
  bareSide: Side,
  o: RoundOptions,
  hooks: { before?: () => void; after?: (m: Measurement) => void } = {},
): Promise<Record<'bare' | 'ours', RoundFigures[]>> {
  const figures: Record<'bare' | 'ours', RoundFigures[]> = { bare: [], ours: [] };
  for (let r = 0; r < o.rounds; r++) {
    for (const side of r % 2 === 0 ? [bareSide, oursSide] : [oursSide, bareSide]) {
      if (side.name === 'ours') hooks.before?.();
      const cpu = threadCpuMs();
      const m = await side.measure(o.calls, o.seconds);
      check(side.name, m);
      const f = toFigures(m, threadCpuMs() - cpu);
      figures[side.name].push(f);
      if (side.name === 'ours') hooks.after?.(m);
      log(`[${label}] round ${r + 1}/${o.rounds} ${side.name}: ${round(f.callsPerSec, 1)} calls/s, p50 ${round(f.p50Ms)} ms, p99 ${round(f.p99Ms)} ms, main thread ${round(f.mainThreadCpuMsPerCall, 3)} ms CPU per call, clients ${round(f.clientCpuMsPerCall, 3)} ms (${f.calls} calls${f.errors ? `, ${f.errors} errors` : ''})`);
    }
  }
  return figures;
}

/**
 * Our API (same Fastify app, hooks, /mcp route and session handling) over the backend's own
 * context, with an engine that answers every call at once and stores nothing.
 */
async function measureTransportOnly(backend: Backend, token: string, bareSide: Side, o: RoundOptions): Promise<NonNullable<StoreFigures['transportOnly']>> {
  const answer = (id: string) => ({ id, status: 'succeeded', output: { pong: true, at: new Date().toISOString() } });
  const engine = {
    submit: async () => ({ run: answer(randomUUID()), created: true }),
    waitForTerminal: async (id: string) => answer(id),
    cancel: async () => undefined,
  } as unknown as ApiContext['engine'];
  const app = await buildApi({ ...backend.context, engine }, token);
  let side: Side | undefined;
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    side = await connectSide('ours', { url: `http://127.0.0.1:${port}/mcp`, headers: { authorization: `Bearer ${token}` }, clients: o.concurrency, tool: TOOL, args: {} }, o.clientMode);
    log(`mcp-tools-call [transport only]: warm-up, ${o.warmupCalls} calls`);
    check('ours (transport only)', await side.measure(o.warmupCalls, o.seconds));
    const figures = await interleave('transport only', side, bareSide, o);
    const ours = summarize(figures.ours);
    const bare = summarize(figures.bare);
    return { ours, bare, ratio: round(ours.callsPerSec / bare.callsPerSec, 3) };
  } finally {
    await side?.close().catch(() => undefined);
    await app.close().catch(() => undefined);
  }
}

function summarize(f: RoundFigures[]) {
  return {
    mainThreadCpuMsPerCall: round(median(f.map((x) => x.mainThreadCpuMsPerCall)), 3),
    clientCpuMsPerCall: round(median(f.map((x) => x.clientCpuMsPerCall)), 3),
    callsPerSec: round(median(f.map((x) => x.callsPerSec)), 1),
    p50Ms: round(median(f.map((x) => x.p50Ms)), 3),
    p99Ms: round(median(f.map((x) => x.p99Ms)), 3),
    calls: f.reduce((s, x) => s + x.calls, 0),
    errors: f.reduce((s, x) => s + x.errors, 0),
  };
}

function toFigures(m: Measurement, mainThreadCpuMs: number): RoundFigures {
  return {
    mainThreadCpuMsPerCall: mainThreadCpuMs / Math.max(1, m.ok + m.errors),
    clientCpuMsPerCall: m.clientCpuMs / Math.max(1, m.ok + m.errors),
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
