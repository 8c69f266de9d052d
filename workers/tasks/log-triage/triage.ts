/**
 * Log triage: lines in, the `ops.log_triage` summary out.
 *
 * Per file: the first lines are held back until the header shape is learned (preprocess.ts),
 * then every line is split into header and message, its level and time noted, its message
 * masked (masker.ts) and mined (miner.ts). One miner serves all files with a trusted header,
 * so a template logged by several files (rotated logs, replicas) is one template. At the
 * end, templates get their stable ids (ids.ts), counts, levels, time range, top values of
 * their placeholders (variables.ts), and flags (flags.ts) against the previous run's
 * summary (baseline.ts).
 *
 * A file with no header the learner trusts (no shape shared by half its lines, and not
 * JSON/logfmt) is mined twice, by its own miner and by Drain (drain.ts) on the same
 * messages. Whatever header junk is left in such messages can split the miner's templates
 * down to one per line, where Drain's similarity still groups; so when most of the file's
 * lines end up alone in a template of one line, Drain's grouping is used for that file. The
 * rule is about the shape of the output (one group per line is never an answer), not a
 * threshold fitted to a labelled score.
 *
 * The window: lines whose timestamp is at or before `since` (the end of the last
 * successful run) are skipped, so counts are "since the last run". A line without a
 * timestamp takes the one of the line before it (continuation lines of a stack trace belong
 * to their first line); a file with no parseable timestamps is counted whole.
 */

import { Baseline, windowSeconds, type PreviousSummary, type SpikeRule } from './baseline';
import { Drain } from './drain';
import { flagsOf, mainLevel, urgency, type Flag } from './flags';
import { templateId } from './ids';
import type { Level } from './levels';
import { maskTokens, splitWords, WILDCARD } from './masker';
import { TemplateMiner, type MinerOptions } from './miner';
import { learnHeader, splitHeader, type HeaderMemo, type HeaderModel } from './preprocess';
import { parseTimestamp } from './timestamps';
import { alignValues, topValues, ValueCounts, type TopValues } from './variables';

export interface TriageOptions {
  /** Example lines per template (1..20, default 3). */
  maxExamples?: number;
  /** Also list, per template, the one-based numbers of its lines and their file. */
  includeLineGroups?: boolean;
  /** The previous successful run's output; new and spike flags are relative to it. */
  previous?: PreviousSummary | null;
  /** Start of the window (ISO). Default: the previous run's `window.until`, else none (all lines). */
  since?: string | null;
  /** End of the window, when this scan started (ISO). Default: now. */
  until?: string;
  spike?: SpikeRule;
  miner?: MinerOptions;
  /**
   * Applied to example lines, template texts and placeholder values before they leave the
   * worker (the run's `redact` choice): a word that never varies, a password in a
   * connection string, stays in the template. Ids are computed before, so they do not change
   * with the mode.
   */
  redact?: (line: string) => string;
  /** Lines read before a file's header shape is learned (default 2000). */
  headerSample?: number;
  /**
   * false: learn no header, as if none could be trusted (the fallback). For measuring that
   * fallback; default true.
   */
  learnHeaders?: boolean;
  /** Most frequent values listed per placeholder (default 5). */
  topValues?: number;
}

export interface TriageTemplate {
  id: string;
  template: string;
  count: number;
  levels: Partial<Record<Level, number>>;
  /** The level most of its lines have; null when none had one. */
  level: Level | null;
  first_seen: string | null;
  last_seen: string | null;
  is_new: boolean;
  spike: boolean;
  flags: Flag[];
  /** Per placeholder, its most frequent values with counts. */
  variables: TopValues[];
  examples: string[];
  line_numbers?: number[];
  file?: string;
}

/** The `ops.log_triage` output. */
export interface TriageResult {
  files_scanned: number;
  lines: number;
  /** First and last timestamp read in the logs (in the window), ISO; null when none could be read. */
  time_range: { first: string | null; last: string | null };
  /** Whether examples, templates and values were masked. */
  redacted: boolean;
  templates: TriageTemplate[];
  new_templates: number;
  spikes: number;
  since_run_id: string | null;
  window: { since: string | null; until: string };
}

function noWildcard(tokens: readonly string[]): boolean {
  for (let i = 0; i < tokens.length; i++) if (tokens[i].includes(WILDCARD)) return false;
  return true;
}

