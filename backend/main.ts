import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config, type Env, type Overrides } from './config';
import { openDb, type Db } from './store/db';
import { migrate } from './store/migrate';
import { registerInstance, markStopped } from './store/instances';
import { loadRegistry, type Registry } from '../registry/loader';
import { Bus } from './runs/bus';
import { Logger } from './logger';
import { RunEngine } from './runs/engine';
import { ExecutorRouter } from './executors/router';
import { LocalExecutor, type LocalHandler } from './executors/local';
import { UnimplementedExecutor } from './executors/unimplemented';
import type { Executor } from './executors/executor';
import { DockerExecutor } from './executors/docker-executor';
import { WORKER_IMAGE_REF } from './executors/docker-images';
import { jobContextFor } from './executors/docker-context';
import { LOCAL_HANDLERS } from './tools/handlers';
import { buildApi } from './api/server';
import type { ApiContext } from './api/context';
import { resolveToken } from './token';
import { lockDataDir } from './data-dir-lock';
import { syncSettingContainers } from './executors/docker-allowlist';
import type { McpOptions } from './mcp/tool-server';
import type { LlmProvider } from './llm/provider';

export const VERSION = '0.1.0';

export interface Backend {
  config: Config;
  db: Db;
  registry: Registry;
  engine: RunEngine;
  context: ApiContext;
  app: FastifyInstance;
  token: string;
  /** Set once `listen` resolved. */
  url?: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Env;
  overrides?: Overrides;
  mcp?: McpOptions;
  /** Where log lines are mirrored (default: stderr). */
  stderr?: (line: string) => void;
  /** Extra in-process handlers (tests and embedders), next to the built-in ones. */
  handlers?: ReadonlyMap<string, LocalHandler>;
  /** Executors to use instead of the defaults for docker or http tools. */
  executors?: { docker?: Executor; http?: Executor };
  /** The local model to use instead of the configured one (tests: a scripted provider). */
  llm?: LlmProvider;
}

/**
 * The composition root: config → registry → store (migrated) → engine → API. Nothing else
 * in the backend holds global state. Every failure here stops start-up with its reason.
 */
export async function createBackend(opts: StartOptions = {}): Promise<Backend> {
  const env = opts.env ?? process.env;
  const config = loadConfig(env, opts.overrides);
  const registry = loadRegistry(config.registryFile);
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  let db: Db | undefined;
  try {
    db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    await migrate(db);
    await syncSettingContainers(db, config.serviceMapContainers);
    const instanceId = randomUUID();
    await registerInstance(db, instanceId);
    const bus = new Bus();
    const logger = new Logger(db, bus, config.redactedDebug, opts.stderr);
    const docker =
      opts.executors?.docker ??
      new DockerExecutor({
        pool: { [WORKER_IMAGE_REF]: config.workerPool },
        // Container ids are masked in what tasks see (and so in their output) in redacted debug mode.
        jobContext: jobContextFor({ maskIds: config.redactedDebug }),
      });
    const executors = new ExecutorRouter({
      local: new LocalExecutor(new Map([...LOCAL_HANDLERS, ...(opts.handlers ?? [])])),
      docker,
      http: opts.executors?.http ?? new UnimplementedExecutor('http'),
    });
    // The configured model is opened by backend/llm on first use (issue 9 wires the providers).
    const llm = opts.llm ? async () => opts.llm as LlmProvider : undefined;
    const engine = new RunEngine({ db, registry, bus, logger, config, executors, instanceId, llm });
    const { token } = resolveToken(config.dataDir, config.token);
    const context: ApiContext = { db, registry, engine, bus, executors, config, env, logger, instanceId, startedAt: Date.now(), version: VERSION };
    const app = await buildApi(context, token, opts.mcp);
    // Sweeps containers of dead backends and fills the warm pool; never throws without Docker
    // (docker tools then answer not_configured).
    if (docker instanceof DockerExecutor) await docker.start({ db, instanceId, config, logger });
    await engine.start();
    const openDbRef = db;
    let closed = false;
    const backend: Backend = {
      config,
      db,
      registry,
      engine,
      context,
      app,
      token,
      async listen() {
        await app.listen({ host: config.host, port: config.port });
        const { port } = app.server.address() as AddressInfo;
        const host = config.host.includes(':') ? `[${config.host}]` : config.host;
        backend.url = `http://${host}:${port}`;
        return backend.url;
      },
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await engine.stop();
        if (docker instanceof DockerExecutor) await docker.stop();
        await logger.flush();
        await markStopped(openDbRef, instanceId).catch(() => undefined);
        await openDbRef.close();
        unlock();
      },
    };
    return backend;
  } catch (err) {
    await db?.close().catch(() => undefined);
    unlock();
    throw err;
  }
}
