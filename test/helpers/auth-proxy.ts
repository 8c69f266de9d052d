import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthProxy {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  /** Where requests go; may be set after start (the proxy's own origin is then known first). */
  setTarget(url: string): void;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A tiny reverse proxy on 127.0.0.1:0 that adds `Authorization: Bearer <token>` to every
 * request and forwards everything else untouched, for clients that cannot send our token
 * (the MCP conformance suite). Bodies stream both ways without buffering, so SSE responses
 * arrive event by event; the Host, Origin, Mcp-Session-Id, Last-Event-ID and every other
 * end-to-end header pass as they are, so the backend's own Host and Origin checks still see
 * what the client sent. When either side goes away, the other is torn down.
 */
export async function startAuthProxy(opts: { token: string; target?: string }): Promise<AuthProxy> {
  let target = opts.target ? new URL(opts.target) : undefined;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    if (!target) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('auth proxy: no target yet');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers.authorization = `Bearer ${opts.token}`;
    const upstream = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: false,
    });
    upstream.setNoDelay(true);
    upstream.on('response', (up) => {
      const out: string[] = [];
      for (let i = 0; i < up.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(up.rawHeaders[i].toLowerCase())) out.push(up.rawHeaders[i], up.rawHeaders[i + 1]);
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      res.flushHeaders(); // an SSE stream may send nothing for a while: the client needs the headers now
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`auth proxy: ${err.message}`);
      else res.destroy();
    });
    // The client hung up (e.g. closed an SSE stream): hang up upstream too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget(url) {
      target = new URL(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
