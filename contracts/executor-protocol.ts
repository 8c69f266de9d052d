/**
 * The remote executor protocol, declared once: what a control plane's `http` executor
 * (backend/executors/http-executor.ts) sends to `executor.url + executor.path`, and what
 * `product-os serve --role executor` (backend/api/executor-server.ts) answers.
 *
 * Every request carries `Authorization: Bearer <Google-signed ID token>` whose audience is the
 * executor's URL. The body names the control plane's run and attempt: the executor keeps one
 * run per (run id, attempt), so a request retried after a lost answer picks up the same run
 * instead of running the tool twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ErrorBody, RunStatus } from './rest';

export const ExecuteRequest = Type.Object(
  {
    /** The control plane's run id. */
    runId: Type.String({ minLength: 1, maxLength: 100 }),
    /** The control plane's attempt (a retried run is a new attempt and runs again). */
    attempt: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** The idempotency key the caller gave the control plane, if any (a publish dedupes on it). */
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    correlationId: Type.Optional(Type.String({ maxLength: 200 })),
    /**
     * A streamed retry: the last `eventId` the caller relayed from an earlier try of this
     * (run, attempt), so the stream resumes after it instead of repeating or missing lines.
     */
    afterEventId: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The tool's input, validated again by the executor against the same registry. */
    input: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type ExecuteRequest = Static<typeof ExecuteRequest>;

/** A run that ended: its output, or the tool's own error (answered 200: the call itself worked). */
export const ExecuteResponse = Type.Object(
  {
    /** The executor's own run id (its Runs panel and logs have it). */
    executorRunId: Type.String(),
    status: RunStatus,
    output: Type.Optional(Type.Unknown()),
    error: Type.Optional(ErrorBody),
  },
  { additionalProperties: false },
);
export type ExecuteResponse = Static<typeof ExecuteResponse>;

/**
 * With `Accept: application/x-ndjson` the executor streams its run, one JSON line each: every
 * progress and log line the run has written (from its start, or after the request's
 * `afterEventId`), then the new ones as they are written (relayed as the control plane's own
 * run events), then exactly one `result`. A stream that ends without a result is an answer
 * lost: the request is retried with the last `eventId` it relayed.
 */
export const EXECUTE_STREAM_TYPE = 'application/x-ndjson';
/** The executor's run event id of a progress or log line (optional: older executors send none). */
const EventId = Type.Optional(Type.Integer({ minimum: 1 }));
export const ExecuteStreamLine = Type.Union([
  Type.Object({ type: Type.Literal('progress'), eventId: EventId, progress: Type.Number(), total: Type.Optional(Type.Number()), message: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('log'), eventId: EventId, level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]), message: Type.String() }),
  Type.Object({ type: Type.Literal('result'), response: ExecuteResponse }),
]);
export type ExecuteStreamLine = Static<typeof ExecuteStreamLine>;

export const CancelRequest = Type.Object(
  {
    runId: Type.String({ minLength: 1, maxLength: 100 }),
    attempt: Type.Integer({ minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false },
);
export type CancelRequest = Static<typeof CancelRequest>;

/** Where a control plane asks an executor to cancel a run it gave up on (not a registry path). */
export const EXECUTOR_CANCEL_PATH = '/_executor/cancel';

/** The executor-side idempotency key of one attempt of a control-plane run. */
export function executorRunKey(runId: string, attempt: number): string {
  return `upstream:${runId}:${attempt}`;
}

/** Labels the executor puts on its run, so a tool can see the call it serves. */
export const UPSTREAM_LABELS = {
  runId: 'upstream.run_id',
  idempotencyKey: 'upstream.idempotency_key',
} as const;
