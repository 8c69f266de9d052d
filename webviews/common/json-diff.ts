/**
 * Differences between two JSON values: a merge patch (RFC 7396) that turns one into the other,
 * for saving a form or reverting to an old version, and a readable list of changes for the
 * version-history view (string lists are compared item by item).
 */
import { deepEqual, pointerOf } from '../../contracts/json-schema';

type Obj = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON Merge Patch that turns `from` into `to`: keys missing from `to` become null, objects
 * recurse, everything else (arrays included) is replaced. Undefined values count as missing.
 * Returns an empty object when nothing differs.
 */
export function mergePatchBetween(from: unknown, to: unknown): Obj {
  if (!isPlainObject(to)) throw new TypeError('the target of a merge patch must be an object');
  const base = isPlainObject(from) ? from : {};
  const patch: Obj = {};
  for (const key of Object.keys(base)) {
    if (base[key] !== undefined && (!(key in to) || to[key] === undefined)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const before = base[key];
    if (isPlainObject(value) && isPlainObject(before)) {
      const sub = mergePatchBetween(before, value);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!deepEqual(before, value)) {
      // A null inside `to` cannot be expressed in a merge patch (null deletes): drop it.
      if (value !== null) patch[key] = withoutNulls(value);
    }
  }
  return patch;
}

function withoutNulls(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
}

/** RFC 7396 apply (the same rule as backend/merge-patch.ts), for previews and tests. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Obj = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

export type Change =
  | { kind: 'added'; pointer: string; after: unknown }
  | { kind: 'removed'; pointer: string; before: unknown }
  | { kind: 'changed'; pointer: string; before: unknown; after: unknown };

const MAX_CHANGES = 500;
const MAX_LCS = 400;

function isPrimitiveArray(v: unknown): v is Array<string | number | boolean | null> {
  return Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
}

/** Longest common subsequence table walk: which items of `a` and `b` are kept, in order. */
function lcsPairs<T>(a: readonly T[], b: readonly T[]): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  const dp: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const pairs: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * What changed from `before` to `after`, as pointers into the values. Objects recurse; lists of
 * strings or numbers are compared by their longest common subsequence, so an inserted item
 * shows as one addition rather than every later item changing.
 */
export function diffJson(before: unknown, after: unknown): Change[] {
  const out: Change[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, path: Array<string | number>, out: Change[]): void {
  if (out.length >= MAX_CHANGES || deepEqual(a, b)) return;
  const pointer = pointerOf(path);
  if (a === undefined) {
    out.push({ kind: 'added', pointer, after: b });
    return;
  }
  if (b === undefined) {
    out.push({ kind: 'removed', pointer, before: a });
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) walk(a[k], b[k], [...path, k], out);
    return;
  }
  if (isPrimitiveArray(a) && isPrimitiveArray(b) && a.length <= MAX_LCS && b.length <= MAX_LCS) {
    const pairs = lcsPairs(a, b);
    let i = 0;
    let j = 0;
    for (const [pi, pj] of [...pairs, [a.length, b.length] as [number, number]]) {
      // Items between kept pairs: pair them up as changes, the rest as removals or additions.
      while (i < pi && j < pj) {
        out.push({ kind: 'changed', pointer: pointerOf([...path, j]), before: a[i], after: b[j] });
        i++;
        j++;
      }
      while (i < pi) out.push({ kind: 'removed', pointer: pointerOf([...path, i]), before: a[i++] });
      while (j < pj) out.push({ kind: 'added', pointer: pointerOf([...path, j]), after: b[j++] });
      i = pi + 1;
      j = pj + 1;
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n && out.length < MAX_CHANGES; i++) walk(a[i], b[i], [...path, i], out);
    return;
  }
  out.push({ kind: 'changed', pointer, before: a, after: b });
}
