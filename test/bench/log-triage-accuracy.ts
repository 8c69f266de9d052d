/**
 * Log triage quality: grouping accuracy on the six Loghub 2k samples in
 * ../shared/data/loghub, from the raw `.log` files, with one configuration for all of them.
 *
 * The figure goes through the real output: each sample is triaged with
 * `include_line_groups`, and the line numbers of each template are the predicted groups,
 * scored against the hand-labelled `EventId`s of the `_structured.csv` (see that folder's
 * README for the definition). Throughput is lines per second of the whole pipeline (header
 * learning, masking, mining, output), best of a few passes over all six samples.
 *
 * Reference: Drain's published accuracies on the same six, with a hand-written log format
 * and regexes per dataset. `ratio` is our average over theirs.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './bench';
import { log, round } from './bench';
import { groupingAccuracy, labelsFromLineGroups, triageLines } from '../../workers/tasks/log-triage';

/** Where the six samples are: LOGHUB_DIR, else ../shared/data/loghub beside the repository. */
export const LOGHUB_DIR = process.env.LOGHUB_DIR ? path.resolve(process.env.LOGHUB_DIR) : path.join(__dirname, '..', '..', '..', 'shared', 'data', 'loghub');
/** Where to get them when they are missing. */
const WHERE_TO_GET = 'each <Name>/<Name>_2k.log and <Name>_2k.log_structured.csv comes from https://github.com/logpai/loghub (the 2k samples); set LOGHUB_DIR to the folder holding them';
export const DATASETS = ['HDFS', 'Apache', 'OpenSSH', 'Zookeeper', 'Linux', 'Proxifier'] as const;
/** Drain (He et al., ICWS 2017) as reported by the Loghub benchmark, per the samples' README. */
export const DRAIN: Record<(typeof DATASETS)[number], number> = {
  HDFS: 0.998,
  Apache: 1.0,
  OpenSSH: 0.788,
  Zookeeper: 0.967,
  Linux: 0.69,
  Proxifier: 0.527,
};
const TARGET = 0.9;

export interface LoghubSample {
  name: string;
  lines: string[];
  /** Ground-truth EventId per line. */
  truth: string[];
}

/** Loads one sample: the raw lines and the labels from the structured CSV. Throws with the path when missing. */
export function loadLoghub(name: string, dir = LOGHUB_DIR): LoghubSample {
  const logFile = path.join(dir, name, `${name}_2k.log`);
  const csvFile = path.join(dir, name, `${name}_2k.log_structured.csv`);
  for (const f of [logFile, csvFile]) {
    if (!fs.existsSync(f)) throw new Error(`Loghub sample missing: ${f}. Expected the six samples (${DATASETS.join(', ')}) under ${dir}: ${WHERE_TO_GET}`);
  }
  const text = fs.readFileSync(logFile, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const rows = parseCsv(fs.readFileSync(csvFile, 'utf8'));
  const header = rows[0];
  const lineIdCol = header.indexOf('LineId');
  const eventCol = header.indexOf('EventId');
  if (eventCol < 0 || lineIdCol < 0) throw new Error(`${csvFile}: no LineId/EventId columns`);
  const truth: string[] = new Array(lines.length);
  for (const row of rows.slice(1)) {
    if (row.length <= eventCol) continue;
    truth[Number(row[lineIdCol]) - 1] = row[eventCol];
  }
  if (truth.length !== lines.length || truth.some((t) => t === undefined)) {
    throw new Error(`${name}: ${lines.length} log lines but labels do not cover them all`);
  }
  return { name, lines, truth };
}

/** Grouping accuracy of one triage run over a sample, scored from the output's line groups. */
export function scoreSample(sample: LoghubSample): { accuracy: number; templates: number } {
  const result = triageLines(sample.lines, { includeLineGroups: true, maxExamples: 1 }, `${sample.name}_2k.log`);
  const predicted = labelsFromLineGroups(result.templates, sample.lines.length);
  return { accuracy: groupingAccuracy(predicted, sample.truth), templates: result.templates.length };
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export async function run(): Promise<BenchResult> {
  const samples = DATASETS.map((name) => loadLoghub(name));
  const accuracy: Record<string, number> = {};
  const templates: Record<string, number> = {};
  for (const s of samples) {
    const r = scoreSample(s);
    accuracy[s.name] = round(r.accuracy, 4);
    templates[s.name] = r.templates;
    log(`log-triage ${s.name}: grouping accuracy ${r.accuracy.toFixed(4)} (Drain ${DRAIN[s.name as keyof typeof DRAIN]}), ${r.templates} templates`);
  }
  const average = DATASETS.reduce((sum, n) => sum + accuracy[n], 0) / DATASETS.length;
  const drainAverage = DATASETS.reduce((sum, n) => sum + DRAIN[n], 0) / DATASETS.length;

  // Throughput: the whole pipeline over all six samples, best of five passes (the first warms the JIT).
  const totalLines = samples.reduce((n, s) => n + s.lines.length, 0);
  let best = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (const s of samples) triageLines(s.lines, { includeLineGroups: true });
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const linesPerSecond = totalLines / best;
  log(`log-triage: average ${average.toFixed(4)} vs Drain ${drainAverage.toFixed(4)}; ${Math.round(linesPerSecond)} lines/s`);

  return {
    accuracy,
    templates,
    average: round(average, 4),
    drain: DRAIN,
    drain_average: round(drainAverage, 4),
    lines_per_second: Math.round(linesPerSecond),
    lines: totalLines,
    target: `>=${TARGET.toFixed(2)}`,
    pass: average >= TARGET,
    ratio: round(average / drainAverage, 3),
  };
}
