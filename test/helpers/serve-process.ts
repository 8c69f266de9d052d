import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The ready line it printed. */
  ready: Record<string, unknown>;
  stderr: string[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/** `product-os serve` as a real child process (built bundle), resolved at its ready line. */
export async function spawnServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return spawnReady([CLI, 'serve', '--port', '0', ...args], env);
}

/** `product-os serve` from the sources (no build needed), as a real child process. */
export async function spawnServeFromSource(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return spawnReady(['--import', 'tsx', path.join(__dirname, '..', '..', 'backend', 'cli.ts'), 'serve', '--port', '0', ...args], env, 90_000);
}

/** The backend with the test tools (test/helpers/test-tools.ts) in its own process. */
export async function spawnTestServe(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return spawnReady(['--import', 'tsx', path.join(__dirname, 'serve-with-test-tools.ts'), dataDir], env);
}

/** Compiling the sources on the way (tsx) takes longer than starting the bundle. */
async function spawnReady(args: string[], env: NodeJS.ProcessEnv, readyTimeoutMs = 20_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not print its ready line in ${readyTimeoutMs / 1000} s; stderr:\n${stderr.join('\n')}`)), readyTimeoutMs);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url?: string };
        if (msg.event === 'ready' && msg.url) {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        /* not the ready line */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before ready; stderr:\n${stderr.join('\n')}`));
    });
  });
  return { child, url: ready.url as string, ready, stderr, exited };
}
