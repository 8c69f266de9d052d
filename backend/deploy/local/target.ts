import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import type { DeployOutput, ListServicesOutput, LogLineOut, RevisionInfo, RollbackOutput, ServiceStatus } from '../../../contracts/tools/deploy';
import { ProductOsError } from '../../errors';
import type { DeployOperation, DeployRequest, DeployTarget, FollowLogsRequest, LogsRequest, RollbackRequest, ServiceSpec } from '../target';
import { buildImage } from './build';
import { containerLogs, followContainerLogs } from './docker-logs';
import { publishedPort, waitHealthy } from './health';
import { ServiceProxy } from './proxy';
import { archive, hasFile, resolveSource } from './source';
import { ensureServicesNetwork } from './network';
import { LocalDeployState, type RevisionRecord, type ServiceRecord } from './state';
import { LABEL, checkDeployOptions, containerSpec, CONTAINER_PORT } from './service-container';

export interface LocalTargetOptions {
  docker: Dockerode;
  dataDir: string;
  /** How long a new revision may take to answer HTTP (default 120 s). */
  healthWindowMs?: number;
  /** Resolves a secret reference (sm://…) to its value; without one, secret env vars are refused. */
  resolveSecret?: (ref: string, signal: AbortSignal) => Promise<string>;
}

/** Cloud Run's service-name rule, so a name that works here works there. */
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/;
/** The to_revision that means "the newest ready revision" (Cloud Run's LATEST traffic target). */
const LATEST = 'latest';
const IGNORED_LOCALLY = ['min_instances', 'max_instances', 'concurrency', 'timeout_seconds', 'service_account_email', 'allow_unauthenticated'] as const;

/**
 * The default deploy target: the local Docker engine. Each revision is an image built from a
 * clean checkout of the ref and a labelled container on a loopback port; the service URL is a
 * stable loopback port whose traffic goes to the serving revision (ServiceProxy). Retired
 * revisions keep their stopped container, so a rollback is a start and a switch, and every
 * revision's logs stay readable.
 */
export class LocalDeployTarget implements DeployTarget {
  readonly kind = 'local' as const;
  private readonly docker: Dockerode;
  private readonly dir: string;
  private readonly healthWindowMs: number;
  private readonly state: LocalDeployState;
  private readonly proxies = new Map<string, ServiceProxy>();
  /** Per service: the operation now running (deploy, rollback), so two never interleave. */
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly deploying = new Set<string>();
  /** Retired revisions' containers being stopped (close waits for them). */
  private readonly stopping = new Map<string, Promise<unknown>>();
  /** The data folder's mark on every container and image this target makes (tests and sweeps find theirs by it). */
  readonly owner: string;
  private restored?: Promise<void>;

  constructor(private readonly opts: LocalTargetOptions) {
    this.docker = opts.docker;
    this.dir = path.join(opts.dataDir, 'deploy');
    this.healthWindowMs = opts.healthWindowMs ?? 120_000;
    this.state = new LocalDeployState(this.dir);
    this.owner = createHash('sha256').update(path.resolve(opts.dataDir)).digest('hex').slice(0, 16);
  }

  async deploy(req: DeployRequest, op: DeployOperation): Promise<DeployOutput> {
    if (!SERVICE_NAME.test(req.service)) {
      throw new ProductOsError('invalid_input', `service_name "${req.service}" is not a valid service name: lower-case letters, digits and "-", starting with a letter, at most 49 characters`);
    }
    checkDeployOptions(req.deploy);
    await this.restore();
    return this.exclusive(req.service, req.region, () => this.deployNow(req, op));
  }

