/**
 * A tool's input JSON Schema as a list of questions for quick picks and input boxes, and the
 * answers back as the tool's input. Pure: no `vscode`, so every rule is unit-tested.
 *
 * - enums and booleans become pick lists; arrays of enums a multi-pick;
 * - strings, integers and numbers become input boxes, validated against the schema's limits;
 * - arrays of strings are typed comma-separated; other objects and arrays as JSON;
 * - nested objects are flattened (`deploy.cpu`); a field is required only if every object
 *   above it is required too;
 * - errors name the field ("max_steps must be an integer from 1 to 200").
 */
import { format, type Translate } from '../i18n';
import { validate, violationsIn, type JsonSchema, type JsonSchemaObject, type Violation } from '../../contracts/json-schema';

/** A schema where one is read as an object: `true` (anything) reads as `{}`. */
const asObject = (schema: JsonSchema | undefined): JsonSchemaObject => (typeof schema === 'object' && schema !== null ? schema : {});

interface PromptBase {
  /** Dotted path of the field (`deploy.cpu`), as shown to the user and used in errors. */
  field: string;
  path: string[];
  description?: string;
  required: boolean;
  default?: unknown;
  schema: JsonSchemaObject;
}

export interface PickOption {
  label: string;
  value: unknown;
  description?: string;
}

export type Prompt =
  | (PromptBase & { kind: 'pick'; options: PickOption[] })
  | (PromptBase & { kind: 'multipick'; options: PickOption[] })
  | (PromptBase & { kind: 'text'; valueType: 'string' | 'integer' | 'number' | 'list' | 'json'; placeholder?: string });

export interface PromptPlan {
  /** Asked one after the other. */
  required: Prompt[];
  /** Offered in one multi-select ("set any of these?"), then asked for those chosen. */
  optional: Prompt[];
}

/** The schema's type, ignoring "null" in a type list. */
export function mainType(schema: JsonSchemaObject): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.enum) return typeof schema.enum[0] === 'number' ? 'number' : typeof schema.enum[0] === 'boolean' ? 'boolean' : 'string';
  if (schema.properties) return 'object';
  return undefined;
}

export function planPrompts(schema: JsonSchemaObject, opts: { skip?: Iterable<string> } = {}): PromptPlan {
  const skip = new Set(opts.skip ?? []);
  const plan: PromptPlan = { required: [], optional: [] };
  walk(schema, [], true, skip, plan);
  return plan;
}

function walk(schema: JsonSchemaObject, path: string[], parentRequired: boolean, skip: Set<string>, plan: PromptPlan): void {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const [name, subSchema] of Object.entries(props)) {
    const sub = asObject(subSchema);
    const p = [...path, name];
    const field = p.join('.');
    if (skip.has(field) || sub.const !== undefined) continue;
    const isRequired = parentRequired && required.has(name);
    if (mainType(sub) === 'object' && sub.properties && Object.keys(sub.properties).length > 0) {
      walk(sub, p, isRequired, skip, plan);
      continue;
    }
    const prompt = promptFor(sub, p, isRequired);
    (isRequired ? plan.required : plan.optional).push(prompt);
  }
}

function promptFor(schema: JsonSchemaObject, path: string[], required: boolean): Prompt {
  const base: PromptBase = {
    field: path.join('.'),
    path,
    required,
    schema,
    ...(schema.description ?? schema.title ? { description: schema.description ?? schema.title } : {}),
    ...(schema.default !== undefined ? { default: schema.default } : {}),
  };
  const type = mainType(schema);
  if (schema.enum) return { ...base, kind: 'pick', options: schema.enum.map((v) => ({ label: String(v), value: v })) };
  if (type === 'boolean') {
    return {
      ...base,
      kind: 'pick',
      options: [
        { label: 'true', value: true },
        { label: 'false', value: false },
      ],
    };
  }
  const items = asObject(schema.items);
  if (type === 'array' && items.enum) return { ...base, kind: 'multipick', options: items.enum.map((v) => ({ label: String(v), value: v })) };
  if (type === 'array' && ['string', 'integer', 'number'].includes(mainType(items) ?? '')) return { ...base, kind: 'text', valueType: 'list', placeholder: 'a, b, c' };
  if (type === 'integer') return { ...base, kind: 'text', valueType: 'integer' };
  if (type === 'number') return { ...base, kind: 'text', valueType: 'number' };
  if (type === 'string' || type === undefined) return { ...base, kind: 'text', valueType: 'string' };
  return { ...base, kind: 'text', valueType: 'json', placeholder: type === 'object' ? '{"KEY": "value"}' : '[…]' };
}

