/**
 * JSON Schema as every side of the product handles it: the one `JsonSchema` type, the one
 * `Violation` (where, which rule, a sentence) and `describeViolations`, and the validator of
 * the extension host and the webviews.
 *
 * The backend compiles schemas with Ajv (contracts/validator.ts, one instance per process) and
 * turns Ajv's errors into these Violations. A webview cannot: Ajv compiles schemas to code with
 * `new Function`, which a webview's strict CSP (no 'unsafe-eval') forbids. So `validate` below
 * interprets the subset the registry and the contracts use: type, enum, const,
 * anyOf/oneOf/allOf/not, properties, required, additionalProperties, patternProperties,
 * min/maxProperties, items, min/maxItems, uniqueItems, min/maxLength, pattern, minimum,
 * maximum, exclusiveMinimum/Maximum, multipleOf and a few formats. Anything else is ignored.
 * The extension host uses the same function (message checks, tool input prompts), so the
 * host and its panels never disagree about a value. Nothing here may import a Node module.
 */

/** A JSON Schema object, with the keywords the product reads by name typed. */
export interface JsonSchemaObject {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  [keyword: string]: unknown;
}

export type JsonSchema = boolean | JsonSchemaObject;

/** One thing wrong with a value. */
export interface Violation {
  /** JSON pointer of the offending value ('' is the root). */
  pointer: string;
  /** The keyword that failed (`required`, `type`, `minLength`, …). */
  rule: string;
  message: string;
}

/** Violations as one sentence, for an error message. */
export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((v) => v.message).join('; ');
}

/**
 * The violations carried in an error's details (`{violations: [...]}`, as the backend sends
 * them with invalid_input), tolerant of what a remote backend may send.
 */
export function violationsIn(details: unknown): Violation[] {
  const v = (details as { violations?: unknown } | null | undefined)?.violations;
  if (!Array.isArray(v)) return [];
  return v
    .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    .map((x) => ({
      pointer: typeof x.pointer === 'string' ? x.pointer : '',
      rule: typeof x.rule === 'string' ? x.rule : '',
      message: typeof x.message === 'string' ? x.message : 'invalid',
    }));
}

const MAX_DEPTH = 64;
const MAX_VIOLATIONS = 100;
const patternCache = new Map<string, RegExp | null>();

