import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { jsonValueProblem } from '../../contracts/strict-json';
import type { Db } from '../store/db';
import type { Registry, CompiledTool } from '../../registry/loader';
import { describeViolations } from '../../registry/validation-error';
import { ProductOsError, toErrorBody, MAX_ERROR_ITEMS, type ErrorBody } from '../errors';
import { shapeOf } from '../shape';
import type { Logger } from '../logger';
import type { Config } from '../config';
import type { LlmProvider } from '../llm/provider';
import type { Bus } from './bus';
import { needsApproval } from './policy';
import { isTerminal } from './transitions';
import type { ExecutorRouter } from '../executors/router';
import type { AbortReason } from '../executors/executor';
import * as store from '../store/runs';
import type { StoredRun } from '../store/runs';
import { RunWriter, type PendingInsert } from '../store/run-writer';
import { RunWaiters } from './run-waiters';
import { orphanSettlement, type OrphanCode } from './orphans';
import { executionContext, type TxScope } from './execution-context';
import type { Transaction } from '../store/db';
import { audit } from '../store/audit';
import { heartbeat, liveInstances } from '../store/instances';
import type { Run, RunEvent, StateEventData, ListRunsQuery, RunPage, PatchRunBody } from '../../contracts/rest';

export interface SubmitRequest {
  tool: string;
  input: unknown;
  caller: string;
  idempotencyKey?: string;
  correlationId?: string;
  traceId?: string;
  labels?: Record<string, string>;
  priority?: number;
  /**
   * A remote executor's call: the control plane that sent it already applied policy (and
   * waited for any approval), so it is not asked again here.
   */
  preApproved?: boolean;
}

interface InFlight {
  abort: AbortController;
  promise: Promise<void>;
}

export interface EngineDeps {
  db: Db;
  registry: Registry;
  bus: Bus;
  logger: Logger;
  config: Config;
  executors: ExecutorRouter;
  instanceId: string;
  /** The configured local model (backend/llm), opened on first use; absent when none is set. */
  llm?: () => Promise<LlmProvider>;
}

const DISPATCH_POLL_MS = 500;
/**
 * The poll and the heartbeat of an idle backend (nothing running or known queued) on a store
 * only it uses (the embedded ones): nothing can be queued there behind its back — submits,
 * approvals and retries wake the dispatcher themselves — and nobody reads its heartbeat, so
 * both are only a safety net. Measured at rest: 0.77 % of a core (backend and its server) at
 * the busy pace, most of it these three statements a second.
 */
const IDLE_EXCLUSIVE_POLL_MS = 5000;
const IDLE_EXCLUSIVE_HEARTBEAT_MS = 10_000;
/** Writes of a run's end tried before it is left to recovery (stuck runs are swept by the heartbeat). */
const SETTLE_ATTEMPTS = 4;
/** How long an idempotent run may go before its "running" state is stored (see runToEnd). */
const RUNNING_WRITE_DELAY_MS = 50;

/** A run being executed here: what the executor sees, and what the store has. */
interface RunHandle {
  run: StoredRun;
  stored: 'dispatching' | 'running';
  runningWrite: Promise<boolean> | null;
  /** The delayed "running" write of an idempotent run, until it fires. */
  lazy?: NodeJS.Timeout;
  /** Set once the handler's commit (effect + success) is done: the run is settled. */
  committed: boolean;
  /** A commit is open or done: a handler commits once. */
  committing: boolean;
  /** Where it executes (ExecutorRouter.placement), stored with the change to running. */
  executedOn?: string;
  /**
   * A run that started before its insert was written (submitAndStart): the insert, while its
   * end can still be folded into it, and whether it was stored (false: its batch failed, there
   * is no run to write to). Every write of the run waits for `stored` first.
   */
  unstored?: Unstored;
}

interface Unstored {
  pending: PendingInsert;
  stored: Promise<boolean>;
}
const HEARTBEAT_MS = 2000;
/** A backend whose heart has not beaten for this long is dead; its runs are settled. */
export const STALE_AFTER_S = 15;

/**
 * The durable runs engine: submit (validate → policy → store), dispatch (claim from the
 * Postgres queue), execute (executor, timeout, cancel, retry), settle (validated output or a
 * named error), and recover what a dead backend left behind.
 */
