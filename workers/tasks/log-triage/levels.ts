/**
 * Log levels: the words loggers use for severity, and the one name each maps to.
 *
 * The output counts lines per level, so the spellings of one severity across ecosystems
 * (log4j WARN, syslog warning, Apache [warn], Go W, Python WARNING, Java SEVERE) must land
 * on the same key or the counts of two files could not be added.
 */

export type Level = 'trace' | 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'fatal';

const WORDS: Record<string, Level> = {
  trace: 'trace', finest: 'trace', finer: 'trace', verbose: 'trace',
  debug: 'debug', dbg: 'debug', fine: 'debug', config: 'debug',
  info: 'info', information: 'info', informational: 'info',
  notice: 'notice',
  warn: 'warn', warning: 'warn',
  error: 'error', err: 'error', severe: 'error', failure: 'error',
  crit: 'fatal', critical: 'fatal', fatal: 'fatal', alert: 'fatal', emerg: 'fatal', emergency: 'fatal', panic: 'fatal',
};

/** Single letters used as levels by klog, glog and Android logcat, only trusted in a header column. */
const LETTERS: Record<string, Level> = { V: 'trace', D: 'debug', I: 'info', W: 'warn', E: 'error', F: 'fatal', A: 'fatal' };

/**
 * The level a header word names, or undefined. Accepts the word bare or wrapped the usual
 * ways: `[notice]`, `<INFO>`, `WARN:`, `(error)`, `INFO,`.
 * Words that are also ordinary English in a message ("failure", "config", "alert") are
 * only accepted upper-case or wrapped, where they cannot be prose.
 */
export function levelOf(token: string, allowLetter = false): Level | undefined {
  // Runs for every token of every header, so no regex: unwrap by hand, then look the word up.
  // The longest level token is "[informational]:".
  const n = token.length;
  if (n === 0 || n > 16) return undefined;
  let start = 0;
  let end = n;
  const open = token.charCodeAt(0);
  const close = open === 0x5b ? 0x5d : open === 0x28 ? 0x29 : open === 0x3c ? 0x3e : open === 0x7b ? 0x7d : 0;
  let wrapped = false;
  if (close !== 0) {
    // `[notice]`, `<INFO>`, `(error)`, `[warn]:`
    if (token.charCodeAt(end - 1) === 0x3a) end--;
    if (token.charCodeAt(end - 1) !== close) return undefined;
    start = 1;
    end--;
    while (start < end && token.charCodeAt(start) === 0x20) start++;
    while (end > start && token.charCodeAt(end - 1) === 0x20) end--;
    wrapped = true;
  } else {
    // `WARN:`, `INFO,`
    const last = token.charCodeAt(end - 1);
    if (last === 0x3a || last === 0x2c) end--;
  }
  if (end <= start) return undefined;
  for (let i = start; i < end; i++) {
    const c = token.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return undefined;
  }
  const word = start === 0 && end === n ? token : token.slice(start, end);
  if (word.length === 1) return allowLetter ? LETTERS[word] : undefined;
  const lower = word.toLowerCase();
  // Own keys only: "constructor" is not a level.
  const level = Object.prototype.hasOwnProperty.call(WORDS, lower) ? WORDS[lower] : undefined;
  if (!level) return undefined;
  // A bare lower-case word is only a level when it is a common level spelling, not prose.
  if (!wrapped && word !== word.toUpperCase() && !COMMON.has(lower)) return undefined;
  return level;
}

/** Level spellings common enough to be trusted bare and lower-case. */
const COMMON = new Set(['debug', 'info', 'notice', 'warn', 'warning', 'error', 'fatal', 'trace', 'crit', 'emerg']);

/** The level named by the first word of a message written as `error: …` or `WARNING: …`. */
export function messageLevel(message: string): Level | undefined {
  const m = /^\s*([A-Za-z]+):\s/.exec(message);
  return m ? levelOf(m[1]) : undefined;
}
