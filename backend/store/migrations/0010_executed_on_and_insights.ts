/**
 * Where each run executed, and the local store of insights.
 *
 * runs.executed_on: "local" (in this backend's process), "docker" (a worker container) or the
 * remote executor's base URL; written with the change to running (po_advance_runs gains the
 * one column; the rest of the function is 0003's, unchanged). Null for runs that never started.
 *
 * insights: analytics.write_insight's row when no analytics executor is configured; the same
 * insight is also written as a JSON artifact in the data folder (artifact holds its path).
 */
export default `
ALTER TABLE runs ADD COLUMN executed_on text;

CREATE TABLE insights (
  id uuid PRIMARY KEY,
  run_id uuid REFERENCES runs (id) ON DELETE SET NULL,
  type text NOT NULL,
  title text NOT NULL,
  summary text NOT NULL,
  severity text NOT NULL,
  confidence double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  range_days integer NOT NULL,
  body jsonb NOT NULL,
  artifact text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insights_created ON insights (created_at DESC);

CREATE OR REPLACE FUNCTION po_advance_runs(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a jsonb;
  s jsonb;
  r runs%ROWTYPE;
  ev jsonb;
  results jsonb := '[]'::jsonb;
BEGIN
  FOR a IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    s := a -> 'set';
    UPDATE runs SET
      status = a -> 'steps' -> -1 ->> 'to',
      version = version + 1,
      updated_at = now(),
      owner = CASE WHEN s ? 'owner' THEN s ->> 'owner' ELSE owner END,
      output = CASE WHEN s ? 'output' THEN s -> 'output' ELSE output END,
      error = CASE WHEN s ? 'error' THEN nullif(s -> 'error', 'null'::jsonb) ELSE error END,
      attempt = CASE WHEN s ? 'attempt' THEN (s ->> 'attempt')::integer ELSE attempt END,
      not_before = CASE WHEN s ? 'not_before' THEN (s ->> 'not_before')::timestamptz ELSE not_before END,
      cancel_requested = CASE WHEN s ? 'cancel_requested' THEN (s ->> 'cancel_requested')::boolean ELSE cancel_requested END,
      started_at = CASE WHEN (s ->> 'started')::boolean THEN coalesce(started_at, now()) ELSE started_at END,
      finished_at = CASE WHEN (s ->> 'finished')::boolean THEN now() ELSE finished_at END,
      executed_on = CASE WHEN s ? 'executed_on' THEN s ->> 'executed_on' ELSE executed_on END
    WHERE id = (a ->> 'id')::uuid
      AND status IN (SELECT jsonb_array_elements_text(a -> 'from'))
      AND (NOT (a ? 'expected_owner') OR owner IS NOT DISTINCT FROM a ->> 'expected_owner')
    RETURNING * INTO r;
    IF NOT FOUND THEN
      results := results || 'null'::jsonb;
      CONTINUE;
    END IF;
    WITH e AS (
      INSERT INTO run_events (run_id, type, data)
      SELECT r.id, 'state', st.d FROM jsonb_array_elements(a -> 'steps') WITH ORDINALITY AS st(d, n) ORDER BY st.n
      RETURNING id, run_id, type, data, created_at)
    SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) INTO ev FROM e;
    IF a ? 'audit' THEN
      INSERT INTO audit_log (caller, action, tool, run_id, outcome)
      VALUES (a -> 'audit' ->> 'caller', a -> 'audit' ->> 'action', a -> 'audit' ->> 'tool', r.id, a -> 'audit' ->> 'outcome');
    END IF;
    results := results || jsonb_build_array(jsonb_build_object('run', to_jsonb(r), 'events', ev));
  END LOOP;
  RETURN results;
END
$fn$;
`;
