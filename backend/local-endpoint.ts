import * as net from 'node:net';

/**
 * Local-only LLMs: an endpoint is acceptable only on this host, a private network, or an
 * internal Docker network (a bare container name). Used at configuration and at call time.
 */
export function localEndpointProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `uses ${parsed.protocol} (http or https only)`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isLocalHost(host)) return null;
  return `points at ${host}, which is not this host, a private network or an internal Docker network (LLMs must stay local)`;
}

function isLocalHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return true;
  if (net.isIPv4(host)) {
    const [a, b] = host.split('.').map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (net.isIPv6(host)) {
    const h = host.toLowerCase();
    return h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80');
  }
  // A single label ("llm", "llama-server") resolves only inside a Docker network or /etc/hosts.
  return /^[a-z0-9][a-z0-9_-]*$/i.test(host);
}
