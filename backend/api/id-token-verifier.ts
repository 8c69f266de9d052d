import type { OAuth2Client } from 'google-auth-library';
import { ProductOsError } from '../errors';

export interface IdTokenVerifierOptions {
  /** The audience tokens must be minted for: this executor's URL (Cloud Run: the service URL). */
  audience: string;
  /** Service-account emails allowed to call; empty: any Google-signed token for the audience. */
  invokers: string[];
  /** Where the signing certificates are (PEM JSON); Google's by default. Tests serve their own. */
  certsUrl?: string;
}

export interface Invoker {
  email?: string;
  subject: string;
}

/**
 * Checks a remote executor's callers: a Google-signed ID token (signature against the
 * published certificates, issuer, expiry, audience — google-auth-library's verifyIdToken) and,
 * when a list is configured, a verified email on that list. Cloud Run checks run.invoker
 * before the request arrives; this holds when the service is reachable some other way too.
 */
export class IdTokenVerifier {
  /** google-auth-library loads with the first request, not when the module is. */
  private client: Promise<OAuth2Client> | undefined;
  private readonly invokers: ReadonlySet<string>;

  constructor(private readonly opts: IdTokenVerifierOptions) {
    this.invokers = new Set(opts.invokers.map((e) => e.toLowerCase()));
  }

  async verify(authorization: string | undefined): Promise<Invoker> {
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw new ProductOsError('unauthorized', 'missing ID token (Authorization: Bearer <Google-signed ID token>)');
    let payload;
    try {
      this.client ??= import('google-auth-library').then(({ OAuth2Client: Client }) => new Client(this.opts.certsUrl ? { endpoints: { oauth2FederatedSignonPemCertsUrl: this.opts.certsUrl } } : {}));
      payload = (await (await this.client).verifyIdToken({ idToken: match[1], audience: this.opts.audience })).getPayload();
    } catch (err) {
      // The library's sentence says what failed (signature, audience, expiry) without the token.
      throw new ProductOsError('unauthorized', `ID token refused: ${firstLine(err)}`);
    }
    if (!payload?.sub) throw new ProductOsError('unauthorized', 'ID token refused: it names no subject');
    if (this.invokers.size > 0) {
      const email = payload.email?.toLowerCase();
      if (!email || payload.email_verified !== true || !this.invokers.has(email)) {
        throw new ProductOsError('unauthorized', `ID token refused: ${email ?? 'its subject'} is not in PRODUCT_OS_EXECUTOR_INVOKERS`);
      }
    }
    return { email: payload.email, subject: payload.sub };
  }
}

function firstLine(err: unknown): string {
  const text = (err as Error)?.message ?? String(err);
  // The library quotes the token, its segments or its payload in some messages: keep the
  // sentence before the first colon (the reason), never what followed it.
  return text.split('\n')[0].split(':')[0].slice(0, 200);
}
