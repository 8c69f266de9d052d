/**
 * The optional `summary` of an ops.log_triage run: when a local model is configured, the
 * backend (where model calls are metered against the run) hands it a digest of the worker's
 * result and asks for a few sentences on what changed. The digest holds counts, flags with
 * their reasons, levels, times and templates — masked with the redaction rules whatever the
 * run's `redact` choice — never log lines (examples) or the values of variable parts.
 *
 * No model configured, no lines read, or the model failing: the output is returned as the
 * worker made it (a warning names the failure's code, never the prompt or the answer).
 */
import type { ExecutionContext } from '../executors/executor';
import type { JsonSchema } from '../../contracts/json-schema';
import type { ChatMessage, LlmProvider } from '../llm/provider';
import { ProductOsError } from '../errors';
import { redact } from '../../common/redact';
import { TRIAGE_SUMMARY_MAX, TriageSummaryAnswer } from '../../contracts/tools/log-triage-summary';
import type { TriageResult, TriageTemplate } from '../../workers/tasks/log-triage';

/** Templates the digest lists: the flagged ones first (the worker's order), then the most frequent. */
const MAX_FLAGGED = 15;
const MAX_STEADY = 5;
const MAX_TEMPLATE_CHARS = 200;
const MAX_TOKENS = 300;

export async function addTriageSummary(output: unknown, ctx: ExecutionContext): Promise<unknown> {
  if (!isTriageResult(output) || output.lines === 0) return output;
  let llm: LlmProvider;
  try {
    llm = await ctx.llm();
  } catch (err) {
    if (err instanceof ProductOsError && err.code === 'not_configured') return output;
    await ctx.log('warn', `log triage: no summary, the local model could not be opened (${codeOf(err)})`);
    return output;
  }
  try {
    const answer = await llm.generate({ messages: summaryMessages(output), schema: TriageSummaryAnswer as unknown as JsonSchema, maxTokens: MAX_TOKENS, temperature: 0.2, signal: ctx.signal });
    const summary = cleanSummary(answer.json !== undefined ? answer.json : parseOrNull(answer.text));
    if (summary === null) {
      await ctx.log('warn', 'log triage: no summary, the model did not answer with one');
      return output;
    }
    return { ...output, summary };
  } catch (err) {
    // A cancel or timeout ends the run; anything else only costs the summary.
    if (ctx.signal.aborted) throw err;
    await ctx.log('warn', `log triage: no summary, the local model failed (${codeOf(err)})`);
    return output;
  }
}

export function summaryMessages(r: TriageResult): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You are an on-call engineer summarizing a log triage for a colleague. In at most three short sentences, say what changed ' +
        'and what to look at first: new templates, spikes, errors, rare events. Use only the facts given; invent no cause. ' +
        `Answer with JSON {"summary": "…"} of at most ${TRIAGE_SUMMARY_MAX} characters.`,
    },
    { role: 'user', content: triageDigest(r) },
  ];
}

/** What the model is told: counts, flags, levels, times and masked templates; never lines or values. */
export function triageDigest(r: TriageResult): string {
  const out: string[] = [];
  const range = r.time_range.first && r.time_range.last ? `, timestamps from ${r.time_range.first} to ${r.time_range.last}` : '';
  out.push(`${r.lines} lines in ${r.files_scanned} file(s)${range}; ${r.templates.length} templates.`);
  out.push(
    r.since_run_id
      ? `Only lines after the previous triage (${r.window.since ?? 'its end'}) were read: ${r.new_templates} templates are new since it, ${r.spikes} spiking.`
      : 'First triage of these logs: there is nothing earlier to compare with.',
  );
  const flagged = r.templates.filter((t) => t.flags.length > 0);
  const steady = r.templates.filter((t) => t.flags.length === 0).sort((a, b) => b.count - a.count);
  if (flagged.length > 0) {
    out.push(`Flagged templates (${flagged.length}${flagged.length > MAX_FLAGGED ? `, first ${MAX_FLAGGED}` : ''}):`);
    for (const t of flagged.slice(0, MAX_FLAGGED)) out.push(`- ${describe(t)}\n  why: ${t.flags.map((f) => `${f.kind}: ${redact(f.reason)}`).join('; ')}`);
  } else out.push('No template is flagged.');
  if (steady.length > 0) {
    out.push('Most frequent steady templates:');
    for (const t of steady.slice(0, MAX_STEADY)) out.push(`- ${describe(t)}`);
  }
  return out.join('\n');
}

function describe(t: TriageTemplate): string {
  const seen = t.first_seen ? `, ${t.first_seen === t.last_seen ? `at ${t.first_seen}` : `${t.first_seen} to ${t.last_seen}`}` : '';
  return `${t.count} line(s), level ${t.level ?? 'none'}${seen}: ${JSON.stringify(clip(maskTemplate(t.template)))}`;
}

/**
 * A template as the model may see it: masked by the redaction rules, and a word that is
 * partly variable shown wholly as a placeholder — when the run did not redact, the constant
 * rest of such a word can be part of a key or a token ("sk-live<*>9f").
 */
export function maskTemplate(template: string): string {
  return redact(template)
    .split(' ')
    .map((w) => (w.includes('<') && /<[A-Z*]+>/.test(w) ? '<*>' : w))
    .join(' ');
}

const clip = (s: string): string => ([...s].length > MAX_TEMPLATE_CHARS ? `${[...s].slice(0, MAX_TEMPLATE_CHARS - 1).join('')}…` : s);

/**
 * The model's summary, trimmed, masked and cut to the limit at a word boundary; null when the
 * answer has none (a provider validates against the schema; this holds whatever it returns).
 */
export function cleanSummary(answer: unknown): string | null {
  const raw = typeof answer === 'object' && answer !== null ? (answer as { summary?: unknown }).summary : undefined;
  if (typeof raw !== 'string') return null;
  const text = redact(raw.replace(/\s+/g, ' ').trim());
  if (text === '') return null;
  if ([...text].length <= TRIAGE_SUMMARY_MAX) return text;
  const cut = [...text].slice(0, TRIAGE_SUMMARY_MAX - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > TRIAGE_SUMMARY_MAX / 2 ? cut.slice(0, space) : cut}…`;
}

function isTriageResult(v: unknown): v is TriageResult {
  const o = v as Partial<TriageResult> | null;
  return typeof o === 'object' && o !== null && typeof o.lines === 'number' && Array.isArray(o.templates) && typeof o.time_range === 'object' && typeof o.window === 'object';
}

const codeOf = (err: unknown): string => (err instanceof ProductOsError ? err.code : err instanceof Error ? err.name : 'error');

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