  private async deployNow(req: DeployRequest, op: DeployOperation): Promise<DeployOutput> {
    const key = keyOf(req.service, req.region);
    this.deploying.add(key);
    try {
      const existing = this.state.find(req.service, req.region);
      const previous = existing?.serving ?? null;
      const stays = previous ? `traffic stays on revision ${previous}` : 'the service has no serving revision yet';
      const revision = `${req.service}-${String((existing?.revisions.length ?? 0) + 1).padStart(5, '0')}-${randomBytes(2).toString('hex').slice(0, 3)}`;
      const tag = `product-os-svc/${req.service}:${revision.slice(req.service.length + 1)}`;
      const labels = { [LABEL.owner]: this.owner, [LABEL.service]: req.service, [LABEL.region]: req.region, [LABEL.revision]: revision, ...(req.source.kind === 'git' ? { [LABEL.ref]: req.source.ref } : {}) };
      const secrets = await this.resolveSecrets(req.secretEnv ?? {}, op.signal);

      // 1. The image: built from a clean checkout of the ref, or an image that exists here.
      let imageId: string;
      let commit: string | undefined;
      try {
        if (req.source.kind === 'git') {
          await op.progress({ progress: 0, total: 4, message: `checking out ${req.source.ref}` });
          const src = await resolveSource(req.source.repo, req.source.ref, path.join(this.dir, 'repos'), op.signal);
          commit = src.commit;
          const dockerfile = dockerfileInContext(req.source.dockerfilePath, req.source.buildContext);
          const inRepo = path.posix.join(req.source.buildContext, dockerfile);
          // The Dockerfile check and the progress event together: both are on the deploy's path.
          const [found] = await Promise.all([hasFile(src, path.posix.normalize(inRepo)), op.progress({ progress: 1, total: 4, message: `building ${commit.slice(0, 12)}` })]);
          if (!found) {
            throw new ProductOsError('invalid_input', `there is no ${inRepo} at ${req.source.ref} (${commit.slice(0, 12)}); set build.dockerfile_path to the Dockerfile's path in the repository`);
          }
          imageId = await buildImage(this.docker, {
            context: archive(src, req.source.buildContext, op.signal),
            dockerfile,
            tag,
            // No build labels: each is one more build step (a layer commit, ~1 s on the vfs
            // driver). The image is found by its tag; its container carries the labels.
            labels: {},
            signal: op.signal,
            onStep: (step) => void op.log('info', step),
          });
        } else {
          await op.progress({ progress: 1, total: 4, message: `using image ${req.source.image}` });
          imageId = await this.tagExisting(req.source.image, tag);
        }
      } catch (err) {
        throw annotate(err, `; ${stays}`);
      }

      // 2. The revision's container, on a free loopback port.
      const service = existing ?? (await this.createService(req.service, req.region));
      const record: RevisionRecord = {
        name: revision,
        image: tag,
        ...(req.source.kind === 'git' ? { ref: req.source.ref } : {}),
        ...(commit ? { commit } : {}),
        created_at: new Date().toISOString(),
        status: 'deploying',
        envVars: req.envVars,
        secretEnv: req.secretEnv ?? {},
        deploy: req.deploy,
        labels: req.labels ?? {},
      };
      this.state.update(service, (s) => s.revisions.push(record));
      await op.progress({ progress: 2, total: 4, message: `starting revision ${revision}` });
      let container: Dockerode.Container;
      try {
        container = await this.docker.createContainer(containerSpec({ name: `pos-svc-${revision}`, image: tag, labels, env: { ...req.envVars, ...secrets }, service: req.service, revision, deploy: req.deploy, network: await ensureServicesNetwork(this.docker) }));
        this.state.update(service, () => (record.containerId = container.id));
        await container.start();
      } catch (err) {
        this.state.update(service, () => Object.assign(record, { status: 'error', message: `its container did not start: ${(err as Error).message}` }));
        throw new ProductOsError('executor_failed', `revision ${revision} did not start: ${(err as Error).message}; ${stays}`);
      }

      // 3. Healthy → traffic moves; otherwise it stays where it was.
      await op.progress({ progress: 3, total: 4, message: `waiting for revision ${revision} to answer` });
      const health = await waitHealthy(this.docker, container.id, CONTAINER_PORT, this.healthWindowMs, op.signal);
      if (!health.healthy) {
        await container.stop({ t: 1 }).catch(() => undefined);
        if (op.signal.aborted) {
          // A cancelled deploy leaves nothing behind: no revision, container or image.
          await container.remove({ force: true }).catch(() => undefined);
          await this.docker.getImage(tag).remove().catch(() => undefined);
          this.state.update(service, (s) => (s.revisions = s.revisions.filter((r) => r !== record)));
          if (service.revisions.length === 0) await this.dropService(service);
          throw new ProductOsError('cancelled', `the deploy was cancelled before revision ${revision} took traffic; ${stays}`);
        }
        this.state.update(service, () => Object.assign(record, { status: 'error', message: `never became healthy: ${health.reason}` }));
        throw new ProductOsError(
          'executor_failed',
          `revision ${revision} never became healthy: ${health.reason}; ${stays}. Read its logs with logs.tail (service ${req.service}, revision ${revision}).`,
          { revision, serving_revision: previous },
        );
      }
      this.proxyOf(service).route(health.port);
      const old = previous ? service.revisions.find((r) => r.name === previous) : undefined;
      this.state.update(service, (s) => {
        record.status = 'ready';
        if (old) old.status = 'retired';
        s.serving = revision;
        s.pinned = false;
        s.last_deploy_time = new Date().toISOString();
      });
      if (old?.containerId) this.retire(old.containerId);
      await op.progress({ progress: 4, total: 4, message: `revision ${revision} serves all traffic` });
      const warnings = IGNORED_LOCALLY.filter((k) => req.deploy[k] !== undefined).map((k) => `deploy.${k} applies on Cloud Run only; the local target records it and runs one instance`);
      return { service_url: urlOf(service), revision, build_id: imageId.replace(/^sha256:/, '').slice(0, 12), warnings };
    } finally {
      this.deploying.delete(key);
    }
  }

