import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { ProductOsError, type ErrorCode, MAX_ERROR_ITEMS } from '../errors';
import { toViolations } from '../../registry/validation-error';
import type { Logger } from '../logger';

const FASTIFY_CODES: Record<string, [ErrorCode, string?]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'only application/json bodies are accepted'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad_request', 'the request body is not as long as its Content-Length says'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'the request says it has a JSON body but it is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json'],
  FST_ERR_BAD_URL: ['bad_request', 'the URL path is not valid percent-encoding'],
  FST_ERR_MAX_PARAM_LENGTH: ['uri_too_long', 'a path parameter is longer than 100 characters; no id is that long'],
  FST_ERR_ASYNC_CONSTRAINT: ['bad_request'],
};

/** JSON-RPC codes for an error that stops a /mcp request before the MCP server sees it. */
const RPC_CODES: Partial<Record<ErrorCode, number>> = { invalid_json: -32700, invalid_input: -32602, payload_too_large: -32600, unsupported_media_type: -32600, bad_request: -32600 };

/**
 * Every error leaves in the documented shape, whichever layer raised it (a route, the
 * validator, the JSON parser, the framework's own URL checks): `{error: {code, message,
 * details}}`, bounded (see ProductOsError.toBody), never a stack or a driver's text. On /mcp
 * it is a JSON-RPC error object instead, the shape an MCP client reads.
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | ProductOsError, req: FastifyRequest, reply: FastifyReply) => sendError(reply, req, toProductOsError(err, req, logger));
}

/** Fastify's `frameworkErrors`: a bad percent-encoding or an over-long parameter, before routing. */
export function frameworkErrors(logger: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => sendError(reply, req, toProductOsError(err, req, logger));
}

function toProductOsError(err: FastifyError | ProductOsError, req: FastifyRequest, logger: Logger): ProductOsError {
  if (err instanceof ProductOsError) return err;
  const fe = err as FastifyError & { validation?: ErrorObject[]; validationContext?: string };
  if (fe.validation) {
    const violations = toViolations(fe.validation);
    const where = fe.validationContext ?? 'request';
    const shown = violations.slice(0, MAX_ERROR_ITEMS).map((v) => v.message);
    const more = violations.length > MAX_ERROR_ITEMS ? ` (and ${violations.length - MAX_ERROR_ITEMS} more)` : '';
    return new ProductOsError(where === 'body' ? 'invalid_input' : 'bad_request', `invalid ${where}: ${shown.join('; ')}${more}`, { violations });
  }
  // Postgres "data exception" (22xxx): a value the schema let through but the store cannot hold.
  // Which value is said by the code; the driver's own text stays in the log.
  if (typeof fe.code === 'string' && /^22[0-9A-Z]{3}$/.test(fe.code)) {
    void logger.warn('api', `${req.method} ${req.url.split('?')[0]}: the store refused a value (${fe.code}): ${fe.message}`);
    return new ProductOsError('bad_request', `a value in the request cannot be stored (PostgreSQL data exception ${fe.code})`);
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return new ProductOsError(known[0], known[1] ?? fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ProductOsError('bad_request', `${STATUS_CODES[fe.statusCode] ?? 'bad request'}: ${fe.message}`, undefined, { status: fe.statusCode });
  }
  void logger.error('api', `${req.method} ${req.url.split('?')[0]} failed: ${fe.message}`);
  return new ProductOsError('internal', 'internal error; see the backend log');
}

function sendError(reply: FastifyReply, req: FastifyRequest, err: ProductOsError): FastifyReply {
  const body = err.toBody();
  if (req.url === '/mcp' || req.url.startsWith('/mcp?')) {
    return reply.status(err.status).send({ jsonrpc: '2.0', error: { code: RPC_CODES[err.code] ?? -32603, message: body.message, data: body }, id: null });
  }
  return reply.status(err.status).send({ error: body });
}

/**
 * Node's `clientError`: a request the HTTP parser could not read (a body longer than its
 * Content-Length spills into the next "request", a bad header line). Answered in the
 * documented shape on the raw socket, then closed; nothing of the request is trusted.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'timed_out', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'payload_too_large', 'the request headers are too large']
        : [400, 'bad_request', `malformed HTTP request (${err.code ?? 'unreadable'}); a body longer than its Content-Length does this`];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
