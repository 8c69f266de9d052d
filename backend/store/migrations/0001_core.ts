/** Runs, their events, logs, audit, approvals, LLM usage and the backend instances that own runs. */
export default `
CREATE TABLE backend_instances (
  id text PRIMARY KEY,
  pid integer NOT NULL,
  host text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz
);

CREATE TABLE runs (
  id uuid PRIMARY KEY,
  tool text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued','awaiting_approval','dispatching','running','succeeded','failed','cancelled','timed_out')),
  risk text NOT NULL,
  input jsonb NOT NULL,
  output jsonb,
  error jsonb,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority integer NOT NULL DEFAULT 0,
  caller text NOT NULL,
  idempotency_key text UNIQUE,
  correlation_id text,
  trace_id text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 1,
  owner text,
  cancel_requested boolean NOT NULL DEFAULT false,
  not_before timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX runs_queue ON runs (priority DESC, created_at) WHERE status = 'queued';
CREATE INDEX runs_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_correlation ON runs (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX runs_owner_active ON runs (owner) WHERE status IN ('dispatching','running');

-- Append-only: nothing updates or deletes these rows.
CREATE TABLE run_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES runs(id),
  type text NOT NULL CHECK (type IN ('state','progress','log','output')),
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_events_run ON run_events (run_id, id);

CREATE TABLE logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  level text NOT NULL CHECK (level IN ('debug','info','warn','error')),
  source text NOT NULL,
  run_id uuid,
  message text NOT NULL,
  fields jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX logs_run ON logs (run_id, id) WHERE run_id IS NOT NULL;

-- Token counts only: there is deliberately no column for prompt or completion text.
CREATE TABLE llm_usage (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id uuid REFERENCES runs(id),
  model text NOT NULL,
  prompt_tokens integer NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  caller text NOT NULL,
  action text NOT NULL,
  tool text,
  run_id uuid,
  args_shape jsonb,
  outcome text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_run ON audit_log (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE approvals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id uuid NOT NULL UNIQUE REFERENCES runs(id),
  decision text NOT NULL CHECK (decision IN ('approved','denied')),
  decided_by text NOT NULL,
  reason text,
  decided_at timestamptz NOT NULL DEFAULT now()
);
`;
