import * as dns from 'node:dns';
import * as net from 'node:net';

/**
 * Local-only LLMs: an endpoint is acceptable only on this host, a private network, or an
 * internal Docker network. Checked twice: the URL as written (at configuration, by
 * /config/validate and before each call), and the addresses a name resolves to, at the moment
 * of connecting (`localOnlyLookup`), so a name that DNS or /etc/hosts sends elsewhere, or that
 * changes its answer between the check and the call, never gets a byte.
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
  if (net.isIP(host) ? isLocalAddress(host) : isLocalName(host)) return null;
  return `points at ${host}, which is not this host, a private network or an internal Docker network (LLMs must stay local)`;
}

/** Loopback, the private ranges (RFC 1918, IPv6 unique-local) and link-local, IPv4-mapped forms included. */
const LOCAL = new net.BlockList();
for (const [prefix, bits] of [['127.0.0.0', 8], ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['169.254.0.0', 16]] as const) LOCAL.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) LOCAL.addSubnet(prefix, bits, 'ipv6');

/**
 * Link-local, but the cloud's instance-metadata services (credentials and the like, on a dev VM
 * reached over Remote-SSH): never a model, and nothing a prompt should be sent to.
 */
const METADATA = new net.BlockList();
for (const ip of ['169.254.169.254', '169.254.170.2', '169.254.170.23']) METADATA.addAddress(ip, 'ipv4');
METADATA.addAddress('fd00:ec2::254', 'ipv6');

/** Whether an IP address (either family) is one a local model may listen on. */
export function isLocalAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return LOCAL.check(ip, type) && !METADATA.check(ip, type);
}

/**
 * Names that only a local resolver answers: localhost, the reserved local suffixes, and a
 * single label (a Docker container or service name, an /etc/hosts entry). What they resolve
 * to is checked again when connecting, since a search domain could still send one elsewhere.
 */
function isLocalName(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal') || h.endsWith('.local')) return true;
  return /^[a-z0-9][a-z0-9_-]*$/.test(h);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** An error from `localOnlyLookup`: the name resolved, but not (only) to local addresses. */
export class NotLocalError extends Error {
  constructor(
    readonly host: string,
    readonly addresses: readonly string[],
  ) {
    super(`names ${host}, which resolves to ${addresses.join(', ') || 'no address'}: not this host, a private network or an internal Docker network (LLMs must stay local)`);
  }
}

/** How names are resolved: dns.lookup with `all` (a test gives a scripted one). */
export type Resolver = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/**
 * A `lookup` for node:http that resolves as usual and refuses the connection unless every
 * address the name has is local. The socket connects to exactly what was checked, so there is
 * no window between the check and the connection for DNS to change its answer.
 */
export function localOnlyLookupVia(resolve: Resolver) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const outside = addresses.filter((a) => !isLocalAddress(a.address));
      if (addresses.length === 0 || outside.length > 0) return callback(new NotLocalError(hostname, outside.map((a) => a.address)) as NodeJS.ErrnoException, []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export const localOnlyLookup = localOnlyLookupVia((hostname, options, callback) => dns.lookup(hostname, options, callback));
