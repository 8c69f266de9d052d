import * as path from 'node:path';
import type Dockerode from 'dockerode';
import type { CompiledTool } from '../../registry/loader';
import type { Config } from '../config';
import type { Db } from '../store/db';
import type { Logger } from '../logger';
import { ProductOsError, type ErrorCode } from '../errors';
import { audit } from '../store/audit';
import { isImplementedTask } from '../../workers/runtime/task-names';
import { WORKER_PATHS, type WorkerJob, type WorkerLine, type WorkerLogLevel } from '../../contracts/worker-protocol';
import type { AbortReason, Availability, ExecutionContext, Executor } from './executor';
import { formatEntry, matchImage, storedImageAllowlist, type AllowedImage, type ImageAllowlistEntry } from './docker-allowlist';
import { workerAudit, workerStoreId } from './docker-audit';
import { dockerClient, pingDocker, probeDockerHost } from './docker-client';
import { defaultJobContext } from './docker-context';
import { gpusFor, probeGpus, type HostGpu } from './docker-gpu';
import { hardenedCreateOptions, LABELS, resourceLimits, type Resources } from './docker-hardening';
import { createRefFor, notBuilt, WORKER_IMAGE } from './docker-images';
import { checkMounts, defaultMounts, defaultWantsOutputDir, prepareOutputDir, type MountRequest, type WorkerMount } from './docker-mounts';
import { ensureInternalNetwork, LLM_NETWORK } from './docker-network';
import { WarmPool } from './docker-pool';
import { sweepOrphanWorkers, type SweepResult } from './docker-sweep';
import { WorkerContainer, type ExitInfo } from './docker-worker';
import { DockerSandbox, type SandboxOutcome } from './docker-sandbox';
import { WORKSPACE } from '../../contracts/tasks/card-agent';
import { finishTask } from './task-finish';

type DockerSpec = Extract<CompiledTool['spec']['executor'], { kind: 'docker' }>;

export interface DockerExecutorOptions {
  /** The engine (default: DOCKER_HOST, else the default socket). */
  docker?: Dockerode;
  /** Allowed images, next to the `worker_image_allowlist` rows (default: the image this project builds). */
  images?: ImageAllowlistEntry[];
  /** Idle pre-started workers per allowed image reference (`name:tag`); 0 or absent: no pool. */
  pool?: Record<string, number>;
  /** Limits a pooled worker starts with (it is updated to the run's own before its job). */
  poolResources?: Resources;
  /** Size of the tmpfs at /tmp, MiB (default 16). */
  tmpfsMb?: number;
  /** How long a new worker may take to print `ready` (default 30 s). */
  readyTimeoutMs?: number;
  /** Where runs' output folders go (default `<data dir>/worker-output`). */
  outputRoot?: string;
  /** Read-only mounts a tool's task needs (default: log triage gets the logs folder). */
  mounts?: (tool: CompiledTool, config: Config) => MountRequest[];
  /** Whether a tool's runs get a writable output folder at /out (default: none does). */
  wantsOutputDir?: (tool: CompiledTool) => boolean;
  /** What the backend collects and hands to a task in `job.context` (default: containers for the ops tasks). */
  jobContext?: (task: string, input: unknown, docker: Dockerode, db: Db, runId?: string) => Promise<Record<string, unknown> | undefined>;
  /** The host's GPUs, for images that require one (default: nvidia-smi). */
  gpuProbe?: () => Promise<HostGpu[]>;
  /** The internal network of `network: llm` tools. */
  llmNetwork?: string;
  /** Log lines kept per run; the rest are counted and dropped (default 10 000). */
  maxLogLines?: number;
}

export interface DockerExecutorStart {
  db: Db;
  /** The backend instance id: every container is labelled with it. */
  instanceId: string;
  config?: Config;
  logger?: Logger;
}

interface Session {
  db: Db;
  instanceId: string;
  storeId: string;
  outputRoot: string;
  logger?: Logger;
}

/** What a run's worker ended as, for the stop row of the worker audit. */
type Outcome = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'shutdown' | 'out_of_memory' | 'exited';

const WORKER_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>(['invalid_input', 'not_implemented', 'not_configured', 'not_found', 'executor_failed']);
const REPING_MS = 10_000;
const EXIT_GRACE_MS = 2000;
const STOP_GRACE_MS = 10_000;

