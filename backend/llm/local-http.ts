import { localEndpointProblem } from '../local-endpoint';
import { ProductOsError } from '../errors';

/**
 * POSTs JSON to a local model server and returns its JSON answer. The endpoint is checked
 * again here, at call time (configuration is checked at start and by /config/validate), so
 * no code path can send a prompt off this machine. Errors carry the HTTP status and the
 * setting to look at, never the request or the answer's body (either may hold prompt text).
 */
export async function postLocalJson(
  url: string,
  body: unknown,
  opts: { setting: string; source: string; signal?: AbortSignal; timeoutMs: number },
): Promise<unknown> {
  const problem = localEndpointProblem(url);
  if (problem) throw new ProductOsError('not_configured', `${opts.setting} ${problem}; no request was sent`);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal, redirect: 'error' });
  } catch (err) {
    if (opts.signal?.aborted) throw new ProductOsError('cancelled', `${opts.source}: the call was cancelled`);
    if (timeout.aborted) throw new ProductOsError('timed_out', `${opts.source} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (${opts.setting})`, undefined, { retryable: true });
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new ProductOsError('unavailable', `${opts.source} could not be reached at ${origin(url)} (${cause}); check ${opts.setting} and that the server runs`, undefined, { retryable: true });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ProductOsError('executor_failed', `${opts.source} answered HTTP ${res.status} at ${origin(url)}; check ${opts.setting} and the model name`, { status: res.status }, { retryable: res.status >= 500 });
  }
  try {
    return await res.json();
  } catch {
    throw new ProductOsError('executor_failed', `${opts.source} answered with a body that is not JSON at ${origin(url)}`);
  }
}

/** scheme://host:port only: a path or query could hold something, the origin is the setting. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/** A non-negative integer token count from a server's answer, or 0 when it gave none. */
export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0;
}