/** A file's lines, sync or async (a readline interface is an AsyncIterable<string>). */
export interface LogSource {
  file: string;
  lines: Iterable<string> | AsyncIterable<string>;
}

const MAX_EXAMPLE_CHARS = 2000;
/** Cluster ids of one grouper stay under this; a tally's key is grouper * ID_SPACE + id. */
const ID_SPACE = 2 ** 31;

/** What is kept per provisional cluster (one per distinct masked message, roughly). */
interface Tally {
  count: number;
  levels: Map<Level, number>;
  examples: string[];
  /** Order of first appearance, so merged examples come out in log order. */
  first: number;
  values: ValueCounts;
  /** Timestamps of its first and last line, as written (parsed once, at the end). */
  firstStamp: string | undefined;
  lastStamp: string | undefined;
}

/** Something that groups masked messages: the miner or Drain. */
interface Grouper {
  add(tokens: readonly string[]): number;
  templateOf(id: number): string;
  finish?(): void;
}

/** A file with no trusted header: its own miner and Drain, one chosen at the end. */
interface Fallback {
  miner: number;
  drain: number;
}

/**
 * Streaming triage: `beginFile`, `push` each line, `endFile`, then `result()`.
 * Memory is per template (plus 12 bytes per line when line groups are requested).
 */
export class LogTriage {
  /** Grouper 0 is the shared miner; fallback files add their own pair. */
  private readonly groupers: Grouper[];
  private readonly fallbacks: Fallback[] = [];
  private readonly maxExamples: number;
  private readonly groups: boolean;
  private readonly sampleSize: number;
  private readonly since: number | undefined;
  private readonly sinceIso: string | null;
  private readonly until: string;
  private readonly untilMs: number;
  private readonly tallies = new Map<number, Tally>();
  /** What learning the header found per sampled line, while those lines are processed. */
  private memo: HeaderMemo | undefined;
  private readonly files: string[] = [];
  private lineCount = 0;
  private seq = 0;
  /** Each file's first and last timestamp as written (in the window), for the logs' time range. */
  private readonly edgeStamps: string[] = [];
  // Line groups, as parallel growable arrays: tally key, file index, line number.
  private groupKey = new Float64Array(0);
  private groupFile = new Int32Array(0);
  private groupLine = new Int32Array(0);
  private groupLength = 0;
  // Current file.
  private pending: string[] = [];
  private model: HeaderModel | undefined;
  private fallback: Fallback | undefined;
  private fileIndex = -1;
  private fileLine = 0;
  private lastTime: number | undefined;
  /** The current line's timestamp as written: its own, or the last one before it in the file. */
  private stamp: string | undefined;
  private fileFirstStamp: string | undefined;
  private fileLastStamp: string | undefined;
  private lastStamp: string | undefined;
  private lastStampTime: number | undefined;

  constructor(private readonly options: TriageOptions = {}) {
    this.groupers = [new TemplateMiner(options.miner)];
    this.maxExamples = Math.min(20, Math.max(1, options.maxExamples ?? 3));
    this.groups = options.includeLineGroups ?? false;
    this.sampleSize = options.headerSample ?? 2000;
    this.until = options.until ?? new Date().toISOString();
    this.untilMs = Date.parse(this.until);
    this.sinceIso = options.since !== undefined ? options.since : (options.previous?.window?.until ?? null);
    const since = this.sinceIso ? Date.parse(this.sinceIso) : NaN;
    this.since = Number.isFinite(since) ? since : undefined;
  }

  beginFile(file: string): void {
    if (this.fileIndex >= 0 && this.model === undefined) this.endFile();
    this.closeFileStamps();
    this.files.push(file);
    this.fileIndex = this.files.length - 1;
    this.fileLine = 0;
    this.pending = [];
    this.model = undefined;
    this.fallback = undefined;
    this.lastTime = undefined;
    this.stamp = undefined;
  }

  private closeFileStamps(): void {
    if (this.fileFirstStamp !== undefined) this.edgeStamps.push(this.fileFirstStamp, this.fileLastStamp!);
    this.fileFirstStamp = this.fileLastStamp = undefined;
  }

  push(line: string): void {
    if (this.fileIndex < 0) this.beginFile('(input)');
    if (this.model) {
      this.process(line);
      return;
    }
    this.pending.push(line);
    if (this.pending.length >= this.sampleSize) this.flush();
  }

