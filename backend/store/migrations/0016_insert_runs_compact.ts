/**
 * po_insert_runs answers with only what the database made: per run its version and
 * timestamps, per state event its id and time. The caller sent everything else and builds the
 * stored run from that (runs.ts insertRuns), instead of reading the whole row and every event
 * back as JSON: on PGlite, measured alone in batches of 3 folded calls, 1.2 -> 1.0 ms of CPU
 * per run (the row and events rendered as JSON, then parsed, on the thread that serves HTTP).
 * The two audit rows of a run stored with its end go in one INSERT. Otherwise as 0015.
 *
 * Per item: null (the idempotency key already names a run) or
 * {"v": version, "c": created_at, "u": updated_at, "s": started_at, "f": finished_at, "e": [[event id, created_at], …]}.
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
    INSERT INTO runs (id, tool, status, risk, input, caller, idempotency_key, correlation_id, trace_id, labels, priority, max_attempts, owner,
                      output, error, attempt, started_at, finished_at, executed_on)
    VALUES ((a ->> 'id')::uuid, a ->> 'tool', a ->> 'status', a ->> 'risk', a -> 'input', a ->> 'caller', a ->> 'idempotency_key',
            a ->> 'correlation_id', a ->> 'trace_id', a -> 'labels', (a ->> 'priority')::integer, (a ->> 'max_attempts')::integer, a ->> 'owner',
            a -> 'output', nullif(a -> 'error', 'null'::jsonb), coalesce((a ->> 'attempt')::integer, 0),
            CASE WHEN (a ->> 'started')::boolean THEN now() END, CASE WHEN (a ->> 'finished')::boolean THEN now() END, a ->> 'executed_on')
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING * INTO r;
    IF NOT FOUND THEN
      results := results || 'null'::jsonb;
      CONTINUE;
    END IF;
    WITH e AS (
      INSERT INTO run_events (run_id, type, data)
      SELECT r.id, 'state', s.d FROM jsonb_array_elements(a -> 'steps') WITH ORDINALITY AS s(d, n) ORDER BY s.n
      RETURNING id, created_at)
    SELECT jsonb_agg(jsonb_build_array(e.id, e.created_at) ORDER BY e.id) INTO ev FROM e;
    INSERT INTO audit_log (caller, action, tool, run_id, args_shape, outcome)
    SELECT r.caller, 'tool.call', r.tool, r.id, a -> 'args_shape', a ->> 'outcome'
    UNION ALL
    SELECT a -> 'end_audit' ->> 'caller', a -> 'end_audit' ->> 'action', a -> 'end_audit' ->> 'tool', r.id, NULL, a -> 'end_audit' ->> 'outcome'
    WHERE a ? 'end_audit';
    results := results || jsonb_build_array(jsonb_build_object('v', r.version, 'c', r.created_at, 'u', r.updated_at, 's', r.started_at, 'f', r.finished_at, 'e', ev));
  END LOOP;
  RETURN results;
END
$fn$;
`;
