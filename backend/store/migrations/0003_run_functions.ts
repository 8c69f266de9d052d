/**
 * The two writes on every call's path, as PL/pgSQL functions that take a batch. PL/pgSQL keeps
 * its statements' plans for the session, so a call no longer pays for planning each time, and
 * several calls arriving together are written by one statement (group commit). Measured on
 * PGlite per run: 1.1 ms as a multi-statement CTE, 0.5 ms through the function, 0.2–0.26 ms in
 * batches of 4–8. Each returns a jsonb array with, per item, `{run, events}` or null when its
 * guard did not hold.
 */
export default `
CREATE OR REPLACE FUNCTION po_insert_runs(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  a jsonb;
  r runs%ROWTYPE;
  ev jsonb;
  results jsonb := '[]'::jsonb;
BEGIN
  FOR a IN SELECT value FROM jsonb_array_elements(p_items) LOOP
    INSERT INTO runs (id, tool, status, risk, input, caller, idempotency_key, correlation_id, trace_id, labels, priority, max_attempts, owner)
    VALUES ((a ->> 'id')::uuid, a ->> 'tool', a ->> 'status', a ->> 'risk', a -> 'input', a ->> 'caller', a ->> 'idempotency_key',
            a ->> 'correlation_id', a ->> 'trace_id', a -> 'labels', (a ->> 'priority')::integer, (a ->> 'max_attempts')::integer, a ->> 'owner')
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO r;
    IF NOT FOUND THEN
      results := results || 'null'::jsonb;
      CONTINUE;
    END IF;
    WITH e AS (
      INSERT INTO run_events (run_id, type, data)
      SELECT r.id, 'state', s.d FROM jsonb_array_elements(a -> 'steps') WITH ORDINALITY AS s(d, n) ORDER BY s.n
      RETURNING id, run_id, type, data, created_at)
    SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) INTO ev FROM e;
    INSERT INTO audit_log (caller, action, tool, run_id, args_shape, outcome)
    VALUES (r.caller, 'tool.call', r.tool, r.id, a -> 'args_shape', a ->> 'outcome');
    results := results || jsonb_build_array(jsonb_build_object('run', to_jsonb(r), 'events', ev));
  END LOOP;
  RETURN results;
END
$fn$;

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
      finished_at = CASE WHEN (s ->> 'finished')::boolean THEN now() ELSE finished_at END
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
