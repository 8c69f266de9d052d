/**
 * Docker workers: the worker audit trail, the two allowlists and this store's identity.
 *
 * Written to be re-runnable (IF NOT EXISTS, ON CONFLICT DO NOTHING) so a test helper may
 * apply it before it is registered, and registering it later changes nothing.
 */
export default `
-- One row per worker container start, assignment to a run (warm pool), stop and sweep, and
-- per refused image. Append-only: nothing updates or deletes these rows.
CREATE TABLE IF NOT EXISTS worker_audit (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  session text NOT NULL,
  action text NOT NULL CHECK (action IN ('start','assign','stop','refuse','sweep')),
  run_id uuid,
  tool text,
  container_id text,
  image text NOT NULL,
  outcome text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS worker_audit_run ON worker_audit (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS worker_audit_container ON worker_audit (container_id) WHERE container_id IS NOT NULL;

-- Images a worker may be started from, next to the ones configured in code. A row names a tag
-- or a digest (or both); a run naming any other image is refused and nothing is started.
CREATE TABLE IF NOT EXISTS worker_image_allowlist (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  image_name text NOT NULL,
  image_tag text,
  image_digest text CHECK (image_digest IS NULL OR image_digest ~ '^sha256:[0-9a-f]{64}$'),
  requires_gpu boolean NOT NULL DEFAULT false,
  min_vram_mb integer NOT NULL DEFAULT 0 CHECK (min_vram_mb >= 0),
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (image_tag IS NOT NULL OR image_digest IS NOT NULL),
  UNIQUE (image_name, image_tag)
);

-- Containers the ops tasks (gpu_report, service_map) may look at: by id (or id prefix) or name.
CREATE TABLE IF NOT EXISTS container_allowlist (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  container_id text UNIQUE,
  name text UNIQUE,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (container_id IS NOT NULL OR name IS NOT NULL)
);

-- This store's identity, a label on every worker container: the start-up sweep only ever
-- touches containers of backends that share this store, never another installation's.
CREATE TABLE IF NOT EXISTS worker_store (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  id text NOT NULL DEFAULT gen_random_uuid()::text
);
INSERT INTO worker_store (one) VALUES (true) ON CONFLICT (one) DO NOTHING;
`;
