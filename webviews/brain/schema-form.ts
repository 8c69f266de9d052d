/**
 * A form described from a JSON Schema, without the DOM: objects become groups, strings text
 * fields (or pick lists for enums), numbers and booleans their inputs, arrays of strings
 * editable lists; anything else is edited as JSON. Also the value helpers the form needs:
 * read and write at a path (immutably), fill in what a required part needs, and place each
 * validation message on the field it belongs to.
 */
import { escapePointer, parsePointer, pointerOf, type JsonSchema, type Violation } from '../../contracts/json-schema';
import { isPlainObject } from '../common/json-diff';

export type Path = ReadonlyArray<string | number>;

interface Base {
  path: Path;
  pointer: string;
  key: string;
  label: string;
  description?: string;
  required: boolean;
}

export type FormNode =
  | (Base & { kind: 'object'; children: FormNode[] })
  | (Base & { kind: 'text'; enum?: string[]; multiline: boolean; maxLength?: number })
  | (Base & { kind: 'number'; integer: boolean; minimum?: number; maximum?: number })
  | (Base & { kind: 'boolean' })
  | (Base & { kind: 'stringList'; item: JsonSchema })
  | (Base & { kind: 'json' });

const SPECIAL_LABELS: Record<string, string> = { dont: "Don't", do: 'Do' };

export function labelFor(key: string): string {
  if (SPECIAL_LABELS[key]) return SPECIAL_LABELS[key];
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function typesOf(s: Record<string, unknown>): string[] {
  if (Array.isArray(s.type)) return s.type as string[];
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  if (Array.isArray(s.enum)) return ['string'];
  return [];
}

const MAX_DEPTH = 12;

/** The form for `schema` at `path` (the root is an object group with an empty path). */
export function buildForm(schema: JsonSchema, path: Path = [], key = '', required = true, depth = 0): FormNode {
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as Record<string, unknown>;
  const base: Base = {
    path,
    pointer: pointerOf(path),
    key,
    label: typeof s.title === 'string' ? s.title : key ? labelFor(key) : 'Profile',
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    required,
  };
  const types = typesOf(s).filter((t) => t !== 'null');
  if (depth > MAX_DEPTH || types.length !== 1) return { ...base, kind: 'json' };
  switch (types[0]) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const req = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      return { ...base, kind: 'object', children: Object.entries(props).map(([k, sub]) => buildForm(sub, [...path, k], k, req.has(k), depth + 1)) };
    }
    case 'string':
      return {
        ...base,
        kind: 'text',
        ...(Array.isArray(s.enum) ? { enum: (s.enum as unknown[]).map(String) } : {}),
        multiline: !Array.isArray(s.enum) && (s.format === 'textarea' || /description|notes|summary|body/i.test(key)),
        ...(typeof s.maxLength === 'number' ? { maxLength: s.maxLength } : {}),
      };
    case 'integer':
    case 'number':
      return { ...base, kind: 'number', integer: types[0] === 'integer', ...(typeof s.minimum === 'number' ? { minimum: s.minimum } : {}), ...(typeof s.maximum === 'number' ? { maximum: s.maximum } : {}) };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'array': {
      const item = (s.items ?? {}) as JsonSchema;
      const itemTypes = typeof item === 'object' && item !== null ? typesOf(item as Record<string, unknown>) : [];
      if (itemTypes.length === 1 && itemTypes[0] === 'string') return { ...base, kind: 'stringList', item };
      return { ...base, kind: 'json' };
    }
    default:
      return { ...base, kind: 'json' };
  }
}

/** Every node of the form, depth first. */
export function walkForm(node: FormNode, out: FormNode[] = []): FormNode[] {
  out.push(node);
  if (node.kind === 'object') for (const c of node.children) walkForm(c, out);
  return out;
}

export function getAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** A copy of `root` with `value` at `path`; `undefined` removes the key (an emptied optional field). */
export function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const arr = Array.isArray(root) ? [...root] : [];
    if (rest.length === 0 && value === undefined) arr.splice(head, 1);
    else arr[head] = setAt(arr[head], rest, value);
    return arr;
  }
  const obj: Record<string, unknown> = isPlainObject(root) ? { ...root } : {};
  const next = rest.length === 0 ? value : setAt(obj[head], rest, value);
  if (next === undefined) delete obj[head];
  else obj[head] = next;
  return obj;
}

/** The value a new, empty required part starts with. */
export function emptyValue(node: FormNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const c of node.children) if (c.required) out[c.key] = emptyValue(c);
      return out;
    }
    case 'text':
      return node.enum?.[0] ?? '';
    case 'number':
      return node.minimum ?? 0;
    case 'boolean':
      return false;
    case 'stringList':
      return [];
    case 'json':
      return {};
  }
}

/** `value` with every required part the form shows filled in (so a blank profile can be edited). */
export function withRequired(node: FormNode, value: unknown): unknown {
  if (node.kind !== 'object') return value === undefined ? emptyValue(node) : value;
  const obj: Record<string, unknown> = isPlainObject(value) ? { ...value } : {};
  for (const c of node.children) {
    if (obj[c.key] === undefined) {
      if (c.required) obj[c.key] = emptyValue(c);
    } else if (c.kind === 'object') obj[c.key] = withRequired(c, obj[c.key]);
  }
  return obj;
}

/** What a text field's edit stores: an emptied optional field is removed, not saved as "". */
export function textValue(node: FormNode, text: string): string | undefined {
  return text === '' && !node.required ? undefined : text;
}

/** The value a number field's text stands for (undefined: empty optional; NaN: not a number). */
export function numberValue(node: FormNode & { kind: 'number' }, text: string): number | undefined {
  if (text.trim() === '') return node.required ? Number.NaN : undefined;
  const n = Number(text);
  return node.integer && Number.isFinite(n) && !Number.isInteger(n) ? Number.NaN : n;
}

/**
 * Which field each violation belongs to: its own pointer when a field has it, else the nearest
 * field above it. A server's pointers into the patch (`/patch/voice/tone`) are mapped back.
 */
export function placeViolations(violations: Violation[], fieldPointers: ReadonlySet<string>, prefix = ''): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of violations) {
    let pointer = v.pointer;
    if (prefix && (pointer === prefix || pointer.startsWith(`${prefix}/`))) pointer = pointer.slice(prefix.length);
    let tokens = parsePointer(pointer);
    let at = pointer;
    while (!fieldPointers.has(at) && tokens.length > 0) {
      tokens = tokens.slice(0, -1);
      at = tokens.map((t) => `/${escapePointer(t)}`).join('');
    }
    const message = humanize(v, pointer);
    const list = out.get(at) ?? [];
    if (!list.includes(message)) list.push(message);
    out.set(at, list);
  }
  return out;
}

/** A violation message without the pointer jargon, for showing next to its field. */
export function humanize(v: Violation, pointer: string): string {
  const tokens = parsePointer(pointer);
  const last = tokens.at(-1);
  const where = last === undefined ? 'This' : /^\d+$/.test(last) ? `Item ${Number(last) + 1}` : labelFor(last);
  switch (v.rule) {
    case 'required':
      return `${where} is required`;
    case 'additionalProperties':
      return `${where} is not a field of the profile`;
    default: {
      const m = /^\S+ (.*)$/.exec(v.message);
      return m ? `${where} ${m[1]}` : v.message;
    }
  }
}
