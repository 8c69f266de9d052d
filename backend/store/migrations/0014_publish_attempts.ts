/**
 * One row per publish (provider + idempotency key), written before the provider is called: a
 * retried publish finds it and answers from it, and a publish that crashed between the request
 * and the record is reconciled from the provider on the next call with the same key.
 */
export default `
CREATE TABLE publish_attempts (
  provider text NOT NULL,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
  run_id text NOT NULL,
  campaign_id text,
  provider_status text,
  response jsonb,
  error jsonb,
  requests integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, idempotency_key)
);
`;
