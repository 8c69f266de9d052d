import type Dockerode from 'dockerode';
import { ProductOsError } from '../errors';
import { WORKER_UID } from '../../contracts/worker-protocol';
import type { WorkerMount } from './docker-mounts';

/** Labels every worker container carries (Testcontainers' pattern: label, then sweep by label). */
export const LABELS = {
  managed: 'product-os.worker',
  /** The backend instance that started it: a container whose session is gone is swept. */
  session: 'product-os.session',
  /** The store (database) that backend uses: a sweep never touches another store's workers. */
  store: 'product-os.store',
  /** The run it was started for; `pool` for a warm-pool worker (its run is in the worker audit). */
  run: 'product-os.run',
  tool: 'product-os.tool',
  image: 'product-os.image',
} as const;

export const POOL_RUN_LABEL = 'pool';

export interface Resources {
  memory_mb: number;
  cpus: number;
  pids: number;
}

export interface WorkerSpec {
  /** What `docker create` gets (already allowlisted and resolved). */
  image: string;
  labels: Record<string, string>;
  resources: Resources;
  /** `none`, or the name of an internal Docker network. */
  network: string;
  mounts: readonly WorkerMount[];
  /** Size of the writable tmpfs at /tmp. */
  tmpfsMb: number;
  /** GPUs to hand in (only for images the allowlist marks requires_gpu). */
  gpuDeviceIds?: string[];
  name?: string;
}

/** The limits as Docker's HostConfig fields (also what a warm worker is updated to). */
export function resourceLimits(r: Resources): { Memory: number; MemorySwap: number; NanoCpus: number; PidsLimit: number } {
  const memory = Math.round(r.memory_mb * 1024 * 1024);
  return { Memory: memory, MemorySwap: memory, NanoCpus: Math.round(r.cpus * 1e9), PidsLimit: r.pids };
}

/**
 * The one place a worker's container definition is written. Every worker, cold or pooled:
 * all capabilities dropped, no new privileges, read-only root filesystem with a small tmpfs
 * /tmp, a non-root user, an init process, memory (no swap) / CPU / pids limits, no network
 * (or an internal one), no Docker socket, read-only binds but the output folder, the job on
 * stdin, nothing logged by Docker (the executor reads stdout itself).
 */
export function hardenedCreateOptions(spec: WorkerSpec): Dockerode.ContainerCreateOptions {
  const opts: Dockerode.ContainerCreateOptions = {
    ...(spec.name ? { name: spec.name } : {}),
    Image: spec.image,
    User: `${WORKER_UID}:${WORKER_UID}`,
    Env: ['HOME=/tmp', 'NODE_ENV=production'],
    Labels: { [LABELS.managed]: 'true', ...spec.labels },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: spec.network === 'none',
    HostConfig: {
      ...resourceLimits(spec.resources),
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,noexec,size=${spec.tmpfsMb}m,mode=1777` },
      Init: true,
      NetworkMode: spec.network,
      IpcMode: 'private',
      Mounts: spec.mounts.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
      AutoRemove: false,
      LogConfig: { Type: 'none', Config: {} },
      OomKillDisable: false,
      ...(spec.gpuDeviceIds?.length ? { DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: spec.gpuDeviceIds, Capabilities: [['gpu']] }] } : {}),
    },
  };
  assertHardened(opts);
  return opts;
}

/**
 * Re-checks a definition just before it is sent to Docker, so no later edit can loosen it
 * unnoticed: a failure here is a bug, reported as one.
 */
export function assertHardened(opts: Dockerode.ContainerCreateOptions): void {
  const h = opts.HostConfig ?? {};
  const problems: string[] = [];
  if (!h.CapDrop?.includes('ALL') || (h.CapAdd?.length ?? 0) > 0) problems.push('capabilities not all dropped');
  if (!h.SecurityOpt?.includes('no-new-privileges')) problems.push('no-new-privileges missing');
  if (h.Privileged) problems.push('privileged');
  if (!h.ReadonlyRootfs) problems.push('root filesystem writable');
  if (!h.Init) problems.push('no init');
  if (!opts.User || /^(0|root)(:|$)/.test(opts.User)) problems.push('runs as root');
  if (!h.Memory || !h.NanoCpus || !h.PidsLimit || h.MemorySwap !== h.Memory) problems.push('limits missing');
  if (h.NetworkMode === 'host' || h.NetworkMode === 'bridge' || h.NetworkMode === 'default' || h.NetworkMode?.startsWith('container:')) problems.push(`network ${h.NetworkMode}`);
  if ((h.Binds?.length ?? 0) > 0 || (h.Devices?.length ?? 0) > 0 || h.PidMode === 'host' || h.IpcMode === 'host' || h.UsernsMode === 'host') problems.push('host access');
  if (h.Mounts?.some((m) => /docker\.sock|containerd/.test(m.Source ?? ''))) problems.push('engine socket mounted');
  if ((h.Mounts?.filter((m) => !m.ReadOnly).length ?? 0) > 1) problems.push('more than one writable mount');
  if (problems.length > 0) throw new ProductOsError('internal', `refusing an unsafe worker definition: ${problems.join(', ')}`, { problems });
}
