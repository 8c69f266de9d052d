/**
 * A Server-Sent Events subscription over fetch (EventSource cannot send the bearer token):
 * parses with `eventsource-parser`, reconnects after the server's `retry:` or a growing backoff,
 * and resumes with Last-Event-ID. Each attempt asks for the current connection, so a restarted
 * backend (new port, new token) is picked up.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorOf, type ApiError } from '../../contracts/client';
import { type Clock, type Connection, type Logger, sleep } from './types';

export interface SseOptions {
  connect(): Promise<Connection>;
  /** Path and query, e.g. `/api/runs/<id>/events`. */
  path: string;
  onEvent(message: EventSourceMessage): void;
  /** True for the last event the subscription needs (it closes after it). */
  isLast?(message: EventSourceMessage): boolean;
  /** The server refused the stream for good (4xx): no reconnect. */
  onFatal?(error: ApiError): void;
  /** The backend could not be reached at all (connection refused, reset). */
  onUnreachable?(): void;
  /** Each (re)connection that the server accepted; `reconnected` is false the first time. */
  onOpen?(reconnected: boolean): void;
  fetch?: typeof fetch;
  clock: Clock;
  log?: Logger;
  lastEventId?: string;
  minDelayMs?: number;
  maxDelayMs?: number;
  caller?: string;
}

export interface SseSubscription {
  close(): void;
  /** Resolves when the subscription has ended (closed, finished, or refused). */
  readonly done: Promise<void>;
}

export function subscribeSse(opts: SseOptions): SseSubscription {
  const abort = new AbortController();
  const doFetch = opts.fetch ?? fetch;
  const min = opts.minDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 30000;
  let lastEventId = opts.lastEventId;
  let serverRetry: number | undefined;
  let failures = 0;
  let opened = false;

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      let finished = false;
      let reached = false;
      try {
        const conn = await opts.connect();
        if (abort.signal.aborted) return;
        const headers: Record<string, string> = {
          authorization: `Bearer ${conn.token}`,
          accept: 'text/event-stream',
          'x-product-os-caller': opts.caller ?? 'vscode',
        };
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
        const res = await doFetch(new URL(opts.path, `${conn.url}/`), { headers, signal: abort.signal });
        reached = true;
        if (!res.ok) {
          const error = await errorOf(res);
          if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
            opts.onFatal?.(error);
            return;
          }
          throw new Error(`${error.code}: ${error.message}`);
        }
        if (!res.body) throw new Error('the stream has no body');
        opts.onOpen?.(opened);
        opened = true;
        failures = 0;
        const parser = createParser({
          onEvent: (message) => {
            if (message.id !== undefined) lastEventId = message.id;
            if (finished) return;
            try {
              opts.onEvent(message);
            } catch (err) {
              opts.log?.error(`SSE listener failed: ${(err as Error).message}`);
            }
            if (opts.isLast?.(message)) finished = true;
          },
          onRetry: (ms) => {
            serverRetry = ms;
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (finished) break;
        }
        if (finished) return;
        opts.log?.debug(`SSE ${opts.path}: the stream ended; reconnecting`);
      } catch (err) {
        if (abort.signal.aborted || finished) return;
        failures++;
        if (!reached && !(err instanceof Error && err.name === 'BackendUnavailableError')) opts.onUnreachable?.();
        opts.log?.debug(`SSE ${opts.path}: ${(err as Error).message}`);
      }
      const backoff = Math.min(max, failures === 0 ? (serverRetry ?? min) : Math.max(serverRetry ?? min, min * 2 ** (failures - 1)));
      await sleep(opts.clock, backoff, abort.signal);
    }
  };

  const done = run().catch((err) => opts.log?.error(`SSE ${opts.path} ended: ${(err as Error).message}`));
  return {
    close: () => abort.abort(),
    done,
  };
}
