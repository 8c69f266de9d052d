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
  const wrapped = /^[[(<{]\s*([A-Za-z]+)\s*[\])>}]:?$/.exec(token);
  const bare = wrapped ? undefined : /^([A-Za-z]+)[:,]?$/.exec(token);
  const word = (wrapped ?? bare)?.[1];
  if (!word) return undefined;
  if (word.length === 1) return allowLetter ? LETTERS[word] : undefined;
  const level = WORDS[word.toLowerCase()];
  if (!level) return undefined;
  // A bare lower-case word is only a level when it is a common level spelling, not prose.
  if (!wrapped && word !== word.toUpperCase() && !/^(?:debug|info|notice|warn|warning|error|fatal|trace|crit|emerg)$/i.test(word)) {
    return undefined;
  }
  return level;
}

/** The level named by the first word of a message written as `error: …` or `WARNING: …`. */
export function messageLevel(message: string): Level | undefined {
  const m = /^\s*([A-Za-z]+):\s/.exec(message);
  return m ? levelOf(m[1]) : undefined;
}
