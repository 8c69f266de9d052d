/**
 * Google's side of ID tokens, on 127.0.0.1: a signing key whose public half is served as the
 * PEM certificate map (what `OAuth2Client.verifyIdToken` fetches), and a metadata server that
 * mints ID tokens for `?audience=` (what `GoogleAuth().getIdTokenClient()` asks on Cloud Run).
 * `sign` mints tokens directly, with any claims or key: foreign, expired, other audiences.
 */
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGoogleIdentity {
  /** For PRODUCT_OS_EXECUTOR_CERTS_URL. */
  certsUrl: string;
  /** For GCE_METADATA_HOST (host:port). */
  metadataHost: string;
  /** The service account the metadata server's tokens name. */
  email: string;
  /** Tokens the metadata server handed out. */
  minted: number;
  sign(claims: Record<string, unknown>, key?: KeyObject): string;
  /** A key Google never published. */
  foreignKey: KeyObject;
  close(): Promise<void>;
}

const b64 = (v: object | Buffer) => Buffer.from(v instanceof Buffer ? v : JSON.stringify(v)).toString('base64url');

export async function startFakeGoogleIdentity(email = 'control-plane@test-project.iam.gserviceaccount.com'): Promise<FakeGoogleIdentity> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = randomUUID();
  const sign = (claims: Record<string, unknown>, key: KeyObject = privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'RS256', typ: 'JWT', kid });
    const body = b64({ iss: 'https://accounts.google.com', iat: now, exp: now + 3600, ...claims });
    const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
    return `${head}.${body}.${b64(signature)}`;
  };
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const identity = { minted: 0 } as FakeGoogleIdentity;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/certs') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
      return res.end(JSON.stringify({ [kid]: pem }));
    }
    // The metadata server answers only requests that say Metadata-Flavor: Google, and says so back.
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403);
      return res.end();
    }
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/text' };
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      res.writeHead(200, headers);
      return res.end('');
    }
    if (url.pathname === '/computeMetadata/v1/project/project-id') {
      res.writeHead(200, headers);
      return res.end('test-project');
    }
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/identity') {
      const audience = url.searchParams.get('audience');
      if (!audience) {
        res.writeHead(400, headers);
        return res.end('audience is required');
      }
      identity.minted += 1;
      res.writeHead(200, headers);
      return res.end(sign({ aud: audience, azp: '1234567890', sub: '1234567890', email, email_verified: true }));
    }
    res.writeHead(404, headers);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(identity, {
    certsUrl: `http://127.0.0.1:${port}/certs`,
    metadataHost: `127.0.0.1:${port}`,
    email,
    sign,
    foreignKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
