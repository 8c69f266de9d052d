import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config, type Env, type Overrides } from './config';
import { openDb, type Db } from './store/db';
import { migrate } from './store/migrate';
import { registerInstance, markStopped, hasUnstoppedInstances } from './store/instances';
import { loadRegistry, type Registry } from '../registry/loader';
import { Bus } from './runs/bus';
import { Logger } from './logger';
import { RunEngine } from './runs/engine';
import { ExecutorRouter } from './executors/router';
import { LocalExecutor, type LocalHandler } from './executors/local';
import { HttpExecutor } from './executors/http-executor';
import { publishHandlers } from './tools/publish-missinglettr';
import { blueprintHandlers } from './tools/apply-blueprint';
import type { DeployTarget } from './deploy/target';
import { missinglettrToken } from './marketing/missinglettr-token';
import { GoogleIdTokens } from './executors/id-tokens';
import { buildExecutorApi } from './api/executor-server';
import { IdTokenVerifier } from './api/id-token-verifier';
import { ProductOsError } from './errors';
import type { Executor } from './executors/executor';
import { DockerExecutor } from './executors/docker-executor';
import { WORKER_IMAGE_REF } from './executors/docker-images';
import { jobContextFor } from './executors/docker-context';
import { CardRunExecutor } from './cards/card-run';
import { LOCAL_HANDLERS } from './tools/handlers';
import { buildApi } from './api/server';
import type { ApiContext } from './api/context';
import { resolveToken } from './token';
import { lockDataDir } from './data-dir-lock';
import { syncSettingContainers } from './executors/docker-allowlist';
import type { McpOptions } from './mcp/tool-server';
import type { LlmProvider } from './llm/provider';
import { ConfiguredLlm } from './llm/configured';
import { LABELS } from './executors/docker-hardening';
import { workerStoreId } from './executors/docker-audit';
import { openGcpServices } from './gcp/gcp-services';
import type { GcpOverrides } from './gcp/client-options';
import type { SecretResolver } from './secrets/secret-resolver';
import { brandHandlers } from './tools/brand';
import { channelPostsHandler } from './tools/channel-posts';
import { Analytics } from './analytics/analytics';
import { openWarehouse } from './analytics/open-warehouse';
import { analyticsHandlers } from './tools/analytics/handlers';
import { createDeployTarget } from './deploy/select';
import { deployHandlers } from './tools/deploy';
import { remoteUrl } from './executors/executor-urls';

export const VERSION = '0.1.0';

export interface Backend {
  config: Config;
  db: Db;
  registry: Registry;
  engine: RunEngine;
  context: ApiContext;
  app: FastifyInstance;
  token: string;
  /** Secret references (sm://, editor://) to values; every value it returns is masked in logs, events and errors. */
  secrets: SecretResolver;
  /** The events warehouse (DuckDB in the data folder, or BigQuery), opened on first use. */
  analytics: Analytics;
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
  /** The deploy target to use instead of the one the settings pick (tests: a fake target). */
  deployTarget?: DeployTarget;
  /** Google client transport and timing (tests: REST fallback to local servers, a Firestore emulator). */
  gcp?: GcpOverrides;
  /** The editor's stored secrets, handed over at start (serve --secrets-stdin); kept in memory only. */
  editorSecrets?: Record<string, string>;
}

/**
 * The composition root: config → registry → store (migrated) → engine → API. Nothing else
 * in the backend holds global state. Every failure here stops start-up with its reason.
 */
