/**
 * The Google Cloud settings: which parts of the backend use Google Cloud, and where. Each one
 * is optional on its own; a setting that another one needs (the project for Firestore, the
 * Artifact Registry repository for the gcp deploy target) is reported missing with the reason,
 * by /config/validate and at start.
 */
type Env = Record<string, string | undefined>;

/** A setting as backend/config.ts declares them (kept structural so this file stands alone). */
interface Setting {
  name: string;
  absent: string;
  requiredWhen?: (env: Env) => string | null;
  check(value: string): string | null;
}

export type BrandStoreKind = 'local' | 'firestore';

export interface GcpConfig {
  /** PRODUCT_OS_BRAND_STORE: where the Company Brain lives. */
  brandStore: BrandStoreKind;
  /** PRODUCT_OS_FIRESTORE_DATABASE: the Firestore database id. */
  firestoreDatabase: string;
  /** PRODUCT_OS_GCP_REGION: the region used when a tool call names none (status, logs, list). */
  region: string;
  /** PRODUCT_OS_ARTIFACT_REPOSITORY, normalised: where Cloud Build pushes images. */
  repository?: ArtifactRepository;
}

/** LOCATION-docker.pkg.dev/PROJECT/REPO, split. `location` absent: the deploy's region. */
export interface ArtifactRepository {
  location?: string;
  project?: string;
  repo: string;
}

const REGION = /^[a-z]+-[a-z]+\d+$/;
const REPO_ID = /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const FULL_REPO = /^([a-z]+-[a-z]+\d+|us|europe|asia)-docker\.pkg\.dev\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/([a-z][a-z0-9-]{0,61}[a-z0-9])$/;

export function parseArtifactRepository(v: string): ArtifactRepository | null {
  const full = FULL_REPO.exec(v);
  if (full) return { location: full[1], project: full[2], repo: full[3] };
  return REPO_ID.test(v) ? { repo: v } : null;
}

/** The image path for a service: LOCATION-docker.pkg.dev/PROJECT/REPO/SERVICE. */
export function imagePath(repo: ArtifactRepository, project: string, region: string, service: string): string {
  return `${repo.location ?? region}-docker.pkg.dev/${repo.project ?? project}/${repo.repo}/${service}`;
}

const usesGcpDeploy = (env: Env) => (env.PRODUCT_OS_DEPLOY_TARGET === 'gcp' ? 'PRODUCT_OS_DEPLOY_TARGET is gcp' : null);
const usesFirestore = (env: Env) => (env.PRODUCT_OS_BRAND_STORE === 'firestore' ? 'PRODUCT_OS_BRAND_STORE is firestore' : null);

export const GCP_SETTINGS: Setting[] = [
  {
    name: 'PRODUCT_OS_BRAND_STORE',
    absent: 'local (the Company Brain lives in the backend\'s own store)',
    check: (v) => (v === 'local' || v === 'firestore' ? null : 'must be local or firestore'),
  },
  {
    name: 'PRODUCT_OS_FIRESTORE_DATABASE',
    absent: '(default), the project\'s default Firestore database',
    check: (v) => (v === '(default)' || /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/.test(v) ? null : 'must be (default) or a database id (lowercase letters, digits and -, 4 to 63 characters)'),
  },
  {
    name: 'PRODUCT_OS_GCP_REGION',
    absent: 'us-central1 (when a tool call names no region)',
    check: (v) => (REGION.test(v) ? null : 'must be a Google Cloud region such as us-central1'),
  },
  {
    name: 'PRODUCT_OS_ARTIFACT_REPOSITORY',
    absent: 'none (the gcp deploy target needs one: where Cloud Build pushes images)',
    requiredWhen: usesGcpDeploy,
    check: (v) => (parseArtifactRepository(v) ? null : 'must be an Artifact Registry Docker repository: REPO, or LOCATION-docker.pkg.dev/PROJECT/REPO'),
  },
];

/** Settings outside this file that Google Cloud features need. */
export const GCP_PROJECT_NEEDED_BY = (env: Env): string | null => usesGcpDeploy(env) ?? usesFirestore(env);

export function gcpConfig(env: Env): GcpConfig {
  return {
    brandStore: env.PRODUCT_OS_BRAND_STORE === 'firestore' ? 'firestore' : 'local',
    firestoreDatabase: env.PRODUCT_OS_FIRESTORE_DATABASE || '(default)',
    region: env.PRODUCT_OS_GCP_REGION || 'us-central1',
    repository: env.PRODUCT_OS_ARTIFACT_REPOSITORY ? (parseArtifactRepository(env.PRODUCT_OS_ARTIFACT_REPOSITORY) ?? undefined) : undefined,
  };
}
