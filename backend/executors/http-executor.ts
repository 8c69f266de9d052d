import type { CompiledTool } from '../../registry/loader';
import { ProductOsError, type ErrorCode } from '../errors';
import type { Availability, ExecutionContext, Executor } from './executor';
import type { IdTokenSource } from './id-tokens';
import { isPlaceholder } from './router';
import { EXECUTE_STREAM_TYPE, EXECUTOR_CANCEL_PATH, ExecuteResponse as ExecuteResponseSchema, ExecuteStreamLine as ExecuteStreamLineSchema, type CancelRequest, type ExecuteRequest, type ExecuteResponse, type ExecuteStreamLine } from '../../contracts/executor-protocol';
import { compiledFunction } from '../../contracts/validator';
import { backoffDelay, sleep, retryAfterMs } from './retry-backoff';

export interface HttpExecutorOptions {
  idTokens: IdTokenSource;
  /** The executor's base URL for a tool (configured URL, else the registry's). */
  urlFor?: (tool: CompiledTool) => string;
  /** Requests tried per call (first included) before a 429/5xx or network failure is final. */
  maxTries?: number;
  /** First backoff delay; doubled each try, with full jitter, capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** An answer larger than this is refused (the executor is trusted, but not unbounded). */
  maxResponseBytes?: number;
  fetch?: typeof fetch;
}

// Compiled on first use (compiledFunction keeps them): compiling at import cost every start ≈65 ms.
const validResponse = (value: unknown): boolean => compiledFunction(ExecuteResponseSchema)(value) as boolean;
const validStreamLine = (value: unknown): boolean => compiledFunction(ExecuteStreamLineSchema)(value) as boolean;

/**
 * Runs a tool on a remote executor (`product-os serve --role executor`, e.g. on Cloud Run):
 * POST `url + path` with a Google-signed ID token for that URL, the run id, the attempt and the
 * idempotency key. 429 and 5xx answers and network failures are retried with bounded,
 * jittered backoff (Retry-After honoured); the executor keeps one run per (run, attempt), so a
 * retry after a lost answer picks up that run rather than running the tool twice. The answer is
 * streamed (contracts/executor-protocol.ts): the executor's progress and log lines become this
 * run's as they happen, so a long remote deploy shows its steps here. A cancel,
 * timeout or shutdown aborts the request and tells the executor to cancel its run.
 */