export class RunEngine {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly waiters = new RunWaiters();
  private readonly timers = new Map<'poll' | 'beat', NodeJS.Timeout>();
  private dispatching = false;
  /**
   * Whether this backend knows of queued work (a submit that found no free slot, an
   * approval, a retry, a recovery). Finishing a run scans the queue only then; work queued by
   * other backends is found by the poll.
   */
  private maybeQueued = true;
  /** Slots promised to runs being inserted as claimed (see submit). */
  private reserved = 0;
  private dispatchAgain = false;
  private stopped = false;

  private readonly writer: RunWriter;

  constructor(private readonly deps: EngineDeps) {
    this.writer = new RunWriter(deps.db);
  }

  // ---- calls ------------------------------------------------------------------------------

  /** Validates and stores a call. Returns the existing run when the idempotency key was used. */
  async submit(req: SubmitRequest): Promise<{ run: Run; created: boolean }> {
    const { registry, config, db } = this.deps;
    const tool = registry.get(req.tool);
    const jsonProblem = jsonValueProblem(req.input);
    const argsShape = jsonProblem ? null : shapeOf(req.input);
    if (!tool) {
      await this.auditRefusal(req, argsShape, 'unknown_tool');
      throw new ProductOsError('unknown_tool', `no tool named "${req.tool}"`, { tool: req.tool });
    }
    // Input first, whatever happens next: a tool that cannot run yet still says what is wrong
    // with a call to it, so the caller can fix it before the tool is there.
    if (jsonProblem) {
      await this.auditRefusal(req, null, 'invalid_input');
      throw new ProductOsError('invalid_input', `invalid input for ${tool.name}: ${jsonProblem.message}`, { violations: [jsonProblem] });
    }
    // Ajv fills defaults in place: validate a copy so the caller's object is left alone.
    const input = structuredClone(req.input);
    const violations = tool.validateInput(input);
    if (violations.length > 0) {
      await this.auditRefusal(req, argsShape, 'invalid_input');
      throw new ProductOsError('invalid_input', `invalid input for ${tool.name}: ${describeViolations(violations.slice(0, MAX_ERROR_ITEMS))}${violations.length > MAX_ERROR_ITEMS ? ` (and ${violations.length - MAX_ERROR_ITEMS} more)` : ''}`, { violations });
    }
    const availability = this.deps.executors.availability(tool);
    if (!availability.available) {
      await this.auditRefusal(req, argsShape, availability.code);
      throw new ProductOsError(availability.code, availability.reason, { tool: tool.name });
    }
    const status = !req.preApproved && needsApproval(tool.spec.risk, { mediumRiskNeedsApproval: config.mediumRiskNeedsApproval }) ? 'awaiting_approval' : 'queued';
    // With room to run it now, the run is stored already claimed by this backend: no queue
    // scan and no separate claim write. The slot is reserved across the insert's await.
    // Not when runs are known to be waiting: a new run must not jump the queue.
    const claim = status === 'queued' && !this.stopped && !this.maybeQueued && this.inFlight.size + this.reserved < config.concurrency;
    const newRun: store.NewRun = {
      id: randomUUID(),
      tool: tool.name,
      status,
      risk: tool.spec.risk,
      input,
      caller: req.caller,
      idempotencyKey: req.idempotencyKey,
      correlationId: req.correlationId,
      traceId: req.traceId ?? randomUUID().replace(/-/g, ''),
      labels: req.labels,
      priority: req.priority,
      maxAttempts: tool.spec.max_attempts ?? (tool.spec.idempotent ? 3 : 1),
      audit: { argsShape, outcome: status },
      claimedBy: claim ? this.deps.instanceId : undefined,
    };
    // An idempotent in-process call starts while its insert waits for its batch: re-running it
    // after a crash is harmless by definition, nothing of it reaches the store before the run
    // does (see runToEnd), and nobody has its id until the insert is written. One that ends
    // before the batch goes out is stored once, already ended.
    if (claim && tool.spec.idempotent && req.idempotencyKey === undefined && this.deps.executors.placement(tool) === 'local') {
      return this.submitAndStart(newRun, tool);
    }
    if (claim) this.reserved += 1;
    const inserted = await this.writer.insert(newRun).finally(() => {
      if (claim) this.reserved -= 1;
    });
    if (!inserted) {
      const existing = await store.getRunByIdempotencyKey(db, req.idempotencyKey!);
      if (!existing) throw new ProductOsError('internal', 'idempotency key conflict but no run found');
      if (existing.tool !== tool.name) {
        throw new ProductOsError('conflict', `idempotency key "${req.idempotencyKey}" already names a run of ${existing.tool}`, { runId: existing.id });
      }
      // The same key with other input is another call: answering with the first run would
      // silently drop this one.
      if (!isDeepStrictEqual(existing.input, input)) {
        throw new ProductOsError('conflict', `idempotency key "${req.idempotencyKey}" already names run ${existing.id}, made with different input; use a new key for a different call`, { runId: existing.id });
      }
      return { run: store.publicRun(existing), created: false };
    }
    this.publish(inserted);
    if (inserted.run.status === 'dispatching') this.execute(inserted.run, tool);
    else if (status === 'queued') this.kick();
    return { run: store.publicRun(inserted.run), created: true };
  }

