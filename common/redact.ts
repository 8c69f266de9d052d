/**
 * common/: code both the backend and the workers run (a worker image bundles only what its
 * tasks import). The masks of redacted debug mode live here so the backend's logs and a
 * worker's output hide the same things the same way.
 */
import * as os from 'node:os';

/**
 * DEBUG_REDACTED_MODE: masks what could identify a person or unlock something before a log
 * line is stored or streamed. Order matters: keys and tokens before generic hex ids.
 */
const RULES: Array<[RegExp, string | ((match: string) => string)]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted-token]'],
  [/\b(eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,})\b/g, '[redacted-jwt]'],
  [/\b(sk|pk|rk|ghp|gho|ghs|xox[bpas]|AKIA|AIza)[-_A-Za-z0-9]{12,}\b/g, '[redacted-key]'],
  [/\b((?:api[_-]?key|token|secret|password|passwd|authorization)["']?\s*[:=]\s*["']?)[^\s"',;]{4,}/gi, '$1[redacted]'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[redacted-email]'],
  [/\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g, '[redacted-ip]'],
  [/\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi, '[redacted-ip]'],
  // Compressed IPv6 (2001:db8::7334, fe80::1ff:fe23:4567:890a): a '::' between hex groups, not
  // inside a word (C++'s std::vector and Ruby's Foo::Bar stay as they are).
  [/(?<![0-9a-z:])(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?(?![0-9a-z:])/gi, (m: string) => (/[0-9a-f]/i.test(m) ? '[redacted-ip]' : m)],
  [/\b[0-9a-f]{64}\b/g, '[redacted-container]'],
  [/\b[0-9a-f]{12}\b/g, '[redacted-container]'],
  [/(\/home\/|\/Users\/|C:\\Users\\)[^/\\\s]+/g, '$1[user]'],
];

/** Emails, keys and tokens, IPs, container ids and home-folder user names: pure, no host facts. */
export function maskSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}

export function redact(text: string): string {
  let out = maskSecrets(text);
  const user = safeUserName();
  if (user && user.length > 2) out = out.split(user).join('[user]');
  return out;
}

/** Redacts every string inside a JSON value (log fields). */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v);
    return out as T;
  }
  return value;
}

let cachedUser: string | null | undefined;
function safeUserName(): string | null {
  if (cachedUser === undefined) {
    try {
      const name = os.userInfo().username;
      cachedUser = name === 'root' ? null : name;
    } catch {
      cachedUser = null;
    }
  }
  return cachedUser;
}
