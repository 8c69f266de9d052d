/**
 * Header finding: split each line into its header (timestamp, level, host, process, thread,
 * component) and its message, with no per-format configuration.
 *
 * Why learn it from the file instead of listing formats: every system writes a different
 * header, but inside ONE file the header has the same shape on (nearly) every line while
 * messages vary. So each of the first tokens of a line is given a coarse class (timestamp,
 * level, number, bracketed group, `name:` tag, separator, plain word), and the header is
 * the longest run of leading classes that most sampled lines share and that ends where
 * headers end (a tag, a separator, a bracket, a level, a timestamp). Examples of what it
 * learns, none of them written down anywhere:
 *
 *   `081109 203615 148 INFO dfs.DataNode$PacketResponder: …`       → time num level tag
 *   `Jun 14 15:16:01 combo sshd(pam_unix)[19939]: …`               → time word tag
 *   `[Sun Dec 04 04:47:44 2005] [notice] …`                        → time level
 *   `2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/…] - …`   → time sep level bracket sep
 *   `[10.30 16:49:06] chrome.exe - …`                              → time word sep
 *
 * The message keeps everything after the header, so header parts that vary per line
 * (pids, thread names, hosts) never split a template, and parts that are constant cost
 * nothing. Lines that do not fit the learned shape (continuations, a foreign line) only
 * lose their leading timestamp and level.
 */

import { levelOf, messageLevel, type Level } from './levels';
import { parseStructured, type StructuredLine } from './structured';
import { isTimestamp, timestampAt } from './timestamps';

/** Token classes. One letter each so a line's header shape is a short string. */
type Cls =
  | 'T' // timestamp (may span several words)
  | 'L' // level
  | 'N' // number or hex id (pid, thread id)
  | 'B' // bracketed group: [main], (pam_unix), <14>, [QuorumPeer[myid=1]/…]
  | 'C' // tag ending a header: `sshd[24200]:`, `kernel:`, `dfs.FSNamesystem:`, `main.go:42]`
  | 'S' // separator: - | : -- >
  | 'W'; // any other word (host, program name, or message text)

export interface Tok {
  cls: Cls;
  start: number;
  end: number;
  level?: Level;
}

/** Tokens looked at per line: headers are short; messages are not header. */
const MAX_HEADER_TOKENS = 10;
/** Share of sampled lines that must have a header shape for it to be THE header of the file. */
const MIN_COVERAGE = 0.5;
/** A longer header shape must cover at least this share of what the most common one covers. */
const NEARLY_AS_COMMON = 0.8;
/** Classes a header may end with. A plain word may not: it is more likely message text. */
const ENDS_HEADER = new Set<Cls>(['T', 'L', 'N', 'B', 'C', 'S']);
/** A plain word belongs to a header only right before one of these (host before a tag, program before a separator). */
const AFTER_HEADER_WORD = new Set<Cls>(['C', 'S', 'T', 'L']);

/** What was learned about a file's header. `shape` is '' when the file has none. */
export interface HeaderModel {
  shape: string;
  /** Share of the sample that had that shape. */
  coverage: number;
}

export interface ParsedLine {
  /** The message: the line without its header. */
  message: string;
  /** The header as written (empty when none was found). */
  header: string;
  level?: Level;
  /** The header's timestamp as written, when it had one. */
  timestamp?: string;
}

