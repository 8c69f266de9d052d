/**
 * infra.apply_blueprint: reconciles the deploy target's services with a blueprint — each
 * service described, diffed (backend/blueprint/diff.ts), and deployed from its image only
 * when something differs, so applying the same blueprint twice changes nothing the second
 * time. A dry run returns the same diff and touches nothing. Services the blueprint does not
 * name are listed, never removed. infra.plan_blueprint is the same with dry_run, at low risk.
 */
import type { LocalHandler } from '../executors/local';
import type { ExecutionContext } from '../executors/executor';
import type { DeployOperation, DeployTarget } from '../deploy/target';
import { ProductOsError } from '../errors';
import { desiredService, diffService, type DesiredService } from '../blueprint/diff';
import { blueprintProblems } from '../blueprint/check';
import type { ApplyBlueprintInput, ApplyBlueprintOutput, BlueprintServiceChange, PlanBlueprintInput } from '../../contracts/blueprint';

const DEFAULT_REGION = 'us-central1';
/** What the services a blueprint manages carry, so people (and the next apply) can tell. */
export const MANAGED_LABEL = 'managed-by';

export function blueprintHandlers(target: () => Promise<DeployTarget>): Array<[string, LocalHandler]> {
  return [
    ['infra.apply_blueprint', (input: ApplyBlueprintInput, ctx) => apply(target, input, ctx)],
    ['infra.plan_blueprint', (input: PlanBlueprintInput, ctx) => apply(target, { ...input, dry_run: true }, ctx)],
  ];
}

async function apply(openTarget: () => Promise<DeployTarget>, input: ApplyBlueprintInput, ctx: ExecutionContext): Promise<ApplyBlueprintOutput> {
  const bp = input.blueprint;
  const problems = blueprintProblems(bp);
  if (problems.length) throw new ProductOsError('invalid_input', `invalid blueprint: ${problems.map((p) => `/blueprint${p.pointer}: ${p.message}`).join('; ')}`, { violations: problems.map((p) => ({ ...p, pointer: `/blueprint${p.pointer}` })) });
  const target = await openTarget();
  const op: DeployOperation = {
    signal: ctx.signal,
    progress: (s) => ctx.progress(s),
    log: (level, message) => ctx.log(level, message),
  };
  const wanted = bp.services.map((s) => desiredService(s, bp.region ?? DEFAULT_REGION));
  const current = await Promise.all(wanted.map((w) => target.describe(w.service, w.region, op)));
  const changes = wanted.map((w, i) => diffService(w, current[i]));
  const named = new Set(wanted.map((w) => `${w.service}@${w.region}`));
  const unmanaged = (await target.services(op)).services.filter((s) => !named.has(`${s.service_name}@${s.region}`)).map((s) => `${s.service_name} (${s.region})`);
  const pending = changes.filter((c) => c.action !== 'unchanged').length;
  await ctx.log('info', `blueprint: ${changes.length} service(s), ${pending} to change${input.dry_run ? ' (dry run: nothing applied)' : ''}`);
  if (input.dry_run || pending === 0) return { target: target.kind, dry_run: input.dry_run === true, changes, unmanaged };
  const done: BlueprintServiceChange[] = [];
  let step = 0;
  for (const [i, change] of changes.entries()) {
    if (change.action === 'unchanged') {
      done.push(change);
      continue;
    }
    step += 1;
    await ctx.progress({ progress: step - 1, total: pending, message: `${change.action} ${change.service}` });
    try {
      const out = await target.deploy(deployRequest(wanted[i], current[i], bp.env ?? 'dev', input.source), op);
      done.push({ ...change, revision: out.revision });
    } catch (err) {
      // What was applied before the failure stays applied: say exactly how far it got.
      const applied = done.filter((c) => c.revision).map((c) => `${c.service} (revision ${c.revision})`);
      const e = err instanceof ProductOsError ? err : new ProductOsError('executor_failed', (err as Error).message);
      throw new ProductOsError(e.code, `blueprint: ${change.action} of ${change.service} failed: ${e.message}. ${applied.length ? `Applied before it: ${applied.join(', ')}.` : 'Nothing was applied before it.'} Services after it were not touched; fix the cause and apply again (what is already in place is left alone)`, e.details);
    }
  }
  await ctx.progress({ progress: pending, total: pending, message: 'blueprint applied' });
  return { target: target.kind, dry_run: false, changes: done, unmanaged };
}

function deployRequest(want: DesiredService, have: Awaited<ReturnType<DeployTarget['describe']>>, env: 'dev' | 'staging' | 'prod', source: string | undefined) {
  return {
    service: want.service,
    region: want.region,
    env,
    source: { kind: 'image' as const, image: want.image },
    envVars: want.envVars,
    secretEnv: want.secretEnv,
    // Options the blueprint is silent on keep their current values.
    deploy: { ...(have?.deploy ?? {}), ...want.deploy },
    labels: { ...(have?.labels ?? {}), [MANAGED_LABEL]: 'product-os-blueprint', ...(source ? { 'blueprint-file': labelValue(source) } : {}) },
  };
}

/** Cloud Run label values: lowercase letters, digits, _ and -, at most 63. */
function labelValue(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').slice(0, 63);
}
