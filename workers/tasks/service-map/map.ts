/**
 * The service_map task's logic, pure: from what the backend collected about allowlisted
 * containers (`job.context.containers`: names, networks, ports, links, environment variable
 * NAMES, and which container an environment value refers to; never the values), the graph the
 * registry's `ops.service_map` outputSchema describes.
 *
 * Edges:
 * - `network`: two containers attached to the same user-defined network (Docker's own
 *   `bridge`, `host` and `none` connect nothing by name, so they make no edge); one edge per
 *   pair and network, labelled with the network's name.
 * - `link`: a legacy `--link`, from the container that has it to its target, labelled with the alias.
 * - `env_reference`: an environment variable of `from` whose value names `to` (by container
 *   name, host name or network alias), labelled with the variable's name.
 * Only containers on the map are joined: an edge to a container off the allowlist is dropped.
 */

import type { ServiceContainer, ServiceEdge, ServiceMap, ServiceNode } from '../../../contracts/tasks/service-map';

export type { ServiceContainer, ServiceEdge, ServiceMap, ServiceNode };

/** Docker's built-in networks: no name resolution between containers on them. */
export const BUILTIN_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none']);

export class ServiceContextError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, where: string): string => {
  if (typeof v !== 'string') throw new ServiceContextError(`${where} is not a string`);
  return v;
};
const list = (v: unknown, where: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ServiceContextError(`${where} is not an array`);
  return v;
};
const obj = (v: unknown, where: string): Record<string, unknown> => {
  if (!isObj(v)) throw new ServiceContextError(`${where} is not an object`);
  return v;
};

/** Reads `job.context.containers`, or throws ServiceContextError naming what is wrong. */
export function readServiceContext(context: unknown): ServiceContainer[] {
  if (!isObj(context)) throw new ServiceContextError('job.context is missing: the backend collects the containers');
  if (!Array.isArray(context.containers)) throw new ServiceContextError('job.context.containers is not an array');
  return context.containers.map((c, i) => {
    const w = `job.context.containers[${i}]`;
    const o = obj(c, w);
    return {
      id: str(o.id, `${w}.id`),
      name: str(o.name, `${w}.name`),
      image: str(o.image ?? '', `${w}.image`),
      state: str(o.state ?? '', `${w}.state`),
      networks: list(o.networks, `${w}.networks`).map((n, j) => {
        const no = obj(n, `${w}.networks[${j}]`);
        return { name: str(no.name, `${w}.networks[${j}].name`), aliases: list(no.aliases, `${w}.networks[${j}].aliases`).filter((a): a is string => typeof a === 'string') };
      }),
      ports: list(o.ports, `${w}.ports`).map((p, j) => {
        const po = obj(p, `${w}.ports[${j}]`);
        return {
          container_port: typeof po.container_port === 'number' ? po.container_port : Number.NaN,
          host_port: typeof po.host_port === 'number' ? po.host_port : null,
          protocol: typeof po.protocol === 'string' ? po.protocol : 'tcp',
        };
      }),
      links: list(o.links, `${w}.links`).map((l, j) => {
        const lo = obj(l, `${w}.links[${j}]`);
        return { to: str(lo.to, `${w}.links[${j}].to`), alias: typeof lo.alias === 'string' ? lo.alias : '' };
      }),
      env_names: list(o.env_names, `${w}.env_names`).map((n, j) => str(n, `${w}.env_names[${j}]`)),
      env_references: list(o.env_references, `${w}.env_references`).map((r, j) => {
        const ro = obj(r, `${w}.env_references[${j}]`);
        return { name: str(ro.name, `${w}.env_references[${j}].name`), to: str(ro.to, `${w}.env_references[${j}].to`) };
      }),
    };
  });
}

const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'sctp']);
const isPort = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function toNode(c: ServiceContainer): ServiceNode {
  const seen = new Set<string>();
  const ports: ServiceNode['ports'] = [];
  for (const p of c.ports) {
    const protocol = p.protocol.toLowerCase();
    if (!isPort(p.container_port) || !PROTOCOLS.has(protocol)) continue;
    const host_port = isPort(p.host_port) ? p.host_port : null;
    const key = `${p.container_port}/${protocol}/${host_port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ports.push({ container_port: p.container_port, host_port, protocol: protocol as 'tcp' | 'udp' | 'sctp' });
  }
  ports.sort((a, b) => a.container_port - b.container_port || byText(a.protocol, b.protocol) || (a.host_port ?? 0) - (b.host_port ?? 0));
  return {
    id: c.id,
    name: c.name.replace(/^\//, ''),
    image: c.image,
    state: c.state,
    networks: [...new Set(c.networks.map((n) => n.name))].sort(byText),
    ports,
    env_names: [...new Set(c.env_names)].sort(byText),
  };
}

/** The graph: nodes sorted by name, edges network → link → env_reference, each group in a stable order. */
export function buildServiceMap(containers: readonly ServiceContainer[]): ServiceMap {
  // One node per container id (a duplicate keeps the first).
  const unique = new Map<string, ServiceContainer>();
  for (const c of containers) if (!unique.has(c.id)) unique.set(c.id, c);
  const sorted = [...unique.values()].sort((a, b) => byText(a.name, b.name) || byText(a.id, b.id));
  const nodes = sorted.map(toNode);
  const ids = new Set(nodes.map((n) => n.id));
  const byName = new Map(nodes.map((n) => [n.name, n.id]));

  const edges: ServiceEdge[] = [];
  const keys = new Set<string>();
  const add = (e: ServiceEdge) => {
    const key = `${e.kind}\u0000${e.from}\u0000${e.to}\u0000${e.label ?? ''}`;
    if (e.from === e.to || !ids.has(e.from) || !ids.has(e.to) || keys.has(key)) return;
    keys.add(key);
    edges.push(e);
  };

  // Shared user-defined networks: every pair on each, in node order.
  const members = new Map<string, string[]>();
  for (const n of nodes) for (const net of n.networks) if (!BUILTIN_NETWORKS.has(net)) members.set(net, [...(members.get(net) ?? []), n.id]);
  for (const net of [...members.keys()].sort(byText)) {
    const m = members.get(net)!;
    for (let i = 0; i < m.length; i++) for (let j = i + 1; j < m.length; j++) add({ from: m[i]!, to: m[j]!, kind: 'network', label: net });
  }

  // Legacy links, by the target's name.
  for (const c of sorted) {
    for (const l of c.links) {
      const to = byName.get(l.to.replace(/^\//, ''));
      if (to) add({ from: c.id, to, kind: 'link', ...(l.alias ? { label: l.alias } : {}) });
    }
  }

  // Environment variables whose value names another container.
  for (const c of sorted) {
    for (const r of [...c.env_references].sort((a, b) => byText(a.name, b.name))) add({ from: c.id, to: r.to, kind: 'env_reference', label: r.name });
  }
  return { nodes, edges };
}
