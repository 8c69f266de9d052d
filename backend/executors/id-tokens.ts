import { GoogleAuth, type IdTokenClient } from 'google-auth-library';

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
  constructor(private readonly auth: GoogleAuth = new GoogleAuth()) {}

  async authorization(audience: string): Promise<string> {
    let client = this.clients.get(audience);
    if (!client) {
      client = this.auth.getIdTokenClient(audience);
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
