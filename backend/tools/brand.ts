import type { LocalHandler } from '../executors/local';
import { ProductOsError } from '../errors';
import { applyMergePatch } from '../merge-patch';
import { audit } from '../store/audit';
import { shapeOf } from '../shape';
import type { BrandStore } from '../store/brand-store';
import { revertProfile } from './brand-revert';

/** brand.* handlers over one brand store (the local tables by default, Firestore when configured). */
export function brandHandlers(store: BrandStore): Array<[string, LocalHandler]> {
  return [
    ['brand.get_profile', getProfile(store)],
    ['brand.update_profile', updateProfile(store)],
    ['brand.revert_profile', revertProfile(store)],
  ];
}

const getProfile =
  (store: BrandStore): LocalHandler =>
  async (input: { profile_id: string }, ctx) => {
    const row = await store.get(ctx.db, input.profile_id);
    // A fresh data folder has no profile; say how to get one rather than invent one.
    if (!row) throw new ProductOsError('not_found', `no brand profile "${input.profile_id}" yet: fill it in the Company Brain panel or call brand.update_profile (product-os demo saves a sample one)`);
    return { profile_id: row.profileId, brand: row.brand };
  };

/**
 * Applies `patch` as a JSON Merge Patch, checks the result against the profile schema (the
 * output schema of brand.get_profile, so there is one definition of a profile), then writes a
 * new version with history and audit in the run's commit: the new version and the run's
 * success are stored together or not at all.
 */
const updateProfile =
  (store: BrandStore): LocalHandler =>
  async (input: { profile_id: string; patch: Record<string, unknown> }, ctx) => {
    const profileTool = ctx.registry.get('brand.get_profile');
    if (!profileTool) throw new ProductOsError('internal', 'brand.get_profile is missing from the registry');
    return ctx.commit(async (tx) => {
      const current = await store.get(tx, input.profile_id);
      const next = applyMergePatch(current?.brand ?? EMPTY_BRAND, input.patch);
      const violations = profileTool.validateOutput({ profile_id: input.profile_id, brand: next });
      if (violations.length > 0) {
        const named = violations.map((v) => ({ ...v, pointer: v.pointer.replace(/^\/brand/, '/patch'), message: v.message.replace(/\/brand/g, '/patch') }));
        throw new ProductOsError('invalid_input', `the patch would make an invalid profile: ${named.map((v) => v.message).join('; ')}`, { violations: named });
      }
      const row = await store.save(tx, input.profile_id, current?.version ?? 0, next, ctx.run.caller, ctx.run.id);
      if (!row) throw new ProductOsError('conflict', `brand profile "${input.profile_id}" changed while this update ran; try again`, undefined, { retryable: true });
      await audit(tx, { caller: ctx.run.caller, action: 'brand.update', tool: ctx.tool.name, runId: ctx.run.id, argsShape: shapeOf(input.patch), outcome: `version ${row.version}` });
      // Field names only: the values are the user's copy, kept in the profile, not in the logs.
      await ctx.log('info', `brand profile "${input.profile_id}" saved as version ${row.version}${store.kind === 'firestore' ? ' (Firestore)' : ''}`, { fields: Object.keys(input.patch) });
      return { ok: true, updated_at: row.updatedAt };
    });
  };

const EMPTY_BRAND = {
  name: '',
  voice: { tone: [], style_notes: [], do: [], dont: [] },
  audience: {},
  claims_policy: {},
};
