/**
 * Every failure the backend reports has a stable code, a sentence and optional details.
 * The same shape is the REST error body, the MCP error text and a failed run's `error`.
 */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_input'
  | 'invalid_output'
  | 'unknown_tool'
  | 'unauthorized'
  | 'forbidden_origin'
  | 'forbidden_host'
  | 'not_found'
  | 'permission_denied'
  | 'quota_exceeded'
  | 'conflict'
  | 'invalid_state'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'unsupported_media_type'
  | 'not_implemented'
  | 'not_configured'
  | 'unavailable'
  | 'timed_out'
  | 'cancelled'
  | 'backend_crashed'
  | 'backend_stopped'
  | 'executor_failed'
  | 'data_dir_locked'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  retryable?: boolean;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  invalid_json: 400,
  invalid_input: 400,
  unknown_tool: 404,
  unauthorized: 401,
  forbidden_origin: 403,
  forbidden_host: 403,
  not_found: 404,
  permission_denied: 403,
  quota_exceeded: 429,
  conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  not_implemented: 501,
  not_configured: 503,
  unavailable: 503,
};

export class ProductOsError extends Error {
  readonly retryable: boolean;
  private readonly explicitStatus?: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    opts: { retryable?: boolean; status?: number } = {},
  ) {
    super(message);
    this.name = 'ProductOsError';
    this.retryable = opts.retryable ?? false;
    this.explicitStatus = opts.status;
  }

  /** The HTTP status: the code's own, unless one was given (a framework 4xx kept as it was). */
  get status(): number {
    return this.explicitStatus ?? STATUS[this.code] ?? 500;
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: safeMessage(this.message),
      ...(this.details === undefined ? {} : { details: boundedDetails(this.details) }),
      ...(this.retryable ? { retryable: true } : {}),
    };
  }
}

/** The longest error message shown; a longer one is cut, saying so. */
export const MAX_ERROR_MESSAGE = 2000;
/** The most violations (or other list entries) an error body lists; the rest are counted. */
export const MAX_ERROR_ITEMS = 20;

/**
 * A message as it may be shown: no V8 stack frames (a worker that crashed, a library that
 * put its stack in its message), no control characters, bounded in length.
 */
export function safeMessage(message: string): string {
  const text = message
    .split('\n')
    .filter((line) => !/^\s*at\s.+(\(.*\)|:\d+:\d+)\s*$/.test(line))
    .join(' ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}… (${text.length - MAX_ERROR_MESSAGE} more characters)` : text;
}

/** Details with their lists cut to MAX_ERROR_ITEMS (10,000 unknown fields must not make a 1 MB body). */
function boundedDetails(details: unknown): unknown {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return details;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (Array.isArray(value) && value.length > MAX_ERROR_ITEMS) {
      out[key] = value.slice(0, MAX_ERROR_ITEMS);
      out[`${key}Omitted`] = value.length - MAX_ERROR_ITEMS;
    } else out[key] = value;
  }
  return out;
}

/**
 * Anything thrown, as a body safe to show. Only our own errors say what happened: anything
 * else (a driver's message, a library's) is an internal error whose text stays in the log.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ProductOsError) return err.toBody();
  return { code: 'internal', message: 'internal error; see the backend log' };
}
