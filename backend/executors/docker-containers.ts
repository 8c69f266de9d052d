import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Queryable } from '../store/db';
import { containerAllowlist, isContainerAllowed } from './docker-allowlist';
import { LABELS } from './docker-hardening';
import type { ServiceContainer } from '../../contracts/tasks/service-map';

/**
 * What the ops tasks need to know about containers, collected here in the backend (the only
 * side that talks to Docker) and handed to the worker in `job.context`. Only allowlisted
 * containers are looked at, worker containers never; environment variable values never leave
 * this module: a task gets the names, and which other container a value refers to.
 */
export type ContainerFacts = ServiceContainer & {
  /** Host pids of its processes (gpu_report only, to match GPU processes). */
  pids?: number[];
};

export async function collectContainers(docker: Dockerode, q: Queryable, opts: { includeStopped: boolean; withPids?: boolean }): Promise<ContainerFacts[]> {
  const allow = await containerAllowlist(q);
  if (allow.length === 0) return [];
  const listed = await docker.listContainers({ all: opts.includeStopped });
  const chosen = listed.filter((c) => !c.Labels?.[LABELS.managed] && isContainerAllowed(allow, { id: c.Id, names: c.Names }));
  const inspected = await Promise.all(chosen.map((c) => docker.getContainer(c.Id).inspect().catch(() => null)));
  const facts = inspected.filter((i): i is Dockerode.ContainerInspectInfo => i !== null).map((i) => ({ info: i, facts: baseFacts(i) }));

  // Which names reach which container: its name, its host name, its network aliases.
  const reach = new Map<string, string>();
  for (const { info, facts: f } of facts) {
    for (const n of [f.name, info.Config.Hostname, ...f.networks.flatMap((n) => n.aliases)]) if (n) reach.set(n.toLowerCase(), f.id);
  }
  for (const { info, facts: f } of facts) {
    for (const kv of info.Config.Env ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const name = kv.slice(0, eq);
      const tokens = kv.slice(eq + 1).toLowerCase().split(/[^a-z0-9_.-]+/);
      const to = tokens.map((t) => reach.get(t)).find((id) => id !== undefined && id !== f.id);
      if (to) f.env_references.push({ name, to });
    }
    if (opts.withPids && info.State.Running) {
      const top = await docker.getContainer(info.Id).top({ ps_args: '-eo pid' }).catch(() => null);
      const col = top?.Titles?.indexOf('PID') ?? -1;
      f.pids = col >= 0 ? (top!.Processes ?? []).map((p: string[]) => Number(p[col])).filter(Number.isFinite) : [info.State.Pid].filter((p) => p > 0);
    }
  }
  return facts.map((x) => x.facts);
}

function baseFacts(i: Dockerode.ContainerInspectInfo): ContainerFacts {
  const networks = Object.entries(i.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ name, aliases: (n.Aliases ?? []).filter((a: string) => a !== i.Id.slice(0, 12)) }));
  const ports: ContainerFacts['ports'] = [];
  // Exposed ports (the image's and --expose), with what is published for each, if anything.
  const byPort: Record<string, Array<{ HostPort?: string }> | null> = Object.fromEntries(Object.keys(i.Config.ExposedPorts ?? {}).map((k) => [k, null]));
  for (const [key, bindings] of Object.entries(i.NetworkSettings?.Ports ?? {})) byPort[key] = bindings ?? byPort[key] ?? null;
  for (const [key, bindings] of Object.entries(byPort)) {
    const [port, protocol = 'tcp'] = key.split('/');
    const published = (bindings ?? []).map((b) => Number(b.HostPort)).filter((p) => p > 0);
    if (published.length === 0) ports.push({ container_port: Number(port), host_port: null, protocol });
    for (const hp of new Set(published)) ports.push({ container_port: Number(port), host_port: hp, protocol });
  }
  const links = ((i.HostConfig as { Links?: string[] }).Links ?? []).map((l: string) => {
    const [target = '', alias = ''] = l.split(':');
    return { to: target.replace(/^\//, ''), alias: alias.split('/').pop() ?? '' };
  });
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config.Image,
    state: i.State.Status,
    networks,
    ports,
    links,
    env_names: (i.Config.Env ?? []).map((kv) => kv.split('=')[0]!).filter(Boolean),
    env_references: [],
  };
}

/**
 * A container id as the ops tasks show it in redacted debug mode: stable (edges still join the
 * same node), distinct per container, and not the id (nor a 12-hex prefix of it).
 */
export function maskContainerId(id: string): string {
  return `masked-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;
}
