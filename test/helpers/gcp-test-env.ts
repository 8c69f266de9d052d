/**
 * Where the Google Cloud tests send their calls: the local fake (test/helpers/fake-gcp.ts, REST
 * fallback, a fixed-token auth client) by default, or a real project when GCP_LIVE_TESTS=1.
 * Live runs read the project and resources from the environment; without GCP_LIVE_TESTS the
 * suites say plainly, on their own line, that the live run was skipped.
 */
import { OAuth2Client } from 'google-auth-library';
import type { GcpOverrides } from '../../backend/gcp/client-options';
import { FakeGcp } from './fake-gcp';

export const LIVE = process.env.GCP_LIVE_TESTS === '1';

/** What a live run needs, by variable, with what each one is. */
export const LIVE_VARS: Record<string, string> = {
  GOOGLE_CLOUD_PROJECT: 'the project to deploy to (credentials from Application Default Credentials)',
  PRODUCT_OS_ARTIFACT_REPOSITORY: 'an Artifact Registry Docker repository in it',
  GCP_LIVE_REPO: 'a public git repository (https) with a Dockerfile of an HTTP service listening on $PORT',
  GCP_LIVE_REF: 'a ref of it that builds (a branch, tag or commit)',
  GCP_LIVE_SECRET: 'an sm://PROJECT/NAME secret the credentials may read',
  PRODUCT_OS_GCP_REGION: 'the region (default us-central1)',
  PRODUCT_OS_FIRESTORE_DATABASE: 'the Firestore database the brand tests write to and clean up (default (default))',
};

export function announceLive(suite: string, local = 'the local fake (test/helpers/fake-gcp.ts)', fakeOnly?: string): void {
  if (LIVE) {
    const missing = Object.keys(LIVE_VARS).filter((k) => k !== 'PRODUCT_OS_GCP_REGION' && k !== 'PRODUCT_OS_FIRESTORE_DATABASE' && !process.env[k]);
    if (missing.length > 0) throw new Error(`GCP_LIVE_TESTS=1 needs ${missing.map((k) => `${k} (${LIVE_VARS[k]})`).join(', ')}`);
    console.log(`    [${suite}] GCP_LIVE_TESTS=1: running against project ${process.env.GOOGLE_CLOUD_PROJECT}${fakeOnly ? `; not run live (they need faults only the fake can inject): ${fakeOnly}` : ''}`);
  } else {
    console.log(`    [${suite}] live Google Cloud run SKIPPED (set GCP_LIVE_TESTS=1 and ${Object.keys(LIVE_VARS).join(', ')} to run these scenarios against a real project); running against ${local}`);
  }
}

export const FAKE_PROJECT = 'fake-project-1';
export const FAKE_TOKEN = 'ya29.fake-test-token';

/** An auth client that always presents `token` and never refreshes (what a fixed header would be). */
export function fixedTokenAuth(token: string, expired = false): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: token, expiry_date: expired ? Date.now() - 60_000 : Date.now() + 3600_000 });
  return auth;
}

export async function startFake(): Promise<FakeGcp> {
  const fake = new FakeGcp({ project: FAKE_PROJECT, token: FAKE_TOKEN });
  await fake.start();
  return fake;
}

export function fakeOverrides(fake: FakeGcp, opts: { token?: string; expired?: boolean; pollMs?: number; operationTimeoutMs?: number } = {}): GcpOverrides {
  return {
    client: { fallback: true, protocol: 'http', apiEndpoint: '127.0.0.1', port: fake.port, authClient: fixedTokenAuth(opts.token ?? FAKE_TOKEN, opts.expired) },
    pollMs: opts.pollMs ?? 5,
    operationTimeoutMs: opts.operationTimeoutMs ?? 5000,
  };
}

export function liveOverrides(): GcpOverrides {
  return { pollMs: 3000 };
}
