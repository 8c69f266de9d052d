import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompiledTool } from '../../registry/loader';
import type { Config } from '../config';
import { ProductOsError } from '../errors';
import { WORKER_UID } from '../../contracts/worker-protocol';
import { logTriageMounts } from '../../workers/tasks/log-triage/mounts';

/** A bind mount into a worker. Only the run's own output folder is ever writable. */
export interface WorkerMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A read-only folder or file a tool's task needs (the output folder is separate). */
export interface MountRequest {
  source: string;
  target: string;
}

/** Host paths whose exposure would hand a worker the Docker engine (or the host). */
const ENGINE_PATHS = ['/var/run/docker.sock', '/run/docker.sock', '/var/run/docker', '/run/docker', '/var/lib/docker', '/run/containerd', '/var/run/containerd', '/proc', '/sys', '/dev'];
/** Container paths a mount may not cover: the image's own files. */
const RESERVED_TARGETS = ['/', '/usr', '/lib', '/lib64', '/etc', '/app', '/bin', '/sbin', '/proc', '/sys', '/dev', '/tmp'];

/** The Docker socket paths of this host: the defaults and DOCKER_HOST's, as given and resolved. */
export function dockerSocketPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths = new Set(ENGINE_PATHS);
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) paths.add(host.slice('unix://'.length));
  for (const p of [...paths]) {
    try {
      paths.add(fs.realpathSync(p));
    } catch {
      /* not there: nothing to resolve */
    }
  }
  return [...paths];
}

const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

/**
 * Refuses any mount that could reach the Docker engine or the host's system folders, any
 * writable mount other than `outputDir`, and any mount over the image's own files. Sources are
 * resolved (symlinks followed) before they are checked; each must exist.
 */
export function checkMounts(mounts: readonly WorkerMount[], opts: { outputDir?: string; enginePaths?: readonly string[] } = {}): WorkerMount[] {
  const engine = opts.enginePaths ?? dockerSocketPaths();
  return mounts.map((m) => {
    const refuse = (why: string) => new ProductOsError('executor_failed', `refused to mount ${m.source} at ${m.target}: ${why}`, { source: m.source, target: m.target });
    if (!path.isAbsolute(m.source) || !path.isAbsolute(m.target)) throw refuse('both paths must be absolute');
    let real: string;
    let stat: fs.Stats;
    try {
      real = fs.realpathSync(m.source);
      stat = fs.statSync(real);
    } catch {
      throw refuse('it does not exist');
    }
    if (stat.isSocket()) throw refuse('sockets are never mounted into a worker');
    for (const e of engine) if (within(e, real) || within(real, e)) throw refuse(`it would expose ${e} (the Docker engine or the host) to the worker`);
    const target = path.posix.normalize(m.target);
    if (RESERVED_TARGETS.some((r) => target === r || (r !== '/' && within(target, r)))) throw refuse('the target would cover the image\'s own files');
    if (!m.readOnly && (!opts.outputDir || real !== fs.realpathSync(opts.outputDir))) throw refuse('only the run\'s own output folder may be writable');
    return { source: real, target, readOnly: m.readOnly };
  });
}

/** The run's output folder on the host, created empty and writable by the worker user. */
export function prepareOutputDir(root: string, runId: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new ProductOsError('internal', `not a run id: ${runId}`);
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  const dir = path.join(root, runId);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o755 });
  if (process.getuid?.() === 0) fs.chownSync(dir, WORKER_UID, WORKER_UID);
  else fs.chmodSync(dir, 0o777); // not root: cannot give it to the worker user, so open it instead
  return dir;
}

/** Each task that reads host files: what its worker gets mounted (workers/tasks/<task>/mounts.ts). */
const TASK_MOUNTS: Readonly<Record<string, (config: Config) => MountRequest[]>> = {
  log_triage: logTriageMounts,
};

/** What a tool's task gets mounted read-only by default (log triage: the logs folder). */
export function defaultMounts(tool: CompiledTool, config: Config): MountRequest[] {
  const e = tool.spec.executor;
  if (e.kind !== 'docker' || !Object.hasOwn(TASK_MOUNTS, e.task)) return [];
  return TASK_MOUNTS[e.task]!(config);
}

/** Which tasks get a writable output folder by default (none yet: results travel on stdout). */
export function defaultWantsOutputDir(_tool: CompiledTool): boolean {
  return false;
}
