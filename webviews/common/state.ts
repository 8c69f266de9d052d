/**
 * A panel's own state, kept with `setState` so it survives hide/show and window reload (VS
 * Code hands it back through `getState`, also to a panel revived by its serializer). What comes
 * back is checked field by field against the defaults' types: a stale or foreign shape is
 * ignored rather than trusted.
 */
import type { VsCodeApi } from './vscode-api';

export function restoreState<T extends Record<string, unknown>>(saved: unknown, defaults: T): T {
  const out = { ...defaults };
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return out;
  for (const key of Object.keys(defaults) as Array<keyof T>) {
    const v = (saved as Record<string, unknown>)[key as string];
    const d = defaults[key];
    if (v === undefined) continue;
    const sameType = d === null ? true : Array.isArray(d) ? Array.isArray(v) : typeof v === typeof d && (typeof d !== 'object' || (v !== null && !Array.isArray(v)));
    if (sameType) out[key] = v as T[keyof T];
  }
  return out;
}

export class PanelState<T extends Record<string, unknown>> {
  private value: T;

  constructor(
    private readonly vscode: VsCodeApi,
    defaults: T,
  ) {
    this.value = restoreState(vscode.getState(), defaults);
  }

  get(): Readonly<T> {
    return this.value;
  }

  update(patch: Partial<T>): void {
    this.value = { ...this.value, ...patch };
    this.vscode.setState(this.value);
  }
}