  async status(service: string, region: string): Promise<ServiceStatus> {
    await this.restore();
    const s = this.mustFind(service, region);
    const revisions = await this.revisionInfos(s);
    const serving = revisions.find((r) => r.name === s.serving);
    const latestReady = [...s.revisions].reverse().find((r) => r.status === 'ready' || r.status === 'retired');
    let status: ServiceStatus['status'] = 'unknown';
    let message: string | undefined;
    if (this.deploying.has(keyOf(service, region))) status = 'deploying';
    else if (serving?.status === 'ready') status = 'ready';
    else if (serving) {
      status = 'error';
      message = serving.message ?? `revision ${serving.name} is not running`;
    } else message = 'no revision has become healthy yet';
    return {
      service_name: service,
      region,
      service_url: urlOf(s),
      latest_ready_revision: latestReady?.name ?? '',
      status,
      ...(s.last_deploy_time ? { last_deploy_time: s.last_deploy_time } : {}),
      revisions,
      ...(s.serving ? { serving_revision: s.serving } : {}),
      ...(message ? { message } : {}),
    };
  }

  async revisions(service: string, region: string): Promise<RevisionInfo[]> {
    await this.restore();
    return this.revisionInfos(this.mustFind(service, region));
  }

  async rollback(req: RollbackRequest, op: DeployOperation): Promise<RollbackOutput> {
    await this.restore();
    return this.exclusive(req.service, req.region, async () => {
      const s = this.mustFind(req.service, req.region);
      const from = s.serving;
      if (!from) throw new ProductOsError('invalid_state', `service ${req.service} has no serving revision to roll back from`);
      const fromIndex = s.revisions.findIndex((r) => r.name === from);
      const wasReady = (r: RevisionRecord) => r.status === 'retired' || r.status === 'ready';
      // "latest", as on Cloud Run: traffic back to the newest revision that became ready, which
      // undoes a rollback's pin (the registry's to_revision says so for every target).
      const toLatest = req.toRevision === LATEST;
      const target = toLatest
        ? [...s.revisions].reverse().find(wasReady)
        : req.toRevision
          ? s.revisions.find((r) => r.name === req.toRevision)
          : s.revisions.slice(0, fromIndex).reverse().find(wasReady);
      if (!target) {
        throw req.toRevision && !toLatest
          ? new ProductOsError('not_found', `service ${req.service} has no revision ${req.toRevision}; revisions: ${s.revisions.map((r) => r.name).join(', ')}, or "${LATEST}" for the newest ready one`)
          : new ProductOsError('invalid_state', `service ${req.service} has no ready revision before ${from} to roll back to`);
      }
      if (target.name === from) {
        if (toLatest && s.pinned) {
          // Already on the newest revision: only the pin goes, so the next deploy's revision takes traffic.
          this.state.update(s, (x) => (x.pinned = false));
          return { service_name: req.service, region: req.region, from_revision: from, to_revision: from, service_url: urlOf(s) };
        }
        throw new ProductOsError('invalid_state', toLatest ? `the latest revision ${from} already serves all traffic` : `revision ${from} already serves all traffic`);
      }
      if (target.status === 'error') throw new ProductOsError('invalid_state', `revision ${target.name} never became healthy (${target.message ?? 'no reason recorded'}); pick a revision that was ready`);
      await op.progress({ progress: 0, total: 2, message: `starting revision ${target.name}` });
      const container = await this.ensureContainer(s, target);
      const health = await waitHealthy(this.docker, container.id, CONTAINER_PORT, this.healthWindowMs, op.signal);
      if (!health.healthy) {
        await container.stop({ t: 1 }).catch(() => undefined);
        if (op.signal.aborted) throw new ProductOsError('cancelled', `the rollback was cancelled; traffic stays on revision ${from}`);
        throw new ProductOsError('executor_failed', `revision ${target.name} did not become healthy again: ${health.reason}; traffic stays on revision ${from}`);
      }
      this.proxyOf(s).route(health.port);
      const old = s.revisions[fromIndex];
      this.state.update(s, (x) => {
        target.status = 'ready';
        old.status = 'retired';
        x.serving = target.name;
        x.pinned = !toLatest;
      });
      if (old.containerId) this.retire(old.containerId);
      await op.progress({ progress: 2, total: 2, message: `revision ${target.name} serves all traffic` });
      return {
        service_name: req.service,
        region: req.region,
        from_revision: from,
        to_revision: target.name,
        service_url: urlOf(s),
        ...(toLatest ? {} : { warnings: [`traffic stays on ${target.name} until the next deploy, which moves it to the new revision (or roll back to "${LATEST}" to send it to the newest ready revision now)`] }),
      };
    });
  }