export class HttpExecutor implements Executor {
  private readonly maxTries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxResponseBytes: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: HttpExecutorOptions) {
    this.maxTries = opts.maxTries ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 250;
    this.maxDelayMs = opts.maxDelayMs ?? 8000;
    this.maxResponseBytes = opts.maxResponseBytes ?? 32 * 1024 * 1024;
    this.fetch = opts.fetch ?? fetch;
  }

  private baseUrl(tool: CompiledTool): string {
    const e = tool.spec.executor;
    if (e.kind !== 'http') throw new ProductOsError('internal', `${tool.name} is not an http tool`);
    return (this.opts.urlFor?.(tool) ?? e.url).replace(/\/+$/, '');
  }

  availability(tool: CompiledTool): Availability {
    const url = this.baseUrl(tool);
    if (isPlaceholder(url)) {
      return { available: false, code: 'not_configured', reason: `${tool.name} runs on a remote executor whose URL is not configured (the registry has the placeholder ${url})` };
    }
    return { available: true };
  }

  async execute(ctx: ExecutionContext): Promise<unknown> {
    const { tool, run, signal } = ctx;
    const base = this.baseUrl(tool);
    const e = tool.spec.executor as { path: string };
    const target = `${base}${e.path}`;
    const body: ExecuteRequest = {
      runId: run.id,
      attempt: run.attempt,
      input: run.input,
      ...(run.idempotencyKey ? { idempotencyKey: run.idempotencyKey } : {}),
      ...(run.correlationId ? { correlationId: run.correlationId } : {}),
    };
    const onAbort = () => void this.cancelRemote(base, { runId: run.id, attempt: run.attempt });
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await ctx.log('info', `calling the remote executor ${target}`, { attempt: run.attempt });
      const answer = await this.post(tool, base, target, body, signal, ctx);
      return this.outcome(tool, target, answer);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The request, retried on 429, 5xx and network failures; a final answer otherwise. */
  private async post(tool: CompiledTool, audience: string, target: string, body: ExecuteRequest, signal: AbortSignal, ctx: ExecutionContext): Promise<ExecuteResponse> {
    let last = '';
    // The executor's last event relayed: a retry's stream resumes after it (no line twice).
    const relayed = { eventId: 0 };
    for (let attempt = 1; attempt <= this.maxTries; attempt++) {
      signal.throwIfAborted();
      let res: Response;
      try {
        const authorization = await this.opts.idTokens.authorization(audience);
        res = await this.fetch(target, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', accept: `${EXECUTE_STREAM_TYPE}, application/json` },
          body: JSON.stringify(relayed.eventId > 0 ? { ...body, afterEventId: relayed.eventId } : body),
          signal,
        });
      } catch (err) {
        signal.throwIfAborted();
        last = `could not reach it (${describe(err)})`;
        if (attempt < this.maxTries) await this.pause(attempt, null, signal, ctx, last);
        continue;
      }
      if (res.status === 200 && (res.headers.get('content-type') ?? '').includes(EXECUTE_STREAM_TYPE)) {
        const streamed = await this.relay(res, target, ctx, relayed).catch((err: unknown) => {
          signal.throwIfAborted();
          if (err instanceof ProductOsError) throw err;
          return null; // the connection broke mid-stream: an answer lost
        });
        if (streamed) return streamed;
        last = 'its answer ended before the result';
        if (attempt < this.maxTries) await this.pause(attempt, null, signal, ctx, last);
        continue;
      }
      const text = await readBounded(res, this.maxResponseBytes, target);
      if (res.status === 429 || res.status >= 500) {
        last = `it answered ${res.status}${remoteMessage(text)}`;
        if (attempt < this.maxTries) await this.pause(attempt, retryAfterMs(res.headers.get('retry-after')), signal, ctx, last);
        continue;
      }
      if (res.status !== 200) throw refusal(tool, target, res.status, text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ProductOsError('executor_failed', `the remote executor at ${target} answered 200 with a body that is not JSON`);
      }
      if (!validResponse(parsed)) throw new ProductOsError('executor_failed', `the remote executor at ${target} answered 200 with a body that is not an execute response`);
      return parsed as ExecuteResponse;
    }
    throw new ProductOsError('unavailable', `the remote executor at ${target} did not answer after ${this.maxTries} tries: ${last}`, { url: target }, { retryable: true });
  }

  /**
   * The executor's progress and log lines become this run's; the result line is the answer
   * (null: none came). `relayed.eventId` follows the lines relayed, for a retry to resume after.
   */
  private async relay(res: Response, target: string, ctx: ExecutionContext, relayed: { eventId: number }): Promise<ExecuteResponse | null> {
    let size = 0;
    let buffered = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > this.maxResponseBytes) throw new ProductOsError('executor_failed', `the remote executor at ${target} streamed more than ${this.maxResponseBytes} bytes`);
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!text) continue;
        let line: unknown;
        try {
          line = JSON.parse(text);
        } catch {
          throw new ProductOsError('executor_failed', `the remote executor at ${target} streamed a line that is not JSON`);
        }
        if (!validStreamLine(line)) throw new ProductOsError('executor_failed', `the remote executor at ${target} streamed a line that is not part of the protocol`);
        const l = line as ExecuteStreamLine;
        if (l.type !== 'result' && l.eventId !== undefined) {
          if (l.eventId <= relayed.eventId) continue; // already relayed from an earlier try
          relayed.eventId = l.eventId;
        }
        if (l.type === 'progress') await ctx.progress({ progress: l.progress, ...(l.total !== undefined ? { total: l.total } : {}), ...(l.message !== undefined ? { message: l.message } : {}) });
        else if (l.type === 'log') await ctx.log(l.level, `executor: ${l.message}`);
        else return l.response;
      }
    }
    return null;
  }

  private async pause(attempt: number, retryAfter: number | null, signal: AbortSignal, ctx: ExecutionContext, why: string): Promise<void> {
    const delay = Math.min(this.maxDelayMs, retryAfter ?? backoffDelay(attempt, this.baseDelayMs, this.maxDelayMs));
    await ctx.log('warn', `remote executor: ${why}; trying again in ${delay} ms`, { try: attempt + 1, of: this.maxTries });
    await sleep(delay, signal);
  }

  private outcome(tool: CompiledTool, target: string, answer: ExecuteResponse): unknown {
    if (answer.status === 'succeeded') return answer.output;
    const e = answer.error;
    if (answer.status === 'failed' && e) {
      throw new ProductOsError(e.code as ErrorCode, e.message, e.details, { retryable: e.retryable === true });
    }
    throw new ProductOsError('executor_failed', `${tool.name} ended ${answer.status} on the remote executor at ${target} (its run ${answer.executorRunId})${e ? `: ${e.message}` : ''}`);
  }

  /** Best effort, bounded: the executor's run would otherwise finish on its own. */
  private async cancelRemote(base: string, body: CancelRequest): Promise<void> {
    try {
      const authorization = await this.opts.idTokens.authorization(base);
      await this.fetch(`${base}${EXECUTOR_CANCEL_PATH}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      /* the executor is unreachable: its run ends by its own timeout */
    }
  }
}

/** A 4xx that is final: the executor's own error, with what to do about it. */
function refusal(tool: CompiledTool, target: string, status: number, text: string): ProductOsError {
  const remote = errorOf(text);
  if (status === 401 || status === 403) {
    return new ProductOsError(
      'unauthorized',
      `the remote executor at ${target} refused this backend's ID token (${status}${remote ? `: ${remote.message}` : ''}); give this backend's service account roles/run.invoker on the executor and list it in the executor's PRODUCT_OS_EXECUTOR_INVOKERS`,
    );
  }
  if (status === 404) {
    return new ProductOsError('not_configured', `the remote executor at ${target} has no ${tool.name} (404): is the configured URL right, and does it run the same registry?`);
  }
  if (remote) return new ProductOsError(remote.code as ErrorCode, `the remote executor at ${target} refused the call (${status}): ${remote.message}`, remote.details);
  return new ProductOsError('executor_failed', `the remote executor at ${target} answered ${status}`);
}

function errorOf(text: string): { code: string; message: string; details?: unknown } | null {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
    return e && typeof e.code === 'string' && typeof e.message === 'string' ? { code: e.code, message: e.message, details: e.details } : null;
  } catch {
    return null;
  }
}

function remoteMessage(text: string): string {
  const e = errorOf(text);
  return e ? ` (${e.code}: ${e.message.slice(0, 200)})` : '';
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

async function readBounded(res: Response, max: number, target: string): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new ProductOsError('executor_failed', `the remote executor at ${target} answered more than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