export async function createBackend(opts: StartOptions = {}): Promise<Backend> {
  const env = opts.env ?? process.env;
  const config = loadConfig(env, opts.overrides);
  const unlock = config.databaseUrl ? () => undefined : lockDataDir(config.dataDir);
  // The store opens while the registry is checked below: the embedded server starts in its own
  // process (on a new data folder initdb alone takes about a second), so the two overlap.
  const opening = openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, store: config.store });
  let db: Db | undefined;
  try {
    // Checked in full once per registry text; later starts read the checked form back (see loader).
    const registry = loadRegistry(config.registryFile, { cacheDir: path.join(config.dataDir, 'cache') });
    db = await opening;
    await migrate(db);
    await syncSettingContainers(db, config.serviceMapContainers);
    const unstoppedBefore = await hasUnstoppedInstances(db);
    const instanceId = randomUUID();
    await registerInstance(db, instanceId);
    const bus = new Bus();
    const gcp = openGcpServices(config, opts.gcp);
    gcp.secrets.setEditorSecrets(opts.editorSecrets ?? {});
    const logger = new Logger(db, bus, config.redactedDebug, opts.stderr, gcp.mask);
    const docker =
      opts.executors?.docker ??
      new DockerExecutor({
        pool: { [WORKER_IMAGE_REF]: config.workerPool },
        // Container ids are masked in what tasks see (and so in their output) in redacted debug mode.
        jobContext: jobContextFor({ maskIds: config.redactedDebug }),
      });
    // Whether a Docker engine answers is asked now, in the background (a ping, nothing started),
    // so docker tools are refused before a run is stored when there is none.
    const dockerProbe = docker instanceof DockerExecutor ? docker.probe() : undefined;
    const analytics = new Analytics(config, openWarehouse);
    // The deploy target (local Docker by default) is made on first use: no Docker, no delay at start.
    const injectedTarget = opts.deployTarget;
    const deployTarget = injectedTarget
      ? async () => injectedTarget
      : createDeployTarget(config, { resolveSecret: (ref, signal) => gcp.secrets.resolve(ref, 'a service environment variable', signal), gcp: opts.gcp });
    let deployTargetOpened = false;
    const openDeployTarget = () => ((deployTargetOpened = true), deployTarget());
    const local = new LocalExecutor(new Map([...LOCAL_HANDLERS, ...brandHandlers(gcp.brands), ['marketing.generate_channel_posts', channelPostsHandler((q, id) => gcp.brands.get(q, id))] as const, ...analyticsHandlers(analytics, config), ...deployHandlers(openDeployTarget), ...blueprintHandlers(openDeployTarget), ...publishHandlers({ baseUrl: () => config.missinglettr.url, token: () => missinglettrToken(config.missinglettr, gcp.secrets) }), ...(opts.handlers ?? [])]));
    const executors = new ExecutorRouter({
      local,
      docker,
      // A remote executor runs its http tools itself; a control plane sends them to their URL.
      http: config.role === 'executor' ? local : (opts.executors?.http ?? new HttpExecutor({ idTokens: new GoogleIdTokens(), urlFor: (t) => remoteUrl(t, config.executorUrls) ?? (t.spec.executor as { url: string }).url })),
      // The card agent drives its worker over docker exec: only with a real Docker executor.
      ...(docker instanceof DockerExecutor ? { tasks: { card_agent: new CardRunExecutor(docker, { modelConfigured: !!opts.llm || !!config.llm.provider }) } } : {}),
    }, config.executorUrls);
    // The configured model is opened on first use and closed with the backend; its worker
    // container carries this session's labels, so a crash leaves nothing the next sweep misses.
    const openDbForLlm = db;
    const configuredLlm = !opts.llm && config.llm.provider ? new ConfiguredLlm(config.llm, { labels: async () => ({ [LABELS.session]: instanceId, [LABELS.store]: await workerStoreId(openDbForLlm) }) }) : undefined;
    const llm = opts.llm ? async () => opts.llm as LlmProvider : configuredLlm ? () => configuredLlm.get() : undefined;
    const engine = new RunEngine({ db, registry, bus, logger, config, executors, instanceId, llm });
    const { token } = resolveToken(config.dataDir, config.token);
    const context: ApiContext = { db, registry, engine, bus, executors, config, env, logger, instanceId, startedAt: Date.now(), version: VERSION, brands: gcp.brands, secrets: gcp.secrets, analytics };
    const app = config.role === 'executor' ? await buildExecutorApi(context, executorVerifier(config)) : await buildApi(context, token, opts.mcp);
    await engine.start();
    // A missing engine answers at once; one that is slow to answer is not waited for (its tools
    // stay available and a run learns the answer when it needs the engine).
    await settledWithin(dockerProbe, PROBE_WAIT_MS);
    // The executor itself starts when it is needed, never on the way to ready: the first docker
    // tool run starts it (see DockerExecutor.ensureSession). It is started now, in the
    // background, only when there is work for it: a warm pool to fill, or workers a backend of
    // this store may have left behind (one that stopped cleanly removed its own). It never throws
    // without Docker (docker tools then answer not_configured).
    if (docker instanceof DockerExecutor) {
      const deps = { db, instanceId, config, logger };
      if (config.workerPool > 0 || unstoppedBefore) void docker.start(deps).catch((err) => logger.warn('docker', `could not start the Docker executor: ${(err as Error).message}`));
      else docker.startWhenNeeded(deps);
    }
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
      secrets: gcp.secrets,
      analytics,
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
        await configuredLlm?.close().catch(() => undefined);
        if (docker instanceof DockerExecutor) await docker.stop();
        await gcp.close();
        await logger.flush();
        await markStopped(openDbRef, instanceId).catch(() => undefined);
        await analytics.close().catch(() => undefined);
        if (deployTargetOpened) await (await deployTarget().catch(() => undefined))?.close?.().catch(() => undefined);
        await openDbRef.close();
        unlock();
      },
    };
    return backend;
  } catch (err) {
    await (db ?? (await opening.catch(() => undefined)))?.close().catch(() => undefined);
    unlock();
    throw err;
  }
}

/** How long start-up waits for the Docker probe (a missing engine answers in about a millisecond). */
const PROBE_WAIT_MS = 200;

async function settledWithin(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!p) return;
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

/** `serve --role executor` accepts only ID tokens minted for its own URL: that URL is required. */
function executorVerifier(config: Config): IdTokenVerifier {
  if (!config.executorAudience) {
    throw new ProductOsError('not_configured', 'serve --role executor needs PRODUCT_OS_EXECUTOR_AUDIENCE: the URL callers mint ID tokens for (on Cloud Run, the service URL)');
  }
  return new IdTokenVerifier({ audience: config.executorAudience, invokers: config.executorInvokers, certsUrl: config.executorCertsUrl });
}
