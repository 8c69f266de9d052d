/**
 * po_insert_runs may store a run together with its end. A quick idempotent in-process call
 * (system.ping, a read) can end before its insert's group commit has gone out: the engine then
 * folds the end into that insert (RunWriter), so the run is written once, already ended, with
 * every state event (queued → dispatching → running → its end) and both audit rows (tool.call,
 * tool.result), instead of an insert and then an update. An item without the new fields is
 * stored exactly as 0003's function stored it.
 *
 * New optional fields per item: output, error, attempt, started, finished, executed_on (as
 * po_advance_runs sets them) and end_audit ({caller, action, tool, outcome}: the second audit row).
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
      RETURNING id, run_id, type, data, created_at)
    SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) INTO ev FROM e;
    INSERT INTO audit_log (caller, action, tool, run_id, args_shape, outcome)
    VALUES (r.caller, 'tool.call', r.tool, r.id, a -> 'args_shape', a ->> 'outcome');
    IF a ? 'end_audit' THEN
      INSERT INTO audit_log (caller, action, tool, run_id, outcome)
      VALUES (a -> 'end_audit' ->> 'caller', a -> 'end_audit' ->> 'action', a -> 'end_audit' ->> 'tool', r.id, a -> 'end_audit' ->> 'outcome');
    END IF;
    results := results || jsonb_build_array(jsonb_build_object('run', to_jsonb(r), 'events', ev));
  END LOOP;
  RETURN results;
END
$fn$;
`;
