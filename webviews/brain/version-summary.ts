/**
 * A first version has nothing to compare with: instead of one "added" line holding the whole
 * profile as JSON, it reads as the profile itself, one line per field, lists as "a, b, c".
 * Pure, so the panel and a test read it the same way.
 */
export interface ProfileLine {
  /** "voice › tone": the field, as the diff names fields. */
  path: string;
  text: string;
}

export function profileLines(value: unknown, path: string[] = []): ProfileLine[] {
  const at = path.join(' › ') || 'profile';
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return [{ path: at, text: value.length === 0 ? '(none)' : value.map(String).join(', ') }];
    return value.flatMap((v, i) => profileLines(v, [...path, String(i + 1)]));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [{ path: at, text: '(empty)' }];
    return entries.flatMap(([k, v]) => profileLines(v, [...path, k]));
  }
  return [{ path: at, text: value === null || value === undefined ? '(none)' : String(value) }];
}