export type Parsed = { ok: true; value: unknown; set: boolean } | { ok: false; error: string };

/**
 * Validates and parses what was typed for a text prompt. Empty means "not set" (an error if
 * the field is required). Every error names the field.
 */
export function parseText(prompt: Extract<Prompt, { kind: 'text' }>, raw: string, t: Translate = format): Parsed {
  const f = prompt.field;
  const text = prompt.valueType === 'string' ? raw : raw.trim();
  if (text === '' && !(prompt.valueType === 'string' && raw.length > 0)) {
    return prompt.required ? { ok: false, error: t('{0} is required', f) } : { ok: true, value: undefined, set: false };
  }
  const s = prompt.schema;
  switch (prompt.valueType) {
    case 'string': {
      const problem = checkString(f, text, s, t);
      return problem ? { ok: false, error: problem } : { ok: true, value: text, set: true };
    }
    case 'integer':
    case 'number': {
      const problem = checkNumber(f, text, s, prompt.valueType, t);
      return problem ? { ok: false, error: problem } : { ok: true, value: Number(text), set: true };
    }
    case 'list': {
      const items = asObject(s.items);
      const itemType = mainType(items) ?? 'string';
      const parts = text.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
      const values: unknown[] = [];
      for (const [i, part] of parts.entries()) {
        const itemField = `${f}[${i}]`;
        const problem = itemType === 'string' ? checkString(itemField, part, items, t) : checkNumber(itemField, part, items, itemType === 'integer' ? 'integer' : 'number', t);
        if (problem) return { ok: false, error: problem };
        values.push(itemType === 'string' ? part : Number(part));
      }
      const countProblem = checkCount(f, values, s, t);
      return countProblem ? { ok: false, error: countProblem } : { ok: true, value: values, set: true };
    }
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { ok: false, error: t('{0} must be JSON, e.g. {1}', f, prompt.placeholder ?? '{}') };
      }
      const type = mainType(s);
      if (type === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value))) return { ok: false, error: t('{0} must be a JSON object', f) };
      if (type === 'array' && !Array.isArray(value)) return { ok: false, error: t('{0} must be a JSON array', f) };
      if (type === 'object' && typeof s.additionalProperties === 'object' && mainType(asObject(s.additionalProperties)) === 'string') {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (typeof v !== 'string') return { ok: false, error: t('{0}.{1} must be a string', f, k) };
        }
      }
      return { ok: true, value, set: true };
    }
  }
}

/*
 * The checks below ask the shared validator (contracts/json-schema.ts, the one the panels use)
 * which rule a value breaks, and word the answer for an input box, naming the field.
 */
function firstViolation(schema: JsonSchemaObject, value: unknown): Violation | undefined {
  return validate(schema, value)[0];
}

function otherwise(f: string, v: Violation, t: Translate): string {
  return t('{0} is not valid: {1}', f, v.message);
}

function checkString(f: string, v: string, s: JsonSchemaObject, t: Translate): string | undefined {
  const broken = firstViolation(s, v);
  if (!broken) return undefined;
  switch (broken.rule) {
    case 'minLength':
      return s.minLength === 1 ? t('{0} must not be empty', f) : t('{0} must be at least {1} characters', f, s.minLength ?? '');
    case 'maxLength':
      return t('{0} must be at most {1} characters', f, s.maxLength ?? '');
    case 'pattern':
      return t('{0} must match {1}', f, s.pattern ?? '');
    case 'format':
      return t('{0} must be a valid {1}', f, s.format ?? '');
    default:
      return otherwise(f, broken, t);
  }
}

