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
  | 'conflict'
  | 'invalid_state'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_implemented'
  | 'not_configured'
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
  conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_implemented: 501,
  not_configured: 503,
};

export class ProductOsError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    opts: { retryable?: boolean } = {},
  ) {
    super(message);
    this.name = 'ProductOsError';
    this.retryable = opts.retryable ?? false;
  }

  get status(): number {
    return STATUS[this.code] ?? 500;
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
      ...(this.retryable ? { retryable: true } : {}),
    };
  }
}

/** Anything thrown, as a body safe to show: unknown errors never leak their stack. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ProductOsError) return err.toBody();
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
