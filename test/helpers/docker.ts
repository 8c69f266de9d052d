import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import type { LlmProvider } from '../../backend/llm/provider';
import type { Env } from '../../backend/config';
import { DockerExecutor, type DockerExecutorOptions } from '../../backend/executors/docker-executor';
import type { SweepResult } from '../../backend/executors/docker-sweep';
import { request, tempDir, type Response } from './backend';
import { dockerRegistryFile } from './docker-tools';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A Docker engine that answers, and the worker image built: runs scripts/ensure-docker.sh (as
 * root it installs and starts dockerd) and scripts/build-workers.mjs. Throws with their output
 * when either fails: the Docker tests never skip.
 */
export function ensureDockerAndWorkerImage(): void {
  const steps: Array<[string, string[], number]> = [
    ['bash', [path.join(ROOT, 'scripts/ensure-docker.sh')], 900_000],
    [process.execPath, [path.join(ROOT, 'scripts/build-workers.mjs')], 300_000],
  ];
  for (const [cmd, args, timeout] of steps) {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout });
    if (r.status !== 0) {
      throw new Error(`${path.basename(args[0]!)} failed (${r.error?.message ?? `exit ${r.status}`}); the Docker worker tests need a Docker engine:\n${r.stderr}${r.stdout}`);
    }
  }
}

/** `docker …` on the CLI, bounded; returns stdout. */
export function dockerCli(args: string[], timeoutMs = 60_000): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Ids of containers (any state) carrying `label` (`key=value`). */
export function containersWithLabel(label: string): string[] {
  return dockerCli(['ps', '-aq', '--no-trunc', '--filter', `label=${label}`]).split('\n').filter(Boolean);
}

export function inspectContainer(id: string): any | null {
  try {
    return JSON.parse(dockerCli(['inspect', id]))[0];
  } catch {
    return null;
  }
}

export interface DockerTestBackend {
  backend: Backend;
  executor: DockerExecutor;
  url: string;
  token: string;
  dataDir: string;
  instanceId: string;
  swept: SweepResult;
  api<T = any>(method: string, p: string, body?: unknown): Promise<Response<T>>;
  close(): Promise<void>;
}

/**
 * An in-process backend whose docker tools run on a real DockerExecutor (the Docker test tools
 * added to the registry); the store's own migrator sets up its tables (migration 0004 among
 * them). Starts the executor as the composition root would.
 */
export async function startDockerBackend(opts: { executor?: DockerExecutorOptions; env?: Env; dataDir?: string; registryFile?: string; llm?: LlmProvider } = {}): Promise<DockerTestBackend> {
  const dataDir = opts.dataDir ?? tempDir('product-os-docker-');
  const executor = new DockerExecutor(opts.executor);
  const logs: string[] = [];
  const backend = await createBackend({
    env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_REGISTRY: opts.registryFile ?? dockerRegistryFile(), ...opts.env },
    overrides: { dataDir, port: 0 },
    executors: { docker: executor },
    ...(opts.llm ? { llm: opts.llm } : {}),
    stderr: (l) => logs.push(l),
  });
  const instanceId = backend.context.instanceId;
  const swept = await executor.start({ db: backend.db, instanceId, config: backend.config, logger: backend.context.logger });
  const url = await backend.listen();
  let closed = false;
  return {
    backend,
    executor,
    url,
    token: backend.token,
    dataDir,
    instanceId,
    swept,
    api: (method, p, body) => request(url, backend.token, method, p, body),
    async close() {
      if (closed) return;
      closed = true;
      await backend.engine.stop(1000);
      await executor.stop();
      await backend.close();
    },
  };
}

export interface DockerServeProcess {
  child: ChildProcess;
  url: string;
  token: string;
  instanceId: string;
  stderr: string[];
  exited: Promise<number | null>;
}

/** test/helpers/docker-serve.ts in its own process, resolved at its ready line (bounded). */
export async function spawnDockerServe(dataDir: string, poolSize = 0): Promise<DockerServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'docker-serve.ts'), dataDir, String(poolSize)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<{ url: string; token: string; instanceId: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker-serve did not print its ready line in 90 s; stderr:\n${stderr.join('\n')}`));
    }, 90_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url: string; token: string; instanceId: string };
        if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        /* not the ready line */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`docker-serve exited with ${code} before ready; stderr:\n${stderr.join('\n')}`));
    });
  });
  return { child, ...ready, stderr, exited };
}
