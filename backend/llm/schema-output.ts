import { compileSchema } from '../../contracts/validator';
import type { JsonSchema } from '../../contracts/json-schema';
import { ProductOsError } from '../errors';
import type { LlmUsage } from './provider';

/** A model answer that is not the JSON asked for: the call's token counts travel with it (they were spent). */
export class ModelOutputError extends ProductOsError {
  constructor(
    message: string,
    readonly usage: LlmUsage,
    details?: unknown,
  ) {
    super('invalid_output', message, details);
  }
}

/**
 * The last word on a model's JSON, whatever the provider: the text is parsed and checked with
 * the process's one Ajv against the schema the caller asked for. A grammar (llama.cpp), a
 * `format` (Ollama) or a `response_format` (OpenAI-compatible servers) makes a valid answer
 * all but certain; this makes it certain. The error names the rule broken, never the text.
 */
export function parseSchemaOutput(text: string, schema: JsonSchema, source: string, stoppedAtLimit: boolean, usage: LlmUsage): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelOutputError(
      stoppedAtLimit
        ? `${source} stopped at its token limit before the JSON it was writing was complete (raise maxTokens, or ask for less)`
        : `${source} answered with text that is not JSON (${text.length} characters)`,
      usage,
    );
  }
  const violations = compileSchema(schema as object)(value).map((v) => ({ pointer: safePointer(v.pointer, schema), rule: v.rule }));
  if (violations.length > 0) {
    throw new ModelOutputError(`${source} answered with JSON that does not match the schema: ${violations.map((v) => `${v.pointer || '/'} ${v.rule}`).join('; ')}`, usage, { violations });
  }
  return value;
}

const declared = new WeakMap<object, Set<string>>();

/**
 * A pointer into the model's answer as an error may show it: array indexes and the property
 * names the schema declares stay, any other key is `*`. A key is part of the answer: a model
 * can put prompt text in one (an unknown field, a key of a map), and errors are kept.
 */
function safePointer(pointer: string, schema: JsonSchema): string {
  let names = declared.get(schema as object);
  if (!names) declared.set(schema as object, (names = propertyNames(schema, new Set(), 0)));
  const known = names;
  return pointer
    .split('/')
    .map((seg, i) => (i === 0 || /^\d{1,6}$/.test(seg) || known.has(seg.replace(/~1/g, '/').replace(/~0/g, '~')) ? seg : '*'))
    .join('/');
}

/** Every name under a `properties` anywhere in the schema (bounded depth: schemas are finite, but not trusted to be small). */
function propertyNames(node: unknown, into: Set<string>, depth: number): Set<string> {
  if (depth > 64 || node === null || typeof node !== 'object') return into;
  const values = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
  const props = (node as { properties?: unknown }).properties;
  if (!Array.isArray(node) && props && typeof props === 'object') for (const k of Object.keys(props)) into.add(k);
  for (const v of values) propertyNames(v, into, depth + 1);
  return into;
}