  endFile(): void {
    if (!this.model) this.flush();
  }

  /** The summary. Call once, after the last file. */
  result(): TriageResult {
    if (this.fileIndex >= 0) this.endFile();
    this.closeFileStamps();
    for (const g of this.groupers) g.finish?.();
    const dropped = this.droppedGroupers();

    // Aggregate provisional clusters into templates (by text: two clusters may read the same).
    interface Agg {
      template: string;
      count: number;
      levels: Map<Level, number>;
      parts: Tally[];
    }
    const byText = new Map<string, Agg>();
    const textOf = new Map<number, string>();
    for (const [key, t] of this.tallies) {
      const g = Math.floor(key / ID_SPACE);
      if (t.count === 0 || dropped.has(g)) continue;
      const text = this.groupers[g].templateOf(key - g * ID_SPACE);
      textOf.set(key, text);
      let agg = byText.get(text);
      if (!agg) byText.set(text, (agg = { template: text, count: 0, levels: new Map(), parts: [] }));
      agg.count += t.count;
      for (const [l, n] of t.levels) agg.levels.set(l, (agg.levels.get(l) ?? 0) + n);
      agg.parts.push(t);
    }

    const baseline = new Baseline(this.options.previous, windowSeconds(this.sinceIso, this.until), this.options.spike);
    const lineGroups = this.groups ? this.collectLineGroups(textOf) : undefined;
    const redact = this.options.redact;
    const counted = [...byText.values()].reduce((n, a) => n + a.count, 0);

    const ranked: Array<{ rank: number; count: number; text: string; entries: TriageTemplate[] }> = [];
    let newCount = 0;
    let spikeCount = 0;
    for (const agg of byText.values()) {
      const id = templateId(agg.template);
      const shown = redact ? redact(agg.template) : agg.template;
      const cmp = baseline.compare(id, shown, agg.count);
      if (cmp.isNew) newCount++;
      if (cmp.spike) spikeCount++;
      const flags = flagsOf({
        count: agg.count,
        lines: counted,
        levels: agg.levels,
        isNew: cmp.isNew,
        spike: cmp.spike,
        previousCount: cmp.previousCount,
        previousRunId: this.options.previous?.run_id ?? null,
        byRate: cmp.byRate,
        ratio: cmp.factor,
      });
      agg.parts.sort((a, b) => a.first - b.first);
      const examples = agg.parts.flatMap((p) => p.examples).slice(0, this.maxExamples);
      const levels = Object.fromEntries([...agg.levels].sort((a, b) => b[1] - a[1])) as Partial<Record<Level, number>>;
      let firstSeen: number | undefined;
      let lastSeen: number | undefined;
      for (const p of agg.parts) {
        const first = p.firstStamp === undefined ? undefined : this.toTime(p.firstStamp);
        const last = p.lastStamp === undefined ? undefined : this.toTime(p.lastStamp);
        if (first !== undefined && (firstSeen === undefined || first < firstSeen)) firstSeen = first;
        if (last !== undefined && (lastSeen === undefined || last > lastSeen)) lastSeen = last;
      }
      const variables = topValues(
        agg.template.split(' '),
        agg.parts.map((p) => p.values),
        agg.count,
        this.options.topValues ?? 5,
        redact,
      );
      const base = {
        id,
        template: shown,
        levels,
        level: mainLevel(agg.levels),
        first_seen: iso(firstSeen),
        last_seen: iso(lastSeen),
        is_new: cmp.isNew,
        spike: cmp.spike,
        flags,
        variables,
        examples,
      };
      const entries: TriageTemplate[] = [];
      if (!lineGroups) entries.push({ ...base, count: agg.count });
      else {
        // Line numbers refer to one file, so a template seen in several files gets one entry per file.
        const perFile = lineGroups.get(agg.template) ?? new Map<number, number[]>();
        for (const [f, numbers] of [...perFile].sort((a, b) => a[0] - b[0])) {
          entries.push({ ...base, count: numbers.length, line_numbers: numbers, file: this.files[f] });
        }
      }
      ranked.push({ rank: urgency(flags), count: agg.count, text: agg.template, entries });
    }
    // Flagged first (new, spike, rare, error), then the most frequent.
    ranked.sort((a, b) => a.rank - b.rank || b.count - a.count || (a.text < b.text ? -1 : 1));

    return {
      files_scanned: this.files.length,
      lines: this.lineCount,
      time_range: this.timeRange(),
      redacted: redact !== undefined,
      templates: ranked.flatMap((r) => r.entries),
      new_templates: newCount,
      spikes: spikeCount,
      since_run_id: this.options.previous?.run_id ?? null,
      window: { since: this.sinceIso, until: this.until },
    };
  }

