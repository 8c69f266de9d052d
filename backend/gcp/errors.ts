/**
 * One translation from a Google API failure to a ProductOsError whose sentence says what went
 * wrong and what to do. The Node clients fail in three shapes: gRPC (numeric `code` 0–16),
 * REST fallback (HTTP `code` and the JSON error body as the message, `status` inside it), and
 * google-auth-library (no code; a refresh or credentials sentence). All three land here.
 */
import { ProductOsError, type ErrorCode } from '../errors';

export type GcpStatus =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** gRPC status numbers, in order (google.rpc.Code). */
const GRPC: GcpStatus[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const HTTP: Record<number, GcpStatus> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** What google-auth-library says when it has no usable token (no code on these). */
const AUTH_FAILURE = /invalid_grant|invalid_rapt|Could not load the default credentials|Could not refresh access token|token has been expired or revoked|reauth|unable to impersonate|No refresh token/i;

/** The status and Google's own sentence for any error the clients throw. */
export function gcpStatusOf(err: unknown): { status: GcpStatus; detail: string } {
  const e = (err ?? {}) as { code?: unknown; status?: unknown; message?: unknown; details?: unknown };
  const raw = typeof e.message === 'string' ? e.message : String(err);
  let status: GcpStatus | undefined;
  let detail = raw;
  // REST fallback puts the whole error body in the message: {"error":{"code","message","status"}}.
  const body = parseErrorBody(raw);
  if (body) {
    detail = body.message ?? detail;
    if (body.status && GRPC.includes(body.status as GcpStatus)) status = body.status as GcpStatus;
  }
  if (!status && typeof e.code === 'number') status = e.code >= 100 ? HTTP[e.code] : GRPC[e.code];
  if (!status && typeof e.status === 'number') status = HTTP[e.status];
  if (!status && typeof e.code === 'string' && GRPC.includes(e.code as GcpStatus)) status = e.code as GcpStatus;
  if (!status && AUTH_FAILURE.test(raw)) status = 'UNAUTHENTICATED';
  // gRPC messages begin "7 PERMISSION_DENIED: …"; keep Google's sentence only.
  detail = detail.replace(/^\d+\s+[A-Z_]+:\s*/, '');
  return { status: status ?? 'UNKNOWN', detail: detail.slice(0, 500) };
}

function parseErrorBody(text: string): { status?: string; message?: string } | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  try {
    const v = JSON.parse(text.slice(start)) as { error?: { status?: unknown; message?: unknown } };
    if (!v.error || typeof v.error !== 'object') return null;
    return { status: typeof v.error.status === 'string' ? v.error.status : undefined, message: typeof v.error.message === 'string' ? v.error.message : undefined };
  } catch {
    return null;
  }
}

export interface GcpCall {
  /** What was being done, as a phrase: "reading secret projects/p/secrets/n". */
  action: string;
  /** The Google service, for the hints: "Secret Manager", "Cloud Build", "Cloud Run", "Cloud Logging", "Firestore". */
  service: string;
  /** The IAM role that allows the action (named in a permission error). */
  role?: string;
  /** What to do when the thing is not there. */
  notFoundHint?: string;
}

/**
 * A ProductOsError for a failed Google call: the code a caller can act on, the action, Google's
 * own reason, and what to do. Never includes request bodies (they may carry secret values).
 */
export function gcpError(err: unknown, call: GcpCall): ProductOsError {
  if (err instanceof ProductOsError) return err;
  const { status, detail } = gcpStatusOf(err);
  const [code, todo, retryable] = guidance(status, call);
  return new ProductOsError(code, `${call.service}: ${call.action} failed (${status}): ${detail}. ${todo}`, { gcp_status: status, service: call.service }, { retryable });
}

function guidance(status: GcpStatus, call: GcpCall): [ErrorCode, string, boolean] {
  switch (status) {
    case 'NOT_FOUND':
      return ['not_found', call.notFoundHint ?? 'Check the name, the project and the region.', false];
    case 'PERMISSION_DENIED':
      return [
        'permission_denied',
        `The Google account in use is not allowed to do this${call.role ? `: grant it ${call.role}` : ''} on the project (or enable the ${call.service} API), then retry.`,
        false,
      ];
    case 'RESOURCE_EXHAUSTED':
      return ['quota_exceeded', `A ${call.service} quota or rate limit was hit: wait a minute and retry, or raise the quota in the Google Cloud console (IAM & Admin → Quotas).`, true];
    case 'UNAUTHENTICATED':
      return [
        'not_configured',
        'The Google credentials are missing or expired: run `gcloud auth application-default login` (or point GOOGLE_APPLICATION_CREDENTIALS at a service-account key) where the backend runs, then retry.',
        false,
      ];
    case 'DEADLINE_EXCEEDED':
      return ['timed_out', `${call.service} did not answer in time: retry; if it keeps happening, check the operation in the Google Cloud console.`, true];
    case 'UNAVAILABLE':
    case 'INTERNAL':
    case 'UNKNOWN':
      return ['unavailable', `${call.service} is unavailable or failed on its side: retry in a moment.`, true];
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
      return ['invalid_input', 'Google refused the request as given: fix what the message names.', false];
    case 'FAILED_PRECONDITION':
      return ['invalid_state', 'The resource is not in a state that allows this: fix what the message names (an API not enabled, a resource being changed), then retry.', false];
    case 'ALREADY_EXISTS':
    case 'ABORTED':
      return ['conflict', 'Someone else changed it at the same time: retry.', true];
    case 'CANCELLED':
      return ['cancelled', 'The call was cancelled.', false];
    case 'UNIMPLEMENTED':
      return ['not_implemented', `${call.service} does not offer this here (check the region and the API version).`, false];
    default:
      return ['unavailable', 'Retry in a moment.', true];
  }
}
