/**
 * Turns a secret reference into its value, for the code that must hand a value to something
 * (a provider's token, a local container's environment). Editor secrets are the ones handed
 * over at start; Secret Manager values are kept in memory for a few minutes so a burst of runs
 * does not read the same version again and again. Every value is added to the mask before it
 * is returned, so nothing downstream can print it.
 */
import { ProductOsError } from '../errors';
import { parseSecretRef, secretRefProblem, formatSecretRef } from './secret-ref';
import type { SecretMask } from './secret-mask';
import type { SecretManagerSource } from './secret-manager';

const CACHE_MS = 5 * 60_000;
const CACHE_MAX = 256;

export class SecretResolver {
  private readonly editor = new Map<string, string>();
  private readonly cache = new Map<string, { value: string; at: number }>();

  constructor(
    readonly mask: SecretMask,
    private readonly secretManager: SecretManagerSource | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** The editor's secrets, by name (the backend's start hand-off or a later update); replaces a name's earlier value. */
  setEditorSecrets(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      this.mask.add(value);
      this.editor.set(name, value);
    }
  }

  /** Names only: what the editor has handed over (for /config/validate). */
  editorSecretNames(): string[] {
    return [...this.editor.keys()].sort();
  }

  /**
   * The value behind `reference`. Errors name the reference and what to do, never a value.
   * `what` says where the reference came from ("env var API_KEY of service web").
   */
  async resolve(reference: string, what: string, signal?: AbortSignal): Promise<string> {
    const ref = parseSecretRef(reference);
    if (!ref) throw new ProductOsError('invalid_input', `${what} ${secretRefProblem(reference)}`);
    if (ref.kind === 'editor') {
      const value = this.editor.get(ref.name);
      if (value === undefined) {
        throw new ProductOsError(
          'not_configured',
          `${what} refers to ${formatSecretRef(ref)}, which the editor has not handed to this backend: store it with "Product OS: Store Secret" (it is kept in the editor's secret storage) and restart the backend, or use an sm:// reference`,
        );
      }
      return value;
    }
    const key = formatSecretRef(ref);
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < CACHE_MS && ref.version === 'latest') return hit.value;
    if (hit && ref.version !== 'latest') return hit.value;
    if (!this.secretManager) {
      throw new ProductOsError('not_configured', `${what} refers to ${key}, but Secret Manager is not available here: set GOOGLE_CLOUD_PROJECT and Google credentials where the backend runs`);
    }
    const value = await this.secretManager.access(ref, signal);
    this.mask.add(value);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { value, at: this.now() });
    return value;
  }

  async close(): Promise<void> {
    await this.secretManager?.close();
  }
}
