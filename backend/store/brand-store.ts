/**
 * Where the Company Brain's profiles and their history live: the backend's own store (PGlite
 * or PostgreSQL, the default) or Firestore (PRODUCT_OS_BRAND_STORE=firestore). The brand
 * tools and routes call only this, so both give the same tools, schema and versions.
 *
 * `q` is the run's transaction when a tool writes: the local store writes in it (the new
 * version and the run's success commit together). Firestore cannot join that transaction;
 * its store writes the version and its history entry in one Firestore transaction, guarded
 * by the expected version, and records the run id beside it.
 */
import type { Queryable } from './db';
import type { BrandVersion } from '../../contracts/rest';
import { brandAtVersion, brandHistory, getBrand, saveBrand, type BrandRow } from './brand';

export type { BrandRow };
export type BrandStoreKind = 'local' | 'firestore';

export interface BrandStore {
  readonly kind: BrandStoreKind;
  get(q: Queryable, profileId: string): Promise<BrandRow | null>;
  /** A new version if the profile is still at `expectedVersion` (0: new profile), with its history entry; null when someone else won. */
  save(q: Queryable, profileId: string, expectedVersion: number, brand: unknown, changedBy: string, runId: string | null): Promise<BrandRow | null>;
  /** Newest first. */
  history(q: Queryable, profileId: string): Promise<BrandVersion[]>;
  atVersion(q: Queryable, profileId: string, version: number): Promise<unknown | null>;
  close?(): Promise<void>;
}

/** The default: tables brand_profiles and brand_profile_history in the backend's store. */
export const LOCAL_BRAND_STORE: BrandStore = {
  kind: 'local',
  get: getBrand,
  save: saveBrand,
  history: brandHistory,
  atVersion: brandAtVersion,
};