  /** Executes a claimed run while its insert waits for its batch (see submit). */
  private async submitAndStart(newRun: store.NewRun, tool: CompiledTool): Promise<{ run: Run; created: boolean }> {
    const pending = this.writer.insertFoldable(newRun);
    // Published here, once: as claimed, or already ended when the end was folded in.
    const written = pending.written.then((change) => {
      if (!change) throw new ProductOsError('internal', `run ${newRun.id} was not stored`);
      this.publish(change);
      return change;
    });
    this.execute(unstoredRun(newRun, this.deps.instanceId), tool, { pending, stored: written.then(() => true, () => false) });
    return { run: store.publicRun((await written).run), created: true };
  }

  async get(id: string): Promise<Run> {
    return store.publicRun(await this.require(id));
  }

  list(query: ListRunsQuery): Promise<RunPage> {
    return store.listRuns(this.deps.db, query);
  }

  async events(id: string, afterId = 0): Promise<RunEvent[]> {
    await this.require(id);
    return store.listRunEvents(this.deps.db, id, afterId);
  }

  async patch(id: string, body: PatchRunBody): Promise<Run> {
    assertRunId(id);
    const updated = await store.patchRun(this.deps.db, id, body.ifVersion, { labels: body.labels, priority: body.priority });
    if (!updated) {
      const current = await this.require(id);
      throw new ProductOsError('conflict', `run ${id} is at version ${current.version}, not ${body.ifVersion}`, { currentVersion: current.version });
    }
    this.deps.bus.emitRun(store.publicRun(updated));
    return store.publicRun(updated);
  }

  async approve(id: string, by: string, reason?: string, ifVersion?: number): Promise<Run> {
    const run = await this.decide(id, 'approved', by, reason, ifVersion, { from: 'awaiting_approval', to: 'queued', reason: `approved by ${by}` });
    this.kick();
    return run;
  }

  deny(id: string, by: string, reason?: string, ifVersion?: number): Promise<Run> {
    return this.decide(id, 'denied', by, reason, ifVersion, { from: 'awaiting_approval', to: 'cancelled', reason: `denied by ${by}` }, {
      code: 'cancelled',
      message: `denied by ${by}${reason ? `: ${reason}` : ''}`,
    });
  }

  async cancel(id: string, by: string): Promise<Run> {
    const run = await this.require(id);
    if (isTerminal(run.status)) throw new ProductOsError('invalid_state', `run ${id} is already ${run.status}`, { status: run.status });
    if (run.status === 'queued' || run.status === 'awaiting_approval') {
      const done = await this.writer.advance({
        id,
        from: [run.status],
        steps: [{ from: run.status, to: 'cancelled', reason: `cancelled by ${by}` }],
        changes: {
          finished: true,
          error: { code: 'cancelled', message: `cancelled by ${by}` },
          audit: { caller: by, action: 'run.cancel', tool: run.tool, outcome: 'cancelled' },
        },
      });
      if (done) {
        this.publish(done);
        return store.publicRun(done.run);
      }
      return this.cancel(id, by); // it moved on meanwhile (dispatched): cancel it where it is now
    }
    // Dispatching or running: reach the executor. Here directly; elsewhere through the flag
    // the owning backend's heartbeat reads.
    const flagged = await store.setCancelRequested(this.deps.db, id);
    if (!flagged) return this.cancel(id, by); // it ended or went back to the queue meanwhile
    await audit(this.deps.db, { caller: by, action: 'run.cancel', tool: run.tool, runId: id, outcome: 'requested' });
    this.inFlight.get(id)?.abort.abort('cancel' satisfies AbortReason);
    return store.publicRun(flagged);
  }

