/**
 * Where the publish adapter's Missinglettr token comes from, behind one small interface:
 * PRODUCT_OS_MISSINGLETTR_TOKEN as a reference (sm://PROJECT/NAME[/VERSION] from Secret
 * Manager, editor://NAME from the editor's secret storage), or MISSINGLETTR_API_TOKEN holding
 * the value in the backend's environment. Whatever the source, the value is added to the mask
 * before it is used, so no log line, run event or error can carry it.
 */
import { ProductOsError } from '../errors';
import type { SecretResolver } from '../secrets/secret-resolver';

export interface TokenSource {
  /** Where the token comes from, for people (a reference or a setting name; never the value). */
  describe(): string;
  get(signal: AbortSignal): Promise<string>;
}

export function missinglettrToken(settings: { tokenRef?: string; token?: string }, secrets: SecretResolver): TokenSource {
  if (settings.tokenRef) {
    const ref = settings.tokenRef;
    return { describe: () => ref, get: (signal) => secrets.resolve(ref, 'PRODUCT_OS_MISSINGLETTR_TOKEN', signal) };
  }
  if (settings.token) {
    const value = settings.token;
    secrets.mask.add(value);
    return { describe: () => 'MISSINGLETTR_API_TOKEN (environment)', get: async () => value };
  }
  return {
    describe: () => 'not configured',
    get: async () => {
      throw new ProductOsError(
        'not_configured',
        'no Missinglettr token: set PRODUCT_OS_MISSINGLETTR_TOKEN to sm://PROJECT/NAME (Secret Manager) or editor://NAME ("Product OS: Store Secret"), or MISSINGLETTR_API_TOKEN in the backend\'s environment',
      );
    },
  };
}
