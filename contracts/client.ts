/**
 * Calling the backend's REST routes, typed by the route map: the editor's client, the CLI and
 * the tests build every request here. The answer is checked against the route's response
 * schema, so a caller gets the declared type or an error, never an unchecked cast.
 */
import { ROUTES, routeUrl, type JsonRouteName, type RouteArgs, type RouteResponse, type RouteSpec } from './routes';
import { TERMINAL_STATUSES, type Run } from './rest';
import { compileSchema } from './validator';

/** A refused or failed request: the backend's `{error: {code, message, details}}` plus the HTTP status (0: no answer). */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

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

/** The error a non-2xx answer carries, in the documented shape whatever the body was. */
export async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  return {
    status: res.status,
    code: typeof e?.code === 'string' ? e.code : `http_${res.status}`,
    message: typeof e?.message === 'string' ? e.message : `HTTP ${res.status} ${res.statusText}`.trim(),
    ...(e?.details === undefined ? {} : { details: e.details }),
  };
}

export interface ApiConnection {
  /** The backend's base URL, e.g. http://127.0.0.1:7331 */
  url: string;
  token: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Who is calling, for the audit log (x-product-os-caller). */
  caller?: string;
  /** Extra headers (traceparent). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Method and path of a route, for messages ("GET /api/runs/:id"). */
export const describeRoute = (name: JsonRouteName): string => `${ROUTES[name].method} ${ROUTES[name].path}`;

/**
 * One call of a JSON route. Rejects with a BackendRequestError: the backend's own error, or
 * `invalid_response` when the answer is not what the route declares. Network failures
 * (connection refused, abort) are left as the fetch error, for the caller to name.
 */
export async function callRoute<K extends JsonRouteName>(conn: ApiConnection, name: K, args: RouteArgs<K>, opts: CallOptions = {}): Promise<RouteResponse<K>> {
  const spec: RouteSpec = ROUTES[name];
  const a = args as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
  let path: string;
  try {
    path = routeUrl(spec, a.params, a.query);
  } catch (err) {
    // A caller's mistake, found before anything is sent: not a backend that cannot be reached.
    throw new BackendRequestError(0, 'bad_request', (err as Error).message);
  }
  const headers: Record<string, string> = { authorization: `Bearer ${conn.token}`, accept: 'application/json', ...(opts.caller ? { 'x-product-os-caller': opts.caller } : {}), ...opts.headers };
  if (a.body !== undefined) headers['content-type'] = 'application/json';
  const res = await (opts.fetch ?? fetch)(new URL(path, `${conn.url.replace(/\/+$/, '')}/`), {
    method: spec.method,
    headers,
    body: a.body === undefined ? undefined : JSON.stringify(a.body),
    signal: opts.signal,
  });
  if (!res.ok) throw BackendRequestError.from(await errorOf(res));
  let value: unknown;
  try {
    value = JSON.parse(await res.text());
  } catch {
    throw new BackendRequestError(res.status, 'invalid_response', `${describeRoute(name)} answered something that is not JSON`);
  }
  const violations = compileSchema(spec.response!)(value);
  if (violations.length > 0) {
    throw new BackendRequestError(res.status, 'invalid_response', `${describeRoute(name)} answered what the route does not declare: ${violations.slice(0, 3).map((v) => v.message).join('; ')}`, { violations: violations.slice(0, 20) });
  }
  return value as RouteResponse<K>;
}

/** One ask of the wait route (each caller's own client, with its timeouts and caller name). */
export type AskWait = (args: RouteArgs<'waitRun'>, signal?: AbortSignal) => Promise<Run>;

/**
 * The run once it has ended (with `until: 'settled'`, also once it waits for approval), asking
 * the backend's wait route again while a long run goes on; after `withinMs`, the run as it
 * stands. The one way every client waits for a run.
 */
export async function settle(ask: AskWait, run: Run, opts: { until?: 'terminal' | 'settled'; withinMs?: number; signal?: AbortSignal } = {}): Promise<Run> {
  const until = opts.until ?? 'terminal';
  const stops = (r: Run) => TERMINAL_STATUSES.has(r.status) || (until === 'settled' && r.status === 'awaiting_approval');
  const deadline = Date.now() + (opts.withinMs ?? Number.POSITIVE_INFINITY);
  let current = run;
  while (!stops(current) && Date.now() < deadline) {
    current = await ask({ params: { id: run.id }, query: { until, timeoutMs: Math.min(60_000, deadline - Date.now()) } }, opts.signal);
  }
  return current;
}
