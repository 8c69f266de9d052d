import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * CORS for the origins in PRODUCT_OS_ALLOWED_ORIGINS, so a page on one of them can call the
 * API from a browser: preflights are answered (without the token, which browsers never send
 * on one), and responses carry Access-Control-Allow-Origin. Any other Origin was already
 * refused with 403 by the security hook, which runs first.
 */
export function corsOptions(allowedOrigins: string[]): FastifyCorsOptions {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  return {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id', 'mcp-session-id', 'mcp-protocol-version', 'x-product-os-caller'],
    // What a browser page may read back: the MCP session, and why a request was refused.
    exposedHeaders: ['mcp-session-id', 'www-authenticate', 'retry-after'],
    maxAge: 600,
  };
}
