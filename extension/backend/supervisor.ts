/**
 * Keeps one backend available: starts it on first need, health-checks it, restarts it with
 * backoff (1/2/4 s, at most 3 times in 3 minutes) and then gives up with a clear error until
 * the user restarts it. No `vscode` import: the extension shows the state; tests drive it with a
 * fake launcher and a fake clock.
 */
import type { LaunchedBackend } from './launcher';
import { RestartPolicy } from './restart-policy';
import { type Clock, type Connection, type Logger, sleep } from './types';

export type SupervisorState =
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'ready'; connection: Connection; pid?: number; origin: LaunchedBackend['origin'] }
  | { kind: 'restarting'; delayMs: number; reason: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

export class BackendUnavailableError extends Error {
  readonly code = 'backend_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

export interface SupervisorDeps {
  launch(): Promise<LaunchedBackend>;
  /** Resolves when the backend answers GET /health; rejects otherwise (with its own timeout). */
  health(connection: Connection): Promise<void>;
  clock: Clock;
  log: Logger;
  policy?: RestartPolicy;
  healthIntervalMs?: number;
  /** Consecutive failed periodic checks before the backend is considered dead. */
  healthFailuresAllowed?: number;
  stopGraceMs?: number;
  /** Health checks right after the ready line, before giving up on this start. */
  startupHealthAttempts?: number;
}

export class Supervisor {
  private _state: SupervisorState = { kind: 'idle' };
  private current?: LaunchedBackend;
  private generation = 0;
  private waiters: Array<{ resolve: (c: Connection) => void; reject: (e: Error) => void }> = [];
  private listeners = new Set<(s: SupervisorState) => void>();
  private timer: unknown;
  private healthFailures = 0;
  private checking = false;
  private readonly policy: RestartPolicy;

  constructor(private readonly deps: SupervisorDeps) {
    this.policy = deps.policy ?? new RestartPolicy();
  }

  get state(): SupervisorState {
    return this._state;
  }

  onDidChangeState(listener: (s: SupervisorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The connection of a healthy backend, starting one if none runs yet. */
  ensureReady(): Promise<Connection> {
    const s = this._state;
    switch (s.kind) {
      case 'ready':
        return Promise.resolve(s.connection);
      case 'failed':
        return Promise.reject(new BackendUnavailableError(s.message));
      case 'stopped':
        return Promise.reject(new BackendUnavailableError('the Product OS backend has been shut down'));
      case 'idle':
        void this.attempt();
        break;
      default:
        break;
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** A user-requested restart: resets the restart budget. */
  async restart(): Promise<Connection> {
    this.policy.reset();
    this.generation++;
    this.clearTimer();
    const old = this.current;
    this.current = undefined;
    this.set({ kind: 'idle' });
    if (old) await old.stop(this.deps.stopGraceMs ?? 3000);
    return this.ensureReady();
  }

  /** Graceful shutdown (deactivate): stops what we spawned, fails pending callers. */
  async stop(): Promise<void> {
    this.generation++;
    this.clearTimer();
    const old = this.current;
    this.current = undefined;
    this.set({ kind: 'stopped' });
    this.settle(new BackendUnavailableError('the Product OS backend has been shut down'));
    if (old) await old.stop(this.deps.stopGraceMs ?? 3000);
  }

  /** A request could not reach the backend: check it now rather than at the next interval. */
  reportUnreachable(): void {
    if (this._state.kind === 'ready') void this.checkHealth(this.generation, true);
  }

  private set(state: SupervisorState): void {
    this._state = state;
    for (const l of [...this.listeners]) {
      try {
        l(state);
      } catch (err) {
        this.deps.log.error(`state listener failed: ${(err as Error).message}`);
      }
    }
  }

  private settle(result: Connection | Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (result instanceof Error) w.reject(result);
      else w.resolve(result);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation;
    this.clearTimer();
    this.set({ kind: 'starting' });
    let launched: LaunchedBackend;
    try {
      launched = await this.deps.launch();
    } catch (err) {
      if (gen !== this.generation) return;
      // A configuration problem (no token, a bad URL) does not go away by retrying.
      if ((err as { retryable?: unknown }).retryable === false) this.giveUp((err as Error).message);
      else this.failed((err as Error).message);
      return;
    }
    if (gen !== this.generation) {
      await launched.stop(this.deps.stopGraceMs ?? 3000);
      return;
    }
    const attempts = this.deps.startupHealthAttempts ?? 5;
    let lastError: Error | undefined;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.deps.health(launched.connection);
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err as Error;
        if (i < attempts - 1) await sleep(this.deps.clock, 200);
      }
      if (gen !== this.generation) break;
    }
    if (gen !== this.generation) {
      await launched.stop(this.deps.stopGraceMs ?? 3000);
      return;
    }
    if (lastError) {
      await launched.stop(this.deps.stopGraceMs ?? 3000);
      if (gen === this.generation) this.failed(`the backend does not pass its health check: ${lastError.message}`);
      return;
    }
    this.current = launched;
    this.healthFailures = 0;
    this.set({ kind: 'ready', connection: launched.connection, pid: launched.pid, origin: launched.origin });
    this.settle(launched.connection);
    void launched.exited.then((info) => {
      if (this.current !== launched) return;
      this.current = undefined;
      this.failed(`the backend exited unexpectedly (${describeExit(info)})`);
    });
    this.scheduleHealth(gen);
  }

  /** A start failed or a running backend died: restart after a backoff, or give up. */
  private failed(reason: string): void {
    this.deps.log.error(reason);
    const delay = this.policy.next(this.deps.clock.now());
    if (delay === undefined) {
      this.giveUp(`${reason}. Gave up after ${this.policy.describe()}; use "Restart Backend" to try again.`);
      return;
    }
    const gen = ++this.generation;
    this.clearTimer();
    this.deps.log.warn(`restarting the backend in ${delay / 1000} s`);
    this.set({ kind: 'restarting', delayMs: delay, reason });
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) void this.attempt();
    }, delay);
  }

  private giveUp(message: string): void {
    this.deps.log.error(message);
    this.generation++;
    this.clearTimer();
    this.set({ kind: 'failed', message });
    this.settle(new BackendUnavailableError(message));
  }

  private scheduleHealth(gen: number): void {
    this.clearTimer();
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.checkHealth(gen);
    }, this.deps.healthIntervalMs ?? 30000);
  }

  /** `afterFailure`: a request already failed to connect, so one failed check is enough. */
  private async checkHealth(gen: number, afterFailure = false): Promise<void> {
    if (this.checking || gen !== this.generation || this._state.kind !== 'ready') return;
    const launched = this.current;
    if (!launched) return;
    this.checking = true;
    try {
      await this.deps.health(launched.connection);
      this.healthFailures = 0;
    } catch (err) {
      this.healthFailures = afterFailure ? Math.max(this.healthFailures + 1, this.deps.healthFailuresAllowed ?? 2) : this.healthFailures + 1;
      this.deps.log.warn(`health check failed (${this.healthFailures}): ${(err as Error).message}`);
    } finally {
      this.checking = false;
    }
    if (gen !== this.generation || this.current !== launched) return;
    if (this.healthFailures >= (this.deps.healthFailuresAllowed ?? 2)) {
      this.current = undefined;
      this.generation++;
      await launched.stop(this.deps.stopGraceMs ?? 3000);
      this.failed('the backend stopped answering its health check');
      return;
    }
    this.scheduleHealth(gen);
  }
}

function describeExit(info: unknown): string {
  if (info && typeof info === 'object') {
    const { code, signal } = info as { code?: number | null; signal?: string | null };
    if (signal) return `signal ${signal}`;
    if (code !== undefined && code !== null) return `code ${code}`;
  }
  return 'no exit code';
}
