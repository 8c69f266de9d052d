/**
 * The one-line result of Triage Logs. Pure (the translate function is handed in), so what it
 * says about a re-run is unit-tested: a triage reads only lines after the last successful
 * one, and a second run over the same file must say so rather than answer a bare "0 templates".
 */
import { format, type Translate } from '../i18n';

export interface TriageResult {
  files_scanned?: number;
  lines?: number;
  templates?: unknown[];
  new_templates?: number;
  spikes?: number;
  since_run_id?: string | null;
  window?: { since?: string | null };
}

export function triageSummary(o: TriageResult, t: Translate = format): string {
  const since = o.window?.since ? new Date(o.window.since).toLocaleString() : undefined;
  if (o.since_run_id && (o.lines ?? 0) === 0) {
    return t('No new log lines since the last triage ({0}): lines already seen are skipped, so there is nothing new to group.', since ?? o.since_run_id);
  }
  const counts = t('{0} lines in {1} files: {2} templates, {3} new, {4} spiking', o.lines ?? 0, o.files_scanned ?? 0, o.templates?.length ?? 0, o.new_templates ?? 0, o.spikes ?? 0);
  return o.since_run_id ? `${counts}. ${t('Only lines after the last triage ({0}) were read; lines already seen are skipped.', since ?? o.since_run_id)}` : counts;
}
