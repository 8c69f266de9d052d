import type { JsonSchema } from '../../contracts/json-schema';

/** The widest integer range written out as an enum (a grammar of 1001 alternatives is still small: one rule, no repetition). */
const MAX_ENUM_RANGE = 1000;
/**
 * A string's maxLength and an array's maxItems become repetitions `x{m,n}` in a llama.cpp
 * grammar, and its parser refuses one whose count, times the rules repeated, reaches 2000
 * (MAX_REPETITION_THRESHOLD, "exceeds sane defaults"): the card agent's `thought` (maxLength
 * 2000) made every step "Failed to parse grammar". Larger counts are treated as unbounded by the
 * version node-llama-cpp ships and refused by others (Ollama and llama-server ship their own).
 * So above these bounds the grammar leaves them out, and Ajv holds the answer to them after
 * generation (maxTokens during it). The margin below 2000 is for rules repeated together.
 */
const MAX_STRING_REPEAT = 1000;
const MAX_ITEMS_REPEAT = 500;

/**
 * The schema as a grammar-building generator should see it: node-llama-cpp here, and Ollama and
 * llama-server, which build llama.cpp grammars the same way from `format` / `response_format`.
 * Such a grammar honours types, enums, required properties, string lengths and item counts, but
 * not `minimum` / `maximum`; an integer with a small range is therefore spelled as the enum of
 * its values, so the grammar itself keeps it in range. A length or item count too large for
 * llama.cpp's grammar parser is left out. Everything else goes through unchanged (the answer is
 * checked with Ajv against the original schema either way).
 */
export function grammarSchema(schema: JsonSchema): JsonSchema {
  if (typeof schema !== 'object' || schema === null) return schema;
  if (Array.isArray(schema)) return schema.map((s) => grammarSchema(s as JsonSchema)) as unknown as JsonSchema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, grammarSchema(v as JsonSchema)]));
    } else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems', '$defs'].includes(key) && value && typeof value === 'object') {
      out[key] = key === '$defs' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, grammarSchema(v as JsonSchema)])) : grammarSchema(value as JsonSchema);
    } else out[key] = value;
  }
  for (const [k, limit] of [['maxLength', MAX_STRING_REPEAT], ['minLength', MAX_STRING_REPEAT], ['maxItems', MAX_ITEMS_REPEAT], ['minItems', MAX_ITEMS_REPEAT]] as const) {
    if (typeof out[k] === 'number' && (out[k] as number) > limit) delete out[k];
  }
  const range = integerRange(out);
  if (range) {
    const values: number[] = [];
    for (let i = range.min; i <= range.max; i++) values.push(i);
    for (const k of ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']) delete out[k];
    out.enum = values;
  }
  return out as JsonSchema;
}

function integerRange(s: Record<string, unknown>): { min: number; max: number } | null {
  if (s.type !== 'integer' || s.enum !== undefined || s.const !== undefined || s.multipleOf !== undefined) return null;
  const lo = typeof s.minimum === 'number' ? Math.ceil(s.minimum) : typeof s.exclusiveMinimum === 'number' ? Math.floor(s.exclusiveMinimum) + 1 : null;
  const hi = typeof s.maximum === 'number' ? Math.floor(s.maximum) : typeof s.exclusiveMaximum === 'number' ? Math.ceil(s.exclusiveMaximum) - 1 : null;
  if (lo === null || hi === null || hi < lo || hi - lo > MAX_ENUM_RANGE) return null;
  return { min: lo, max: hi };
}
