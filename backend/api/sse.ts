import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A Server-Sent Events stream on a hijacked reply. `id:` lines make it resumable: a client
 * reconnects with Last-Event-ID and gets what it missed from the store.
 */
export class SseStream {
  private readonly keepAlive: NodeJS.Timeout;
  closed = false;

  constructor(req: FastifyRequest, private readonly reply: FastifyReply, onClose: () => void) {
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    reply.raw.write('retry: 2000\n\n');
    this.keepAlive = setInterval(() => reply.raw.write(': keep-alive\n\n'), 15000);
    this.keepAlive.unref();
    req.raw.on('close', () => {
      this.closed = true;
      clearInterval(this.keepAlive);
      onClose();
    });
  }

  send(event: string, data: unknown, id?: number | string): void {
    if (this.closed) return;
    this.reply.raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.reply.raw.end();
  }
}

/** Last-Event-ID header, or `?lastEventId=` for clients that cannot set headers. */
export function lastEventId(req: FastifyRequest): number {
  const header = req.headers['last-event-id'];
  const query = (req.query as { lastEventId?: unknown } | undefined)?.lastEventId;
  const raw = typeof header === 'string' ? header : typeof query === 'string' || typeof query === 'number' ? String(query) : '0';
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