  /** Resolves with the run once it is succeeded, failed, cancelled or timed out. */
  async waitForTerminal(id: string, signal?: AbortSignal): Promise<Run> {
    const run = await this.waiters.wait(id, { executingHere: this.inFlight.has(id), read: (i) => this.require(i), signal });
    return store.publicRun(run);
  }

  /**
   * The run once it has ended (with `until: 'settled'`, also once it waits for approval), or as
   * it stands after `timeoutMs` or when the caller goes away. The one wait behind every client.
   */
  async waitFor(id: string, opts: { until: 'terminal' | 'settled'; timeoutMs: number; signal?: AbortSignal }): Promise<Run> {
    const stops = (r: Run) => isTerminal(r.status) || (opts.until === 'settled' && r.status === 'awaiting_approval');
    const give = new AbortController();
    // Subscribed before the first read, so a change between the two is not missed.
    const offBus = opts.until === 'settled' ? this.deps.bus.onRun((r) => r.id === id && stops(r) && give.abort()) : () => {};
    const timer = setTimeout(() => give.abort(), opts.timeoutMs);
    const onClose = () => give.abort();
    opts.signal?.addEventListener('abort', onClose, { once: true });
    try {
      const now = await this.get(id);
      if (stops(now) || give.signal.aborted) return now;
      return await this.waitForTerminal(id, give.signal).catch(async (err) => {
        if (!give.signal.aborted) throw err;
        return this.get(id);
      });
    } finally {
      clearTimeout(timer);
      offBus();
      opts.signal?.removeEventListener('abort', onClose);
    }
  }

