/**
 * A reverse proxy on 127.0.0.1 that plays the network between a control plane and its remote
 * executor: each request takes the next planned fault, if any — answer a status itself (429,
 * 503: the request never reaches the executor), pass the request on and then drop the
 * answer (the executor did the work; the caller never hears), or pass on only the first lines
 * of a streamed answer and then cut it. Everything else passes through.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = { status: number; retryAfter?: string } | 'drop-answer' | { cutAfterLines: number };

export interface FaultProxy {
  url: string;
  /** Where requests go (settable: the executor may start after the proxy it sits behind). */
  target: string;
  /** Faults for the next requests, in order. */
  plan: Fault[];
  /** Every request seen: method, path, and what happened to it. */
  seen: Array<{ method: string; path: string; outcome: string }>;
  close(): Promise<void>;
}

export async function startFaultProxy(target = ''): Promise<FaultProxy> {
  const proxy = { target, plan: [] as Fault[], seen: [] as FaultProxy['seen'] } as FaultProxy;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fault = proxy.plan.shift();
      const record = (outcome: string) => proxy.seen.push({ method: req.method ?? '', path: req.url ?? '', outcome });
      if (fault && fault !== 'drop-answer' && 'status' in fault) {
        record(`answered ${fault.status}`);
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
        return res.end(JSON.stringify({ error: { code: 'unavailable', message: 'injected by the test proxy' } }));
      }
      const upstream = http.request(new URL(req.url ?? '/', proxy.target), { method: req.method, headers: { ...req.headers, host: new URL(proxy.target).host } }, (up) => {
        const body: Buffer[] = [];
        up.on('data', (c: Buffer) => body.push(c));
        up.on('end', () => {
          if (fault === 'drop-answer') {
            record(`forwarded, answer ${up.statusCode} dropped`);
            return res.socket?.destroy();
          }
          if (fault) {
            const lines = Buffer.concat(body).toString('utf8').split('\n').slice(0, fault.cutAfterLines);
            record(`forwarded, answer ${up.statusCode} cut after ${lines.length} lines`);
            res.writeHead(up.statusCode ?? 502, up.headers);
            // Written, then the connection broken: the caller reads these lines, then an error.
            return res.write(lines.map((l) => `${l}\n`).join(''), () => res.socket?.destroy());
          }
          record(`forwarded ${up.statusCode}`);
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(body));
        });
      });
      upstream.on('error', () => {
        record('upstream error');
        res.socket?.destroy();
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
