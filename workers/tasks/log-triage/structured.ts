/**
 * Structured log lines: JSON objects (one per line, as bunyan, pino, zap, logrus, Docker's
 * json-file driver and most cloud agents write them) and logfmt (`level=info msg="…"`).
 *
 * Their "header" is not a prefix but a set of fields, so the prefix learner in
 * preprocess.ts cannot find it; this file pulls the message and the level out by the field
 * names those libraries use. Other fields are dropped from the message: they are context
 * (request ids, durations) that would otherwise make every line its own template.
 */

import { levelOf, type Level } from './levels';

export interface StructuredLine {
  message: string;
  level?: Level;
  timestamp?: string;
}

const MESSAGE_KEYS = ['msg', 'message', 'log', 'text', 'event', 'MESSAGE', '@message', 'Message', 'short_message'];
const LEVEL_KEYS = ['level', 'lvl', 'severity', 'loglevel', 'log_level', 'levelname', 'Level', 'Severity', '@level', 'PRIORITY'];
const TIME_KEYS = ['time', 'ts', 'timestamp', '@timestamp', 'datetime', 'date', 't', 'Timestamp', 'eventTime'];

/** Syslog PRIORITY numbers (journald JSON) to levels. */
const PRIORITY: Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'notice', 'info', 'debug'];

/** The message, level and time of a JSON or logfmt line, or undefined for any other line. */
export function parseStructured(line: string): StructuredLine | undefined {
  const t = line.trim();
  if (t.startsWith('{') && t.endsWith('}')) return fromJson(t);
  if (/^(?:[\w.@-]+=(?:"(?:[^"\\]|\\.)*"|\S*)\s+){1,}[\w.@-]+=/.test(t)) return fromLogfmt(t);
  return undefined;
}

function fromJson(text: string): StructuredLine | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  return fromFields(obj as Record<string, unknown>);
}

function fromLogfmt(text: string): StructuredLine | undefined {
  const fields: Record<string, unknown> = {};
  const re = /([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[2];
    fields[m[1]] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return fromFields(fields);
}

function fromFields(fields: Record<string, unknown>): StructuredLine | undefined {
  const key = MESSAGE_KEYS.find((k) => typeof fields[k] === 'string');
  if (!key) return undefined;
  let message = fields[key] as string;
  // Docker's json-file driver wraps the container's own line: {"log":"…\n","stream":"stderr"}.
  message = message.replace(/\r?\n$/, '');
  let level: Level | undefined;
  for (const k of LEVEL_KEYS) {
    const v = fields[k];
    if (typeof v === 'string') level = levelOf(v, true) ?? levelOf(`[${v}]`);
    else if (typeof v === 'number') level = k === 'PRIORITY' ? PRIORITY[v] : bunyanLevel(v);
    if (level) break;
  }
  const time = TIME_KEYS.map((k) => fields[k]).find((v) => typeof v === 'string' || typeof v === 'number');
  return { message, level, timestamp: time === undefined ? undefined : String(time) };
}

/** bunyan / pino numeric levels: 10 trace … 60 fatal. */
function bunyanLevel(n: number): Level | undefined {
  if (n >= 60) return 'fatal';
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  if (n >= 20) return 'debug';
  if (n >= 10) return 'trace';
  return undefined;
}
