/**
 * Reads secret values from Secret Manager (accessSecretVersion). The value goes to the caller
 * and to the mask, nowhere else; a failure names the secret (never its value) and says what
 * to do.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { gcpError } from '../gcp/errors';
import { secretVersionName } from './secret-ref';
import type { GaxClientOptions } from '../gcp/client-options';
import { ProductOsError } from '../errors';

export class SecretManagerSource {
  private client: SecretManagerServiceClient | null = null;

  constructor(private readonly options: GaxClientOptions) {}

  async access(ref: { project: string; name: string; version: string }, signal?: AbortSignal): Promise<string> {
    const name = secretVersionName(ref);
    // The client library (google-gax, its protos) loads on the first sm:// reference, not at start.
    if (!this.client) {
      const { SecretManagerServiceClient: Client } = await import('@google-cloud/secret-manager');
      this.client ??= new Client(this.options as ConstructorParameters<typeof SecretManagerServiceClient>[0]);
    }
    const call = this.client.accessSecretVersion({ name }, { timeout: 30_000 });
    let response;
    try {
      [response] = await abortable(call, signal);
    } catch (err) {
      throw gcpError(err, {
        service: 'Secret Manager',
        action: `reading secret ${name}`,
        role: 'roles/secretmanager.secretAccessor',
        notFoundHint: `Create the secret (gcloud secrets create ${ref.name} --project ${ref.project}) and add a version, or fix the reference.`,
      });
    }
    const data = response.payload?.data;
    if (data === undefined || data === null) throw new ProductOsError('not_found', `Secret Manager: ${name} has no payload; add a version with a value`);
    return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = null;
  }
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new ProductOsError('cancelled', 'cancelled before the secret was read'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ProductOsError('cancelled', 'cancelled while reading a secret'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
