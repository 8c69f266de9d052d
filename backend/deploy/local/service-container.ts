import type Dockerode from 'dockerode';
import { ProductOsError } from '../../errors';
import type { DeployOptions } from '../target';

/** Cloud Run's contract: the container listens on $PORT, 8080 unless said otherwise. */
export const CONTAINER_PORT = 8080;

/** Every container and image of a local service carries these (the sweep and the tests find them by label). */
export const LABEL = {
  owner: 'product-os.deploy.owner',
  service: 'product-os.deploy.service',
  region: 'product-os.deploy.region',
  revision: 'product-os.deploy.revision',
  ref: 'product-os.deploy.ref',
} as const;

/** Cloud Run's defaults when `deploy` does not say: one CPU, 512 MiB. */
const DEFAULT_CPU = 1;
const DEFAULT_MEMORY = 512 * 1024 * 1024;

export interface ServiceContainer {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  service: string;
  revision: string;
  deploy: DeployOptions;
  network: string;
}

/**
 * One revision's container. Published on 127.0.0.1 only (an ephemeral port; the service's
 * stable address routes to it), with the variables Cloud Run sets (PORT, K_SERVICE,
 * K_REVISION), Cloud Run's CPU and memory, no capabilities and no new privileges.
 */
export function containerSpec(c: ServiceContainer): Dockerode.ContainerCreateOptions {
  const env = { ...c.env, PORT: String(CONTAINER_PORT), K_SERVICE: c.service, K_REVISION: c.revision };
  return {
    name: c.name,
    Image: c.image,
    Labels: c.labels,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {} },
    HostConfig: {
      NetworkMode: c.network,
      PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      NanoCpus: Math.round(parseCpu(c.deploy.cpu) * 1e9),
      Memory: parseMemory(c.deploy.memory),
      PidsLimit: 1024,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  };
}

function parseCpu(cpu: string | undefined): number {
  if (cpu === undefined) return DEFAULT_CPU;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpu.trim());
  const value = m ? Number(m[1]) / (m[2] ? 1000 : 1) : NaN;
  if (!(value > 0 && value <= 64)) throw new ProductOsError('invalid_input', `deploy.cpu "${cpu}" is not a CPU amount like "1", "2" or "500m"`);
  return value;
}

const UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 };

function parseMemory(memory: string | undefined): number {
  if (memory === undefined) return DEFAULT_MEMORY;
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(memory.trim());
  const bytes = m ? Number(m[1]) * UNITS[m[2] ?? ''] : NaN;
  if (!(bytes >= 6 * 1024 * 1024 && bytes <= 64 * 1024 ** 3)) throw new ProductOsError('invalid_input', `deploy.memory "${memory}" is not a memory size like "512Mi" or "1Gi" (6Mi to 64Gi)`);
  return bytes;
}

/** Refuses bad cpu/memory before anything is built or started. */
export function checkDeployOptions(deploy: DeployOptions): void {
  parseCpu(deploy.cpu);
  parseMemory(deploy.memory);
}
