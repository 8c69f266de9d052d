/**
 * What every JSON value the product takes in must be, whichever door it came through (REST
 * bodies, /mcp, the stdio relay, the CLI, webview messages through the extension): no
 * prototype keys, nothing nested deeper than MAX_JSON_DEPTH, no number JSON cannot write back
 * (1e400 parses as Infinity and would be stored as null), no lone UTF-16 surrogate (Postgres
 * cannot store one; `pg` would silently turn it into U+FFFD), no NUL (Postgres text cannot
 * hold it). A value that breaks a rule is refused, never coerced.
 *
 * Checked without recursion, so a hostile value cannot overflow the stack doing it; depth is
 * checked on the raw text before JSON.parse, so nothing deep is ever built.
 */

/** Deep enough for any tool input or patch; far below what would overflow a recursive walk. */
export const MAX_JSON_DEPTH = 64;


export interface JsonProblem {
  /** JSON Pointer of the offending value or key ('' for the whole text). */
  pointer: string;
  /** Which rule: depth, prototypeKey, finiteNumber, unicode, nul, json. */
  rule: string;
  message: string;
}

/** The nesting depth of JSON text, counted without parsing; stops as soon as it passes `max`. */
export function jsonTextDepth(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** JSON text as a value, or the first problem (depth first, before anything is built). */
export function parseStrictJson(text: string): { value: unknown } | { problem: JsonProblem } {
  if (jsonTextDepth(text) > MAX_JSON_DEPTH) return { problem: { pointer: '', rule: 'depth', message: `JSON is nested more than ${MAX_JSON_DEPTH} levels deep` } };
  let value: unknown;
  try {
    // Without a reviver `__proto__` becomes an own property (harmless until copied): the walk
    // below finds it and refuses the whole value.
    value = JSON.parse(text);
  } catch (err) {
    return { problem: { pointer: '', rule: 'json', message: `not valid JSON: ${(err as Error).message}` } };
  }
  const problem = jsonValueProblem(value);
  return problem ? { problem } : { value };
}

/**
 * The first rule `value` breaks, or null. For values that arrived already parsed (webview
 * messages, the CLI, tests) and, after parsing, for text.
 */
export function jsonValueProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: Array<{ v: unknown; pointer: string; depth: number }> = [{ v: value, pointer: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, pointer, depth } = stack.pop()!;
    const where = pointer || '/';
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) return { pointer, rule: problem.rule, message: `${where}: ${problem.message}` };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { pointer, rule: 'finiteNumber', message: `${where}: number ${String(v)} is out of range (JSON numbers must be finite)` };
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= maxDepth) return { pointer, rule: 'depth', message: `${where}: nested more than ${maxDepth} levels deep` };
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], pointer: `${pointer}/${i}`, depth: depth + 1 });
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i];
          const child = `${pointer}/${escapePointer(key)}`;
          // What reaches a prototype when assigned (`o[k] = v`) or copied by a careless merge:
          // `__proto__`, and `constructor` holding an object (`constructor.prototype`).
          if (key === '__proto__' || (key === 'constructor' && isObject((v as Record<string, unknown>)[key]))) {
            return { pointer: child, rule: 'prototypeKey', message: `${child}: the key "${key}" is not allowed (it names an object prototype)` };
          }
          const problem = stringProblem(key);
          if (problem) return { pointer: child, rule: problem.rule, message: `${child}: key ${problem.message}` };
          stack.push({ v: (v as Record<string, unknown>)[key], pointer: child, depth: depth + 1 });
        }
      }
    } else if (v !== null && typeof v !== 'boolean') {
      return { pointer, rule: 'json', message: `${where}: ${typeof v} is not a JSON value` };
    }
  }
  return null;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): { rule: string; message: string } | null {
  if (s.includes('\u0000')) return { rule: 'nul', message: 'contains a NUL character (\\u0000), which is not supported' };
  if (LONE_SURROGATE.test(s)) return { rule: 'unicode', message: 'contains a lone UTF-16 surrogate, which is not valid Unicode and cannot be stored' };
  return null;
}

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
