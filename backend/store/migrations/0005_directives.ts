/**
 * Directives: D1–D3 (the defaults of ops.log_triage, ops.gpu_report, ops.service_map) and D4
 * (a custom one: any tool plus a config JSON), versioned in the `directives` and
 * `directive_versions` tables of 0002; and the snapshot of the directive a run used, kept on
 * the run itself (`runs.directive`: {id, name, version, text, config}), so "what configuration
 * did this run use?" has an answer even after the directive changed.
 *
 * Written to be re-runnable (IF NOT EXISTS, ON CONFLICT DO NOTHING, duplicate constraints
 * ignored) so a test helper may apply it before it is registered, and registering it later
 * changes nothing.
 */
export default `
-- default: one of D1–D3, the tool's own settings (its tool never changes); custom: D4 and
-- every directive created through the API.
ALTER TABLE directives ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'custom';
DO $do$ BEGIN
  ALTER TABLE directives ADD CONSTRAINT directives_kind CHECK (kind IN ('default', 'custom'));
EXCEPTION WHEN duplicate_object THEN NULL;
END $do$;

-- Each version is a whole snapshot: the name it had, its text, its config, who wrote it.
ALTER TABLE directive_versions ADD COLUMN IF NOT EXISTS name text;
ALTER TABLE directive_versions ADD COLUMN IF NOT EXISTS changed_by text NOT NULL DEFAULT 'system';

-- Custom directives are numbered after the four seeded ones: D5, D6, ...
CREATE SEQUENCE IF NOT EXISTS directive_numbers START 5;

-- The directive a run used, copied when it is dispatched: {id, name, version, text, config}.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS directive jsonb;
-- "The last successful run of the same directive" (log triage's new / spike window).
CREATE INDEX IF NOT EXISTS runs_directive_succeeded ON runs (tool, (directive ->> 'id'), finished_at DESC)
  WHERE status = 'succeeded' AND directive IS NOT NULL;

INSERT INTO directives (id, name, tool, version, kind) VALUES
  ('D1', 'Log triage', 'ops.log_triage', 1, 'default'),
  ('D2', 'GPU report', 'ops.gpu_report', 1, 'default'),
  ('D3', 'Service map', 'ops.service_map', 1, 'default'),
  ('D4', 'Custom: sensitive log triage', 'ops.log_triage', 1, 'custom')
ON CONFLICT (id) DO NOTHING;

INSERT INTO directive_versions (directive_id, version, name, text, config, changed_by) VALUES
  ('D1', 1, 'Log triage',
   'Scan the logs folder (or the path given), group lines into templates with no per-format configuration, count them per template and level, and flag templates that are new, or whose rate rose at least 3 times with at least 10 lines, since the last successful run of this directive.',
   '{"spike": {"ratio": 3, "min_count": 10}}'::jsonb, 'system'),
  ('D2', 1, 'GPU report',
   'Report every GPU of the host (memory, utilisation, temperature, power) and the GPU memory of allowlisted containers. Alert above 85 degrees C, 90 % memory used or 95 % utilisation. No GPU is a normal report.',
   '{"include_containers": true, "alerts": {"temperature_c": 85, "memory_used_pct": 90, "utilization_pct": 95}}'::jsonb, 'system'),
  ('D3', 1, 'Service map',
   'Map the running allowlisted containers: images, states, networks, published ports and environment variable names (never values), with the edges between them.',
   '{"include_stopped": false}'::jsonb, 'system'),
  ('D4', 1, 'Custom: sensitive log triage',
   'A custom directive: any tool plus a config JSON. This one triages logs like D1 but flags a spike sooner: at 2 times the previous rate with at least 5 lines.',
   '{"spike": {"ratio": 2, "min_count": 5}}'::jsonb, 'system')
ON CONFLICT (directive_id, version) DO NOTHING;
`;
