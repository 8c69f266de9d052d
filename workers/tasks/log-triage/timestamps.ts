/**
 * Timestamps in the forms real logs write them.
 *
 * Nothing here is keyed to one log format: the patterns are built from the few building
 * blocks every format combines (a calendar date in one of its orders, a month name, a
 * clock time, a fraction, a zone), so a format nobody listed still matches as long as it
 * combines the usual parts. Used twice: by the header finder (a timestamp at the start of
 * a line is header, never message) and by the masker (a timestamp inside a message is a
 * variable, and one that spans several words must become ONE placeholder, or the number
 * of words of a template would depend on how the date was written).
 */

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\\.?';
const WEEKDAY = '(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)[a-z]*,?';
/** A clock time: 12:03, 12:03:58, 12:03:58.123, 12:03:58,747, 15.42.50.675872 (dots, as BGL writes it). */
const CLOCK = '\\d{1,2}:\\d{2}(?::\\d{2})?(?:[.,:]\\d{1,9})?';
const CLOCK_ANY = `(?:${CLOCK}|\\d{2}\\.\\d{2}\\.\\d{2}(?:\\.\\d{1,9})?)`;
/** A zone: Z, +02:00, -0700, or a common abbreviation (only listed ones, so "INFO" is never read as a zone). */
const ZONE =
  '(?:\\s?(?:Z|[+-]\\d{2}:?\\d{2}|(?:UTC|GMT)(?:[+-]\\d{1,2}(?::?\\d{2})?)?|[ECMP][SD]T|CES?T|BST|IST|JST|KST|AEST|AEDT)(?![\\w]))?';

/** The date-and-time shapes, most specific first (the first match wins). */
const SHAPES: string[] = [
  // ISO 8601 and its relatives: 2015-07-29 17:41:44,747 / 2016-09-28T04:30:30.123Z / 2016/09/28 04:30 / 2005-06-03-15.42.50.675872
  `\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?:(?:[T\\s_]|-(?=\\d{2}[.:]))+${CLOCK_ANY}${ZONE})?`,
  // C ctime and syslog: Sun Dec 04 04:47:44 2005 / Jun 14 15:16:01 / Jun  4 2005 15:16:01
  `(?:${WEEKDAY}\\s+)?${MONTH}\\s+\\d{1,2},?(?:\\s+\\d{4})?\\s+${CLOCK}(?:\\s+\\d{4})?${ZONE}`,
  // Day-month-year with a month name: 10/Oct/2000:13:55:36 -0700 / 04-Dec-2005 10:00:01 / 4 Dec 2005 10:00
  `(?:${WEEKDAY}\\s+)?\\d{1,2}[-/ ]${MONTH}[-/ ]\\d{2,4}(?:[:\\s]${CLOCK})?${ZONE}`,
  // Numeric day-month-year or month-day-year: 12/31/2015 23:59:59 / 31.12.2015 23:59
  `\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{4}(?:[T\\s]+${CLOCK}${ZONE})?`,
  // Two-digit years need a time after them to be told from versions: 17/06/09 20:10:40
  `\\d{2}[-/.]\\d{2}[-/.]\\d{2}[T\\s]+${CLOCK}${ZONE}`,
  // Compact dates: 081109 203615 (yyMMdd HHmmss) / 20171223-22:15:29:606 / 20160928T043030
  `\\d{6}(?:\\d{2})?(?:[T\\s-]+(?:\\d{6}(?:[.,]\\d{1,9})?|${CLOCK}))`,
  // Month and day without a year: 10.30 16:49:06 / 03-17 16:13:38.811 / 07/26 12:03:58
  `\\d{1,2}[-/.]\\d{1,2}\\s+${CLOCK}`,
  // A clock time alone, with seconds (so "12:30" in a sentence is left to the number masker).
  `\\d{1,2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?${ZONE}`,
  // Epoch seconds (2001..2033) or milliseconds, optionally fractional.
  `1\\d{9}(?:\\.\\d{1,9})?(?!\\d)|1\\d{12}(?!\\d)`,
];

/** First three letters of the month and weekday names a timestamp may start with. */
const NAME_STARTS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/** Both ends are checked by hand: a timestamp never starts or ends inside a word. */
const ANY_SHAPE = SHAPES.map((s) => `(?:${s})`).join('|');

