import type { DailyUsage, RunUsage } from '../../contracts/llm-usage';

/**
 * How the Runs panel words model usage: a run's token counts (from the backend's usage rows:
 * token counts, provider, model and time, never text) and the totals per day. Pure, so the
 * wording is tested without a browser.
 */
export interface UsageText {
  text: string;
  title: string;
  muted: boolean;
}

const n = (v: number) => v.toLocaleString('en-US');

export function runUsageText(usage: RunUsage | null, fromOutput: { prompt: number; completion: number } | null): UsageText {
  if (usage && usage.totals.calls > 0) {
    const t = usage.totals;
    const models = [...new Set(usage.calls.map((c) => `${c.model} (${c.provider})`))];
    return {
      text: `${n(t.promptTokens)} prompt · ${n(t.completionTokens)} completion · ${t.calls} call${t.calls === 1 ? '' : 's'} · ${(t.durationMs / 1000).toFixed(1)} s`,
      title: `Model: ${models.join(', ')}. Only token counts are kept, never the prompts or answers.`,
      muted: false,
    };
  }
  if (fromOutput) return { text: `${n(fromOutput.prompt)} prompt · ${n(fromOutput.completion)} completion`, title: 'As the run reported in its output', muted: false };
  return { text: 'No LLM token counts for this run (it made no model calls)', title: '', muted: true };
}

export function dailyUsageText(daily: DailyUsage, today: string): UsageText {
  const day = daily.days.find((d) => d.day === today);
  const text = day ? `LLM today: ${n(day.promptTokens)} prompt · ${n(day.completionTokens)} completion tokens` : 'LLM today: no model calls';
  const title = daily.days.length === 0 ? 'No model calls in the last days' : daily.days.map((d) => `${d.day}: ${n(d.promptTokens)} prompt · ${n(d.completionTokens)} completion tokens in ${d.calls} call${d.calls === 1 ? '' : 's'} (${d.runs} run${d.runs === 1 ? '' : 's'})`).join('\n');
  return { text, title, muted: !day };
}
