/**
 * The Google Cloud parts one backend holds open, built from its settings: the secret resolver
 * (editor secrets, and Secret Manager when a project is set) and the brand store (local
 * tables, or Firestore when PRODUCT_OS_BRAND_STORE=firestore). Clients are created on first
 * use, so a backend with no Google settings never loads credentials.
 */
import type { Config } from '../config';
import type { BrandStore } from '../store/brand-store';
import { LOCAL_BRAND_STORE } from '../store/brand-store';
import { SecretMask } from '../secrets/secret-mask';
import { SecretResolver } from '../secrets/secret-resolver';
import { SecretManagerSource } from '../secrets/secret-manager';
import { FirestoreBrandStore } from './firestore-brand-store';
import { gaxOptions, type GcpOverrides } from './client-options';

export interface GcpServices {
  mask: SecretMask;
  secrets: SecretResolver;
  brands: BrandStore;
  close(): Promise<void>;
}

export function openGcpServices(config: Config, overrides: GcpOverrides | undefined): GcpServices {
  const mask = new SecretMask();
  // Secret Manager needs no project setting of its own (the reference names the project),
  // only credentials; without any Google setting it is still there, and says so when asked.
  const secrets = new SecretResolver(mask, new SecretManagerSource(gaxOptions(config.gcpProject, overrides)));
  const brands: BrandStore =
    config.gcp.brandStore === 'firestore'
      ? new FirestoreBrandStore({ projectId: config.gcpProject, databaseId: config.gcp.firestoreDatabase, ...(overrides?.firestore ?? {}) })
      : LOCAL_BRAND_STORE;
  return {
    mask,
    secrets,
    brands,
    async close() {
      await Promise.allSettled([secrets.close(), brands.close?.()]);
    },
  };
}
