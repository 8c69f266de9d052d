/**
 * The BackendApi over HTTP + SSE: bearer token on every request, a timeout per request, errors
 * as ApiError (the backend's `{error: {code, message, details}}`), and live streams shared
 * between listeners (one SSE connection per stream, however many views listen).
 */
import type { BoardChange, LogLine, Run, RunEvent, RunStatus } from '../../contracts/rest';
import { ROUTES, routeUrl, type JsonRouteName, type RouteArgs, type RouteResponse } from '../../contracts/routes';
import { BackendRequestError, callRoute, describeRoute } from '../../contracts/client';
import { TERMINAL } from '../run-status';
import type { BackendApi } from '../backend-api';
import { subscribeSse, type SseSubscription } from './sse';
import { type Clock, type Connection, type Logger, nullLogger, systemClock } from './types';

export { BackendRequestError, isApiError } from '../../contracts/client';

export interface ClientDeps {
  connect(): Promise<Connection>;
  /** Per-request timeout in ms (read on each request: a setting may change it). */
  timeoutMs(): number;
  fetch?: typeof fetch;
  clock?: Clock;
  log?: Logger;
  /** Called when a request could not reach the backend at all. */
  onUnreachable?(): void;
  caller?: string;
}

export class BackendClient implements BackendApi {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly hubs = new Map<string, Hub<unknown>>();

