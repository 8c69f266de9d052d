/**
 * Flags that put a template in front of an on-call engineer, each with a one-line reason:
 *
 * - new:   not in the last successful run of the directive (baseline.ts decides).
 * - spike: its rate rose sharply against that run (baseline.ts decides).
 * - rare:  at most RARE_SHARE of the window's lines in a window of at least RARE_MIN_LINES
 *          lines — the one successful login among thousands of failures. A fixed share, not
 *          a threshold fitted to any labelled log.
 * - error: most of its lines are error or fatal.
 *
 * Templates are ordered by their most urgent flag (new, spike, rare, error), then by count.
 */

import type { Level } from './levels';

export type FlagKind = 'new' | 'spike' | 'rare' | 'error';

export interface Flag {
  kind: FlagKind;
  reason: string;
}

/** A template is rare at or under this share of the window's lines… */
export const RARE_SHARE = 0.001;
/** …in a window of at least this many lines (in a small log, everything is "rare"). */
export const RARE_MIN_LINES = 1000;

const URGENCY: FlagKind[] = ['new', 'spike', 'rare', 'error'];

export interface FlagInput {
  count: number;
  /** Lines in the window, all templates. */
  lines: number;
  levels: ReadonlyMap<Level, number>;
  isNew: boolean;
  spike: boolean;
  previousCount: number;
  /** The run the comparison is against, for the reasons. */
  previousRunId: string | null;
  /** Rates are compared (true) or counts (false). */
  byRate: boolean;
  ratio: number;
}

export function flagsOf(t: FlagInput): Flag[] {
  const flags: Flag[] = [];
  const since = t.previousRunId ? `run ${t.previousRunId}` : 'the last successful run';
  if (t.isNew) flags.push({ kind: 'new', reason: `not seen in ${since}` });
  if (t.spike) {
    flags.push({
      kind: 'spike',
      reason: `${t.count} lines vs ${t.previousCount} in ${since}${t.byRate ? ` (rate ×${t.ratio >= 10 ? Math.round(t.ratio) : t.ratio.toFixed(1)})` : ''}`,
    });
  }
  if (t.lines >= RARE_MIN_LINES && t.count <= t.lines * RARE_SHARE) {
    flags.push({ kind: 'rare', reason: `${t.count} line${t.count === 1 ? '' : 's'} of ${t.lines} (${percent(t.count / t.lines)})` });
  }
  const errors = (t.levels.get('error') ?? 0) + (t.levels.get('fatal') ?? 0);
  if (errors * 2 > t.count) flags.push({ kind: 'error', reason: `${errors} of ${t.count} line${t.count === 1 ? ' is' : 's are'} ${t.levels.get('fatal') ? 'error or fatal' : 'errors'}` });
  return flags;
}

/** Sort key: the most urgent flag's rank (unflagged last). */
export function urgency(flags: readonly Flag[]): number {
  let best = URGENCY.length;
  for (const f of flags) best = Math.min(best, URGENCY.indexOf(f.kind));
  return best;
}

/** The level most of a template's lines have, or null when none had one. */
export function mainLevel(levels: ReadonlyMap<Level, number>): Level | null {
  let best: Level | null = null;
  let n = 0;
  for (const [l, c] of levels) if (c > n) [best, n] = [l, c];
  return best;
}

function percent(share: number): string {
  const p = share * 100;
  return `${p >= 0.1 ? p.toFixed(1) : p < 0.01 ? '<0.01' : p.toFixed(2)}%`;
}
