/**
 * `npm run bench -- footprint`: the backend at rest, per store. For the embedded default (a
 * PostgreSQL server from the bundled binaries), the PGlite fallback and a PostgreSQL reached by
 * DATABASE_URL, each started as `dist/cli.js serve` the way the editor starts it: time from
 * spawn to the ready line on a new and on an existing data folder (each the median of several starts),
 * resident memory after ready and after FOOTPRINT_RUNS runs of system.ping (8 callers).
 * Measure the production bundle (`node scripts/build.mjs --production`, what `npm run package`
 * ships); the development build carries source maps and unminified code.
 *
 * Memory is counted honestly: the backend's RSS, plus for the embedded store its server's
 * processes (their PSS, which shares pages fairly between them), reported apart and summed.
 * A DATABASE_URL server is someone else's, shown beside (its PSS) but not in the total.
 * Needs a built dist/cli.js and a PostgreSQL for the third column: BENCH_DATABASE_URL, or the one
 * scripts/ensure-postgres.sh starts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { callRoute } from '../../contracts/client';
import { backendRuntimeEnv } from '../../extension/settings';
import { spawnServe, type ServeProcess } from '../helpers/serve-process';
import { envNumber, log, median, round, type BenchResult } from './bench';

const TOKEN = 'bench-token-0123456789abcdef';
const STARTS = envNumber('FOOTPRINT_STARTS', 3);
const RUNS = envNumber('FOOTPRINT_RUNS', 10_000);
const CALLERS = 8;
/** The run loop stops here even if not all runs are done (the figure then says how many). */
const RUN_BUDGET_MS = envNumber('FOOTPRINT_RUN_BUDGET_MS', 300_000);

type Store = 'embedded' | 'pglite' | 'postgres';

interface Figures {
  readyNewMs: number;
  readyExistingMs: number;
  backendMbAfterReady: number;
  serverMbAfterReady: number;
  totalMbAfterReady: number;
  backendMbAfterRuns: number;
  serverMbAfterRuns: number;
  totalMbAfterRuns: number;
  runs: number;
  runsPerSecond: number;
}

export async function run(): Promise<BenchResult> {
  const url = process.env.BENCH_DATABASE_URL || execFileSync('bash', ['scripts/ensure-postgres.sh'], { encoding: 'utf8' }).trim();
  const figures: Record<Store, Figures> = {
    embedded: await measure('embedded', url),
    pglite: await measure('pglite', url),
    postgres: await measure('postgres', url),
  };
  const e = figures.embedded;
  const pass = e.readyExistingMs < 1000 && e.readyNewMs < 2500 && e.totalMbAfterReady < 200 && e.totalMbAfterRuns < 250;
  return {
    ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v])),
    // The embedded default against PostgreSQL by DATABASE_URL (its backend alone, as the table).
    ratioReadyExisting: round(e.readyExistingMs / figures.postgres.readyExistingMs),
    ratioMemoryAfterReady: round(e.totalMbAfterReady / figures.postgres.backendMbAfterReady),
    ratioMemoryAfterRuns: round(e.totalMbAfterRuns / figures.postgres.backendMbAfterRuns),
    ratio: round(e.totalMbAfterRuns / figures.postgres.backendMbAfterRuns),
    target: 'embedded default: ready <1 s existing, <2.5 s new; <200 MB after ready, <250 MB after 10,000 runs (backend + its server)',
    pass,
  };
}

