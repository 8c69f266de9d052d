/**
 * The values behind a template's placeholders: which IPs, which users, which hosts, with
 * counts — what an on-call engineer asks first about a template.
 *
 * The miner only sees masked words, so values are recovered per line by aligning the raw
 * message's words with its masked words: a masked word with no `<*>` is the raw word itself;
 * one with `<*>` takes one raw word, or several when the masker folded a multi-word value
 * (`1.16 KB`, a date, `key="a b"`) — up to the next constant word. A line whose words cannot
 * be aligned is counted without values (the top values are then a little short, never wrong).
 *
 * Memory stays per template: a cluster keeps the first line's words and, per position, a
 * counter of the OTHER values seen there, created only where a value differed, and capped
 * at MAX_DISTINCT values per position (later new values are counted as "other").
 */

import { WILDCARD } from './masker';

/** Distinct values counted per position per cluster; beyond it new values only add to `other`. */
const MAX_DISTINCT = 256;
/** Longest value kept (a value is an example of data, not a payload). */
const MAX_VALUE_CHARS = 200;

export interface TopValues {
  /** Placeholder index in the template, 0 for its first `<*>`. */
  slot: number;
  values: Array<{ value: string; count: number }>;
  /** Lines whose value is not among `values`. */
  other: number;
}

/** Raw text behind each masked word, or undefined when the two do not line up. */
export function alignValues(raw: readonly string[], masked: readonly string[]): string[] | undefined {
  const out: string[] = new Array(masked.length);
  let r = 0;
  for (let j = 0; j < masked.length; j++) {
    const tok = masked[j];
    if (r >= raw.length) return undefined;
    if (!tok.includes(WILDCARD)) {
      if (raw[r] !== tok) return undefined;
      out[j] = tok;
      r++;
      continue;
    }
    const start = r++;
    const remaining = masked.length - j - 1;
    if (remaining === 0) r = raw.length;
    else {
      const next = masked[j + 1];
      if (!next.includes(WILDCARD)) while (r < raw.length && raw[r] !== next && raw.length - r > remaining) r++;
    }
    // Most values are one word: no array and join for them (this runs for every placeholder of every line).
    out[j] = r - start === 1 ? raw[start] : raw.slice(start, r).join(' ');
  }
  return r === raw.length ? out : undefined;
}

/** Per-cluster value counts (see the file comment for the memory rule). */
export class ValueCounts {
  private first: string[] | undefined;
  private firstCount = 0;
  private slots: Array<Map<string, number> | undefined> = [];
  private overflow: number[] = [];

  add(values: readonly string[]): void {
    if (!this.first) {
      this.first = values.map(clip);
      this.slots = new Array(values.length);
      this.overflow = new Array(values.length).fill(0);
    }
    if (values.length !== this.first.length) return;
    this.firstCount++;
    for (let i = 0; i < values.length; i++) {
      const v = clip(values[i]);
      if (v === this.first[i]) continue;
      const m = (this.slots[i] ??= new Map());
      const c = m.get(v);
      if (c !== undefined) m.set(v, c + 1);
      else if (m.size < MAX_DISTINCT) m.set(v, 1);
      else this.overflow[i]++;
    }
  }

  /** Adds this cluster's counts at `position` into `into`; returns the lines not itemised (overflow). */
  collect(position: number, into: Map<string, number>): number {
    if (!this.first || position >= this.first.length) return 0;
    const m = this.slots[position];
    let others = 0;
    if (m) for (const [v, c] of m) {
      into.set(v, (into.get(v) ?? 0) + c);
      others += c;
    }
    const firstValue = this.first[position];
    const firstTimes = this.firstCount - others - this.overflow[position];
    if (firstTimes > 0) into.set(firstValue, (into.get(firstValue) ?? 0) + firstTimes);
    return this.overflow[position];
  }
}

/**
 * Top `limit` values per placeholder of `template`, merged over the clusters that formed it.
 * `lines` is the template's line count: lines without aligned values count as `other`.
 */
export function topValues(template: readonly string[], parts: readonly ValueCounts[], lines: number, limit = 5, show: (v: string) => string = (v) => v): TopValues[] {
  const out: TopValues[] = [];
  let slot = 0;
  for (let i = 0; i < template.length; i++) {
    if (!template[i].includes(WILDCARD)) continue;
    const merged = new Map<string, number>();
    for (const p of parts) p.collect(i, merged);
    // Values are shown after redaction, so two values that redact alike are one row.
    const shown = new Map<string, number>();
    for (const [v, c] of merged) {
      const s = show(v);
      shown.set(s, (shown.get(s) ?? 0) + c);
    }
    const values = [...shown]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([value, count]) => ({ value, count }));
    const listed = values.reduce((n, v) => n + v.count, 0);
    out.push({ slot: slot++, values, other: Math.max(0, lines - listed) });
  }
  return out;
}

function clip(v: string): string {
  return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}…` : v;
}
