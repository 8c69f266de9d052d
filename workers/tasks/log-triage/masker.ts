/**
 * Masking: replace the parts of a message that are obviously variable with `<*>` before
 * mining, so that the miner only has to decide about plain words.
 *
 * Every rule is about the SHAPE of a value (an IP address looks the same in every system),
 * never about a particular log. Three choices matter for grouping quality:
 *
 * - A value written as several words (a date, "1190 bytes (1.16 KB)", "<1 sec") becomes ONE
 *   placeholder, and placeholders that touch are folded into one. Otherwise the word count of
 *   a template would vary with its values, and miners that group by word count (this one
 *   does) would split it.
 * - Plain words are never masked here, not even values of `key=value` (user=root): whether a
 *   word is a variable (a user name) or part of the template (state=LOOKING, HTTPS vs SOCKS5)
 *   cannot be told from one line, only from how many different words appear in that place
 *   across lines, which is the miner's job. Values with digits, quotes or a known shape are
 *   masked here.
 * - Digits inside a word are masked only in runs of three or more (blk_-6952…, part-00056,
 *   task_0001): short ones are as often a constant (ssh2, SOCKS5, IPv6) as a variable
 *   (node1), and the miner decides those the same way as plain words.
 */

import { maskTimestamps } from './timestamps';

export const WILDCARD = '<*>';

/** Top-level domains a host name may end with. Two-letter country codes are accepted when the name has three or more labels. */
const GENERIC_TLDS =
  'com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|asia|aero|coop|jobs|tel|travel|io|co|ai|app|dev|cloud|online|site|' +
  'tech|xyz|top|shop|club|live|local|localdomain|lan|internal|intranet|corp|home|arpa';

/**
 * [pattern, replacement, gate]; applied in order, each to the output of the previous one.
 * A rule only runs when its gate (text, or a small pattern, every match contains) is in the
 * message: most messages have no '@' or '://', and a cheap test that fails saves the
 * rule's full scan, which is most of the masking time.
 */
