import type { FastifyInstance } from 'fastify';
import { ProductOsError } from '../errors';
import { parseStrictJson } from '../../contracts/strict-json';

/**
 * JSON bodies, REST and /mcp alike: an empty body is "no body" (POST …/cancel needs none);
 * malformed JSON, and JSON the backend will not take (prototype keys, too deep, numbers out of
 * range, lone surrogates, NUL), is a 400 naming where it broke, before any route or
 * validator sees it (see strict-json.ts).
 */
export function registerJsonParser(app: FastifyInstance): void {
  // JSON only: anything else (text/plain included) is 415, not a string body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    const parsed = parseStrictJson(text);
    if ('value' in parsed) return done(null, parsed.value);
    const { pointer, rule, message } = parsed.problem;
    // Not JSON at all is invalid_json; JSON holding something refused is invalid_input.
    const error =
      rule === 'json'
        ? new ProductOsError('invalid_json', `request body is ${message}`, { violations: [{ pointer, rule, message }] })
        : new ProductOsError('invalid_input', `request body: ${message}`, { violations: [{ pointer, rule, message }] });
    done(error, undefined);
  });
}