async function measure(store: Store, baseUrl: string): Promise<Figures> {
  // A new data folder's start is measured STARTS times too (each on a folder of its own, and
  // a database of its own for DATABASE_URL): one start alone swung 1.8-2.2 s here.
  const readyNew: number[] = [];
  let folder: Folder | undefined;
  try {
    for (let i = 0; i < STARTS; i++) {
      await folder?.remove();
      folder = await newFolder(store, baseUrl);
      log(`${store}: start ${i + 1}/${STARTS} on a new data folder`);
      const first = await start(folder.env);
      readyNew.push(first.ms);
      await stop(first.serve);
    }
    const { env } = folder!;
    const readyNewMs = median(readyNew);
    const existing: number[] = [];
    let last: { serve: ServeProcess; ms: number } | undefined;
    for (let i = 0; i < STARTS; i++) {
      last = await start(env);
      existing.push(last.ms);
      if (i < STARTS - 1) await stop(last.serve);
    }
    const serve = last!.serve;
    await new Promise((r) => setTimeout(r, 1000));
    const port = Number(new URL(baseUrl).port || 5432);
    const afterReady = memory(serve, store, port);
    log(`${store}: ${RUNS} runs of system.ping`);
    const { done, ms } = await runMany(serve.url);
    await new Promise((r) => setTimeout(r, 1000));
    const afterRuns = memory(serve, store, port);
    await stop(serve);
    return {
      readyNewMs: round(readyNewMs, 0),
      readyExistingMs: round(median(existing), 0),
      backendMbAfterReady: afterReady.backend,
      serverMbAfterReady: afterReady.server,
      totalMbAfterReady: round(afterReady.backend + (store === 'postgres' ? 0 : afterReady.server), 1),
      backendMbAfterRuns: afterRuns.backend,
      serverMbAfterRuns: afterRuns.server,
      totalMbAfterRuns: round(afterRuns.backend + (store === 'postgres' ? 0 : afterRuns.server), 1),
      runs: done,
      runsPerSecond: round(done / (ms / 1000), 0),
    };
  } finally {
    await folder?.remove();
  }
}

interface Folder {
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

/** A new data folder (and, for DATABASE_URL, a new database), with the environment the editor would start the backend with. */
async function newFolder(store: Store, baseUrl: string): Promise<Folder> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `product-os-footprint-${store}-`));
  const dbName = `footprint_${process.pid}_${Date.now()}`;
  // Node tuned as the editor starts it (backendRuntimeEnv): the compile cache in the data folder
  // is empty on the new folder's start, so that figure includes compiling the bundle.
  const env = backendRuntimeEnv({ PRODUCT_OS_TOKEN: TOKEN, PRODUCT_OS_DATA: dataDir, PRODUCT_OS_STORE: store === 'pglite' ? 'pglite' : 'auto', NODE_OPTIONS: process.env.NODE_OPTIONS }, dataDir);
  if (store === 'postgres') {
    await adminQuery(baseUrl, `CREATE DATABASE ${dbName}`);
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.toString();
  }
  return {
    env,
    async remove() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (store === 'postgres') await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${dbName}`).catch(() => undefined);
    },
  };
}

async function start(env: NodeJS.ProcessEnv): Promise<{ serve: ServeProcess; ms: number }> {
  const t = performance.now();
  const serve = await spawnServe([], env);
  return { serve, ms: performance.now() - t };
}

async function stop(serve: ServeProcess): Promise<void> {
  serve.child.kill('SIGTERM');
  await serve.exited;
}

async function runMany(url: string): Promise<{ done: number; ms: number }> {
  const conn = { url, token: TOKEN };
  let next = 0;
  let done = 0;
  const t = performance.now();
  const deadline = Date.now() + RUN_BUDGET_MS;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < RUNS && Date.now() < deadline) {
        next++;
        const created = await callRoute(conn, 'createRun', { body: { tool: 'system.ping', input: { message: 'footprint' } } });
        await callRoute(conn, 'waitRun', { params: { id: created.id }, query: { timeoutMs: 30_000 } });
        done++;
      }
    }),
  );
  return { done, ms: performance.now() - t };
}

/** MB: the backend's RSS, and the PSS of the PostgreSQL processes its store runs on (or, for DATABASE_URL, the whole server's). */
function memory(serve: ServeProcess, store: Store, serverPort: number): { backend: number; server: number } {
  const backend = kb(`/proc/${serve.child.pid}/status`, /^VmRSS:\s+(\d+)/m);
  const servers = store === 'embedded' ? descendants(serve.child.pid!) : store === 'postgres' ? postgresProcessesOnPort(serverPort) : [];
  const server = servers.reduce((n, pid) => n + kb(`/proc/${pid}/smaps_rollup`, /^Pss:\s+(\d+)/m), 0);
  return { backend: round(backend / 1024, 1), server: round(server / 1024, 1) };
}

function kb(file: string, re: RegExp): number {
  try {
    return Number(re.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      map.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  return map;
}

function descendants(root: number): number[] {
  const ppid = parents();
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [pid, parent] of ppid) if (parent === p) (out.push(pid), walk(pid));
  };
  walk(root);
  return out;
}

/** The PostgreSQL server listening on `port` (started with -p) and its children. */
function postgresProcessesOnPort(port: number): number[] {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (/postgres$/.test(cmd[0]) && cmd.includes(String(port))) return [Number(d), ...descendants(Number(d))];
    } catch {
      /* gone */
    }
  }
  return [];
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