/**
 * Runs `executor.kind: docker` tools in hardened, allowlisted, labelled, single-use worker
 * containers (see docker-hardening.ts), optionally from a warm pool. The job goes in on stdin;
 * the worker's JSON lines stream into the run's logs and progress as they come; its result is
 * the run's output (validated by the engine). Non-zero exit, out-of-memory, timeout and cancel
 * each end the run with a clear error, and the container is always removed.
 *
 * Lifecycle: the composition root calls `start` once the backend instance is registered (it
 * sweeps orphaned workers and fills the pool) and `stop` before the store closes.
 */
export class DockerExecutor implements Executor {
  private client: Dockerode | undefined;
  private session: Session | null = null;
  private starting: Promise<SweepResult> | null = null;
  private probing: Promise<void> | null = null;
  private startLater: DockerExecutorStart | null = null;
  private pool: WarmPool | null = null;
  private engineProblem: string | null = null;
  private lastPing = 0;
  private readonly retiring = new Set<Promise<void>>();
  private readonly active = new Set<Promise<void>>();
  private stopped = false;
  private gpus: Promise<HostGpu[]> | null = null;

  constructor(private readonly opts: DockerExecutorOptions = {}) {}

  /** The engine's client, made on first use (see dockerClient: nothing Docker is loaded before). */
  get docker(): Dockerode {
    this.client ??= this.opts.docker ?? dockerClient();
    return this.client;
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * Binds the executor to this backend instance: removes worker containers left by backends of
   * this store that are gone, then fills the warm pool. Never throws for a missing engine: the
   * docker tools then answer not_configured, and the backend runs everything else.
   */
  start(deps: DockerExecutorStart): Promise<SweepResult> {
    this.starting ??= this.doStart(deps);
    return this.starting;
  }

  private async doStart(deps: DockerExecutorStart): Promise<SweepResult> {
    const outputRoot = this.opts.outputRoot ?? path.join(deps.config?.dataDir ?? process.cwd(), 'worker-output');
    const storeId = await workerStoreId(deps.db);
    this.session = { db: deps.db, instanceId: deps.instanceId, storeId, outputRoot, logger: deps.logger };
    this.engineProblem = await pingDocker(this.docker);
    this.lastPing = Date.now();
    if (this.engineProblem) {
      await this.warn(this.engineProblem);
      return { removed: [], kept: 0 };
    }
    const swept = await this.sweep();
    if (swept.removed.length > 0) await this.warn(`removed ${swept.removed.length} worker container(s) left by a stopped backend`);
    const sizes = this.opts.pool ?? {};
    if (Object.values(sizes).some((n) => n > 0)) {
      this.pool = new WarmPool(
        {
          docker: this.docker,
          labels: this.sessionLabels(),
          tmpfsMb: this.opts.tmpfsMb ?? 16,
          readyTimeoutMs: this.opts.readyTimeoutMs ?? 30_000,
          onStarted: (w, image) => this.auditRow({ action: 'start', containerId: w.id, image, outcome: 'pooled', details: { pool: true } }),
          onDiscarded: (w, image, why) => this.auditRow({ action: 'stop', containerId: w.id, image, outcome: 'discarded', details: { pool: true, reason: why } }),
          warn: (m) => void this.warn(m),
        },
        sizes,
        this.opts.poolResources ?? { memory_mb: 256, cpus: 1, pids: 64 },
      );
      this.pool.start();
    }
    return swept;
  }

  /** What `start` will be given when the first docker run needs the engine (the composition root's deps, its logger included). */
  startWhenNeeded(deps: DockerExecutorStart): void {
    this.startLater = deps;
  }

  /**
   * Learns whether the engine answers without starting anything (no sweep, no pool, and for a
   * plain socket not even dockerode): what the composition root asks at start-up, so that docker
   * tools are refused before a run is stored when there is no engine.
   */
  probe(): Promise<void> {
    this.probing ??= this.askEngine().then((problem) => {
      // Once start has asked, its answer is the newer one.
      if (!this.starting) {
        this.engineProblem = problem;
        this.lastPing = Date.now();
      }
    });
    return this.probing;
  }

  private async askEngine(): Promise<string | null> {
    if (this.opts.docker || this.client) return pingDocker(this.docker);
    const answer = await probeDockerHost();
    return answer === undefined ? pingDocker(this.docker) : answer;
  }

  /** Removes containers of this store whose backend session is gone (see docker-sweep.ts). */
  async sweep(): Promise<SweepResult> {
    const s = this.requireSession();
    return sweepOrphanWorkers(this.docker, s.db, { storeId: s.storeId, self: s.instanceId });
  }

  /** Resolves once every warm pool is full (bounded). */
  async poolReady(timeoutMs = 30_000): Promise<void> {
    await this.starting;
    await this.pool?.ready(timeoutMs);
  }

  poolIdle(image: string): number {
    return this.pool?.idleCount(image) ?? 0;
  }

  /** Resolves once every finished worker has been removed (and its stop row written). */
  async drained(): Promise<void> {
    while (this.retiring.size > 0) await Promise.allSettled([...this.retiring]);
  }

  /**
   * Empties the pool, lets runs still here end (they have been aborted by the engine's stop,
   * so this is quick; bounded by STOP_GRACE_MS), and waits until their workers are removed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    await this.pool?.stop();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => (t = setTimeout(r, STOP_GRACE_MS)))]);
    clearTimeout(t);
    await this.drained();
  }

  // ---- Executor ---------------------------------------------------------------------------

  availability(tool: CompiledTool): Availability {
    const e = tool.spec.executor;
    if (e.kind !== 'docker') return { available: false, code: 'not_implemented', reason: `${tool.name} is not a docker tool` };
    if (!isImplementedTask(e.task)) {
      return { available: false, code: 'not_implemented', reason: `${tool.name} runs the worker task "${e.task}", which is not implemented yet` };
    }
    if (this.engineProblem) {
      if (Date.now() - this.lastPing > REPING_MS) {
        this.lastPing = Date.now();
        void this.askEngine().then((p) => (this.engineProblem = p));
      }
      return { available: false, code: 'not_configured', reason: this.engineProblem };
    }
    return { available: true };
  }

  execute(ctx: ExecutionContext): Promise<unknown> {
    // Tracked until the worker is handed to `drive` and beyond: the engine stops waiting at an
    // abort, but a container being created then must still be killed and removed before `stop` returns.
    const p = this.run(ctx);
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.active.add(tracked);
    void tracked.finally(() => this.active.delete(tracked));
    return p;
  }

  private async run(ctx: ExecutionContext): Promise<unknown> {
    const spec = ctx.tool.spec.executor;
    if (spec.kind !== 'docker') throw new ProductOsError('internal', `${ctx.tool.name} is not a docker tool`);
    if (this.stopped) throw new ProductOsError('not_configured', 'the Docker executor has stopped');
    const session = await this.ensureSession(ctx);

    // 1. The image: allowlisted, or refused before anything is created.
    const allowed = await this.allowedImage(ctx, spec, session);
    const gpuIds = await this.gpusFor(allowed, ctx);
    const image = await createRefFor(this.docker, allowed);

    // 2. What goes in: read-only mounts, the run's own output folder, the network, the job.
    const wantsOut = (this.opts.wantsOutputDir ?? defaultWantsOutputDir)(ctx.tool);
    const outputDir = wantsOut ? prepareOutputDir(session.outputRoot, ctx.run.id) : undefined;
    const requested: WorkerMount[] = [
      ...(this.opts.mounts ?? defaultMounts)(ctx.tool, ctx.config).map((m) => ({ ...m, readOnly: true })),
      ...(outputDir ? [{ source: outputDir, target: WORKER_PATHS.output, readOnly: false }] : []),
    ];
    const mounts = checkMounts(requested, { outputDir });
    const network = spec.network === 'llm' ? await ensureInternalNetwork(this.docker, this.opts.llmNetwork ?? LLM_NETWORK) : 'none';
    const context = await (this.opts.jobContext ?? defaultJobContext)(spec.task, ctx.run.input, this.docker, ctx.db, ctx.run.id);
    const job: WorkerJob = {
      task: spec.task,
      input: ctx.run.input,
      runId: ctx.run.id,
      tool: ctx.tool.name,
      ...(outputDir ? { outputDir: WORKER_PATHS.output } : {}),
      ...(context ? { context } : {}),
    };
    if (ctx.signal.aborted) throw abortError(ctx.signal.reason as AbortReason, ctx.tool);

    // 3. A worker: from the warm pool when the run needs nothing a pooled worker lacks, else a new one.
    const poolable = network === 'none' && mounts.length === 0 && gpuIds.length === 0;
    const started = Date.now();
    let worker = poolable ? await this.fromPool(image, spec.resources, ctx) : null;
    const pooled = worker !== null;
    if (worker) {
      worker.send(job);
    } else {
      worker = await this.coldStart(image, spec, ctx, { mounts, network, gpuIds, job });
    }
    const output = await this.drive(worker, ctx, spec, { image, pooled, started });
    // 4. What the backend adds to the result (a model's summary), outside the sandbox.
    return finishTask(spec.task, output, ctx);
  }

  /**
   * A started worker that the backend drives itself instead of through the job protocol (the
   * card agent: its MCP servers are reached with `docker exec`, see docker-sandbox.ts). Same
   * allowlist, hardening, labels, limits, audit and removal as every worker; `workspace` is its
   * one writable mount, at /workspace; no network, since the model is called from the backend.
   */
  async openSandbox(ctx: ExecutionContext, workspace: string): Promise<DockerSandbox> {
    const spec = ctx.tool.spec.executor;
    if (spec.kind !== 'docker') throw new ProductOsError('internal', `${ctx.tool.name} is not a docker tool`);
    if (this.stopped) throw new ProductOsError('not_configured', 'the Docker executor has stopped');
    const session = await this.ensureSession(ctx);
    const allowed = await this.allowedImage(ctx, spec, session);
    const image = await createRefFor(this.docker, allowed);
    // The worktree is the one writable mount (checkMounts' `outputDir` is "the writable folder").
    const mounts = checkMounts([{ source: workspace, target: WORKSPACE, readOnly: false }], { outputDir: workspace });
    const job: WorkerJob = { task: spec.task, input: null, runId: ctx.run.id, tool: ctx.tool.name, context: { holdSeconds: ctx.tool.spec.timeout_seconds } };
    ctx.signal.throwIfAborted();
    const started = Date.now();
    const worker = await this.coldStart(image, spec, ctx, { mounts, network: 'none', gpuIds: [], job });
    const toOutcome: Record<SandboxOutcome, Outcome> = { succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled', timed_out: 'timed_out', shutdown: 'shutdown' };
    return new DockerSandbox(this.docker, worker, (o) => this.retire(worker, image, ctx, toOutcome[o], started));
  }

  // ---- the steps --------------------------------------------------------------------------

  private async allowedImage(ctx: ExecutionContext, spec: DockerSpec, session: Session): Promise<AllowedImage> {
    const entries = [...(this.opts.images ?? [WORKER_IMAGE]), ...(await storedImageAllowlist(ctx.db))];
    const allowed = matchImage(spec.image, entries);
    if (allowed) return allowed;
    const list = entries.map(formatEntry);
    await audit(ctx.db, { caller: ctx.run.caller, action: 'worker.start', tool: ctx.tool.name, runId: ctx.run.id, outcome: 'refused:image_not_allowlisted', details: { image: spec.image } });
    await workerAudit(ctx.db, { session: session.instanceId, action: 'refuse', runId: ctx.run.id, tool: ctx.tool.name, image: spec.image, outcome: 'image_not_allowlisted', details: { allowlist: list } });
    throw new ProductOsError(
      'not_configured',
      `${ctx.tool.name} names the image "${spec.image}", which is not on the worker image allowlist (${list.join(', ') || 'empty'}); no container was started`,
      { image: spec.image, allowlist: list, reason: 'image_not_allowlisted' },
    );
  }

  private async gpusFor(allowed: AllowedImage, ctx: ExecutionContext): Promise<string[]> {
    if (!allowed.entry.requiresGpu) return [];
    this.gpus ??= (this.opts.gpuProbe ?? probeGpus)();
    const fit = gpusFor(await this.gpus, allowed.entry.minVramMb ?? 0);
    if (fit.length === 0) {
      throw new ProductOsError('not_configured', `${ctx.tool.name} needs a GPU with at least ${allowed.entry.minVramMb ?? 0} MiB of memory (image ${allowed.ref}), and this host has none`, {
        image: allowed.ref,
        minVramMb: allowed.entry.minVramMb ?? 0,
      });
    }
    return fit.map((g) => g.uuid);
  }

  private async fromPool(image: string, resources: Resources, ctx: ExecutionContext): Promise<WorkerContainer | null> {
    const got = this.pool?.take(image, resources);
    if (!got) return null;
    try {
      await Promise.all([
        got.resized ? got.worker.container.update(resourceLimits(resources)) : undefined,
        this.auditRow({ action: 'assign', runId: ctx.run.id, tool: ctx.tool.name, containerId: got.worker.id, image, outcome: 'assigned', details: { pool: true, resources } }),
      ]);
      return got.worker;
    } catch (err) {
      await this.warn(`a warm worker could not be given run ${ctx.run.id} (${(err as Error).message}); starting a new one`);
      this.retire(got.worker, image, ctx, 'exited', Date.now());
      return null;
    }
  }

  private async coldStart(
    image: string,
    spec: DockerSpec,
    ctx: ExecutionContext,
    w: { mounts: WorkerMount[]; network: string; gpuIds: string[]; job: WorkerJob },
  ): Promise<WorkerContainer> {
    const opts = hardenedCreateOptions({
      image,
      labels: { ...this.sessionLabels(), [LABELS.run]: ctx.run.id, [LABELS.tool]: ctx.tool.name, [LABELS.image]: image },
      resources: spec.resources,
      network: w.network,
      mounts: w.mounts,
      tmpfsMb: this.opts.tmpfsMb ?? 16,
      gpuDeviceIds: w.gpuIds,
    });
    let worker: WorkerContainer;
    try {
      worker = await WorkerContainer.create(this.docker, opts);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) throw notBuilt(image);
      throw new ProductOsError('executor_failed', `could not create a worker for ${ctx.tool.name}: ${(err as Error).message}`, undefined, { retryable: true });
    }
    // Written before start: the worker reads it as soon as it runs, no round trip for `ready`.
    worker.send(w.job);
    try {
      await worker.start();
    } catch (err) {
      this.retire(worker, image, ctx, 'failed', Date.now());
      throw new ProductOsError('executor_failed', `could not start a worker for ${ctx.tool.name}: ${(err as Error).message}`);
    }
    await this.auditRow({ action: 'start', runId: ctx.run.id, tool: ctx.tool.name, containerId: worker.id, image, outcome: 'started', details: { resources: spec.resources, network: w.network, mounts: w.mounts.map((m) => ({ target: m.target, readOnly: m.readOnly })) } });
    return worker;
  }

  /**
   * Streams the worker's lines into the run (in order: each log line is stored before the next)
   * until its result or error, its exit, or the run's abort. The container is removed after.
   */
  private drive(worker: WorkerContainer, ctx: ExecutionContext, spec: DockerSpec, info: { image: string; pooled: boolean; started: number }): Promise<unknown> {
    const { signal, tool } = ctx;
    const maxLines = this.opts.maxLogLines ?? 10_000;
    let lines = 0;
    let chain: Promise<void> = Promise.resolve();
    const enqueue = (fn: () => Promise<void>) => {
      chain = chain.then(fn).catch(() => undefined); // a log that cannot be stored never fails the run
    };
    const logLine = (level: WorkerLogLevel, message: string, fields?: Record<string, unknown>) => {
      lines += 1;
      if (lines <= maxLines) enqueue(() => ctx.log(level, message, fields));
      else if (lines === maxLines + 1) enqueue(() => ctx.log('warn', `the worker printed more than ${maxLines} log lines; the rest are not kept`));
    };
    let outcome: Outcome = 'exited';
    let answered = false;

    const result = new Promise<unknown>((resolve, reject) => {
      let done = false;
      const finish = (o: Outcome, fn: () => void) => {
        if (done) return;
        done = true;
        outcome = o;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      worker.setSink((line) => {
        if (done || answered) return;
        switch (line.type) {
          case 'log':
            return logLine(line.level, line.message, line.fields);
          case 'progress':
            return enqueue(() => ctx.progress({ progress: line.progress, ...(line.total === undefined ? {} : { total: line.total }), ...(line.message === undefined ? {} : { message: line.message }) }));
          case 'text':
            return logLine(line.stream === 'stderr' ? 'warn' : 'info', line.text, { stream: line.stream });
          case 'result':
            answered = true;
            void chain.then(() => finish('succeeded', () => resolve(line.output)));
            return;
          case 'error':
            answered = true;
            void chain.then(() => finish('failed', () => reject(workerError(line, tool))));
            return;
          default:
            return; // ready
        }
      });
      const onAbort = () => {
        const reason = signal.reason as AbortReason;
        finish(reason === 'timeout' ? 'timed_out' : reason === 'cancel' ? 'cancelled' : 'shutdown', () => {
          void worker.kill();
          reject(abortError(reason, tool));
        });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      void worker.ended.then(async () => {
        if (done || answered) return;
        const exit = await worker.exit();
        await chain;
        finish(exit.oomKilled ? 'out_of_memory' : 'failed', () => reject(exitError(exit, worker, tool, spec)));
      });
    });
    return result.finally(() => this.retire(worker, info.image, ctx, outcome, info.started, info.pooled));
  }

  /** In the background: lets the worker exit (or kills it), removes it, writes the stop row. */
  private retire(worker: WorkerContainer, image: string, ctx: ExecutionContext, outcome: Outcome, started: number, pooled = false): Promise<void> {
    const p = (async () => {
      let exit: ExitInfo | null = null;
      try {
        if (!(await worker.exitedWithin(EXIT_GRACE_MS))) await worker.kill();
        exit = await worker.exit().catch(() => null);
        await worker.remove();
      } catch (err) {
        await this.warn(`could not remove worker ${worker.id.slice(0, 12)} of run ${ctx.run.id}: ${(err as Error).message}`);
      }
      await this.auditRow({
        action: 'stop',
        runId: ctx.run.id,
        tool: ctx.tool.name,
        containerId: worker.id,
        image,
        outcome,
        details: { pool: pooled, exitCode: exit?.exitCode ?? null, oomKilled: exit?.oomKilled ?? false, durationMs: Date.now() - started, removed: true },
      });
    })().finally(() => this.retiring.delete(p));
    this.retiring.add(p);
    return p;
  }

  // ---- helpers ----------------------------------------------------------------------------

  private sessionLabels(): Record<string, string> {
    const s = this.requireSession();
    return { [LABELS.session]: s.instanceId, [LABELS.store]: s.storeId };
  }

  private requireSession(): Session {
    if (!this.session) throw new ProductOsError('not_configured', 'the Docker executor was not started (DockerExecutor.start is called by the composition root)');
    return this.session;
  }

  /** The session; if the composition root never called start, it is started from the run's owner. */
  private async ensureSession(ctx: ExecutionContext): Promise<Session> {
    if (!this.starting && ctx.run.owner) await this.start(this.startLater ?? { db: ctx.db, instanceId: ctx.run.owner, config: ctx.config });
    else await this.starting;
    if (this.engineProblem) throw new ProductOsError('not_configured', this.engineProblem);
    return this.requireSession();
  }

  private async auditRow(e: Omit<Parameters<typeof workerAudit>[1], 'session'>): Promise<void> {
    const s = this.session;
    if (!s) return;
    await workerAudit(s.db, { session: s.instanceId, ...e }).catch((err) => this.warn(`could not write the worker audit: ${(err as Error).message}`));
  }

  private async warn(message: string): Promise<void> {
    if (this.session?.logger) await this.session.logger.warn('docker', message);
    else process.stderr.write(`${JSON.stringify({ level: 'warn', source: 'docker', message })}\n`);
  }
}

function abortError(reason: AbortReason, tool: CompiledTool): ProductOsError {
  if (reason === 'timeout') return new ProductOsError('timed_out', `${tool.name} did not finish within ${tool.spec.timeout_seconds} s; its worker was killed`);
  if (reason === 'cancel') return new ProductOsError('cancelled', `${tool.name} was cancelled; its worker was killed`);
  return new ProductOsError('executor_failed', `the backend shut down while ${tool.name} ran; its worker was killed`);
}

function workerError(line: Extract<WorkerLine, { type: 'error' }>, tool: CompiledTool): ProductOsError {
  const code = WORKER_ERROR_CODES.has(line.code) ? (line.code as ErrorCode) : 'executor_failed';
  return new ProductOsError(code, `${tool.name} failed in its worker: ${line.message}`, {
    ...(line.details === undefined ? {} : { worker: line.details }),
    ...(code !== line.code ? { workerCode: line.code } : {}),
  });
}

function exitError(exit: ExitInfo, worker: WorkerContainer, tool: CompiledTool, spec: DockerSpec): ProductOsError {
  if (exit.oomKilled) {
    return new ProductOsError('executor_failed', `${tool.name} ran out of memory: its worker was killed at its ${spec.resources.memory_mb} MiB limit`, {
      reason: 'out_of_memory',
      memoryMb: spec.resources.memory_mb,
      exitCode: exit.exitCode,
    });
  }
  if (worker.protocolError) return new ProductOsError('executor_failed', `${tool.name}'s worker broke the protocol: ${worker.protocolError}`, { reason: 'protocol' });
  const stderr = worker.stderr().slice(-500);
  return new ProductOsError(
    'executor_failed',
    exit.exitCode === 0
      ? `${tool.name}'s worker exited without a result`
      : `${tool.name}'s worker exited with code ${exit.exitCode} without a result${stderr ? `: ${stderr}` : ''}`,
    { reason: 'exit', exitCode: exit.exitCode, ...(stderr ? { stderr } : {}) },
  );
}
