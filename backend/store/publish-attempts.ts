import { ProductOsError } from '../errors';
import type { Queryable } from './db';

export type PublishState = 'pending' | 'accepted' | 'rejected';

export interface PublishAttempt {
  provider: string;
  idempotencyKey: string;
  requestHash: string;
  state: PublishState;
  runId: string;
  campaignId: string | null;
  providerStatus: string | null;
  response: unknown;
  error: { code: string; message: string } | null;
  requests: number;
  createdAt: string;
}

interface Row {
  provider: string;
  idempotency_key: string;
  request_hash: string;
  state: PublishState;
  run_id: string;
  campaign_id: string | null;
  provider_status: string | null;
  response: unknown;
  error: { code: string; message: string } | null;
  requests: number;
  created_at: Date | string;
  fresh?: boolean;
}

const toAttempt = (r: Row): PublishAttempt => ({
  provider: r.provider,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  state: r.state,
  runId: r.run_id,
  campaignId: r.campaign_id,
  providerStatus: r.provider_status,
  response: typeof r.response === 'string' ? JSON.parse(r.response) : r.response,
  error: typeof r.error === 'string' ? JSON.parse(r.error) : r.error,
  requests: r.requests,
  createdAt: new Date(r.created_at).toISOString(),
});

export type Claim =
  /** This run owns the attempt now; `earlier` when a row was there before (a crash or a retry to reconcile). */
  | { kind: 'claimed'; attempt: PublishAttempt; earlier: boolean }
  /** Already accepted by the provider: answer from the record. */
  | { kind: 'accepted'; attempt: PublishAttempt }
  /** The key was used for another request. */
  | { kind: 'different_request'; attempt: PublishAttempt }
  /** Another run that is still running holds it. */
  | { kind: 'in_progress'; attempt: PublishAttempt };

/**
 * Records the publish before anything is sent, or takes over an earlier record of the same
 * request whose run is no longer running (it crashed, failed or was rejected). One statement,
 * so two runs racing on one key cannot both own it.
 */
export async function claimPublish(q: Queryable, a: { provider: string; key: string; requestHash: string; runId: string }, triesLeft = 3): Promise<Claim> {
  const rows = await q.query<Row>(
    `INSERT INTO publish_attempts AS p (provider, idempotency_key, request_hash, state, run_id)
     VALUES ($1, $2, $3, 'pending', $4)
     ON CONFLICT (provider, idempotency_key) DO UPDATE
       SET run_id = EXCLUDED.run_id, updated_at = now()
       WHERE p.state <> 'accepted' AND p.request_hash = EXCLUDED.request_hash
         AND (p.run_id = EXCLUDED.run_id
              OR NOT EXISTS (SELECT 1 FROM runs r WHERE r.id::text = p.run_id AND r.status IN ('dispatching', 'running')))
     RETURNING p.*, (xmax = 0) AS fresh`,
    [a.provider, a.key, a.requestHash, a.runId],
  );
  if (rows[0]) return { kind: 'claimed', attempt: toAttempt(rows[0]), earlier: rows[0].fresh !== true };
  const existing = await getPublish(q, a.provider, a.key);
  if (!existing) {
    // Deleted between the insert and the read (nothing deletes these today): try again, a few times.
    if (triesLeft > 1) return claimPublish(q, a, triesLeft - 1);
    throw new ProductOsError('conflict', `the publish record for idempotency key "${a.key}" kept disappearing while it was claimed; try the publish again`);
  }
  if (existing.requestHash !== a.requestHash) return { kind: 'different_request', attempt: existing };
  if (existing.state === 'accepted') return { kind: 'accepted', attempt: existing };
  return { kind: 'in_progress', attempt: existing };
}

export async function getPublish(q: Queryable, provider: string, key: string): Promise<PublishAttempt | null> {
  const rows = await q.query<Row>('SELECT * FROM publish_attempts WHERE provider = $1 AND idempotency_key = $2', [provider, key]);
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** Counts a request about to be sent (written first: a crash after it leaves a trace). */
export async function notePublishRequest(q: Queryable, provider: string, key: string): Promise<void> {
  await q.query('UPDATE publish_attempts SET requests = requests + 1, updated_at = now() WHERE provider = $1 AND idempotency_key = $2', [provider, key]);
}

export async function recordAccepted(q: Queryable, provider: string, key: string, r: { campaignId: string; providerStatus: string; response: unknown }): Promise<void> {
  await q.query(
    `UPDATE publish_attempts SET state = 'accepted', campaign_id = $3, provider_status = $4, response = $5::jsonb, error = NULL, updated_at = now()
     WHERE provider = $1 AND idempotency_key = $2`,
    [provider, key, r.campaignId, r.providerStatus, JSON.stringify(r.response ?? null)],
  );
}

/** The provider refused it outright: nothing was posted, so the same request may be sent again later. */
export async function recordRejected(q: Queryable, provider: string, key: string, error: { code: string; message: string }): Promise<void> {
  await q.query(`UPDATE publish_attempts SET state = 'rejected', error = $3::jsonb, updated_at = now() WHERE provider = $1 AND idempotency_key = $2`, [provider, key, JSON.stringify(error)]);
}
