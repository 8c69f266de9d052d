/**
 * The backend's stdout carries one JSON "ready" line when it accepts requests; its stderr
 * carries JSON log lines. Both are parsed here, without `vscode`, so they are unit-tested.
 * The ready line's shape is the backend's contract (contracts/ready-line.ts); this reader is
 * lenient where it can be (an older backend without `mcp` still starts).
 */
import type { ReadyLine } from '../../contracts/ready-line';

export type { ReadyLine };

/** The ready line, or undefined for any other line (a banner, a warning, half a line). */
export function parseReadyLine(line: string): ReadyLine | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.event !== 'ready' || typeof v.url !== 'string' || !isHttpUrl(v.url)) return undefined;
  // `serve --role executor` has no editor API and no /mcp: not a backend the editor can use.
  if (v.role !== undefined && v.role !== 'all') return undefined;
  const mcp = typeof v.mcp === 'string' && isHttpUrl(v.mcp) ? v.mcp : `${v.url.replace(/\/+$/, '')}/mcp`;
  return {
    event: 'ready',
    url: v.url.replace(/\/+$/, ''),
    mcp,
    ...(typeof v.pid === 'number' ? { pid: v.pid } : {}),
    ...(typeof v.dataDir === 'string' ? { dataDir: v.dataDir } : {}),
    ...(v.store === 'pglite' || v.store === 'postgres' ? { store: v.store } : {}),
  };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Splits a byte/character stream into lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = '';
  /** A cap on one line, so a process that never prints a newline cannot grow memory forever. */
  constructor(private readonly maxLine = 1024 * 1024) {}

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split(/\r?\n/);
    this.rest = parts.pop() ?? '';
    if (this.rest.length > this.maxLine) {
      parts.push(this.rest);
      this.rest = '';
    }
    return parts;
  }

  /** What is left when the stream ends. */
  flush(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A backend stderr line as level + text for the log channel; non-JSON lines are warnings (crashes print stacks). */
export function parseStderrLine(line: string): { level: LogLevel; text: string } {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const v = JSON.parse(trimmed) as Record<string, unknown>;
      const level = v.level === 'debug' || v.level === 'info' || v.level === 'warn' || v.level === 'error' ? v.level : 'info';
      const { ts: _ts, level: _level, source, message, ...fields } = v;
      const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      return { level, text: `[${typeof source === 'string' ? source : 'backend'}] ${typeof message === 'string' ? message : trimmed}${extra}` };
    } catch {
      /* fall through */
    }
  }
  return { level: 'warn', text: line };
}