const DIGIT = /\d/;
const RULES: Array<[RegExp, string, (string | RegExp | ((s: string) => boolean))?]> = [
  // URLs first: they contain hosts, paths and numbers that must go as one.
  [/\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}:\/\/[^\s"'<>()[\]{}]+/g, WILDCARD, '://'],
  // Email addresses.
  [/(?<![\w.+-])[\w.+-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}(?![\w-])/g, WILDCARD, '@'],
  // UUIDs. (Gate: two groups of four and their dashes, in every UUID; a bare '-' passed most messages.)
  [/\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g, WILDCARD, hasHexDashHex],
  // MAC addresses.
  [/(?<![\w:-])(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}(?![\w:-])/g, WILDCARD, hasFivePairs],
  // IPv6 (full, or compressed with ::), optionally [bracketed] with a port, a zone or an IPv4 tail.
  [
    /(?<![\w:.])\[?(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?)(?:\.\d{1,3}){0,3}(?:%\w+)?(?:\]:\d{1,5}|\])?(?![\w:])/g,
    WILDCARD,
    (s: string) => s.includes('::') || colons(s) >= 7,
  ],
  // Host names: two or more labels ending in a generic TLD, or three ending in a country code
  // (two with a port: csdnimg.cn:443), so file names (main.py, rpc.statd) are not hosts.
  [
    new RegExp(
      `(?<![\\w.@-])(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+(?:(?:${GENERIC_TLDS})(?::\\d{1,5})?|(?<=[a-zA-Z0-9-]\\.[a-zA-Z0-9-]+\\.)[a-z]{2}(?::\\d{1,5})?|[a-z]{2}:\\d{1,5})(?![\\w-]|\\.\\w)`,
      'g',
    ),
    WILDCARD,
    // A top-level domain: a dot, then a word that is a generic TLD or two lower-case letters.
    hasTopLevelDomain,
  ],
  // IPv4 with an optional port or prefix length (after host names, so 1.2.3.4.example.net goes whole).
  [/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5}|\/\d{1,2})?(?!\.?[\w-])/g, WILDCARD, /\d\.\d/],
  // Windows paths.
  [/(?<![\w])[A-Za-z]:\\[^\s"'<>|]*/g, WILDCARD, '\\'],
  // Unix paths: absolute, ./ ../ ~/, or relative with at least two slashes (src/main/x.c).
  [/(?<![\w.:/<>*-])(?:~|\.{1,2})?\/(?:[\w.@%+~,:=-]|<\*>)+(?:\/(?:[\w.@%+~,:=-]|<\*>)*)*/g, WILDCARD, '/'],
  // (Gate: two slashes with a name between, in every match; a bare '/' passed every path the rule above takes.)
  [/(?<![\w./-])[\w.-]+\/[\w.-]+\/[\w./-]*/g, WILDCARD, /[\w.-]\/[\w.-]+\//],
  // Hex: 0x…, and bare runs of 6+ hex digits with both digits and letters (ids, hashes, addresses).
  [/(?<![\w])0[xX][0-9a-fA-F]+\b/g, WILDCARD, /0[xX]/],
  [/(?<![\w]|\w-)(?=[a-fA-F]*\d)(?=\d*[a-fA-F])[0-9a-fA-F]{6,}(?![\w])/g, WILDCARD, /\d[a-fA-F]|[a-fA-F]\d/],
  // Sizes and durations, with their unit, as one value: 1.16 KB, 10ms, <1 sec, 5 seconds, 45%.
  [
    /(?<![\w.])[<>~]?=?-?\d+(?:[.,]\d+)?\s?(?:[KMGTPE]i?B|[kKMGT]b(?:ps|it)?|[kKMG]?bytes?|B|bps|ms|us|µs|ns|s|sec|secs|seconds?|mins?|minutes?|hrs?|hours?|days?|%)(?![\w])/g,
    WILDCARD,
    /\d\s?[KMGTPEkbBmuµnshd%]/,
  ],
  // Quoted values after '=' (key="a b c").
  [/=(?:"[^"]*"|'[^']*')/g, `=${WILDCARD}`, '='],
  // Numbers standing alone (with sign, decimals, thousands, ratios, versions, times without seconds, a short unit).
  [/(?<![\w.]|[\w.][-+])[-+<>~]?v?\d+(?:[.,:/-]\d+)*[a-zA-Z]{0,2}(?![\w])/g, WILDCARD, DIGIT],
  // Long digit runs inside words: blk_-6952295868487656571, part-00056, task_200811101024.
  // After `name-` any run counts (node-7, node-246, pool-3-thread-12 are numbered members of
  // one family) and the dash stays, so node-7 and node-246 read alike.
  // Every alternative starts with a digit or '-' and a digit: that lookahead first fails most
  // positions in one step, before the four look-behinds are tried (this rule was the costliest scan).
  [/(?=-?\d)(?:(?<=[A-Za-z]-)\d+(?=-|[^\w-]|$)|(?<=_)-?\d{3,}|(?<=[A-Za-z_])\d{3,}|\d{3,}(?=[A-Za-z_]))/g, WILDCARD, /[A-Za-z_]-?\d|\d{3}[A-Za-z_]/],
];

/** Placeholders joined by punctuation (`<*>:<*>`, `<*>-<*>`) or written next to each other are one value. */
const FOLDS: Array<[RegExp, string]> = [
  [/<\*>(?:[.:/,_-]?<\*>)+/g, WILDCARD],
  // An annotation in brackets right after a value is part of it: "1190 bytes (1.16 KB)", "host ()".
  [/<\*>\s*[([](?:\s*<\*>)?\s*[)\]]/g, WILDCARD],
  [/<\*>(?:\s+<\*>)+/g, WILDCARD],
];

/**
 * A list of values is one value, however long: "delete blk_<*> blk_<*> blk_<*>" → "delete
 * blk_<*>". Words that contain `<*>` and repeat one after another are kept once. By hand,
 * not with a back-referencing regex, which tries every position of every message.
 */
function foldRepeats(s: string): string {
  // Most messages repeat no placeholder word: say so without building a copy.
  if (!hasRepeatedWildcardWord(s)) return s;
  let out = '';
  let prev = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    let j = i;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    const gap = s.slice(i, j);
    let k = j;
    while (k < n && !isSpace(s.charCodeAt(k))) k++;
    const word = s.slice(j, k);
    if (!(word !== '' && word === prev && word.includes(WILDCARD))) out += gap + word;
    prev = word;
    i = k;
  }
  return out;
}

/** Whether a word holding `<*>` is followed, after blanks, by the same word (what foldRepeats folds). */
function hasRepeatedWildcardWord(s: string): boolean {
  const n = s.length;
  let prevStart = -1;
  let prevEnd = -1;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isSpace(s.charCodeAt(i))) i++;
    if (i === start) break;
    const len = i - start;
    if (prevStart >= 0 && prevEnd - prevStart === len && s.startsWith(s.slice(prevStart, prevEnd), start)) {
      const w = s.indexOf(WILDCARD, start);
      if (w >= 0 && w + WILDCARD.length <= i) return true;
    }
    prevStart = start;
    prevEnd = i;
  }
  return false;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function colons(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) n++;
  return n;
}

