/**
 * One attempt at getting a backend: attach to the one a sibling window runs, or spawn the
 * bundled CLI with a fresh random token; or, in server mode, use the configured URL and token.
 */
import { randomBytes } from 'node:crypto';
import { launchProcess, type LaunchSpec, type Spawner } from './process';
import type { SharedState } from './shared-state';
import { type Clock, type Connection, type Logger, sleep } from './types';
import type { LogLevel } from './ready-line';

export interface LaunchedBackend {
  connection: Connection;
  pid?: number;
  /** 'spawned': ours; 'attached': a sibling window's; 'server': a configured server. */
  origin: 'spawned' | 'attached' | 'server';
  /** Resolves when a spawned process exits; never for attached or server backends. */
  exited: Promise<unknown>;
  /** Stops what we own (a spawned process); forgets the others. */
  stop(graceMs: number): Promise<void>;
}

export interface BundledLauncherDeps {
  /** The command line, given the token to pass (through the environment, never argv). */
  spec(token: string): LaunchSpec | Promise<LaunchSpec>;
  spawn: Spawner;
  shared: SharedState;
  health(connection: Connection): Promise<void>;
  isAlive(pid: number): boolean;
  kill(pid: number, signal: NodeJS.Signals): void;
  log: Logger;
  clock: Clock;
  /** This extension host's pid (the owner written into the shared record). */
  ownerPid: number;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function bundledLauncher(deps: BundledLauncherDeps): () => Promise<LaunchedBackend> {
  const never = new Promise<never>(() => {});
  return async () => {
    const rec = deps.shared.read();
    if (rec && deps.isAlive(rec.pid)) {
      const connection = { url: rec.url, mcpUrl: rec.mcpUrl, token: rec.token };
      if (rec.ownerPid !== deps.ownerPid && deps.isAlive(rec.ownerPid)) {
        try {
          await deps.health(connection);
          deps.log.info(`attached to the backend (pid ${rec.pid}) started by another window`);
          return { connection, pid: rec.pid, origin: 'attached', exited: never, stop: async () => {} };
        } catch (err) {
          deps.log.warn(`the backend started by another window (pid ${rec.pid}) does not answer: ${(err as Error).message}`);
        }
      } else {
        deps.log.warn(`stopping an orphaned backend (pid ${rec.pid}) left by a window that is gone`);
        await stopPid(deps, rec.pid, 5000);
      }
    }
    const token = newToken();
    const proc = await launchProcess(await deps.spec(token), deps.spawn, (level, text) => logAt(deps.log, level, text), deps.clock);
    const connection = { url: proc.ready.url, mcpUrl: proc.ready.mcp, token };
    const pid = proc.pid ?? proc.ready.pid;
    if (pid !== undefined) {
      try {
        deps.shared.write({ pid, ownerPid: deps.ownerPid, url: connection.url, mcpUrl: connection.mcpUrl, token, startedAt: new Date(deps.clock.now()).toISOString() });
      } catch (err) {
        deps.log.warn(`could not record the backend for other windows: ${(err as Error).message}`);
      }
    }
    deps.log.info(`backend ready at ${connection.url} (pid ${pid ?? '?'})`);
    return {
      connection,
      pid,
      origin: 'spawned',
      exited: proc.exited,
      stop: async (graceMs) => {
        await proc.stop(graceMs);
        if (pid !== undefined) deps.shared.remove(pid);
      },
    };
  };
}

async function stopPid(deps: BundledLauncherDeps, pid: number, graceMs: number): Promise<void> {
  try {
    deps.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < graceMs; waited += 100) {
    if (!deps.isAlive(pid)) return;
    await sleep(deps.clock, 100);
  }
  try {
    deps.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Server mode: the configured backend; nothing to spawn or stop. */
export function serverLauncher(resolve: () => Promise<Connection>, health: (c: Connection) => Promise<void>): () => Promise<LaunchedBackend> {
  const never = new Promise<never>(() => {});
  return async () => {
    const connection = await resolve();
    await health(connection);
    return { connection, origin: 'server', exited: never, stop: async () => {} };
  };
}

export function logAt(log: Logger, level: LogLevel, text: string): void {
  log[level](text);
}
