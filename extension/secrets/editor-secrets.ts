/**
 * Secrets the user keeps in the editor (editor://NAME references): values in the editor's
 * SecretStorage (the OS keychain), names in global state (a name is not a secret, and
 * SecretStorage cannot list its keys). The bundled backend gets them all at start on its
 * stdin (contracts/secrets-handoff.ts); nothing here writes a value to disk or to settings.
 * No `vscode` import, so it is unit-tested with fakes.
 */
import { SECRET_NAME_PATTERN } from '../../contracts/secrets-handoff';

export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}
export interface NameIndex {
  get<T>(key: string, defaultValue: T): T;
  update(key: string, value: unknown): PromiseLike<void>;
}

const KEY_PREFIX = 'productOs.editorSecret.';
const NAMES_KEY = 'productOs.editorSecretNames';
const NAME = new RegExp(SECRET_NAME_PATTERN);

export class EditorSecrets {
  constructor(
    private readonly store: SecretStore,
    private readonly index: NameIndex,
  ) {}

  names(): string[] {
    const v = this.index.get<unknown>(NAMES_KEY, []);
    return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string' && NAME.test(n)).sort() : [];
  }

  /** Why `name` cannot name a secret, or undefined. */
  static nameProblem(name: string): string | undefined {
    return NAME.test(name) ? undefined : 'letters, digits, _ . and - only, at most 128';
  }

  async set(name: string, value: string): Promise<void> {
    const problem = EditorSecrets.nameProblem(name);
    if (problem) throw new Error(`invalid secret name "${name.slice(0, 40)}": ${problem}`);
    if (value.length === 0) throw new Error('a secret cannot be empty');
    await this.store.store(KEY_PREFIX + name, value);
    if (!this.names().includes(name)) await this.index.update(NAMES_KEY, [...this.names(), name].sort());
  }

  async remove(name: string): Promise<void> {
    await this.store.delete(KEY_PREFIX + name);
    await this.index.update(NAMES_KEY, this.names().filter((n) => n !== name));
  }

  /** Every stored secret by name (a name whose value is gone from the keychain is skipped). */
  async all(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of this.names()) {
      const value = await this.store.get(KEY_PREFIX + name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
}
