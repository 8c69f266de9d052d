/**
 * Log triage: lines in, the `ops.log_triage` summary out.
 *
 * Per file: the first lines are held back until the header shape is learned (preprocess.ts),
 * then every line is split into header and message, its level noted, its message masked
 * (masker.ts) and mined (miner.ts). One miner serves all files, so a template logged by
 * several files (rotated logs, replicas) is one template. At the end, templates get their
 * stable ids (ids.ts), counts, levels and examples, and are compared with the previous
 * run's summary (baseline.ts).
 *
 * The window: lines whose timestamp is at or before `since` (the end of the last
 * successful run) are skipped, so counts are "since the last run". A line without a
 * timestamp takes the one of the line before it (continuation lines of a stack trace belong
 * to their first line); a file with no parseable timestamps is counted whole.
 */

import { Baseline, windowSeconds, type PreviousSummary, type SpikeRule } from './baseline';
import { templateId } from './ids';
import type { Level } from './levels';
import { maskTokens } from './masker';
import { TemplateMiner, type MinerOptions } from './miner';
import { learnHeader, splitHeader, type HeaderModel } from './preprocess';
import { parseTimestamp } from './timestamps';

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
   * Applied to example lines and to template texts before they leave the worker
   * (DEBUG_REDACTED_MODE): a word that never varies, a password in a connection string, stays
   * in the template. Ids are computed before, so they do not change with the mode.
   */
  redact?: (line: string) => string;
  /** Lines read before a file's header shape is learned (default 2000). */
  headerSample?: number;
}

export interface TriageTemplate {
  id: string;
  template: string;
  count: number;
  levels: Partial<Record<Level, number>>;
  is_new: boolean;
  spike: boolean;
  examples: string[];
  line_numbers?: number[];
  file?: string;
}

/** The `ops.log_triage` output. */
export interface TriageResult {
  files_scanned: number;
  lines: number;
  templates: TriageTemplate[];
  new_templates: number;
  spikes: number;
  since_run_id: string | null;
  window: { since: string | null; until: string };
}

/** A file's lines, sync or async (a readline interface is an AsyncIterable<string>). */
export interface LogSource {
  file: string;
  lines: Iterable<string> | AsyncIterable<string>;
}

const MAX_EXAMPLE_CHARS = 2000;

/** What is kept per provisional cluster (one per distinct masked message, roughly). */
interface Tally {
  count: number;
  levels: Map<Level, number>;
  examples: string[];
  /** Order of first appearance, so merged examples come out in log order. */
  first: number;
}

/**
 * Streaming triage: `beginFile`, `push` each line, `endFile`, then `result()`.
 * Memory is per template (plus 12 bytes per line when line groups are requested).
 */
export class LogTriage {
  private readonly miner: TemplateMiner;
  private readonly maxExamples: number;
  private readonly groups: boolean;
  private readonly sampleSize: number;
  private readonly since: number | undefined;
  private readonly sinceIso: string | null;
  private readonly until: string;
  private readonly untilMs: number;
  private readonly tallies: Tally[] = [];
  private readonly files: string[] = [];
  private lineCount = 0;
  private seq = 0;
  // Line groups, as parallel growable arrays: cluster, file index, line number.
  private groupCluster = new Int32Array(0);
  private groupFile = new Int32Array(0);
  private groupLine = new Int32Array(0);
  private groupLength = 0;
  // Current file.
  private pending: string[] = [];
  private model: HeaderModel | undefined;
  private fileIndex = -1;
  private fileLine = 0;
  private lastTime: number | undefined;

