import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProductOsError } from '../errors';

/** Event streams one backend serves at once; one more is refused with 503. */
export const MAX_SSE_STREAMS = 256;
/** Unread bytes a stream may hold for a client that stopped reading before it is closed. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Open streams per server (a test process runs several backends). */
const openStreams = new WeakMap<FastifyInstance, { count: number }>();

/**
 * A Server-Sent Events stream on a hijacked reply. `id:` lines make it resumable: a client
 * reconnects with Last-Event-ID and gets what it missed from the store. Bounded per client:
 * at most MAX_SSE_STREAMS open, and a client that stops reading is dropped once
 * MAX_BUFFERED_BYTES wait for it (it reconnects with Last-Event-ID and loses nothing).
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  closed = false;

  constructor(req: FastifyRequest, private readonly reply: FastifyReply, onClose: () => void) {
    let open = openStreams.get(req.server);
    if (!open) openStreams.set(req.server, (open = { count: 0 }));
    if (open.count >= MAX_SSE_STREAMS) {
      onClose();
      reply.header('Retry-After', '5');
      throw new ProductOsError('unavailable', `too many event streams: ${MAX_SSE_STREAMS} are open; close one or try again later`, { limit: MAX_SSE_STREAMS });
    }
    const counter = open;
    counter.count += 1;
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    reply.raw.write('retry: 2000\n\n');
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), 15000);
    this.keepAlive.unref();
    req.raw.on('close', () => {
      counter.count -= 1;
      this.closed = true;
      clearInterval(this.keepAlive);
      onClose();
    });
  }

  send(event: string, data: unknown, id?: number | string): void {
    this.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.reply.raw.end();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.reply.raw.writableLength > MAX_BUFFERED_BYTES) {
      this.reply.raw.destroy(); // the client stopped reading; 'close' does the rest
      return;
    }
    this.reply.raw.write(chunk);
  }
}

/**
 * Last-Event-ID header, or `?lastEventId=` for clients that cannot set headers: a
 * non-negative integer, or 0 when absent. Anything else is a 400, not a silent replay from 0.
 */
export function lastEventId(req: FastifyRequest): number {
  const header = req.headers['last-event-id'];
  const query = (req.query as { lastEventId?: unknown } | undefined)?.lastEventId;
  const raw = typeof header === 'string' ? header : typeof query === 'string' || typeof query === 'number' ? String(query) : undefined;
  if (raw === undefined || raw.trim() === '') return 0;
  const n = /^\s*\d{1,16}\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ProductOsError('bad_request', `Last-Event-ID must be the id of an event this server sent (a non-negative integer), not "${raw.slice(0, 40)}"`, {
      violations: [{ pointer: '/Last-Event-ID', rule: 'type', message: 'must be a non-negative integer' }],
    });
  }
  return n;
}