  /**
   * For each fallback file, the grouper NOT used: Drain's when the miner gave a real
   * grouping, the miner's when most of the file's lines sat alone in one-line templates.
   */
  private droppedGroupers(): Set<number> {
    const dropped = new Set<number>();
    if (this.fallbacks.length === 0) return dropped;
    const perText = new Map<number, Map<string, number>>();
    for (const f of this.fallbacks) perText.set(f.miner, new Map());
    const lines = new Map<number, number>();
    for (const [key, t] of this.tallies) {
      const g = Math.floor(key / ID_SPACE);
      const texts = perText.get(g);
      if (!texts || t.count === 0) continue;
      const text = this.groupers[g].templateOf(key - g * ID_SPACE);
      texts.set(text, (texts.get(text) ?? 0) + t.count);
      lines.set(g, (lines.get(g) ?? 0) + t.count);
    }
    for (const f of this.fallbacks) {
      let alone = 0;
      for (const n of perText.get(f.miner)!.values()) if (n === 1) alone++;
      const total = lines.get(f.miner) ?? 0;
      const degenerate = total > 1 && alone * 2 > total;
      dropped.add(degenerate ? f.miner : f.drain);
    }
    return dropped;
  }

  /** Learns the header from the held-back lines, then processes them. */
  private flush(): void {
    const lines = this.pending;
    this.pending = [];
    const memo: HeaderMemo = new Map();
    // Learned even when not used (learnHeaders false): the memo still saves the re-tokenizing.
    const learned = learnHeader(lines, memo);
    this.model = this.options.learnHeaders === false ? { shape: '', coverage: 0 } : learned;
    if (this.model.shape === '') {
      let structured = 0;
      let nonEmpty = 0;
      for (const l of lines) {
        if (l.trim() === '') continue;
        nonEmpty++;
        if (memo.get(l)?.structured) structured++;
      }
      if (structured * 2 <= nonEmpty) {
        this.fallback = { miner: this.groupers.length, drain: this.groupers.length + 1 };
        this.groupers.push(new TemplateMiner(this.options.miner), new Drain());
        this.fallbacks.push(this.fallback);
      }
    }
    this.memo = memo;
    for (const line of lines) this.process(line);
    this.memo = undefined;
  }

  private process(raw: string): void {
    this.lineCount++;
    this.fileLine++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const parsed = splitHeader(line, this.model!, this.memo);
    if (parsed.timestamp !== undefined) this.stamp = parsed.timestamp;
    // Times are parsed per line only to cut the window; otherwise once per template at the end
    // (a log is written in time order, so a template's first and last lines carry its range).
    if (this.since !== undefined) {
      if (parsed.timestamp !== undefined) {
        const time = this.toTime(parsed.timestamp);
        if (time !== undefined) this.lastTime = time;
      }
      if (this.lastTime !== undefined && this.lastTime <= this.since) return;
    }
    if (this.stamp !== undefined) {
      if (this.fileFirstStamp === undefined) this.fileFirstStamp = this.stamp;
      this.fileLastStamp = this.stamp;
    }
    const tokens = maskTokens(parsed.message);
    let key: number;
    if (this.fallback) {
      // Both groupers see the line; the tally of the one dropped at the end is ignored.
      this.record(this.fallback.drain * ID_SPACE + this.groupers[this.fallback.drain].add(tokens), line, parsed.level, parsed.message, tokens, false);
      key = this.fallback.miner * ID_SPACE + this.groupers[this.fallback.miner].add(tokens);
    } else key = this.groupers[0].add(tokens);
    this.record(key, line, parsed.level, parsed.message, tokens, true);
  }

