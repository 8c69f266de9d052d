import type { Queryable } from './db';
import type { BrandVersion } from '../../contracts/rest';

export interface BrandRow {
  profileId: string;
  version: number;
  brand: Record<string, unknown>;
  updatedAt: string;
}

export async function getBrand(q: Queryable, profileId: string): Promise<BrandRow | null> {
  const rows = await q.query<{ profile_id: string; version: number; brand: Record<string, unknown>; updated_at: Date }>(
    'SELECT * FROM brand_profiles WHERE profile_id = $1',
    [profileId],
  );
  const r = rows[0];
  return r ? { profileId: r.profile_id, version: r.version, brand: r.brand, updatedAt: new Date(r.updated_at).toISOString() } : null;
}

/**
 * Writes a new version if the profile is still at `expectedVersion` (0: does not exist yet),
 * with its history row, in the caller's transaction. Returns null when someone else won.
 */
export async function saveBrand(
  q: Queryable,
  profileId: string,
  expectedVersion: number,
  brand: unknown,
  changedBy: string,
  runId: string | null,
): Promise<BrandRow | null> {
  const json = JSON.stringify(brand);
  const rows =
    expectedVersion === 0
      ? await q.query<{ version: number; updated_at: Date }>(
          `INSERT INTO brand_profiles (profile_id, version, brand) VALUES ($1, 1, $2::jsonb) ON CONFLICT (profile_id) DO NOTHING RETURNING version, updated_at`,
          [profileId, json],
        )
      : await q.query<{ version: number; updated_at: Date }>(
          `UPDATE brand_profiles SET brand = $3::jsonb, version = version + 1, updated_at = now() WHERE profile_id = $1 AND version = $2 RETURNING version, updated_at`,
          [profileId, expectedVersion, json],
        );
  if (rows.length === 0) return null;
  const { version, updated_at } = rows[0];
  await q.query('INSERT INTO brand_profile_history (profile_id, version, brand, changed_by, run_id) VALUES ($1, $2, $3::jsonb, $4, $5)', [profileId, version, json, changedBy, runId]);
  return { profileId, version, brand: brand as Record<string, unknown>, updatedAt: new Date(updated_at).toISOString() };
}

export async function brandHistory(q: Queryable, profileId: string): Promise<BrandVersion[]> {
  const rows = await q.query<{ profile_id: string; version: number; brand: unknown; changed_by: string; run_id: string | null; created_at: Date }>(
    'SELECT * FROM brand_profile_history WHERE profile_id = $1 ORDER BY version DESC',
    [profileId],
  );
  return rows.map((r) => ({ profileId: r.profile_id, version: r.version, brand: r.brand, changedBy: r.changed_by, runId: r.run_id, createdAt: new Date(r.created_at).toISOString() }));
}

/** One stored version of a profile, or null. */
export async function brandAtVersion(q: Queryable, profileId: string, version: number): Promise<unknown | null> {
  const rows = await q.query<{ brand: unknown }>('SELECT brand FROM brand_profile_history WHERE profile_id = $1 AND version = $2', [profileId, version]);
  return rows[0] ? rows[0].brand : null;
}