  constructor(private readonly deps: ClientDeps) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? nullLogger;
  }

  async call<K extends JsonRouteName>(route: K, args: RouteArgs<K>, signal?: AbortSignal): Promise<RouteResponse<K>> {
    const conn = await this.deps.connect();
    const timeoutMs = this.requestTimeoutMs(route, args);
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (signal?.aborted) controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const what = describeRoute(route);
    try {
      return await callRoute(conn, route, args, { signal: controller.signal, caller: this.deps.caller ?? 'vscode', fetch: this.deps.fetch });
    } catch (err) {
      if (err instanceof BackendRequestError) throw err;
      if (timedOut) throw new BackendRequestError(0, 'timeout', `${what} got no answer within ${Math.round(timeoutMs / 1000)} s`);
      if (signal?.aborted) throw new BackendRequestError(0, 'cancelled', `${what} was cancelled`);
      this.deps.onUnreachable?.();
      throw new BackendRequestError(0, 'unreachable', `cannot reach the backend at ${conn.url}: ${(err as Error).message}`);
    } finally {
      this.clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A wait for a run is allowed its own wait plus the usual time to answer. */
  private requestTimeoutMs(route: JsonRouteName, args: unknown): number {
    const base = this.deps.timeoutMs();
    if (route !== 'waitRun') return base;
    return base + ((args as RouteArgs<'waitRun'>).query?.timeoutMs ?? 30_000);
  }

  onRun(listener: (run: Run) => void): () => void {
    return this.hub<Run>('runs', routeUrl(ROUTES.runStream), (m) => (m.event === 'run' ? (JSON.parse(m.data) as Run) : undefined), {
      // /api/stream has no ids to resume from: after a reconnect, re-read the newest runs so
      // views catch up on what changed while the stream was down.
      onReconnect: async (emit) => {
        const page = await this.call('listRuns', { query: { limit: 100 } });
        for (const run of page.runs.reverse()) emit(run);
      },
    }).add(listener);
  }

  onRunEvents(runId: string, listener: (event: RunEvent) => void): () => void {
    // One stream per listener: it replays from the start and ends after the final state.
    const sub = subscribeSse({
      connect: () => this.deps.connect(),
      path: routeUrl(ROUTES.runEvents, { id: runId }),
      clock: this.clock,
      log: this.log,
      caller: this.deps.caller,
      onUnreachable: this.deps.onUnreachable,
      onEvent: (m) => listener(JSON.parse(m.data) as RunEvent),
      isLast: (m) => m.event === 'state' && isTerminalStateEvent(m.data),
      onFatal: (e) => this.log.warn(`events of run ${runId}: ${e.code}: ${e.message}`),
    });
    return () => sub.close();
  }

  onLog(listener: (line: LogLine) => void, runId?: string): () => void {
    const path = routeUrl(ROUTES.logStream, {}, { runId });
    return this.hub<LogLine>(`logs:${runId ?? ''}`, path, (m) => (m.event === 'log' ? (JSON.parse(m.data) as LogLine) : undefined), {}).add(listener);
  }

  onBoardChange(listener: (change: BoardChange | null) => void): () => void {
    // The board stream has no ids to resume from: after a reconnect, listeners re-read the board.
    return this.hub<BoardChange | null>('board', routeUrl(ROUTES.boardStream), (m) => (m.event === 'card' ? (JSON.parse(m.data) as BoardChange) : undefined), {
      onReconnect: async (emit) => emit(null),
    }).add(listener);
  }

  async mcpEndpoint(): Promise<{ url: string; token: string }> {
    const conn = await this.deps.connect();
    return { url: conn.mcpUrl, token: conn.token };
  }

  /** Closes every live stream (deactivate). */
  dispose(): void {
    for (const hub of this.hubs.values()) hub.close();
    this.hubs.clear();
  }

  private hub<T>(key: string, path: string, decode: (m: { event?: string; data: string }) => T | undefined, opts: { onReconnect?: (emit: (v: T) => void) => Promise<void> }): Hub<T> {
    let hub = this.hubs.get(key) as Hub<T> | undefined;
    if (!hub) {
      const created: Hub<T> = new Hub<T>(
        (emit) =>
          subscribeSse({
            connect: () => this.deps.connect(),
            path,
            clock: this.clock,
            log: this.log,
            caller: this.deps.caller,
            onEvent: (m) => {
              const v = decode(m);
              if (v !== undefined) emit(v);
            },
            onUnreachable: this.deps.onUnreachable,
            onOpen: (reconnected) => {
              if (reconnected && opts.onReconnect) opts.onReconnect(emit).catch((err) => this.log.debug(`catching up after a reconnect: ${(err as Error).message}`));
            },
            onFatal: (e) => this.log.warn(`stream ${path}: ${e.code}: ${e.message}`),
          }),
        () => {
          if (this.hubs.get(key) === created) this.hubs.delete(key);
        },
      );
      hub = created;
      this.hubs.set(key, created as Hub<unknown>);
    }
    return hub;
  }
}

/** Listeners of one shared stream: opened with the first, closed with the last. */
class Hub<T> {
  private readonly listeners = new Set<(v: T) => void>();
  private sub?: SseSubscription;

  constructor(
    private readonly open: (emit: (v: T) => void) => SseSubscription,
    private readonly onEmpty: () => void,
  ) {}

  add(listener: (v: T) => void): () => void {
    this.listeners.add(listener);
    this.sub ??= this.open((v) => {
      for (const l of [...this.listeners]) l(v);
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    this.sub?.close();
    this.sub = undefined;
    this.listeners.clear();
    this.onEmpty();
  }
}

function isTerminalStateEvent(data: string): boolean {
  try {
    const e = JSON.parse(data) as { data?: { to?: RunStatus } };
    return e.data?.to !== undefined && TERMINAL.has(e.data.to);
  } catch {
    return false;
  }
}

/** The health route with the token; resolves when it answers `status: ok`. */
export async function checkHealth(connection: Connection, timeoutMs: number, doFetch: typeof fetch = fetch): Promise<void> {
  try {
    await callRoute(connection, 'health', {}, { signal: AbortSignal.timeout(timeoutMs), caller: 'vscode', fetch: doFetch });
  } catch (err) {
    if (err instanceof BackendRequestError) throw new BackendRequestError(err.status, err.code, `${describeRoute('health')}: ${err.message}`, err.details);
    throw err;
  }
}
