/**
 * The Company Brain in Firestore (PRODUCT_OS_BRAND_STORE=firestore): the same profiles,
 * versions and history as the local tables, so the brand tools, the Brain panel and the
 * history view cannot tell which one answers.
 *
 *   brand_profiles/{profile_id}                    { version, brand, updated_at }
 *   brand_profiles/{profile_id}/history/{v:010d}   { version, brand, changed_by, run_id, created_at }
 *
 * A save is one Firestore transaction: it re-reads the profile, writes nothing unless the
 * version is still the one the caller read (optimistic, like the local UPDATE … WHERE
 * version = $2), and writes the new version with its history entry together.
 */
import type { Firestore, Settings } from '@google-cloud/firestore';
import type { BrandStore, BrandRow } from '../store/brand-store';
import type { BrandVersion } from '../../contracts/rest';
import { gcpError, type GcpCall } from './errors';
import { ProductOsError } from '../errors';

const PROFILES = 'brand_profiles';
const HISTORY = 'history';

interface ProfileDoc {
  version: number;
  brand: Record<string, unknown>;
  updated_at: string;
}
interface HistoryDoc {
  version: number;
  brand: unknown;
  changed_by: string;
  run_id: string | null;
  created_at: string;
}

export class FirestoreBrandStore implements BrandStore {
  readonly kind = 'firestore' as const;
  /** The client library (google-gax, its protos) loads on the first call, not when the backend starts. */
  private client: Promise<Firestore> | undefined;

  constructor(private readonly settings: Settings) {}

  private db(): Promise<Firestore> {
    this.client ??= import('@google-cloud/firestore').then(({ Firestore: Client }) => new Client({ ignoreUndefinedProperties: true, ...this.settings }));
    return this.client;
  }

  /** Where the profiles are, for messages: "Firestore database (default) of project p". */
  describe(): string {
    return `Firestore database ${this.settings.databaseId ?? '(default)'}`;
  }

  async get(_q: unknown, profileId: string): Promise<BrandRow | null> {
    const ref = await this.profile(profileId);
    const snap = await this.call({ action: `reading brand profile "${profileId}"` }, () => ref.get());
    if (!snap.exists) return null;
    const d = snap.data() as ProfileDoc;
    return { profileId, version: d.version, brand: d.brand, updatedAt: d.updated_at };
  }

  async save(_q: unknown, profileId: string, expectedVersion: number, brand: unknown, changedBy: string, runId: string | null): Promise<BrandRow | null> {
    const db = await this.db();
    const ref = await this.profile(profileId);
    return this.call({ action: `saving brand profile "${profileId}"` }, () =>
      db.runTransaction(async (t) => {
        const snap = await t.get(ref);
        const version = snap.exists ? (snap.data() as ProfileDoc).version : 0;
        if (version !== expectedVersion) return null;
        const next = version + 1;
        const at = new Date().toISOString();
        const doc: ProfileDoc = { version: next, brand: brand as Record<string, unknown>, updated_at: at };
        t.set(ref, doc);
        t.create(ref.collection(HISTORY).doc(versionId(next)), { version: next, brand, changed_by: changedBy, run_id: runId, created_at: at } satisfies HistoryDoc);
        return { profileId, version: next, brand: doc.brand, updatedAt: at };
      }),
    );
  }

  async history(_q: unknown, profileId: string): Promise<BrandVersion[]> {
    const ref = await this.profile(profileId);
    const snap = await this.call({ action: `reading the history of brand profile "${profileId}"` }, () => ref.collection(HISTORY).orderBy('version', 'desc').get());
    return snap.docs.map((doc) => {
      const d = doc.data() as HistoryDoc;
      return { profileId, version: d.version, brand: d.brand, changedBy: d.changed_by, runId: d.run_id ?? null, createdAt: d.created_at };
    });
  }

  async atVersion(_q: unknown, profileId: string, version: number): Promise<unknown | null> {
    const ref = await this.profile(profileId);
    const snap = await this.call({ action: `reading version ${version} of brand profile "${profileId}"` }, () => ref.collection(HISTORY).doc(versionId(version)).get());
    return snap.exists ? (snap.data() as HistoryDoc).brand : null;
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).terminate();
  }

  private async profile(profileId: string) {
    // A Firestore document id cannot hold '/', be '.' or '..', or look like __name__.
    if (/\//.test(profileId) || profileId === '.' || profileId === '..' || /^__.*__$/.test(profileId) || Buffer.byteLength(profileId) > 1500) {
      throw new ProductOsError('invalid_input', `brand profile id "${profileId.slice(0, 80)}" cannot be a Firestore document id (no '/', not '.' or '..', not __…__, at most 1500 bytes)`);
    }
    return (await this.db()).collection(PROFILES).doc(profileId);
  }

  private async call<T>(what: Pick<GcpCall, 'action'>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw gcpError(err, {
        ...what,
        service: 'Firestore',
        role: 'roles/datastore.user',
        notFoundHint: 'Create the Firestore database (gcloud firestore databases create --location=REGION) or fix PRODUCT_OS_FIRESTORE_DATABASE.',
      });
    }
  }
}

/** Zero-padded so the history documents sort by version in the console too. */
function versionId(version: number): string {
  return String(version).padStart(10, '0');
}
