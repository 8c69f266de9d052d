/**
 * The BackendApi over HTTP + SSE: bearer token on every request, a timeout per request, errors
 * as ApiError (the backend's `{error: {code, message, details}}`), and live streams shared
 * between listeners (one SSE connection per stream, however many views listen).
 */
import type { LogLine, Run, RunEvent, RunStatus } from '../../contracts/rest';
import { TERMINAL } from '../run-status';
import type { ApiError, BackendApi } from '../backend-api';
import { errorOf, subscribeSse, type SseSubscription } from './sse';
import { type Clock, type Connection, type Logger, nullLogger, systemClock } from './types';

export class BackendRequestError extends Error implements ApiError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BackendRequestError';
  }

  static from(e: ApiError): BackendRequestError {
    return new BackendRequestError(e.status, e.code, e.message, e.details);
  }
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && typeof (value as ApiError).code === 'string' && typeof (value as ApiError).status === 'number' && typeof (value as ApiError).message === 'string';
}

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

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export class BackendClient implements BackendApi {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly hubs = new Map<string, Hub<unknown>>();

  constructor(private readonly deps: ClientDeps) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log ?? nullLogger;
  }

  async request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const conn = await this.deps.connect();
    const timeoutMs = this.deps.timeoutMs();
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    if (signal?.aborted) controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = { authorization: `Bearer ${conn.token}`, accept: 'application/json', 'x-product-os-caller': this.deps.caller ?? 'vscode' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      let res: Response;
      try {
        res = await (this.deps.fetch ?? fetch)(new URL(path, `${conn.url}/`), {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
      } catch (err) {
        if (timedOut) throw new BackendRequestError(0, 'timeout', `${method} ${path} got no answer within ${Math.round(timeoutMs / 1000)} s`);
        if (signal?.aborted) throw new BackendRequestError(0, 'cancelled', `${method} ${path} was cancelled`);
        this.deps.onUnreachable?.();
        throw new BackendRequestError(0, 'unreachable', `cannot reach the backend at ${conn.url}: ${(err as Error).message}`);
      }
      if (!res.ok) throw BackendRequestError.from(await errorOf(res));
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      if (!text) return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new BackendRequestError(res.status, 'invalid_response', `${method} ${path} answered something that is not JSON`);
      }
    } catch (err) {
      if (timedOut && !(err instanceof BackendRequestError)) throw new BackendRequestError(0, 'timeout', `${method} ${path} got no answer within ${Math.round(timeoutMs / 1000)} s`);
      throw err;
    } finally {
      this.clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  onRun(listener: (run: Run) => void): () => void {
    return this.hub<Run>('runs', '/api/stream', (m) => (m.event === 'run' ? (JSON.parse(m.data) as Run) : undefined), {
      // /api/stream has no ids to resume from: after a reconnect, re-read the newest runs so
      // views catch up on what changed while the stream was down.
      onReconnect: async (emit) => {
        const page = await this.request<{ runs: Run[] }>('GET', '/api/runs?limit=100');
        for (const run of page.runs.reverse()) emit(run);
      },
    }).add(listener);
  }

  onRunEvents(runId: string, listener: (event: RunEvent) => void): () => void {
    // One stream per listener: it replays from the start and ends after the final state.
    const sub = subscribeSse({
      connect: () => this.deps.connect(),
      path: `/api/runs/${encodeURIComponent(runId)}/events`,
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
    const path = runId ? `/api/logs/stream?runId=${encodeURIComponent(runId)}` : '/api/logs/stream';
    return this.hub<LogLine>(`logs:${runId ?? ''}`, path, (m) => (m.event === 'log' ? (JSON.parse(m.data) as LogLine) : undefined), {}).add(listener);
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

/** GET /health with the token; resolves when it answers `status: ok`. */
export async function checkHealth(connection: Connection, timeoutMs: number, doFetch: typeof fetch = fetch): Promise<void> {
  const res = await doFetch(new URL('/health', `${connection.url}/`), {
    headers: { authorization: `Bearer ${connection.token}`, accept: 'application/json', 'x-product-os-caller': 'vscode' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    const e = await errorOf(res);
    throw new BackendRequestError(e.status, e.code, `GET /health: ${e.message}`);
  }
  const body = (await res.json()) as { status?: unknown };
  if (body.status !== 'ok') throw new BackendRequestError(res.status, 'unhealthy', `GET /health answered status ${String(body.status)}`);
}