/*
 * Gates written by hand: each is a necessary condition of its rule's pattern, tested with
 * indexOf and char codes instead of an unanchored regex that tries every position (the UUID
 * and MAC gates were among the costliest scans of a message).
 */
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
const hex4 = (s: string, at: number): boolean => isHex(s.charCodeAt(at)) && isHex(s.charCodeAt(at + 1)) && isHex(s.charCodeAt(at + 2)) && isHex(s.charCodeAt(at + 3));

/** `[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-` somewhere: in every UUID. */
function hasHexDashHex(s: string): boolean {
  for (let i = s.indexOf('-', 4); i >= 0; i = s.indexOf('-', i + 1)) {
    if (s.charCodeAt(i + 5) === 0x2d && hex4(s, i - 4) && hex4(s, i + 1)) return true;
  }
  return false;
}

/** `(?:[0-9a-fA-F]{2}[:-]){5}` somewhere: in every MAC address (its first separator is a ':' or a '-'). */
function hasFivePairs(s: string): boolean {
  return fivePairsAfter(s, ':') || fivePairsAfter(s, '-');
}
function fivePairsAfter(s: string, sep: string): boolean {
  for (let i = s.indexOf(sep, 2); i >= 0; i = s.indexOf(sep, i + 1)) {
    let k = 0;
    for (let at = i - 2; k < 5; k++, at += 3) {
      const c = s.charCodeAt(at + 2);
      if (!(isHex(s.charCodeAt(at)) && isHex(s.charCodeAt(at + 1)) && (c === 0x3a || c === 0x2d))) break;
    }
    if (k === 5) return true;
  }
  return false;
}

const TLDS = new Set(GENERIC_TLDS.split('|'));
/**
 * A dot followed by a word that is a generic top-level domain or two lower-case letters, not
 * followed by '-': where every host name the host rule takes ends (before an optional port).
 */
function hasTopLevelDomain(s: string): boolean {
  for (let i = s.indexOf('.'); i >= 0; i = s.indexOf('.', i + 1)) {
    let j = i + 1;
    while (j < s.length && isWordChar(s.charCodeAt(j))) j++;
    const len = j - i - 1;
    if (len < 2 || s.charCodeAt(j) === 0x2d) continue;
    const word = s.slice(i + 1, j);
    if (len === 2 ? word.charCodeAt(0) >= 97 && word.charCodeAt(0) <= 122 && word.charCodeAt(1) >= 97 && word.charCodeAt(1) <= 122 : TLDS.has(word)) return true;
  }
  return false;
}

/** The message with its variable parts replaced by `<*>`. */
export function maskMessage(message: string): string {
  let s = MAYBE_TIMESTAMP.test(message) ? maskTimestamps(message, WILDCARD) : message;
  for (let i = 0; i < RULES.length; i++) {
    const gate = RULES[i][2];
    const pass = gate === undefined || (typeof gate === 'string' ? s.includes(gate) : typeof gate === 'function' ? gate(s) : gate.test(s));
    if (pass) s = s.replace(RULES[i][0], RULES[i][1]);
  }
  // Folding only matters where two placeholders are present; a second pass only where the first changed something.
  const first = s.indexOf(WILDCARD);
  if (first >= 0 && s.indexOf(WILDCARD, first + 1) >= 0) {
    for (let i = 0; i < 2; i++) {
      const before = s;
      for (const [re, to] of FOLDS) if (s.includes(WILDCARD)) s = s.replace(re, to);
      s = foldRepeats(s);
      if (s === before) break;
    }
  }
  return s;
}

/**
 * What every timestamp shape (timestamps.ts) contains somewhere: a clock (`4:30`), a
 * year-first date, six digits in a row, a numeric date (or a dotted clock, `15.42.50`), or a
 * day before a month name. A decimal (`0.25`) is none of these, so it no longer costs a scan.
 * Tested first because the full timestamp pattern is the costliest scan of a message.
 */
const MAYBE_TIMESTAMP = /\d:\d\d|\d{4}[-/.]|\d{6}|\d[-/.]\d{1,2}[-/.]\d|\d[-/ ][A-Z][a-z]/;

/** The masked message split into words: the unit the miner works on. */
export function maskTokens(message: string): string[] {
  return splitWords(maskMessage(message));
}

/** Words separated by whitespace (what `s.trim().split(/\s+/)` gives, without the regex). */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(s.charCodeAt(i))) i++;
    words.push(s.slice(start, i));
  }
  return words;
}

/** True when a word is, or contains, a placeholder. */
export function hasWildcard(token: string): boolean {
  return token.includes(WILDCARD);
}

/** The hand-written gates, for the test that holds each to the pattern it stands for. */
export const MASK_GATES = { hasHexDashHex, hasFivePairs, hasTopLevelDomain, maybeTimestamp: (s: string): boolean => MAYBE_TIMESTAMP.test(s) };
