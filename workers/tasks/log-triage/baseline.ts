/**
 * Comparing a run with the last successful one: which templates are new, which spiked.
 *
 * The baseline is simply the previous run's output (the backend keeps it with the run), so
 * nothing else has to be stored. Rules, chosen to be predictable rather than clever:
 *
 * - A template is NEW when no template of the previous run matches it. Matching is by id
 *   (same text), or, because a template can become more general as more lines are seen
 *   ("user admin" last time, "user <*>" now), by one template covering the other word for
 *   word with `<*>` standing for any word. With no previous run, nothing is new: there is
 *   nothing to be new against, and flagging every template would bury the signal.
 * - A template SPIKED when it is not new, has at least `minCount` lines in this window, and
 *   its rate (lines per second of window) is at least `ratio` times the previous rate. When
 *   either window's length is unknown (a first run reads all history, with no start), counts
 *   are compared instead of rates. The previous count of a template is the sum over all the
 *   previous templates it matches. Defaults: ratio 3, minCount 10: a template going from 2
 *   lines to 7 is noise; from 20 an hour to 200 an hour is not.
 */

import { WILDCARD } from './masker';

export interface PreviousTemplate {
  id: string;
  template: string;
  count: number;
}

/** What is needed of the previous successful run: its output (or the same fields). */
export interface PreviousSummary {
  /** The run's id, echoed as `since_run_id`. */
  run_id?: string | null;
  window?: { since: string | null; until: string } | null;
  templates: PreviousTemplate[];
}

export interface SpikeRule {
  /** Rate increase factor that counts as a spike (default 3). */
  ratio?: number;
  /** Fewest lines in this window for a spike (default 10). */
  minCount?: number;
}

export interface Comparison {
  isNew: boolean;
  spike: boolean;
  previousCount: number;
  /** Rates were compared (both windows have a length), not counts. */
  byRate: boolean;
  /** This window's rate (or count) over the previous one's; Infinity when it had none. */
  factor: number;
}

/** Compares templates against a previous summary; build once per run, ask per template. */
export class Baseline {
  private readonly byId = new Map<string, PreviousTemplate[]>();
  private readonly byLength = new Map<number, Array<{ tokens: string[]; t: PreviousTemplate }>>();
  private readonly previousSeconds: number | undefined;
  private readonly ratio: number;
  private readonly minCount: number;

  constructor(
    private readonly previous: PreviousSummary | null | undefined,
    private readonly currentSeconds: number | undefined,
    rule: SpikeRule = {},
  ) {
    this.ratio = rule.ratio ?? 3;
    this.minCount = rule.minCount ?? 10;
    this.previousSeconds = windowSeconds(previous?.window?.since ?? null, previous?.window?.until);
    for (const t of previous?.templates ?? []) {
      const list = this.byId.get(t.id) ?? [];
      list.push(t);
      this.byId.set(t.id, list);
      const tokens = t.template.split(' ');
      const same = this.byLength.get(tokens.length) ?? [];
      same.push({ tokens, t });
      this.byLength.set(tokens.length, same);
    }
  }

  compare(id: string, template: string, count: number): Comparison {
    if (!this.previous) return { isNew: false, spike: false, previousCount: 0, byRate: false, factor: 1 };
    const matched = new Set<PreviousTemplate>(this.byId.get(id) ?? []);
    const tokens = template.split(' ');
    for (const p of this.byLength.get(tokens.length) ?? []) {
      if (!matched.has(p.t) && (covers(tokens, p.tokens) || covers(p.tokens, tokens))) matched.add(p.t);
    }
    if (matched.size === 0) return { isNew: true, spike: false, previousCount: 0, byRate: false, factor: Infinity };
    let previousCount = 0;
    for (const p of matched) previousCount += p.count;
    const byRate = Boolean(this.currentSeconds && this.previousSeconds);
    const now = byRate ? count / this.currentSeconds! : count;
    const before = byRate ? previousCount / this.previousSeconds! : previousCount;
    const spike = count >= this.minCount && now >= this.ratio * before;
    return { isNew: false, spike, previousCount, byRate, factor: before > 0 ? now / before : Infinity };
  }
}

/** Seconds between two ISO times, or undefined when either is missing or they are not in order. */
export function windowSeconds(since: string | null | undefined, until: string | null | undefined): number | undefined {
  if (!since || !until) return undefined;
  const s = Date.parse(since);
  const u = Date.parse(until);
  if (!Number.isFinite(s) || !Number.isFinite(u) || u <= s) return undefined;
  return (u - s) / 1000;
}

function covers(general: readonly string[], specific: readonly string[]): boolean {
  if (general.length !== specific.length) return false;
  for (let i = 0; i < general.length; i++) if (general[i] !== WILDCARD && general[i] !== specific[i]) return false;
  return true;
}
