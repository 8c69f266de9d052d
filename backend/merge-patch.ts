/**
 * JSON Merge Patch (RFC 7396): objects merge key by key, `null` removes a key, anything else
 * (arrays included) replaces. Returns a new value; neither argument is changed.
 *
 * Keys are defined, never assigned: `out["__proto__"] = v` would set the result's prototype
 * (and drop the key), letting a patch slip fields past the schema that checks the result.
 * Inputs reach here already refused if they hold prototype keys (strict-json.ts); this keeps
 * the merge safe on its own. Iterative, so no patch is deep enough to overflow the stack.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const root: Record<string, unknown> = {};
  const work: Array<{ out: Record<string, unknown>; target: unknown; patch: Record<string, unknown> }> = [{ out: root, target, patch }];
  while (work.length > 0) {
    const { out, target: t, patch: p } = work.pop()!;
    if (isObject(t)) for (const [key, value] of Object.entries(t)) define(out, key, value);
    for (const [key, value] of Object.entries(p)) {
      if (value === null) delete out[key];
      else if (isObject(value)) {
        const child: Record<string, unknown> = {};
        work.push({ out: child, target: Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined, patch: value });
        define(out, key, child);
      } else define(out, key, value);
    }
  }
  return root;
}

function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
