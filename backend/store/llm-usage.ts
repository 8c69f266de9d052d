import type { Queryable } from './db';
import type { LlmUsage } from '../llm/provider';
import type { DailyUsage, LlmUsageRow, LlmUsageTotals, RunUsage } from '../../contracts/llm-usage';

/** One model call's usage: token counts, provider, model, duration. Nothing else is accepted. */
export async function insertLlmUsage(q: Queryable, runId: string | null, u: LlmUsage): Promise<void> {
  await q.query('INSERT INTO llm_usage (run_id, provider, model, prompt_tokens, completion_tokens, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)', [
    runId,
    u.provider.slice(0, 100),
    u.model.slice(0, 300),
    Math.max(0, Math.round(u.promptTokens)),
    Math.max(0, Math.round(u.completionTokens)),
    Math.max(0, Math.round(u.durationMs)),
  ]);
}

interface Row {
  id: number | string;
  run_id: string | null;
  provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  duration_ms: number;
  created_at: Date | string;
}

const MAX_CALLS = 10_000;

export async function runUsage(q: Queryable, runId: string): Promise<RunUsage> {
  const rows = await q.query<Row>(
    'SELECT id, run_id, provider, model, prompt_tokens, completion_tokens, duration_ms, created_at FROM llm_usage WHERE run_id = $1 ORDER BY id LIMIT $2',
    [runId, MAX_CALLS],
  );
  const calls: LlmUsageRow[] = rows.map((r) => ({
    id: Number(r.id),
    runId: r.run_id,
    provider: r.provider,
    model: r.model,
    promptTokens: Number(r.prompt_tokens),
    completionTokens: Number(r.completion_tokens),
    durationMs: Number(r.duration_ms),
    createdAt: new Date(r.created_at).toISOString(),
  }));
  const totals: LlmUsageTotals = { calls: calls.length, promptTokens: 0, completionTokens: 0, durationMs: 0 };
  for (const c of calls) {
    totals.promptTokens += c.promptTokens;
    totals.completionTokens += c.completionTokens;
    totals.durationMs += c.durationMs;
  }
  return { runId, calls, totals };
}

export async function dailyUsage(q: Queryable, days: number): Promise<DailyUsage> {
  const rows = await q.query<{ day: string; runs: number | string; calls: number | string; prompt: number | string; completion: number | string; duration: number | string }>(
    `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
            count(DISTINCT run_id) AS runs, count(*) AS calls,
            coalesce(sum(prompt_tokens), 0) AS prompt, coalesce(sum(completion_tokens), 0) AS completion, coalesce(sum(duration_ms), 0) AS duration
       FROM llm_usage
      WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => $1::int - 1)
      GROUP BY 1 ORDER BY 1 DESC`,
    [days],
  );
  return {
    days: rows.map((r) => ({ day: r.day, runs: Number(r.runs), calls: Number(r.calls), promptTokens: Number(r.prompt), completionTokens: Number(r.completion), durationMs: Number(r.duration) })),
  };
}
