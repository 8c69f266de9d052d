import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** How long a POST's SSE answer may be held back before what it has goes out. */
const HOLD_MS = 50;

type WriteCallback = (err?: Error | null) => void;
type Chunk = { data: string | Uint8Array; encoding?: BufferEncoding };

/**
 * Sends a short call's whole SSE answer as one sized response in one write. The SDK's Node
 * adapter writes an SSE response's headers at once (chunked, since its length is not known
 * yet), then each event and the end of the chunked body as they come: three or four writes,
 * as many packets for the client to read, and a chunked body for it to decode, for a call
 * whose result follows a few milliseconds later. Here the response is held for at most
 * HOLD_MS: a call that ends within it leaves in one write with a Content-Length, as a bare SDK
 * server's instant answers do; a longer one has its headers and everything so far sent when
 * the hold ends and streams from then on as before. So a progress event or the priming id
 * reaches the client at most HOLD_MS late, and nothing else changes.
 */
export function coalesceResponse(res: ServerResponse, holdMs = HOLD_MS): void {
  const real = {
    writeHead: res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse,
    flushHeaders: res.flushHeaders.bind(res),
    write: res.write.bind(res) as (data: Chunk['data'], encoding?: BufferEncoding, cb?: WriteCallback) => boolean,
    end: res.end.bind(res) as (data?: Chunk['data'] | WriteCallback, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback) => ServerResponse,
  };
  let holding = true;
  let head: unknown[] | undefined;
  const held: Chunk[] = [];
  const callbacks: WriteCallback[] = [];
  const timer = setTimeout(() => release(), holdMs);

  /** The hold is over: the response's own methods again. */
  const stopHolding = () => {
    holding = false;
    clearTimeout(timer);
    for (const k of ['writeHead', 'flushHeaders', 'write', 'end'] as const) delete (res as unknown as Record<string, unknown>)[k];
  };
  /** The hold ended before the answer did: headers and what is held go out (one write), the rest streams. */
  const release = () => {
    if (!holding) return;
    stopHolding();
    if (res.destroyed || res.writableEnded) return;
    if (head) real.writeHead(...head);
    if (held.length === 0) return real.flushHeaders();
    const socket = res.socket;
    socket?.cork();
    held.forEach((c, i) => real.write(c.data, c.encoding as BufferEncoding, i === held.length - 1 ? afterWrites : undefined));
    socket?.uncork();
  };
  const afterWrites = (err?: Error | null) => callbacks.splice(0).forEach((cb) => cb(err));

  res.writeHead = ((...args: unknown[]) => {
    head = args;
    return res;
  }) as ServerResponse['writeHead'];
  res.flushHeaders = () => undefined;
  res.write = ((data: Chunk['data'], encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback) => {
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    held.push({ data, encoding });
    if (cb) callbacks.push(cb);
    return true;
  }) as ServerResponse['write'];
  res.end = ((data?: Chunk['data'] | WriteCallback, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback) => {
    if (typeof data === 'function') [cb, data] = [data, undefined];
    if (typeof encoding === 'function') [cb, encoding] = [encoding, undefined];
    stopHolding();
    if (data !== undefined && data !== null) held.push({ data, encoding });
    if (cb) callbacks.push(cb);
    const body = Buffer.concat(held.map((c) => (typeof c.data === 'string' ? Buffer.from(c.data, c.encoding) : c.data)));
    if (head && sizable(res, head)) res.setHeader('content-length', body.length);
    if (head) real.writeHead(...head);
    return real.end(body, afterWrites);
  }) as ServerResponse['end'];
  res.once('close', release);
}

/** Whether a Content-Length may be added: a status with a body, and no length or encoding given already. */
function sizable(res: ServerResponse, head: unknown[]): boolean {
  const status = Number(head[0]);
  if (status < 200 || status === 204 || status === 304 || res.req?.method === 'HEAD') return false;
  const given = head.find((h, i) => i > 0 && typeof h === 'object' && h !== null);
  if (Array.isArray(given)) return false; // raw header pairs: left as they are
  const names = [...Object.keys((given as OutgoingHttpHeaders | undefined) ?? {}), ...res.getHeaderNames()].map((n) => n.toLowerCase());
  return !names.includes('content-length') && !names.includes('transfer-encoding');
}