  async logs(req: LogsRequest): Promise<LogLineOut[]> {
    const s = this.mustFind(req.service, req.region ?? this.onlyRegion(req.service));
    const revisions = req.revision ? s.revisions.filter((r) => r.name === req.revision) : s.revisions;
    if (req.revision && revisions.length === 0) throw new ProductOsError('not_found', `service ${req.service} has no revision ${req.revision}`);
    const since = Math.floor(Date.now() / 1000) - req.sinceSeconds;
    const all: LogLineOut[] = [];
    for (const r of revisions) {
      if (!r.containerId) continue;
      const lines = await containerLogs(this.docker.getContainer(r.containerId), { since, tail: req.limit }).catch(() => []);
      all.push(...lines.map((l) => ({ ...l, text: req.revision ? l.text : `[${r.name}] ${l.text}` })));
    }
    all.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    return all.slice(-req.limit);
  }

  /**
   * Follows the log stream of each revision that runs (deploying or ready; the one asked for
   * in any state), looking every 2 s for revisions a deploy or rollback started meanwhile. A
   * stream that ended (its container stopped) is opened again at most every 10 s, from its
   * last line.
   */
  async followLogs(req: FollowLogsRequest, op: DeployOperation, onLine: (line: LogLineOut) => Promise<void>): Promise<void> {
    const region = req.region ?? this.onlyRegion(req.service);
    const first = this.mustFind(req.service, region);
    if (req.revision && !first.revisions.some((r) => r.name === req.revision)) throw new ProductOsError('not_found', `service ${req.service} has no revision ${req.revision}`);
    const streams = new Map<string, { done: boolean; endedAt: number; lastMs: number; ended: Promise<void> }>();
    const stop = new AbortController();
    const abort = () => stop.abort();
    op.signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(abort, Math.max(0, req.until - Date.now()));
    try {
      while (!stop.signal.aborted) {
        const s = this.state.find(req.service, region);
        for (const r of s?.revisions ?? []) {
          if (!r.containerId) continue;
          if (req.revision ? r.name !== req.revision : r.status !== 'deploying' && r.status !== 'ready') continue;
          const known = streams.get(r.containerId);
          if (known && (!known.done || Date.now() - known.endedAt < 10_000)) continue;
          const entry = { done: false, endedAt: 0, lastMs: known?.lastMs ?? req.since.getTime(), ended: Promise.resolve() };
          const name = r.name;
          entry.ended = followContainerLogs(this.docker.getContainer(r.containerId), { sinceMs: entry.lastMs, signal: stop.signal }, async (l) => {
            const ms = Date.parse(l.timestamp);
            // A reopened stream repeats its last second: lines at or before the last one sent are skipped.
            if (known && ms <= known.lastMs) return;
            entry.lastMs = Math.max(entry.lastMs, ms);
            await onLine(req.revision ? l : { ...l, text: `[${name}] ${l.text}` });
          })
            .catch(() => undefined)
            .finally(() => {
              entry.done = true;
              entry.endedAt = Date.now();
            });
          streams.set(r.containerId, entry);
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      }
    } finally {
      clearTimeout(timer);
      op.signal.removeEventListener('abort', abort);
      stop.abort();
      await Promise.all([...streams.values()].map((e) => e.ended));
    }
  }

  async services(): Promise<ListServicesOutput> {
    await this.restore();
    const services = [];
    for (const s of this.state.all()) {
      const st = await this.status(s.name, s.region);
      services.push({ service_name: s.name, region: s.region, service_url: st.service_url, status: st.status, serving_revision: s.serving ?? '', revision_count: s.revisions.length });
    }
    return { target: 'local', services };
  }

  async describe(service: string, region: string): Promise<ServiceSpec | null> {
    const s = this.state.find(service, region);
    const r = s?.revisions.find((x) => x.name === s.serving);
    if (!s || !r) return null;
    return { service, region, image: r.image, envVars: r.envVars, secretEnv: r.secretEnv, deploy: r.deploy, labels: r.labels };
  }

  /** Removes the service: its containers, its images and its record (tests; a future delete tool). */
  async deleteService(service: string, region: string): Promise<void> {
    const s = this.state.find(service, region);
    if (!s) return;
    for (const r of s.revisions) {
      if (r.containerId) await this.docker.getContainer(r.containerId).remove({ force: true }).catch(() => undefined);
      await this.docker.getImage(r.image).remove({ force: true }).catch(() => undefined);
    }
    await this.dropService(s);
  }

  async close(): Promise<void> {
    await Promise.all(this.stopping.values());
    for (const p of this.proxies.values()) await p.close();
    this.proxies.clear();
  }

  // ---------------------------------------------------------------------------------------

  /** After a restart: each service's address listens again and routes to its serving revision (started if it stopped). */
  private restore(): Promise<void> {
    this.restored ??= (async () => {
      for (const s of this.state.all()) {
        const r = s.revisions.find((x) => x.name === s.serving);
        if (!r) continue;
        const proxy = await this.listenFor(s);
        try {
          const container = await this.ensureContainer(s, r);
          const info = await container.inspect();
          proxy.route(publishedPort(info, CONTAINER_PORT));
        } catch {
          proxy.route(null); // status reports it as error: the revision is not running
        }
      }
    })();
    return this.restored;
  }

  private async listenFor(s: ServiceRecord): Promise<ServiceProxy> {
    let proxy: ServiceProxy;
    try {
      proxy = await ServiceProxy.listen(s.port);
    } catch {
      proxy = await ServiceProxy.listen(0); // its old port is taken now: a new address, recorded
      this.state.update(s, (x) => (x.port = proxy.port));
    }
    this.proxies.set(keyOf(s.name, s.region), proxy);
    return proxy;
  }

  private proxyOf(s: ServiceRecord): ServiceProxy {
    const p = this.proxies.get(keyOf(s.name, s.region));
    if (!p) throw new ProductOsError('internal', `service ${s.name} has no address`);
    return p;
  }

  private async createService(name: string, region: string): Promise<ServiceRecord> {
    const service: ServiceRecord = { name, region, port: 0, serving: null, pinned: false, revisions: [] };
    const proxy = await ServiceProxy.listen(0);
    service.port = proxy.port;
    this.proxies.set(keyOf(name, region), proxy);
    this.state.add(service);
    return service;
  }

  private async dropService(s: ServiceRecord): Promise<void> {
    await this.proxies.get(keyOf(s.name, s.region))?.close();
    this.proxies.delete(keyOf(s.name, s.region));
    this.state.remove(s);
  }

  /** The revision's container, running: started if stopped, made again from its image if it was removed. */
  private async ensureContainer(s: ServiceRecord, r: RevisionRecord): Promise<Dockerode.Container> {
    if (r.containerId) {
      // A rollback right after a deploy: the revision may still be stopping. Let the stop
      // finish and start it again, or the stop would land after traffic came back to it.
      await this.stopping.get(r.containerId);
      const c = this.docker.getContainer(r.containerId);
      const info = await c.inspect().catch(() => null);
      if (info) {
        if (!info.State.Running) await c.start();
        return c;
      }
    }
    const labels = { [LABEL.owner]: this.owner, [LABEL.service]: s.name, [LABEL.region]: s.region, [LABEL.revision]: r.name };
    const secrets = await this.resolveSecrets(r.secretEnv, new AbortController().signal);
    const c = await this.docker.createContainer(
      containerSpec({ name: `pos-svc-${r.name}-${randomBytes(2).toString('hex')}`, image: r.image, labels, env: { ...r.envVars, ...secrets }, service: s.name, revision: r.name, deploy: r.deploy, network: await ensureServicesNetwork(this.docker) }),
    );
    this.state.update(s, () => (r.containerId = c.id));
    await c.start();
    return c;
  }

  /**
   * Stops a revision that no longer takes traffic, in the background: the switch is already
   * done, and a server that ignores SIGTERM (PID 1 without a handler) would hold the caller
   * for the whole grace period. Its connections get those seconds to finish.
   */
  private retire(containerId: string): void {
    const stopping = this.docker.getContainer(containerId).stop({ t: 2 }).catch(() => undefined);
    this.stopping.set(containerId, stopping);
    void stopping.finally(() => {
      if (this.stopping.get(containerId) === stopping) this.stopping.delete(containerId);
    });
  }

  private async revisionInfos(s: ServiceRecord): Promise<RevisionInfo[]> {
    const out: RevisionInfo[] = [];
    for (const r of [...s.revisions].reverse()) {
      let status: RevisionInfo['status'] = r.status;
      let message = r.message;
      if (r.name === s.serving && r.containerId) {
        const info = await this.docker.getContainer(r.containerId).inspect().catch(() => null);
        if (!info?.State.Running) {
          status = 'error';
          message = info ? `its container exited with code ${info.State.ExitCode}` : 'its container is gone';
        }
      }
      out.push({
        name: r.name,
        status,
        traffic_percent: r.name === s.serving ? 100 : 0,
        created_at: r.created_at,
        image: r.image,
        ...(r.ref ? { ref: r.ref } : {}),
        ...(message ? { message } : {}),
      });
    }
    return out;
  }

  private async tagExisting(image: string, tag: string): Promise<string> {
    const img = this.docker.getImage(image);
    const info = await img.inspect().catch(() => null);
    if (!info) throw new ProductOsError('not_found', `image ${image} is not on this machine (images are not pulled); build or load it first`);
    const [repo, t] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    await img.tag({ repo, tag: t });
    return info.Id;
  }

  private async resolveSecrets(refs: Record<string, string>, signal: AbortSignal): Promise<Record<string, string>> {
    const names = Object.keys(refs);
    if (names.length === 0) return {};
    const resolve = this.opts.resolveSecret;
    if (!resolve) throw new ProductOsError('not_configured', `secret environment variables (${names.join(', ')}) need a secret source; configure Secret Manager or set them in the editor's secret storage`);
    const out: Record<string, string> = {};
    for (const n of names) out[n] = await resolve(refs[n], signal);
    return out;
  }

  private mustFind(service: string, region: string): ServiceRecord {
    const s = this.state.find(service, region);
    if (!s) throw new ProductOsError('not_found', `there is no local service ${service} in ${region}; deploy it first with cloudrun.deploy_service`);
    return s;
  }

  private onlyRegion(service: string): string {
    const regions = this.state.all().filter((s) => s.name === service).map((s) => s.region);
    if (regions.length === 1) return regions[0];
    if (regions.length === 0) throw new ProductOsError('not_found', `there is no local service ${service}; deploy it first with cloudrun.deploy_service`);
    throw new ProductOsError('invalid_input', `service ${service} exists in ${regions.join(' and ')}; give region`);
  }

  private async exclusive<T>(service: string, region: string, fn: () => Promise<T>): Promise<T> {
    const key = keyOf(service, region);
    const before = this.busy.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(fn);
    this.busy.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.busy.get(key) === mine) this.busy.delete(key);
    }
  }
}

function keyOf(service: string, region: string): string {
  return `${region}/${service}`;
}

function urlOf(s: ServiceRecord): string {
  return `http://127.0.0.1:${s.port}`;
}

/** The Dockerfile's path inside the build context (docker wants it relative to the context). */
function dockerfileInContext(dockerfilePath: string, buildContext: string): string {
  const rel = path.posix.relative(path.posix.normalize(buildContext), path.posix.normalize(dockerfilePath));
  if (rel.startsWith('..') || path.posix.isAbsolute(rel)) {
    throw new ProductOsError('invalid_input', `build.dockerfile_path "${dockerfilePath}" is outside build.build_context "${buildContext}"; both are paths in the repository, the Dockerfile inside the context`);
  }
  return rel;
}

function annotate(err: unknown, suffix: string): unknown {
  if (err instanceof ProductOsError) return new ProductOsError(err.code, `${err.message}${suffix}`, err.details, { retryable: err.retryable });
  return err;
}
