import type { JsonSchema } from '../../contracts/json-schema';

/** The widest integer range written out as an enum (a grammar of 257 alternatives is still small). */
const MAX_ENUM_RANGE = 256;

/**
 * The schema as node-llama-cpp's grammar should see it. Its JSON-schema grammar honours types,
 * enums, required properties, string lengths and item counts, but not `minimum` / `maximum`;
 * an integer with a small range is therefore spelled as the enum of its values, so the grammar
 * itself keeps it in range. Everything else goes through unchanged (the answer is checked
 * with Ajv against the original schema either way).
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
