/**
 * The line the editor writes first on the stdin of a backend it starts with
 * `serve --secrets-stdin` (extension/services.ts writes it, backend/secrets/handoff.ts reads
 * it): the secrets the user stored in the editor's SecretStorage, by name. Not argv (visible
 * in `ps`), not the environment (inherited by children, dumped by crash reporters), not a file.
 */
import { Type, type Static } from '@sinclair/typebox';

/** A secret's name, as an editor:// reference writes it. */
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,128}$';

export const SecretsHandoff = Type.Object({ secrets: Type.Record(Type.String({ pattern: SECRET_NAME_PATTERN }), Type.String()) }, { additionalProperties: false });
export type SecretsHandoff = Static<typeof SecretsHandoff>;

export const MAX_HANDOFF_BYTES = 1024 * 1024;

export function formatHandoff(secrets: Record<string, string>): string {
  return `${JSON.stringify({ secrets } satisfies SecretsHandoff)}\n`;
}

/** The secrets in one hand-off line; throws naming what is wrong, never echoing a value. */
export function parseHandoff(line: string): Record<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('the secrets hand-off on stdin is not JSON');
  }
  const secrets = (v as { secrets?: unknown } | null)?.secrets;
  if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) throw new Error('the secrets hand-off on stdin must be {"secrets":{"NAME":"value"}}');
  const name = new RegExp(SECRET_NAME_PATTERN);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secrets)) {
    if (!name.test(key)) throw new Error(`the secrets hand-off names an invalid secret ("${key.slice(0, 40)}"): names are letters, digits, _ . and -`);
    if (typeof value !== 'string') throw new Error(`the secrets hand-off gives secret "${key}" a value that is not a string`);
    out[key] = value;
  }
  return out;
}
