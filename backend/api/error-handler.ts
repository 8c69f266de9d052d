import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { ProductOsError } from '../errors';
import { toViolations } from '../../registry/validation-error';
import type { Logger } from '../logger';

const FASTIFY_CODES: Record<string, [number, ProductOsError['code']]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
};

/** Every error leaves as `{error: {code, message, details}}`; a 500 never carries a stack. */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | ProductOsError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ProductOsError) return reply.status(err.status).send({ error: err.toBody() });
    const fe = err as FastifyError & { validation?: ErrorObject[]; validationContext?: string };
    if (fe.validation) {
      const violations = toViolations(fe.validation);
      const where = fe.validationContext ?? 'request';
      return reply.status(400).send({
        error: { code: where === 'body' ? 'invalid_input' : 'bad_request', message: `invalid ${where}: ${violations.map((v) => v.message).join('; ')}`, details: { violations } },
      });
    }
    // Postgres "data exception" (22xxx): a value the schema let through but the store cannot hold.
    if (typeof fe.code === 'string' && /^22[0-9A-Z]{3}$/.test(fe.code)) {
      return reply.status(400).send({ error: { code: 'bad_request', message: `a value in the request cannot be stored: ${fe.message}` } });
    }
    const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (known) return reply.status(known[0]).send({ error: { code: known[1], message: fe.message } });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: 'bad_request', message: fe.message } });
    }
    void logger.error('api', `${req.method} ${req.url} failed: ${fe.message}`);
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error; see the backend log' } });
  };
}
