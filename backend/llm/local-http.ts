import * as http from 'node:http';
import * as https from 'node:https';
import { localEndpointProblem, localOnlyLookup, NotLocalError } from '../local-endpoint';
import type { LookupFunction } from 'node:net';
import { ProductOsError } from '../errors';

/** The most of an answer that is read: a model's reply is a few KB; a server sending more is cut off. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface LocalAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP request to a local model server, and nothing else: node:http rather than fetch,
 * because here the name is resolved by `localOnlyLookup` (every address it has must be local,
 * and the socket connects to the address checked) and a redirect is an answer like any other,
 * never followed. Rejects with NotLocalError before a byte is sent when the name resolves
 * elsewhere. The caller checks the URL as written first (`localEndpointProblem`). `lookup` is
 * for tests, which give localOnlyLookupVia a scripted resolver.
 */
export function requestLocal(url: string, opts: { method: 'GET' | 'POST'; body?: string; signal: AbortSignal; lookup?: LookupFunction }): Promise<LocalAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const headers = opts.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(opts.body) };
    const req = lib.request(target, { method: opts.method, headers, lookup: opts.lookup ?? localOnlyLookup, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          reject(new ProductOsError('executor_failed', `the answer from ${target.origin} is over ${MAX_ANSWER_BYTES / 1048576} MiB; it was cut off`));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * POSTs JSON to a local model server and returns its JSON answer. The endpoint is checked
 * again here, at call time (configuration is checked at start and by /config/validate), and
 * what its name resolves to is checked when connecting, so no code path can send a prompt off
 * this machine. Errors carry the HTTP status and the setting to look at, never the request or
 * the answer's body (either may hold prompt text).
 */
export async function postLocalJson(
  url: string,
  body: unknown,
  opts: { setting: string; source: string; signal?: AbortSignal; timeoutMs: number; lookup?: LookupFunction },
): Promise<unknown> {
  const problem = localEndpointProblem(url);
  if (problem) throw new ProductOsError('not_configured', `${opts.setting} ${problem}; no request was sent`);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: LocalAnswer;
  try {
    res = await requestLocal(url, { method: 'POST', body: JSON.stringify(body), signal, lookup: opts.lookup });
  } catch (err) {
    if (err instanceof NotLocalError) throw new ProductOsError('not_configured', `${opts.setting} ${err.message}; no request was sent`);
    if (err instanceof ProductOsError) throw err;
    if (opts.signal?.aborted) throw new ProductOsError('cancelled', `${opts.source}: the call was cancelled`);
    if (timeout.aborted) throw new ProductOsError('timed_out', `${opts.source} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (${opts.setting})`, undefined, { retryable: true });
    const cause = (err as { code?: string }).code ?? (err as Error).name;
    throw new ProductOsError('unavailable', `${opts.source} could not be reached at ${origin(url)} (${cause}); check ${opts.setting} and that the server runs`, undefined, { retryable: true });
  }
  if (res.status >= 300 && res.status < 400) {
    throw new ProductOsError('executor_failed', `${opts.source} answered with a redirect (HTTP ${res.status}) at ${origin(url)}, which is never followed (it could lead off this machine); point ${opts.setting} at the server itself`, { status: res.status });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new ProductOsError('executor_failed', `${opts.source} answered HTTP ${res.status} at ${origin(url)}; check ${opts.setting} and the model name`, { status: res.status }, { retryable: res.status >= 500 });
  }
  try {
    return JSON.parse(res.body);
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
