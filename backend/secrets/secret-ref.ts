/**
 * Where a secret's value lives, written as a reference so the value itself is never in a
 * setting, a tool input or a blueprint:
 *   sm://PROJECT/NAME[/VERSION]  a Secret Manager secret (VERSION: a number or "latest", the default)
 *   editor://NAME                a value the editor keeps in its SecretStorage and hands the
 *                                backend at start (never written to disk or settings)
 */
export type SecretRef = { kind: 'sm'; project: string; name: string; version: string } | { kind: 'editor'; name: string };

const SM = /^sm:\/\/([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{6,20})\/([A-Za-z0-9_-]{1,255})(?:\/(latest|[1-9]\d{0,18}))?$/;
const EDITOR = /^editor:\/\/([A-Za-z0-9_.-]{1,128})$/;

/** The reference, or null when `text` is not one (the caller says what was expected). */
export function parseSecretRef(text: string): SecretRef | null {
  const sm = SM.exec(text);
  if (sm) return { kind: 'sm', project: sm[1], name: sm[2], version: sm[3] ?? 'latest' };
  const ed = EDITOR.exec(text);
  if (ed) return { kind: 'editor', name: ed[1] };
  return null;
}

/** Why `text` is not a usable reference, or null when it is one. */
export function secretRefProblem(text: string): string | null {
  if (parseSecretRef(text)) return null;
  if (text.startsWith('sm://')) return 'must be sm://PROJECT/NAME or sm://PROJECT/NAME/VERSION (VERSION a number or latest; NAME letters, digits, _ and -)';
  if (text.startsWith('editor://')) return 'must be editor://NAME (NAME letters, digits, _ . and -)';
  return 'must be a secret reference: sm://PROJECT/NAME[/VERSION] (Secret Manager) or editor://NAME (the editor\'s secret storage), never the value itself';
}

/** The Secret Manager resource name of an sm:// reference. */
export function secretVersionName(ref: { project: string; name: string; version: string }): string {
  return `projects/${ref.project}/secrets/${ref.name}/versions/${ref.version}`;
}

/** The reference as text (what may be shown: it names the secret, not its value). */
export function formatSecretRef(ref: SecretRef): string {
  return ref.kind === 'sm' ? `sm://${ref.project}/${ref.name}${ref.version === 'latest' ? '' : `/${ref.version}`}` : `editor://${ref.name}`;
}