function checkNumber(f: string, v: string, s: JsonSchemaObject, kind: 'integer' | 'number', t: Translate): string | undefined {
  const n = Number(v);
  const wellFormed = kind === 'integer' ? /^[+-]?\d+$/.test(v) && Number.isSafeInteger(n) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) && Number.isFinite(n);
  const lo = s.minimum;
  const hi = s.maximum;
  const range = () => {
    const what = kind === 'integer' ? t('an integer') : t('a number');
    if (lo !== undefined && hi !== undefined) return t('{0} must be {1} from {2} to {3}', f, what, lo, hi);
    if (lo !== undefined) return t('{0} must be {1} of at least {2}', f, what, lo);
    if (hi !== undefined) return t('{0} must be {1} of at most {2}', f, what, hi);
    return t('{0} must be {1}', f, what);
  };
  if (!wellFormed) return range();
  const broken = firstViolation(s, n);
  if (!broken) return undefined;
  switch (broken.rule) {
    case 'type':
    case 'minimum':
    case 'maximum':
      return range();
    case 'exclusiveMinimum':
      return t('{0} must be greater than {1}', f, s.exclusiveMinimum ?? '');
    case 'exclusiveMaximum':
      return t('{0} must be less than {1}', f, s.exclusiveMaximum ?? '');
    default:
      return otherwise(f, broken, t);
  }
}

function checkCount(f: string, values: unknown[], s: JsonSchemaObject, t: Translate): string | undefined {
  const broken = firstViolation({ minItems: s.minItems, maxItems: s.maxItems, uniqueItems: s.uniqueItems }, values);
  if (!broken) return undefined;
  if (broken.rule === 'minItems') return t('{0} needs at least {1} items', f, s.minItems ?? '');
  if (broken.rule === 'maxItems') return t('{0} takes at most {1} items', f, s.maxItems ?? '');
  return otherwise(f, broken, t);
}

/** What a multi-pick answer must satisfy. */
export function checkPicked(prompt: Extract<Prompt, { kind: 'multipick' }>, values: unknown[], t: Translate = format): string | undefined {
  if (prompt.required && values.length === 0) return t('{0} is required', prompt.field);
  return checkCount(prompt.field, values, prompt.schema, t);
}

/** The text shown in an input box before the user types: the default, if any. */
export function initialText(prompt: Prompt): string {
  if (prompt.default === undefined) return '';
  if (prompt.kind === 'text' && prompt.valueType === 'list' && Array.isArray(prompt.default)) return prompt.default.join(', ');
  if (prompt.kind === 'text' && prompt.valueType === 'json') return JSON.stringify(prompt.default);
  return String(prompt.default);
}

/** The tool input: presets (dotted or plain keys) and answers, nested by path. */
export function buildInput(presets: Record<string, unknown>, answers: Array<{ path: string[]; value: unknown }>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const put = (path: string[], value: unknown) => {
    let obj = input;
    for (const key of path.slice(0, -1)) {
      const next = obj[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[key] = {};
      obj = obj[key] as Record<string, unknown>;
    }
    obj[path[path.length - 1]] = value;
  };
  for (const [k, v] of Object.entries(presets)) if (v !== undefined) put(k.split('.'), v);
  for (const a of answers) if (a.value !== undefined) put(a.path, a.value);
  return input;
}

/** A short one-line description of a prompt for pick lists ("integer, 1–200, default 40"). */
export function describePrompt(prompt: Prompt, t: Translate = format): string {
  const parts: string[] = [];
  const s = prompt.schema;
  if (prompt.kind === 'text') parts.push(prompt.valueType === 'list' ? t('comma-separated list') : prompt.valueType === 'json' ? 'JSON' : prompt.valueType);
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (prompt.default !== undefined) parts.push(t('default {0}', JSON.stringify(prompt.default)));
  return parts.join(', ');
}

/** The backend's invalid_input details as one line per violation ("/limit: must be <= 2000"). */
export function violationLines(details: unknown): string[] {
  return violationsIn(details).map((v) => `${v.pointer || '/'}: ${v.message}`);
}