/** Sticky matcher: a timestamp starting exactly at `lastIndex`. */
const AT = new RegExp(`(?:${ANY_SHAPE})`, 'y');
/** Global matcher for masking timestamps anywhere in a message. */
const ANYWHERE = new RegExp(`(?<![\\w.:/-])(?:${ANY_SHAPE})(?![\\w:])`, 'g');

/**
 * The length of the timestamp starting at `offset` in `line`, or 0. A match must end at a
 * word boundary (space, end, a closing bracket or a separator), so "12345678 bytes" is not
 * read as a date.
 */
export function timestampAt(line: string, offset: number): number {
  // Every shape starts with a digit or a capitalized month/weekday name: skip the big regex otherwise.
  const c = line.charCodeAt(offset);
  if (c >= 65 && c <= 90) {
    // A capital starts a timestamp only as a month or weekday name.
    if (!NAME_STARTS.has(line.slice(offset, offset + 3))) return 0;
  } else if (!(c >= 48 && c <= 57)) return 0;
  AT.lastIndex = offset;
  const m = AT.exec(line);
  if (!m || m[0].length === 0) return 0;
  const end = offset + m[0].length;
  const next = line.charCodeAt(end);
  // End of line, whitespace, or punctuation that closes a header field.
  if (end >= line.length || /[\s\])},;|>]/.test(line[end]) || (next === 0x3a /* : */ && !/\d/.test(line[end + 1] ?? ''))) {
    return m[0].length;
  }
  return 0;
}

/** Replaces every timestamp inside `text` with `placeholder`. */
export function maskTimestamps(text: string, placeholder: string): string {
  return text.replace(ANYWHERE, placeholder);
}

/** True when the whole of `text` (trimmed) is one timestamp. */
export function isTimestamp(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && timestampAt(t, 0) === t.length;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Best-effort conversion of a header timestamp to epoch milliseconds, for the "since the
 * last run" window. Formats without a year (syslog) take `year`; without a zone, UTC is
 * assumed (the worker runs in UTC and so do most servers writing these logs). Returns
 * undefined when the text cannot be placed in time; such lines are kept, never dropped.
 */
export function parseTimestamp(text: string, year = new Date().getUTCFullYear()): number | undefined {
  const t = text.trim().replace(/^[[(]|[\])]$/g, '');
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s_-]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:[.,:](\d{1,9}))?)?\s?(Z|[+-]\d{2}:?\d{2})?/))) {
    return build(+m[1], +m[2], +m[3], m[4], m[5], m[6], m[7], m[8]);
  }
  if ((m = t.match(/^(?:[A-Za-z]{3,9},?\s+)?([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?(?:\s+(\d{4}))?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9}))?(?:\s+(\d{4}))?/))) {
    const month = MONTHS.indexOf(m[1].toLowerCase()) + 1;
    if (month === 0) return undefined;
    return build(+(m[3] ?? m[8] ?? year), month, +m[2], m[4], m[5], m[6], m[7], undefined);
  }
  if ((m = t.match(/^(\d{1,2})[-/ ]([A-Za-z]{3})[a-z]*[-/ ](\d{4})(?:[:\s](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s?([+-]\d{2}:?\d{2})?/))) {
    const month = MONTHS.indexOf(m[2].toLowerCase()) + 1;
    if (month === 0) return undefined;
    return build(+m[3], month, +m[1], m[4], m[5], m[6], undefined, m[7]);
  }
  if ((m = t.match(/^(\d{2})(\d{2})(\d{2})[\sT-]+(\d{2}):?(\d{2}):?(\d{2})/))) {
    return build(2000 + +m[1], +m[2], +m[3], m[4], m[5], m[6], undefined, undefined);
  }
  if ((m = t.match(/^(1\d{9})(?:\.(\d+))?$/))) return +m[1] * 1000 + Math.round(+`0.${m[2] ?? 0}` * 1000);
  if ((m = t.match(/^1\d{12}$/))) return +m[0];
  return undefined;
}

function build(y: number, mo: number, d: number, h?: string, mi?: string, s?: string, frac?: string, zone?: string): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const ms = frac ? Math.round(+`0.${frac}` * 1000) : 0;
  let t = Date.UTC(y, mo - 1, d, h ? +h : 0, mi ? +mi : 0, s ? +s : 0, ms);
  if (zone && zone !== 'Z') {
    const z = zone.replace(':', '');
    const sign = z[0] === '-' ? -1 : 1;
    t -= sign * (+z.slice(1, 3) * 60 + +z.slice(3, 5)) * 60_000;
  }
  return Number.isFinite(t) ? t : undefined;
}
