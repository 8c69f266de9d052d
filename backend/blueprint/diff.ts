/**
 * What applying a blueprint would change on one service: the desired configuration from the
 * blueprint against the target's current one (DeployTarget.describe). The blueprint owns a
 * service's image and its whole environment (plain and secret: a variable it no longer lists
 * is removed); of the deploy options it owns only those it declares, so what it is silent on
 * stays as it is. Plain environment values are never shown (a secret pasted into one would
 * print); secret references are (they name where a value is, not the value).
 */
import type { BlueprintService, BlueprintServiceChange } from '../../contracts/blueprint';
import type { DeployOptions, ServiceSpec } from '../deploy/target';

/** A service as the blueprint wants it: a ServiceSpec without labels, whose `deploy` holds only the options the blueprint declares. */
export type DesiredService = Omit<ServiceSpec, 'labels'>;

type FieldChange = BlueprintServiceChange['fields'][number];

export function desiredService(s: BlueprintService, defaultRegion: string): DesiredService {
  const deploy: DeployOptions = {
    ...(s.scaling?.min_instances !== undefined ? { min_instances: s.scaling.min_instances } : {}),
    ...(s.scaling?.max_instances !== undefined ? { max_instances: s.scaling.max_instances } : {}),
    ...(s.scaling?.concurrency !== undefined ? { concurrency: s.scaling.concurrency } : {}),
    ...(s.resources?.cpu !== undefined ? { cpu: s.resources.cpu } : {}),
    ...(s.resources?.memory !== undefined ? { memory: s.resources.memory } : {}),
    ...(s.timeout_seconds !== undefined ? { timeout_seconds: s.timeout_seconds } : {}),
    ...(s.service_account_email !== undefined ? { service_account_email: s.service_account_email } : {}),
    ...(s.allow_unauthenticated !== undefined ? { allow_unauthenticated: s.allow_unauthenticated } : {}),
  };
  return { service: s.name, region: s.region ?? defaultRegion, image: s.image, envVars: s.env ?? {}, secretEnv: s.secrets ?? {}, deploy };
}

export function diffService(want: DesiredService, have: ServiceSpec | null): BlueprintServiceChange {
  const fields: FieldChange[] = [];
  if (!have) {
    fields.push({ field: 'image', change: 'add', to: want.image });
    for (const k of Object.keys(want.envVars).sort()) fields.push({ field: `env.${k}`, change: 'add' });
    for (const [k, ref] of Object.entries(want.secretEnv).sort()) fields.push({ field: `secrets.${k}`, change: 'add', to: ref });
    for (const [k, v] of Object.entries(want.deploy).sort()) fields.push({ field: k, change: 'add', to: String(v) });
    return { service: want.service, region: want.region, action: 'create', fields };
  }
  if (have.image !== want.image) fields.push({ field: 'image', change: 'change', from: have.image, to: want.image });
  fields.push(...mapDiff('env', have.envVars, want.envVars, false));
  fields.push(...mapDiff('secrets', have.secretEnv, want.secretEnv, true));
  for (const [k, v] of Object.entries(want.deploy).sort()) {
    const now = (have.deploy as Record<string, unknown>)[k];
    if (now === undefined) fields.push({ field: k, change: 'add', to: String(v) });
    else if (now !== v) fields.push({ field: k, change: 'change', from: String(now), to: String(v) });
  }
  return { service: want.service, region: want.region, action: fields.length ? 'update' : 'unchanged', fields };
}

function mapDiff(prefix: string, have: Record<string, string>, want: Record<string, string>, showValues: boolean): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of [...new Set([...Object.keys(have), ...Object.keys(want)])].sort()) {
    const field = `${prefix}.${k}`;
    if (!(k in have)) out.push({ field, change: 'add', ...(showValues ? { to: want[k] } : {}) });
    else if (!(k in want)) out.push({ field, change: 'remove', ...(showValues ? { from: have[k] } : {}) });
    else if (have[k] !== want[k]) out.push({ field, change: 'change', ...(showValues ? { from: have[k], to: want[k] } : {}) });
  }
  return out;
}

/** The diff as people read it, one line per change: `+ create web (us-central1)`, `  ~ image: a → b`. */
export function formatChanges(changes: BlueprintServiceChange[]): string {
  const lines: string[] = [];
  for (const c of changes) {
    const mark = c.action === 'create' ? '+' : c.action === 'update' ? '~' : '=';
    lines.push(`${mark} ${c.action} ${c.service} (${c.region})${c.revision ? ` → revision ${c.revision}` : ''}`);
    for (const f of c.fields) {
      const sign = f.change === 'add' ? '+' : f.change === 'remove' ? '-' : '~';
      const value = f.from !== undefined && f.to !== undefined ? `: ${f.from} → ${f.to}` : f.to !== undefined ? `: ${f.to}` : f.from !== undefined ? `: ${f.from}` : f.field.startsWith('env.') ? ' (value not shown)' : '';
      lines.push(`    ${sign} ${f.field}${value}`);
    }
  }
  return lines.join('\n');
}