  private record(key: number, line: string, level: Level | undefined, message: string, tokens: string[], group: boolean): void {
    let t = this.tallies.get(key);
    if (!t) {
      t = { count: 0, levels: new Map(), examples: [], first: this.seq++, values: new ValueCounts(), firstStamp: this.stamp, lastStamp: undefined };
      this.tallies.set(key, t);
    }
    t.count++;
    if (level) t.levels.set(level, (t.levels.get(level) ?? 0) + 1);
    if (this.stamp !== undefined) {
      t.firstStamp ??= this.stamp;
      t.lastStamp = this.stamp;
    }
    // A message the masker left whole (no placeholder) is its own values: no second split and alignment.
    const values = tokens.length === 0 ? undefined : noWildcard(tokens) ? tokens : alignValues(splitWords(message), tokens);
    if (values) t.values.add(values);
    if (t.examples.length < this.maxExamples) {
      const shown = line.length > MAX_EXAMPLE_CHARS ? `${line.slice(0, MAX_EXAMPLE_CHARS)}…` : line;
      t.examples.push(this.options.redact ? this.options.redact(shown) : shown);
    }
    if (this.groups && group) this.recordLine(key);
    // The fallback's Drain tally shares the line group of the miner's: both are written under the miner's key,
    // and re-keyed at the end when Drain wins (see collectLineGroups).
    if (this.groups && !group) this.drainKeys.set(this.groupLength, key);
  }

  /** Line index → Drain tally key, for lines of fallback files (the miner's key is in groupKey). */
  private readonly drainKeys = new Map<number, number>();

  /** First and last timestamp over all files, ISO. */
  private timeRange(): { first: string | null; last: string | null } {
    let min: number | undefined;
    let max: number | undefined;
    for (const s of this.edgeStamps) {
      const t = this.toTime(s);
      if (t === undefined) continue;
      if (min === undefined || t < min) min = t;
      if (max === undefined || t > max) max = t;
    }
    return { first: iso(min), last: iso(max) };
  }

  /** Header time to epoch ms; a year-less time (syslog) is put in the year that is not in the future. */
  private toTime(text: string): number | undefined {
    // Consecutive lines often carry the same stamp (same second): parse it once.
    if (text === this.lastStamp) return this.lastStampTime;
    const year = new Date(Number.isFinite(this.untilMs) ? this.untilMs : Date.now()).getUTCFullYear();
    let t = parseTimestamp(text, year);
    if (t !== undefined && Number.isFinite(this.untilMs) && t > this.untilMs + 86_400_000 && !/\d{4}/.test(text)) {
      t = parseTimestamp(text, year - 1);
    }
    this.lastStamp = text;
    this.lastStampTime = t;
    return t;
  }

  private recordLine(key: number): void {
    if (this.groupLength === this.groupKey.length) {
      const size = Math.max(1024, this.groupKey.length * 2);
      const keys = new Float64Array(size);
      keys.set(this.groupKey);
      this.groupKey = keys;
      const grow = (a: Int32Array) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      };
      this.groupFile = grow(this.groupFile);
      this.groupLine = grow(this.groupLine);
    }
    this.groupKey[this.groupLength] = key;
    this.groupFile[this.groupLength] = this.fileIndex;
    this.groupLine[this.groupLength] = this.fileLine;
    this.groupLength++;
  }

  /** Template text → file index → line numbers (ascending, as read). */
  private collectLineGroups(textOf: Map<number, string>): Map<string, Map<number, number[]>> {
    const out = new Map<string, Map<number, number[]>>();
    for (let i = 0; i < this.groupLength; i++) {
      // A fallback line whose miner grouping was dropped is grouped by its Drain tally.
      const text = textOf.get(this.groupKey[i]) ?? textOf.get(this.drainKeys.get(i) ?? NaN);
      if (text === undefined) continue;
      let perFile = out.get(text);
      if (!perFile) out.set(text, (perFile = new Map()));
      const f = this.groupFile[i];
      let list = perFile.get(f);
      if (!list) perFile.set(f, (list = []));
      list.push(this.groupLine[i]);
    }
    return out;
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** Triage of in-memory lines (one file). */
export function triageLines(lines: Iterable<string>, options: TriageOptions = {}, file = '(input)'): TriageResult {
  const t = new LogTriage(options);
  t.beginFile(file);
  for (const line of lines) t.push(line);
  t.endFile();
  return t.result();
}

/** Triage of several files, each given as its name and its lines (sync or async). */
export async function triage(sources: Iterable<LogSource> | AsyncIterable<LogSource>, options: TriageOptions = {}): Promise<TriageResult> {
  const t = new LogTriage(options);
  for await (const source of sources) {
    t.beginFile(source.file);
    for await (const line of source.lines) t.push(line);
    t.endFile();
  }
  return t.result();
}