function regex(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(path: ReadonlyArray<string | number>): string {
  return path.map((p) => '/' + escapePointer(String(p))).join('');
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function typeOf(value: unknown): 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object' | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (t === 'boolean' || t === 'string' || t === 'object') return t;
  return 'undefined';
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
};

function describe(value: unknown): string {
  const t = typeOf(value);
  return t === 'integer' ? 'number' : t;
}

class Checker {
  readonly violations: Violation[] = [];
  add(pointer: string, rule: string, message: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push({ pointer, rule, message });
  }
  full(): boolean {
    return this.violations.length >= MAX_VIOLATIONS;
  }

  check(schema: JsonSchema, value: unknown, pointer: string, depth: number): void {
    if (schema === true || this.full()) return;
    const at = pointer || '/';
    if (schema === false) {
      this.add(pointer, 'false', `${at} is not allowed`);
      return;
    }
    if (depth > MAX_DEPTH) {
      this.add(pointer, 'depth', `${at} is nested too deeply`);
      return;
    }
    const s = schema;

    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => matchesType(value, t))) {
        this.add(pointer, 'type', `${at} must be ${types.join(' or ')}, not ${describe(value)}`);
        return;
      }
    }
    if (s.const !== undefined && !deepEqual(value, s.const)) this.add(pointer, 'const', `${at} must be ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
      this.add(pointer, 'enum', `${at} must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }

    if (Array.isArray(s.allOf)) for (const sub of s.allOf) this.check(sub as JsonSchema, value, pointer, depth + 1);
    if (Array.isArray(s.anyOf)) {
      const branches = s.anyOf as JsonSchema[];
      if (!branches.some((b) => validate(b, value, pointer, depth + 1).length === 0)) {
        // Report the closest branch: the one with fewest violations, so the message is useful.
        let best: Violation[] | null = null;
        for (const b of branches) {
          const v = validate(b, value, pointer, depth + 1);
          if (best === null || v.length < best.length) best = v;
        }
        if (best && best.length > 0 && branches.length > 1 && best.every((v) => v.rule === 'type' && v.pointer === pointer)) {
          this.add(pointer, 'anyOf', `${at} has the wrong type (${describe(value)})`);
        } else for (const v of best ?? []) this.add(v.pointer, v.rule, v.message);
      }
    }
    if (Array.isArray(s.oneOf)) {
      const n = (s.oneOf as JsonSchema[]).filter((b) => validate(b, value, pointer, depth + 1).length === 0).length;
      if (n !== 1) this.add(pointer, 'oneOf', `${at} must match exactly one alternative (matches ${n})`);
    }
    if (s.not !== undefined && validate(s.not as JsonSchema, value, pointer, depth + 1).length === 0) this.add(pointer, 'not', `${at} matches a form it must not`);

    const t = typeOf(value);
    if (t === 'string') this.string(s, value as string, pointer, at);
    else if (t === 'number' || t === 'integer') this.number(s, value as number, pointer, at);
    else if (t === 'array') this.array(s, value as unknown[], pointer, at, depth);
    else if (t === 'object') this.object(s, value as Record<string, unknown>, pointer, at, depth);
  }

  private string(s: Record<string, unknown>, v: string, pointer: string, at: string): void {
    const len = [...v].length;
    if (typeof s.minLength === 'number' && len < s.minLength) {
      this.add(pointer, 'minLength', s.minLength === 1 ? `${at} must not be empty` : `${at} must be at least ${s.minLength} characters`);
    }
    if (typeof s.maxLength === 'number' && len > s.maxLength) this.add(pointer, 'maxLength', `${at} must be at most ${s.maxLength} characters`);
    if (typeof s.pattern === 'string') {
      const re = regex(s.pattern);
      if (re && !re.test(v)) this.add(pointer, 'pattern', `${at} must match ${s.pattern}`);
    }
    if (typeof s.format === 'string' && FORMATS[s.format] && !FORMATS[s.format].test(v)) this.add(pointer, 'format', `${at} must be a valid ${s.format}`);
  }

  private number(s: Record<string, unknown>, v: number, pointer: string, at: string): void {
    if (!Number.isFinite(v)) this.add(pointer, 'type', `${at} must be a finite number`);
    if (typeof s.minimum === 'number' && v < s.minimum) this.add(pointer, 'minimum', `${at} must be ≥ ${s.minimum}`);
    if (typeof s.maximum === 'number' && v > s.maximum) this.add(pointer, 'maximum', `${at} must be ≤ ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) this.add(pointer, 'exclusiveMinimum', `${at} must be > ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) this.add(pointer, 'exclusiveMaximum', `${at} must be < ${s.exclusiveMaximum}`);
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
      this.add(pointer, 'multipleOf', `${at} must be a multiple of ${s.multipleOf}`);
    }
  }

  private array(s: Record<string, unknown>, v: unknown[], pointer: string, at: string, depth: number): void {
    if (typeof s.minItems === 'number' && v.length < s.minItems) this.add(pointer, 'minItems', `${at} must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) this.add(pointer, 'maxItems', `${at} must have at most ${s.maxItems} items`);
    if (s.uniqueItems === true) {
      for (let i = 0; i < v.length && i < 1000; i++) {
        for (let j = 0; j < i; j++) {
          if (deepEqual(v[i], v[j])) {
            this.add(`${pointer}/${i}`, 'uniqueItems', `${pointer}/${i} repeats item ${j}`);
            i = v.length;
            break;
          }
        }
      }
    }
    if (s.items !== undefined && !Array.isArray(s.items)) {
      for (let i = 0; i < v.length && !this.full(); i++) this.check(s.items as JsonSchema, v[i], `${pointer}/${i}`, depth + 1);
    }
  }

  private object(s: Record<string, unknown>, v: Record<string, unknown>, pointer: string, at: string, depth: number): void {
    const keys = Object.keys(v);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) this.add(pointer, 'minProperties', `${at} must have at least ${s.minProperties} properties`);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) this.add(pointer, 'maxProperties', `${at} must have at most ${s.maxProperties} properties`);
    if (Array.isArray(s.required)) {
      for (const r of s.required as string[]) {
        if (!Object.prototype.hasOwnProperty.call(v, r) || v[r] === undefined) this.add(`${pointer}/${escapePointer(r)}`, 'required', `${pointer}/${escapePointer(r)} is required`);
      }
    }
    const props = (typeof s.properties === 'object' && s.properties !== null ? s.properties : {}) as Record<string, JsonSchema>;
    const patterns = (typeof s.patternProperties === 'object' && s.patternProperties !== null ? s.patternProperties : {}) as Record<string, JsonSchema>;
    for (const k of keys) {
      if (this.full()) return;
      const child = `${pointer}/${escapePointer(k)}`;
      if (v[k] === undefined) continue;
      let matched = false;
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        matched = true;
        this.check(props[k], v[k], child, depth + 1);
      }
      for (const [p, sub] of Object.entries(patterns)) {
        const re = regex(p);
        if (re && re.test(k)) {
          matched = true;
          this.check(sub, v[k], child, depth + 1);
        }
      }
      if (!matched && s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) this.add(child, 'additionalProperties', `${child} is not an allowed property`);
        else this.check(s.additionalProperties as JsonSchema, v[k], child, depth + 1);
      }
    }
  }
}

/** Every violation of `value` against `schema` (empty when valid), at most 100. */
export function validate(schema: JsonSchema, value: unknown, pointer = '', depth = 0): Violation[] {
  const c = new Checker();
  c.check(schema, value, pointer, depth);
  return c.violations;
}

/** The sub-schema at a property path (through `properties` and `items`), or undefined. */
export function schemaAt(schema: JsonSchema, path: ReadonlyArray<string | number>): JsonSchema | undefined {
  let s: JsonSchema | undefined = schema;
  for (const p of path) {
    if (typeof s !== 'object' || s === null) return undefined;
    if (typeof p === 'number') s = s.items as JsonSchema | undefined;
    else s = (s.properties as Record<string, JsonSchema> | undefined)?.[p];
  }
  return s;
}
