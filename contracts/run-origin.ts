/**
 * Where a run came from, as a label set when it is submitted. The editor's views read for
 * themselves (the Services view's list and status refreshes): those runs carry
 * `origin: view`, and the Runs view and panel hide the low-risk ones unless asked to show them,
 * so the runs a person started stay in sight. No schema library here: the extension's
 * activation and the webviews load it.
 */
import type { Run } from './rest';

export const ORIGIN_LABEL = 'origin';
/** The labels of a read a view makes on its own. */
export const VIEW_READ_LABELS: Readonly<Record<string, string>> = Object.freeze({ [ORIGIN_LABEL]: 'view' });

/** A low-risk run a view made on its own (hidden from the run lists by default). */
export function isViewRead(run: Pick<Run, 'labels' | 'risk'>): boolean {
  return run.labels?.[ORIGIN_LABEL] === 'view' && run.risk === 'low';
}
