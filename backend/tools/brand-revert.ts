import type { LocalHandler } from '../executors/local';
import { ProductOsError } from '../errors';
import type { BrandStore } from '../store/brand-store';

/**
 * Makes an earlier version of a brand profile the current one, as a new version (history is
 * never rewritten). One run on the server, so a revert is audited and atomic like any write.
 */
export const revertProfile =
  (store: BrandStore): LocalHandler =>
  async (input: { profile_id: string; version: number }, ctx) =>
    ctx.commit(async (tx) => {
      const current = await store.get(tx, input.profile_id);
      if (!current) throw new ProductOsError('not_found', `no brand profile "${input.profile_id}"`);
      const target = await store.atVersion(tx, input.profile_id, input.version);
      if (target === null) throw new ProductOsError('not_found', `brand profile "${input.profile_id}" has no version ${input.version}`);
      if (JSON.stringify(target) === JSON.stringify(current.brand)) throw new ProductOsError('invalid_state', `brand profile "${input.profile_id}" is already as it was at version ${input.version}`);
      // An old version is held to today's profile schema, as any save is (one definition of a profile).
      const violations = ctx.registry.get('brand.get_profile')?.validateOutput({ profile_id: input.profile_id, brand: target }) ?? [];
      if (violations.length > 0) {
        throw new ProductOsError('invalid_state', `version ${input.version} of brand profile "${input.profile_id}" is not a valid profile today: ${violations.map((v) => v.message.replace(/\/brand/g, '')).join('; ')}`, { violations });
      }
      const row = await store.save(tx, input.profile_id, current.version, target, ctx.run.caller, ctx.run.id);
      if (!row) throw new ProductOsError('conflict', `brand profile "${input.profile_id}" changed while this revert ran; try again`, undefined, { retryable: true });
      await ctx.log('info', `brand profile "${input.profile_id}" reverted to version ${input.version}, saved as version ${row.version}`);
      return { ok: true, version: row.version, updated_at: row.updatedAt };
    });
