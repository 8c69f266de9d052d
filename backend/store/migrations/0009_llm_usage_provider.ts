/**
 * Each model call's usage row says which provider served it and how long it took, beside its
 * token counts (still no column for any text). Indexed by run for GET /api/runs/:id/usage and
 * by time for the per-day totals.
 */
export default `
ALTER TABLE llm_usage ADD COLUMN provider text NOT NULL DEFAULT 'unknown';
ALTER TABLE llm_usage ADD COLUMN duration_ms integer NOT NULL DEFAULT 0 CHECK (duration_ms >= 0);
CREATE INDEX llm_usage_run ON llm_usage (run_id, id) WHERE run_id IS NOT NULL;
CREATE INDEX llm_usage_created ON llm_usage (created_at);
`;
