import { timingSafeEqual, hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPublicRoute } from './route';
import { ProductOsError } from '../errors';

export interface SecurityOptions {
  token: string;
  allowedOrigins: string[];
  allowedHosts: string[];
}

/**
 * Runs before every route, /mcp included (the MCP SDK checks neither Origin nor Host for us):
 * a Host we do not serve (DNS rebinding) and a browser Origin that is neither this server nor
 * allowed get 403; a missing or wrong bearer token gets 401.
 */
export function securityHook(opts: SecurityOptions) {
  const expected = digest(opts.token);
  const hosts = new Set(opts.allowedHosts.map((h) => h.toLowerCase()));
  const origins = new Set(opts.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const host = hostName(req.headers.host);
    if (!host || !hosts.has(host)) {
      throw new ProductOsError('forbidden_host', `Host "${req.headers.host ?? ''}" is not served here`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase()) && !sameOrigin(origin, req.headers.host)) {
      throw new ProductOsError('forbidden_origin', `Origin ${origin} is not allowed (set PRODUCT_OS_ALLOWED_ORIGINS to allow it)`);
    }
    const auth = req.headers.authorization;
    // A CORS preflight never carries the token (browsers strip it), and liveness is for
    // anyone on this host; both passed the Host and Origin checks above. /health answers a
    // request without a token with liveness only; a token that is sent is still checked.
    if (isPreflight(req) || (auth === undefined && isLiveness(req))) return;
    const match = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer realm="product-os"');
      throw new ProductOsError('unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      reply.header('WWW-Authenticate', 'Bearer realm="product-os", error="invalid_token"');
      throw new ProductOsError('unauthorized', 'wrong bearer token');
    }
  };
}

function isPreflight(req: FastifyRequest): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

/** A route the route map marks public (liveness), decided by the route Fastify matched, not by URL text. */
function isLiveness(req: FastifyRequest): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && isPublicRoute(req);
}

/**
 * Fixed-length digests, so comparing tokens of different lengths takes the same time. One-shot
 * crypto.hash: a Hash object per request cost about 4 % of an MCP call's main-thread time.
 */
function digest(s: string): Buffer {
  return hash('sha256', s, 'buffer');
}

/** A page served from this very host:port (already a Host we serve) is not a foreign origin. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return !!host && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0];
}
