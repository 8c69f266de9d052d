/**
 * ops.log_triage: template mining over log files, with no per-format configuration.
 *
 *   preprocess.ts  header (timestamp, level, host, process, component) learned per file
 *   structured.ts  JSON and logfmt lines: message and level by field name
 *   timestamps.ts  timestamp shapes, shared by header finding and masking
 *   levels.ts      level words and the names they map to
 *   masker.ts      variable values (numbers, ids, addresses, paths, sizes, …) → <*>
 *   miner.ts       online template mining: a word position becomes <*> once it is seen to vary
 *   drain.ts       Drain (fixed-depth tree + similarity), the yardstick for lines with no trusted header
 *   ids.ts         stable template ids (hash of the template text)
 *   baseline.ts    new / spike flags against the previous run's summary
 *   triage.ts      the pipeline and the ops.log_triage output
 *   sources.ts     log files under a folder, read as line streams (.gz too)
 *   accuracy.ts    grouping accuracy, to score a run against labelled lines
 */

export { triage, triageLines, LogTriage } from './triage';
export type { TriageOptions, TriageResult, TriageTemplate, LogSource } from './triage';
export { Baseline, windowSeconds } from './baseline';
export type { PreviousSummary, PreviousTemplate, SpikeRule } from './baseline';
export { TemplateMiner } from './miner';
export type { MinerOptions } from './miner';
export { Drain } from './drain';
export type { DrainOptions } from './drain';
export { maskMessage, maskTokens, WILDCARD } from './masker';
export { learnHeader, splitHeader, headerShape } from './preprocess';
export type { HeaderModel, ParsedLine } from './preprocess';
export { parseStructured } from './structured';
export { levelOf, messageLevel } from './levels';
export type { Level } from './levels';
export { parseTimestamp, maskTimestamps, isTimestamp } from './timestamps';
export { templateId } from './ids';
export { groupingAccuracy, labelsFromLineGroups } from './accuracy';
export { listLogFiles, readLines, logSources, resolveInside, PathOutsideLogsError } from './sources';
