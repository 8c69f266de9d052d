/**
 * The two writes on every call's path, as PL/pgSQL functions. PL/pgSQL keeps its statements'
 * plans for the session, so a call no longer pays for planning multi-statement CTEs each time
 * (measured on PGlite: 1.1 ms → 0.5 ms per insert). Each returns one jsonb value,
 * `{run, events}`, or NULL when its guard did not hold; nothing is half-written either way.
 */
export default `
CREATE OR REPLACE FUNCTION po_insert_run(
  p_id uuid, p_tool text, p_status text, p_risk text, p_input jsonb, p_caller text,
  p_idempotency_key text, p_correlation_id text, p_trace_id text, p_labels jsonb, p_priority integer,
  p_max_attempts integer, p_owner text, p_steps jsonb, p_args_shape jsonb, p_outcome text
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  r runs%ROWTYPE;
  ev jsonb;
BEGIN
  INSERT INTO runs (id, tool, status, risk, input, caller, idempotency_key, correlation_id, trace_id, labels, priority, max_attempts, owner)
  VALUES (p_id, p_tool, p_status, p_risk, p_input, p_caller, p_idempotency_key, p_correlation_id, p_trace_id, p_labels, p_priority, p_max_attempts, p_owner)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING * INTO r;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  WITH e AS (
    INSERT INTO run_events (run_id, type, data)
    SELECT p_id, 'state', s.d FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS s(d, n) ORDER BY s.n
    RETURNING id, run_id, type, data, created_at)
  SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) INTO ev FROM e;
  INSERT INTO audit_log (caller, action, tool, run_id, args_shape, outcome) VALUES (p_caller, 'tool.call', p_tool, p_id, p_args_shape, p_outcome);
  RETURN jsonb_build_object('run', to_jsonb(r), 'events', ev);
END
$fn$;

CREATE OR REPLACE FUNCTION po_advance_run(
  p_id uuid, p_from text[], p_steps jsonb, p_check_owner boolean, p_expected_owner text, p_set jsonb, p_audit jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  r runs%ROWTYPE;
  ev jsonb;
BEGIN
  UPDATE runs SET
    status = p_steps -> -1 ->> 'to',
    version = version + 1,
    updated_at = now(),
    owner = CASE WHEN p_set ? 'owner' THEN p_set ->> 'owner' ELSE owner END,
    output = CASE WHEN p_set ? 'output' THEN p_set -> 'output' ELSE output END,
    error = CASE WHEN p_set ? 'error' THEN nullif(p_set -> 'error', 'null'::jsonb) ELSE error END,
    attempt = CASE WHEN p_set ? 'attempt' THEN (p_set ->> 'attempt')::integer ELSE attempt END,
    not_before = CASE WHEN p_set ? 'not_before' THEN (p_set ->> 'not_before')::timestamptz ELSE not_before END,
    cancel_requested = CASE WHEN p_set ? 'cancel_requested' THEN (p_set ->> 'cancel_requested')::boolean ELSE cancel_requested END,
    started_at = CASE WHEN (p_set ->> 'started')::boolean THEN coalesce(started_at, now()) ELSE started_at END,
    finished_at = CASE WHEN (p_set ->> 'finished')::boolean THEN now() ELSE finished_at END
  WHERE id = p_id AND status = ANY (p_from) AND (NOT p_check_owner OR owner IS NOT DISTINCT FROM p_expected_owner)
  RETURNING * INTO r;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  WITH e AS (
    INSERT INTO run_events (run_id, type, data)
    SELECT p_id, 'state', s.d FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS s(d, n) ORDER BY s.n
    RETURNING id, run_id, type, data, created_at)
  SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) INTO ev FROM e;
  IF p_audit IS NOT NULL THEN
    INSERT INTO audit_log (caller, action, tool, run_id, outcome)
    VALUES (p_audit ->> 'caller', p_audit ->> 'action', p_audit ->> 'tool', p_id, p_audit ->> 'outcome');
  END IF;
  RETURN jsonb_build_object('run', to_jsonb(r), 'events', ev);
END
$fn$;
`;
