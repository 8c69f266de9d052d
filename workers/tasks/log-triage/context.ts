import * as path from 'node:path';
import type { Queryable } from '../../../backend/store/db';
import { ProductOsError } from '../../../backend/errors';
import { directiveSnapshot, logTriageSummary, recordRunDirective, succeededRunsOfDirective, type DirectiveSnapshot } from '../../../backend/store/directives';

export const LOG_TRIAGE_TOOL = 'ops.log_triage';

/** What the log_triage task gets in `job.context` (see task.ts). */
export interface LogTriageContext {
  /** The directive this run uses (also kept on the run as its snapshot). */
  directive: DirectiveSnapshot;
  /**
   * The last successful run of the same directive over the same path, reduced to what new and
   * spike flags need; null on the first run (then nothing is new).
   */
  previous: { run_id: string; window: { since: string | null; until: string } | null; templates: Array<{ id: string; template: string; count: number }> } | null;
  /** Start of this run's window: the previous run's `window.until`; null reads all lines. */
  since: string | null;
  /** DEBUG_REDACTED_MODE: the default of the run's `redact` input (examples, templates and values masked in the worker). */
  redact: boolean;
}

/** The path a run reads, normalised: "." for the whole logs folder. */
export function logTriageScope(input: unknown): string {
  const raw = input && typeof input === 'object' ? (input as Record<string, unknown>).path : undefined;
  const p = typeof raw === 'string' && raw.trim() !== '' ? path.posix.normalize(raw.trim()) : '.';
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  return trimmed === '' || trimmed === './' ? '.' : trimmed;
}

/** On unless DEBUG_REDACTED_MODE says false, like the backend's own setting. */
function redactedMode(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.DEBUG_REDACTED_MODE;
  return v === undefined || v === '' || /^(1|true|yes|on)$/i.test(v);
}

/**
 * What the backend hands the log_triage task besides its input: the directive in force (input
 * `directive_id`, default D1), written on the run as its snapshot when `runId` is given, and
 * the last successful run of the same directive over the same path, for new / spike flags
 * "since the last successful run". A path that climbs out of the logs folder is refused here,
 * before a worker starts (the worker refuses the rest, symlinks that leave it included).
 */
export async function logTriageContext(input: unknown, q: Queryable, runId?: string): Promise<Record<string, unknown> | undefined> {
  const scope = logTriageScope(input);
  if (scope === '..' || scope.startsWith('../')) {
    throw new ProductOsError('invalid_input', `path "${String((input as Record<string, unknown>).path)}" is outside the logs folder`, { pointer: '/path', reason: 'path_outside_logs' });
  }
  const wanted = input && typeof input === 'object' ? (input as Record<string, unknown>).directive_id : undefined;
  const directive = await directiveSnapshot(q, LOG_TRIAGE_TOOL, typeof wanted === 'string' ? wanted : undefined);
  if (runId) await recordRunDirective(q, runId, directive);

  let previous: LogTriageContext['previous'] = null;
  const candidates = await succeededRunsOfDirective(q, LOG_TRIAGE_TOOL, directive.id, { excludeRunId: runId });
  const last = candidates.find((r) => logTriageScope(r.input) === scope);
  if (last) {
    const summary = await logTriageSummary(q, last.id);
    if (summary) previous = { run_id: last.id, window: summary.window, templates: summary.templates };
  }
  const context: LogTriageContext = { directive, previous, since: previous?.window?.until ?? null, redact: redactedMode() };
  return context as unknown as Record<string, unknown>;
}