/** Splits the start of a line into classed tokens, at most `max` of them. */
function tokenize(line: string, max: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = line.length;
  while (toks.length < max) {
    // Char codes, not one-letter strings: this loop runs over the header of every line.
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    // klog / glog: `I0614 15:16:01.123456` is level letter + month/day + time, one header field.
    const first = line.charCodeAt(i);
    const klog = (first === 73 || first === 87 || first === 69 || first === 70 || first === 68) && /^([IWEFD])(\d{4})\s/.exec(line.slice(i, i + 6));
    if (klog) {
      const ts = timestampAt(line, i + 6);
      if (ts > 0) {
        i += 6 + ts;
        toks.push({ cls: 'T', start, end: i, level: levelOf(klog[1], true) });
        continue;
      }
    }
    const ts = timestampAt(line, i);
    if (ts > 0) {
      i += ts;
      const after = line.charCodeAt(i);
      if (after === 0x3a || after === 0x2c) i++; // "12:00:01: message", "… 04:30:30, Info"
      toks.push({ cls: 'T', start, end: i, level: undefined });
      continue;
    }
    if (first === 0x5b || first === 0x28 || first === 0x3c || first === 0x7b) {
      const close = matchBracket(line, i);
      if (close > 0) {
        i = close + 1;
        while (i < n && !isBlank(line.charCodeAt(i))) i++; // "[main]:" keeps its colon
        const text = line.slice(start, i);
        const inner = line.slice(start + 1, close);
        const level = levelOf(text);
        toks.push({ cls: isTimestamp(inner) ? 'T' : level ? 'L' : 'B', start, end: i, level });
        continue;
      }
    }
    // '|' separates fields even without spaces around it (20171223-22:15:29:606|Step_LSC|…).
    if (first === 0x7c) {
      i++;
      toks.push({ cls: 'S', start, end: i, level: undefined });
      continue;
    }
    while (i < n) {
      const c = line.charCodeAt(i);
      if (isBlank(c) || c === 0x7c) break;
      i++;
    }
    // Most tokens are plain words or numbers too long to be a level: class them from their
    // first and last characters, without cutting the text out (this is the hottest loop).
    const len = i - start;
    const last = line.charCodeAt(i - 1);
    const letterFirst = (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
    if (len > 16 && letterFirst && last !== 0x3a && last !== 0x5d) {
      toks.push({ cls: 'W', start, end: i, level: undefined });
    } else {
      const text = line.slice(start, i);
      const level = levelOf(text, true);
      toks.push({ cls: level ? 'L' : classify(text), start, end: i, level });
    }
    // Three plain words in a row are message text: no header goes on past them.
    const k = toks.length;
    if (k >= 3 && toks[k - 1].cls === 'W' && toks[k - 2].cls === 'W' && toks[k - 3].cls === 'W') break;
  }
  return toks;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Separator tokens: `-`, `--`, `---`, `|`, `:`, `::`, `>`, `>>`, `->`, `=>`, `»`, `—`, `*`. */
const SEPARATORS: ReadonlySet<string> = new Set(['-', '--', '---', '|', ':', '::', '>', '>>', '->', '=>', '»', '—', '*']);

/**
 * `^(?:#?\d+|0x[0-9a-fA-F]+|\d+[:/]\d+):?$` by hand (a pid, a line number, `0x1f`, `3/4`,
 * each with an optional ':'): number-like header fields are common, and this ran as a regex
 * on every one of them.
 */
export function isNumberToken(text: string): boolean {
  const end = text.charCodeAt(text.length - 1) === 0x3a ? text.length - 1 : text.length;
  if (end === 0) return false;
  const c0 = text.charCodeAt(0);
  if (c0 === 0x30 && end > 2 && text.charCodeAt(1) === 0x78) {
    let i = 2;
    while (i < end && isHexCode(text.charCodeAt(i))) i++;
    if (i === end) return true;
  }
  let i = c0 === 0x23 ? 1 : 0;
  const digitsFrom = i;
  while (i < end && isDigitCode(text.charCodeAt(i))) i++;
  if (i === digitsFrom) return false;
  if (i === end) return true;
  // `\d+[:/]\d+`: no '#' before it.
  const sep = text.charCodeAt(i);
  if (digitsFrom !== 0 || (sep !== 0x3a && sep !== 0x2f)) return false;
  const after = ++i;
  while (i < end && isDigitCode(text.charCodeAt(i))) i++;
  return i === end && i > after;
}
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isHexCode = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

function classify(text: string): Cls {
  const c = text.charCodeAt(0);
  // A plain word (a letter first, no ':' at the end, no ']') is the common case: decide it without regexes.
  const last = text.charCodeAt(text.length - 1);
  if (((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) && last !== 0x3a && last !== 0x5d) return 'W';
  if (SEPARATORS.has(text)) return 'S';
  if (isNumberToken(text)) return 'N';
  // A tag: ends with ':' (`kernel:`, `sshd[1]:`, `syslogd 1.4.1:`) or with a bracket it did not open (`main.go:42]`).
  if (/^[^\s:][^\s]*:$/.test(text) && !/:\/\//.test(text)) return 'C';
  if (/^[A-Za-z_$.][^\s[]*\]$/.test(text)) return 'C';
  return 'W';
}

/** Index of the bracket closing the one at `open`, honouring nesting; -1 when unbalanced or too far. */
function matchBracket(line: string, open: number): number {
  // Char codes and a small stack of expected closers: this runs on every bracketed header field.
  const stack: number[] = [];
  const limit = Math.min(line.length, open + 256);
  for (let i = open; i < limit; i++) {
    const c = line.charCodeAt(i);
    const closer = c === 0x5b ? 0x5d : c === 0x28 ? 0x29 : c === 0x3c ? 0x3e : c === 0x7b ? 0x7d : 0;
    if (closer !== 0) stack.push(closer);
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/**
 * The class string of a line's first tokens, with a run of one or two plain words written
 * as ONE `W`: a program or host name is sometimes two words (`chrome.exe *64 -`, `syslogd
 * 1.4.1:`), and the shape must not depend on that. `ends[i]` is where the i-th letter's
 * last token ends in the line.
 */
function shapeOf(toks: Tok[]): { shape: string; ends: number[] } {
  let shape = '';
  const ends: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.cls === 'W' && i + 1 < toks.length && toks[i + 1].cls === 'W' && (i + 2 >= toks.length || toks[i + 2].cls !== 'W')) {
      if (i === 0 || toks[i - 1].cls !== 'W') {
        shape += 'W';
        ends.push(toks[i + 1].end);
        i++;
        continue;
      }
    }
    shape += t.cls;
    ends.push(t.end);
  }
  return { shape, ends };
}

/** True when `shape` can be a whole header: it ends like one and every plain word in it sits right before a header field. */
function headerLike(shape: string): boolean {
  if (!ENDS_HEADER.has(shape[shape.length - 1] as Cls)) return false;
  for (let i = 0; i < shape.length - 1; i++) {
    if (shape[i] === 'W' && !AFTER_HEADER_WORD.has(shape[i + 1] as Cls)) return false;
  }
  return true;
}

/**
 * Learns the header shape of a file from a sample of its lines (the first few thousand are
 * plenty). The longest header-like shape shared by at least MIN_COVERAGE of the lines wins:
 * longest, because a file whose every line is `time level tag message` also has `time` and
 * `time level` on every line; but only among shapes nearly as common as the most common.
 */
export function learnHeader(sample: Iterable<string>, memo?: HeaderMemo): HeaderModel {
  const counts: Map<string, number>[] = Array.from({ length: MAX_HEADER_TOKENS + 1 }, () => new Map());
  const whole = new Map<string, number>();
  let total = 0;
  for (const line of sample) {
    if (line.trim() === '') continue;
    const structured = parseStructured(line);
    if (structured) {
      memo?.set(line, { structured });
      continue;
    }
    total++;
    const toks = tokenize(line, MAX_HEADER_TOKENS);
    memo?.set(line, { toks });
    const { shape } = shapeOf(toks);
    whole.set(shape, (whole.get(shape) ?? 0) + 1);
  }
  // Prefix counts from the distinct shapes (a file has few), not from every line.
  for (const [shape, c] of whole) {
    for (let h = 1; h <= shape.length; h++) {
      const prefix = shape.slice(0, h);
      counts[h].set(prefix, (counts[h].get(prefix) ?? 0) + c);
    }
  }
  const candidates: HeaderModel[] = [];
  for (let h = 1; h <= MAX_HEADER_TOKENS; h++) {
    for (const [shape, c] of counts[h]) {
      if (c / total >= MIN_COVERAGE && headerLike(shape)) candidates.push({ shape, coverage: c / total });
    }
  }
  // Longest wins, among shapes nearly as common as the most common one: a message that
  // happens to start with a level word or a tag on half the lines must not become header.
  const top = Math.max(0, ...candidates.map((c) => c.coverage));
  let best: HeaderModel = { shape: '', coverage: total === 0 ? 0 : 1 };
  for (const c of candidates) {
    if (c.coverage < top * NEARLY_AS_COMMON) continue;
    if (c.shape.length > best.shape.length || (c.shape.length === best.shape.length && c.coverage > best.coverage)) best = c;
  }
  return best;
}

/**
 * What learning the header found out about each sampled line (its tokens, or its JSON /
 * logfmt fields), so that splitting those same lines does not do it again.
 */
export type HeaderMemo = Map<string, { toks?: Tok[]; structured?: StructuredLine }>;

/** Splits one line into header and message using the file's learned header shape. */
export function splitHeader(line: string, model: HeaderModel, memo?: HeaderMemo): ParsedLine {
  const known = memo?.get(line);
  const structured = known ? known.structured : parseStructured(line);
  if (structured) return { message: structured.message, header: '', level: structured.level ?? messageLevel(structured.message), timestamp: structured.timestamp };

  const max = Math.max(model.shape.length * 2, 4);
  // The learner's tokens are the same as far as they go (tokenizing is left to right); cut to
  // the same count, so the shape read from them is the same too.
  const toks = known?.toks && max <= MAX_HEADER_TOKENS ? known.toks.slice(0, max) : tokenize(line, max);
  const { shape, ends } = shapeOf(toks);
  let cut = 0;
  if (model.shape && shape.startsWith(model.shape)) {
    cut = ends[model.shape.length - 1];
  } else {
    // Not the file's usual shape: strip only what is header beyond doubt, leading timestamps
    // and levels (and separators between them), so such lines still group with each other.
    let take = 0;
    while (take < toks.length && (toks[take].cls === 'T' || toks[take].cls === 'L' || (toks[take].cls === 'S' && take > 0))) take++;
    cut = take > 0 ? toks[take - 1].end : 0;
  }
  let level: Level | undefined;
  let timestamp: string | undefined;
  for (const t of toks) {
    if (t.end > cut) break;
    if (t.level && !level) level = t.level;
    if (t.cls === 'T' && timestamp === undefined) {
      // Without the ':' or ',' the tokenizer took with it ("12:00:01: message"); by hand, as this runs on every line.
      const last = line.charCodeAt(t.end - 1);
      timestamp = line.slice(t.start, last === 0x3a || last === 0x2c ? t.end - 1 : t.end);
    }
  }
  const message = line.slice(cut).trim();
  return { message, header: line.slice(0, cut).trim(), level: level ?? messageLevel(message), timestamp };
}

/** Exposed for tests: the class shape of the start of a line. */
export function headerShape(line: string): string {
  return shapeOf(tokenize(line, MAX_HEADER_TOKENS)).shape;
}