  activeCount(): number {
    return this.inFlight.size;
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Settles orphans, then starts the dispatcher and the heartbeat. */
  async start(): Promise<void> {
    await this.recoverOrphans();
    this.every('poll', DISPATCH_POLL_MS, IDLE_EXCLUSIVE_POLL_MS, async () => this.kick());
    this.every('beat', HEARTBEAT_MS, IDLE_EXCLUSIVE_HEARTBEAT_MS, () => this.beat());
    this.kick();
  }

  /** Runs `fn` again and again, `busyMs` apart, or `idleMs` while idle on a store only this backend uses. */
  private every(name: 'poll' | 'beat', busyMs: number, idleMs: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    const idle = this.deps.db.exclusive && this.inFlight.size === 0 && !this.maybeQueued;
    const timer = setTimeout(() => void fn().finally(() => this.every(name, busyMs, idleMs, fn)), idle ? idleMs : busyMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  /** Stops taking work, lets in-flight runs finish for `graceMs`, then settles the rest. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    const pending = [...this.inFlight.values()].map((f) => f.promise);
    const grace = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(pending), grace]);
    for (const f of this.inFlight.values()) f.abort.abort('shutdown' satisfies AbortReason);
    await Promise.all([...this.inFlight.values()].map((f) => f.promise));
  }

  // ---- dispatch ---------------------------------------------------------------------------

  /** Schedules a pass over the queue; passes never overlap. */
  kick(): void {
    if (this.stopped) return;
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    void this.dispatchPass().finally(() => {
      this.dispatching = false;
      if (this.dispatchAgain) {
        this.dispatchAgain = false;
        this.kick();
      }
    });
  }

  private async dispatchPass(): Promise<void> {
    try {
      for (;;) {
        const free = this.deps.config.concurrency - this.inFlight.size - this.reserved;
        if (free <= 0 || this.stopped) return;
        this.maybeQueued = false;
        // Reserved across the claim's await, so a submit meanwhile cannot take the same slots.
        this.reserved += free;
        const claimed = await store.claimQueued(this.deps.db, this.deps.instanceId, free).finally(() => {
          this.reserved -= free;
        });
        for (const c of claimed) {
          this.publish(c);
          this.execute(c.run);
        }
        if (claimed.length < free) return;
        this.maybeQueued = true;
      }
    } catch (err) {
      await this.deps.logger.error('runs', `dispatch pass failed: ${(err as Error).message}`);
    }
  }

  private execute(run: StoredRun, tool = this.deps.registry.get(run.tool), unstored?: Unstored): void {
    // Claimed while stopping: left dispatching, it is re-queued by the next start (or another backend).
    if (this.stopped) return;
    const abort = new AbortController();
    const entry: InFlight = { abort, promise: Promise.resolve() };
    this.inFlight.set(run.id, entry);
    entry.promise = this.runToEnd(run, tool, abort, unstored)
      .catch(async (err) => {
        await this.deps.logger.error('runs', `run ${run.id} could not be settled: ${(err as Error).message}`, { runId: run.id });
      })
      .finally(() => {
        this.inFlight.delete(run.id);
        if (this.maybeQueued) this.kick();
      });
  }

  /**
   * Takes a claimed (dispatching) run to its end. "running" is stored before a
   * non-idempotent tool starts, so a crash can never make it run twice. For an idempotent
   * tool, re-running after a crash is harmless by definition, so "running" is written only if
   * it lasts longer than RUNNING_WRITE_DELAY_MS; a quick one records dispatching → running →
   * its end in a single statement. That halves the writes of a fast call. One started before
   * its insert (`unstored`, see submit) that ends before the insert goes out is folded into it:
   * one write in all.
   */
  private async runToEnd(claimed: StoredRun, tool: CompiledTool | undefined, abort: AbortController, unstored?: Unstored): Promise<void> {
    const { instanceId } = this.deps;
    const attempt = claimed.attempt + 1;
    const handle: RunHandle = {
      run: { ...claimed, status: 'running', attempt },
      stored: 'dispatching',
      runningWrite: null,
      committed: false,
      committing: false,
      ...(tool ? { executedOn: this.deps.executors.placement(tool) } : {}),
      ...(unstored ? { unstored } : {}),
    };
    const writeRunning = async (): Promise<boolean> => {
      if (!(await isStored(handle))) return false;
      const started = await this.writer.advance({
        id: claimed.id,
        from: ['dispatching'],
        steps: [{ from: 'dispatching', to: 'running' }],
        changes: { owner: instanceId, started: true, attempt, ...(handle.executedOn ? { executedOn: handle.executedOn } : {}) },
        expectOwner: instanceId,
      });
      if (!started) return false;
      handle.stored = 'running';
      this.publish(started);
      // A cancel that landed while the run was being stored reached only the flag.
      if (started.run.cancelRequested) abort.abort('cancel' satisfies AbortReason);
      return true;
    };
    if (!tool) {
      await this.settle(handle, 'failed', { error: { code: 'unknown_tool', message: `${claimed.tool} is no longer in the registry` } });
      return;
    }
    if (tool.spec.idempotent) {
      handle.lazy = setTimeout(() => {
        handle.lazy = undefined;
        handle.runningWrite = writeRunning().catch(async (err) => {
          // The run goes on; its end is written from dispatching instead.
          await this.deps.logger.warn('runs', `could not record run ${claimed.id} as running: ${(err as Error).message}`, { runId: claimed.id });
          return false;
        });
      }, RUNNING_WRITE_DELAY_MS);
    } else if (!(await writeRunning())) {
      return; // cancelled or taken meanwhile
    }
    const timeout = setTimeout(() => abort.abort('timeout' satisfies AbortReason), tool.spec.timeout_seconds * 1000);
    try {
      const output = await this.invoke(handle, tool, abort.signal);
      if (handle.committed) return; // settled with its effect, in the handler's commit
      const violations = tool.validateOutput(output);
      if (violations.length > 0) {
        await this.settle(handle, 'failed', {
          error: { code: 'invalid_output', message: `${tool.name} returned output that does not match its outputSchema: ${describeViolations(violations)}`, details: { violations } },
        });
        return;
      }
      await this.settle(handle, 'succeeded', { output });
    } catch (err) {
      await this.settleFailure(handle, tool, err, abort.signal);
    } finally {
      clearTimeout(timeout);
      clearTimeout(handle.lazy);
    }
  }

  /** Runs the executor, but never waits past an abort: an executor that ignores its signal cannot hold a run open. */
  private invoke(handle: RunHandle, tool: CompiledTool, signal: AbortSignal): Promise<unknown> {
    const deps = handle.unstored ? { ...this.deps, db: afterStored(this.deps.db, handle.unstored.stored) } : this.deps;
    const ctx = executionContext(deps, handle.run, tool, signal, (e) => this.deps.bus.emitRunEvent(e), (fn, scope) => this.commit(handle, tool, signal, fn, scope));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new AbortedError(signal.reason as AbortReason));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.deps.executors
        .for(tool)
        .execute(ctx)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * ExecutionContext.commit: the handler's writes and the run's success in one transaction.
   * Rolled back (and the run then settled as failed, cancelled or timed out by the usual
   * path) when `fn` throws, its output breaks the schema, the run was aborted meanwhile, or
   * the run is no longer ours to settle.
   */
  private async commit<T>(handle: RunHandle, tool: CompiledTool, signal: AbortSignal, fn: (tx: Transaction) => Promise<T>, scope: TxScope): Promise<T> {
    if (handle.committing) throw new ProductOsError('internal', `${tool.name} called commit twice; a handler commits its effect once`);
    handle.committing = true;
    // "running" is either stored before the transaction or not at all: never raced by it.
    clearTimeout(handle.lazy);
    handle.lazy = undefined;
    if (!(await isStored(handle))) throw new ProductOsError('internal', `run ${handle.run.id} could not be stored; its effect was not committed`);
    await handle.runningWrite;
    const { output, done } = await this.deps.db.transaction(async (tx) => {
      scope.tx = tx;
      try {
        const value = await fn(tx);
        const violations = tool.validateOutput(value);
        if (violations.length > 0) {
          throw new ProductOsError('invalid_output', `${tool.name} returned output that does not match its outputSchema: ${describeViolations(violations)}`, { violations });
        }
        if (signal.aborted) throw new AbortedError(signal.reason as AbortReason);
        const [change] = await store.advanceRuns(tx, [this.settlement(handle, 'succeeded', { output: value })]);
        if (!change) throw new ProductOsError('invalid_state', `run ${handle.run.id} is no longer this backend's to settle; its effect was rolled back`);
        return { output: value, done: change };
      } finally {
        scope.tx = null;
      }
    }).catch((err) => {
      scope.pending = [];
      throw err;
    });
    handle.committed = true;
    for (const e of scope.pending) this.deps.bus.emitRunEvent(e);
    scope.pending = [];
    this.publish(done);
    return output;
  }

  private async settleFailure(handle: RunHandle, tool: CompiledTool, err: unknown, signal: AbortSignal): Promise<void> {
    const run = handle.run;
    const reason = err instanceof AbortedError ? err.reason : signal.aborted ? (signal.reason as AbortReason) : null;
    if (reason === 'timeout') {
      await this.settle(handle, 'timed_out', { error: { code: 'timed_out', message: `${tool.name} did not finish within ${tool.spec.timeout_seconds} s` } });
    } else if (reason === 'cancel') {
      await this.settle(handle, 'cancelled', { error: { code: 'cancelled', message: 'cancelled while running' } });
    } else if (reason === 'shutdown') {
      if (!(await isStored(handle))) return;
      await handle.runningWrite;
      await this.settleOrphan({ ...run, status: handle.stored, owner: this.deps.instanceId }, 'the backend shut down before the run finished', 'backend_stopped');
    } else {
      // A secret value that slipped into an error (a provider quoting a token) never reaches the run.
      const body = this.deps.logger.maskSecrets(toErrorBody(err));
      // Not one of ours (a driver, a library): its text goes to the backend log, not the run.
      if (!(err instanceof ProductOsError)) {
        await this.deps.logger.error('runs', `${tool.name} failed: ${(err as Error)?.message ?? String(err)}`, { runId: run.id });
        body.message = `${tool.name} failed with an internal error; the backend log has it under run ${run.id}`;
      }
      const retryable = err instanceof ProductOsError && err.retryable;
      if (retryable && run.attempt < run.maxAttempts) {
        const delayMs = 1000 * 2 ** (run.attempt - 1);
        await this.settle(handle, 'queued', { owner: null, notBefore: new Date(Date.now() + delayMs) }, `retry ${run.attempt + 1}/${run.maxAttempts} after ${body.code}`);
        // Woken when it is due (a little after, so that the store's clock has passed it too), not
        // by the next poll, which is slow while idle on an exclusive store.
        this.maybeQueued = true;
        setTimeout(() => this.kick(), delayMs + 25).unref();
        return;
      }
      await this.settle(handle, 'failed', { error: body.code === 'internal' ? { code: 'executor_failed', message: body.message } : body });
    }
  }

  /** The run's last write: from running, or from dispatching when "running" was never stored. */
  private async settle(
    handle: RunHandle,
    to: 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'queued',
    changes: { output?: unknown; error?: ErrorBody; owner?: null; notBefore?: Date },
    reason?: string,
  ): Promise<void> {
    // Ended before its insert went out: stored once, already ended (published by submitAndStart).
    if (handle.unstored && to !== 'queued' && handle.stored === 'dispatching' && handle.unstored.pending.fold(this.settlement(handle, to, changes, reason))) {
      await handle.unstored.stored;
      return;
    }
    if (!(await isStored(handle))) return;
    await handle.runningWrite;
    // A commit in flight decides the run: once it has, this write finds the run settled and changes nothing.
    const write = () => this.writer.advance(this.settlement(handle, to, changes, reason));
    // A store hiccup must not leave the run open forever: retry, then leave it to recovery.
    for (let attempt = 1; ; attempt++) {
      try {
        const done = await write();
        if (done) this.publish(done);
        return;
      } catch (err) {
        if (attempt >= SETTLE_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  /** The write that ends a run (or re-queues it), from the status the store has for it. */
  private settlement(
    handle: RunHandle,
    to: 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'queued',
    changes: { output?: unknown; error?: ErrorBody; owner?: null; notBefore?: Date },
    reason?: string,
  ): store.Advance {
    const last: StateEventData = { from: 'running', to, ...(reason ? { reason } : changes.error ? { reason: changes.error.code } : {}) };
    const fromDispatching = handle.stored === 'dispatching';
    const terminal = to !== 'queued';
    return {
      id: handle.run.id,
      from: [handle.stored],
      steps: fromDispatching ? [{ from: 'dispatching', to: 'running' }, last] : [last],
      changes: {
        ...changes,
        ...(fromDispatching ? { started: true, attempt: handle.run.attempt, ...(handle.executedOn ? { executedOn: handle.executedOn } : {}) } : {}),
        ...(terminal ? { finished: true, audit: { caller: handle.run.caller, action: 'tool.result', tool: handle.run.tool, outcome: to } } : {}),
      },
      // Only while it is still ours: a backend that stalled must not overwrite a run another took over.
      expectOwner: this.deps.instanceId,
    };
  }

  // ---- recovery ---------------------------------------------------------------------------

  private async beat(): Promise<void> {
    const { db, instanceId } = this.deps;
    try {
      await heartbeat(db, instanceId);
      const mine = await db.query<{ id: string; cancel_requested: boolean; stale: boolean }>(
        `SELECT id, cancel_requested, updated_at < now() - make_interval(secs => $2) AS stale
         FROM runs WHERE owner = $1 AND status IN ('dispatching','running')`,
        [instanceId, STALE_AFTER_S],
      );
      for (const row of mine) {
        const here = this.inFlight.get(row.id);
        // Cancels asked of another backend's API reach our runs through this flag.
        if (here && row.cancel_requested) here.abort.abort('cancel' satisfies AbortReason);
        // Ours in the store but not executing here (its end could not be written): settle it.
        if (!here && row.stale) {
          const run = await store.getRun(db, row.id);
          if (run && (run.status === 'dispatching' || run.status === 'running')) await this.settleOrphan(run, 'its end could not be recorded');
        }
      }
      if (!db.exclusive) await this.recoverOrphans();
    } catch (err) {
      await this.deps.logger.warn('runs', `heartbeat failed: ${(err as Error).message}`);
    }
  }

  /** Runs left dispatching or running by a backend that is gone: re-queued or failed, never lost. */
  async recoverOrphans(): Promise<number> {
    const { db, instanceId } = this.deps;
    // PGlite: one process per data folder, so any other owner is dead whatever its heartbeat says.
    const liveOwners = db.exclusive ? [instanceId] : [instanceId, ...(await liveInstances(db, STALE_AFTER_S))];
    const orphans = await store.orphanedRuns(db, liveOwners);
    for (const run of orphans) await this.settleOrphan(run, `backend ${run.owner ?? '(none)'} stopped before the run finished`);
    if (orphans.length > 0) await this.deps.logger.warn('runs', `settled ${orphans.length} run(s) left behind by a stopped backend`);
    return orphans.length;
  }

  private async settleOrphan(run: StoredRun, why: string, code?: OrphanCode): Promise<void> {
    const settled = await this.writer.advance(orphanSettlement(run, this.deps.registry.get(run.tool), why, code));
    if (settled) this.publish(settled);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private async decide(
    id: string,
    decision: 'approved' | 'denied',
    by: string,
    reason: string | undefined,
    ifVersion: number | undefined,
    step: StateEventData,
    error?: ErrorBody,
  ): Promise<Run> {
    assertRunId(id);
    const result = await this.deps.db.transaction(async (tx) => {
      const current = await store.getRun(tx, id, true);
      if (!current) throw new ProductOsError('not_found', `no run ${id}`);
      if (ifVersion !== undefined && current.version !== ifVersion) {
        throw new ProductOsError('conflict', `run ${id} is at version ${current.version}, not ${ifVersion}`, { currentVersion: current.version });
      }
      const moved = await store.advanceRun(tx, id, ['awaiting_approval'], [step], {
        ...(error ? { error, finished: true } : {}),
        audit: { caller: by, action: `run.${decision === 'approved' ? 'approve' : 'deny'}`, tool: current.tool, outcome: decision },
      });
      if (!moved) throw new ProductOsError('invalid_state', `run ${id} is ${current.status}, not awaiting approval`, { status: current.status });
      await tx.query('INSERT INTO approvals (run_id, decision, decided_by, reason) VALUES ($1, $2, $3, $4)', [id, decision, by, reason ?? null]);
      return moved;
    });
    this.publish(result);
    return store.publicRun(result.run);
  }

  private async require(id: string): Promise<StoredRun> {
    assertRunId(id);
    const run = await store.getRun(this.deps.db, id);
    if (!run) throw new ProductOsError('not_found', `no run ${id}`);
    return run;
  }

  private async auditRefusal(req: SubmitRequest, argsShape: unknown, outcome: string): Promise<void> {
    // The name as a caller sent it may be anything (MCP does not constrain it): stored as text
    // Postgres can hold, bounded.
    const tool = req.tool.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd').slice(0, 200);
    await audit(this.deps.db, { caller: req.caller, action: 'tool.call', tool, argsShape, outcome: `refused:${outcome}` });
  }

  private publish(change: { run: StoredRun; events: RunEvent[] }): void {
    if (change.run.status === 'queued') this.maybeQueued = true;
    for (const e of change.events) this.deps.bus.emitRunEvent(e);
    this.deps.bus.emitRun(store.publicRun(change.run));
    if (isTerminal(change.run.status)) this.waiters.ended(change.run);
  }
}

/** Whether the run is in the store: at once for a run read from it, after its insert for one that started before (false: that failed). */
function isStored(handle: RunHandle): Promise<boolean> | boolean {
  return handle.unstored ? handle.unstored.stored : true;
}

/**
 * The store as a run that started before its insert sees it: every statement waits until the
 * run is stored (its events, usage rows and effects refer to it), and fails if it never is.
 */
function afterStored(db: Db, stored: Promise<boolean>): Db {
  const ready = async () => {
    if (!(await stored)) throw new ProductOsError('internal', 'the run could not be stored');
  };
  return Object.assign(Object.create(db) as Db, {
    query: async <T>(sql: string, params?: unknown[]) => (await ready(), db.query<T>(sql, params)),
    exec: async (sql: string) => (await ready(), db.exec(sql)),
    transaction: async <T>(fn: (tx: Transaction) => Promise<T>) => (await ready(), db.transaction(fn)),
  });
}

/**
 * A claimed run as it will be stored, for the executor to start on before the insert returns.
 * The handler gets its own copy of the input: the insert serializes the engine's after the
 * handler has started, and must store what was called, whatever the handler does with its copy.
 */
function unstoredRun(n: store.NewRun, owner: string): StoredRun {
  const now = new Date().toISOString();
  return {
    id: n.id,
    tool: n.tool,
    status: 'dispatching',
    risk: n.risk,
    input: structuredClone(n.input),
    labels: n.labels ?? {},
    priority: n.priority ?? 0,
    caller: n.caller,
    idempotencyKey: n.idempotencyKey ?? null,
    correlationId: n.correlationId ?? null,
    traceId: n.traceId!,
    version: 1,
    attempt: 0,
    maxAttempts: n.maxAttempts,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    owner,
    cancelRequested: false,
  };
}

/** Run ids are UUIDs: anything else is a run that does not exist, answered before any query. */
function assertRunId(id: string): void {
  if (!store.UUID.test(id)) throw new ProductOsError('not_found', `no run ${id}`);
}

class AbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(`aborted: ${reason}`);
  }
}

