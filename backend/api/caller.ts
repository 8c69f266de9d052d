import type { FastifyRequest } from 'fastify';

/** Who is calling, for the audit log: the extension and CLI say so in a header. */
export function callerOf(req: FastifyRequest): string {
  const c = req.headers['x-product-os-caller'];
  return typeof c === 'string' && /^[a-z][a-z0-9:_-]{0,63}$/i.test(c) ? `api:${c}` : 'api';
}
