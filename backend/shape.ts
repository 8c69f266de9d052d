/**
 * The shape of a value: keys and types, never values. This is what the audit log keeps of a
 * call's arguments, so it can say "patch had voice.tone (array of string)" without the text.
 */
export type Shape = string | { [key: string]: Shape } | Shape[];

export function shapeOf(value: unknown, depth = 0): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (depth >= 4 || value.length === 0) return `array(${value.length})`;
    return [shapeOf(value[0], depth + 1)];
  }
  if (typeof value === 'object') {
    if (depth >= 4) return 'object';
    const out: Record<string, Shape> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = shapeOf(v, depth + 1);
    return out;
  }
  return typeof value;
}