  constructor(private readonly options: TriageOptions = {}) {
    this.miner = new TemplateMiner(options.miner);
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
    this.files.push(file);
    this.fileIndex = this.files.length - 1;
    this.fileLine = 0;
    this.pending = [];
    this.model = undefined;
    this.lastTime = undefined;
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
    this.miner.finish();

    // Aggregate provisional clusters into templates (by text: two clusters may read the same).
    interface Agg {
      template: string;
      count: number;
      levels: Map<Level, number>;
      parts: Tally[];
    }
    const byText = new Map<string, Agg>();
    const textOf: string[] = [];
    for (let c = 0; c < this.tallies.length; c++) {
      const t = this.tallies[c];
      if (!t || t.count === 0) continue;
      const text = this.miner.templateOf(c);
      textOf[c] = text;
      let agg = byText.get(text);
      if (!agg) byText.set(text, (agg = { template: text, count: 0, levels: new Map(), parts: [] }));
      agg.count += t.count;
      for (const [l, n] of t.levels) agg.levels.set(l, (agg.levels.get(l) ?? 0) + n);
      agg.parts.push(t);
    }

    const baseline = new Baseline(this.options.previous, windowSeconds(this.sinceIso, this.until), this.options.spike);
    const lineGroups = this.groups ? this.collectLineGroups(textOf) : undefined;

    const templates: TriageTemplate[] = [];
    let newCount = 0;
    let spikeCount = 0;
    const ordered = [...byText.values()].sort((a, b) => b.count - a.count || (a.template < b.template ? -1 : 1));
    for (const agg of ordered) {
      const id = templateId(agg.template);
      const shown = this.options.redact ? this.options.redact(agg.template) : agg.template;
      const cmp = baseline.compare(id, shown, agg.count);
      if (cmp.isNew) newCount++;
      if (cmp.spike) spikeCount++;
      const examples = agg.parts
        .sort((a, b) => a.first - b.first)
        .flatMap((p) => p.examples)
        .slice(0, this.maxExamples);
      const levels = Object.fromEntries([...agg.levels].sort((a, b) => b[1] - a[1])) as Partial<Record<Level, number>>;
      const base = { id, template: shown, levels, is_new: cmp.isNew, spike: cmp.spike, examples };
      if (!lineGroups) {
        templates.push({ ...base, count: agg.count });
        continue;
      }
      // Line numbers refer to one file, so a template seen in several files gets one entry per file.
      const perFile = lineGroups.get(agg.template) ?? new Map<number, number[]>();
      for (const [f, numbers] of [...perFile].sort((a, b) => a[0] - b[0])) {
        templates.push({ ...base, count: numbers.length, line_numbers: numbers, file: this.files[f] });
      }
    }

    return {
      files_scanned: this.files.length,
      lines: this.lineCount,
      templates,
      new_templates: newCount,
      spikes: spikeCount,
      since_run_id: this.options.previous?.run_id ?? null,
      window: { since: this.sinceIso, until: this.until },
    };
  }

  /** Learns the header from the held-back lines, then processes them. */
  private flush(): void {
    this.model = learnHeader(this.pending);
    const lines = this.pending;
    this.pending = [];
    for (const line of lines) this.process(line);
  }

  private process(raw: string): void {
    this.lineCount++;
    this.fileLine++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const parsed = splitHeader(line, this.model!);
    if (this.since !== undefined) {
      const time = parsed.timestamp ? this.toTime(parsed.timestamp) : undefined;
      if (time !== undefined) this.lastTime = time;
      if (this.lastTime !== undefined && this.lastTime <= this.since) return;
    }
    const cluster = this.miner.add(maskTokens(parsed.message));
    let t = this.tallies[cluster];
    if (!t) this.tallies[cluster] = t = { count: 0, levels: new Map(), examples: [], first: this.seq++ };
    t.count++;
    if (parsed.level) t.levels.set(parsed.level, (t.levels.get(parsed.level) ?? 0) + 1);
    if (t.examples.length < this.maxExamples) {
      const shown = line.length > MAX_EXAMPLE_CHARS ? `${line.slice(0, MAX_EXAMPLE_CHARS)}…` : line;
      t.examples.push(this.options.redact ? this.options.redact(shown) : shown);
    }
    if (this.groups) this.recordLine(cluster);
  }

  /** Header time to epoch ms; a year-less time (syslog) is put in the year that is not in the future. */
  private toTime(text: string): number | undefined {
    const year = new Date(Number.isFinite(this.untilMs) ? this.untilMs : Date.now()).getUTCFullYear();
    let t = parseTimestamp(text, year);
    if (t !== undefined && Number.isFinite(this.untilMs) && t > this.untilMs + 86_400_000 && !/\d{4}/.test(text)) {
      t = parseTimestamp(text, year - 1);
    }
    return t;
  }

  private recordLine(cluster: number): void {
    if (this.groupLength === this.groupCluster.length) {
      const size = Math.max(1024, this.groupCluster.length * 2);
      const grow = (a: Int32Array) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      };
      this.groupCluster = grow(this.groupCluster);
      this.groupFile = grow(this.groupFile);
      this.groupLine = grow(this.groupLine);
    }
    this.groupCluster[this.groupLength] = cluster;
    this.groupFile[this.groupLength] = this.fileIndex;
    this.groupLine[this.groupLength] = this.fileLine;
    this.groupLength++;
  }

  /** Template text → file index → line numbers (ascending, as read). */
  private collectLineGroups(textOf: string[]): Map<string, Map<number, number[]>> {
    const out = new Map<string, Map<number, number[]>>();
    for (let i = 0; i < this.groupLength; i++) {
      const text = textOf[this.groupCluster[i]];
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
