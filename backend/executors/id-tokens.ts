import type { GoogleAuth, IdTokenClient } from 'google-auth-library';

/** Where the http executor gets the `Authorization` header for a remote executor. */
export interface IdTokenSource {
  /** `Bearer <token>` for `audience` (the executor's URL), refreshed before it expires. */
  authorization(audience: string): Promise<string>;
}

/**
 * Google-signed ID tokens through Application Default Credentials: the metadata server on
 * Cloud Run and GCE (GCE_METADATA_HOST overrides where it is), a service-account key file
 * (GOOGLE_APPLICATION_CREDENTIALS), or impersonation. One IdTokenClient per audience: it
 * caches its token and fetches a new one shortly before expiry.
 */
export class GoogleIdTokens implements IdTokenSource {
  private readonly clients = new Map<string, Promise<IdTokenClient>>();
  /** Made on the first remote call: google-auth-library is not loaded by a backend that makes none. */
  private auth: Promise<GoogleAuth> | undefined;
  constructor(auth?: GoogleAuth) {
    if (auth) this.auth = Promise.resolve(auth);
  }

  async authorization(audience: string): Promise<string> {
    let client = this.clients.get(audience);
    if (!client) {
      this.auth ??= import('google-auth-library').then(({ GoogleAuth: Auth }) => new Auth());
      client = this.auth.then((auth) => auth.getIdTokenClient(audience));
      // A failed look-up (no credentials yet) is not remembered: the next call tries again.
      client.catch(() => this.clients.delete(audience));
      this.clients.set(audience, client);
    }
    const headers = await (await client).getRequestHeaders(audience);
    const value = headers.get('authorization');
    if (!value) throw new Error(`no ID token for ${audience}`);
    return value;
  }
}
