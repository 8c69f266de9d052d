import type { FastifyInstance } from 'fastify';
import { ProductOsError } from '../errors';

/**
 * JSON bodies: an empty body is "no body" (POST …/cancel needs none), and malformed JSON is
 * a 400 that says where it broke.
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: anything else (text/plain included) is 415, not a string body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    // Postgres text and jsonb cannot hold NUL: refuse it here with a clear reason.
    if (/(^|[^\\])(\\\\)*\\u0000/.test(text)) {
      return done(new ProductOsError('invalid_json', 'request body contains a NUL character (\\u0000), which is not supported'), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new ProductOsError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}
