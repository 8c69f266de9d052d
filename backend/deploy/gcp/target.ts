/**
 * The Google Cloud deploy target (PRODUCT_OS_DEPLOY_TARGET=gcp): Cloud Build builds the ref
 * into an image in Artifact Registry, Cloud Run v2 runs it, Cloud Logging has its logs. Every
 * step is reported as run progress; every failure says what was left behind (nothing, an image
 * without a revision, a revision that is not serving) and what to do.
 */
import { randomBytes } from 'node:crypto';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { RevisionsClient, ServicesClient } from '@google-cloud/run';
import { v2 as loggingV2 } from '@google-cloud/logging';
import type { Config } from '../../config';
import { ProductOsError } from '../../errors';
import { gcpError, gcpStatusOf } from '../../gcp/errors';
import { gaxOptions, type GcpOverrides } from '../../gcp/client-options';
import { imagePath } from '../../gcp/gcp-settings';
import type { DeployOutput, ListServicesOutput, LogLineOut, RevisionInfo, RollbackOutput, ServiceStatus } from '../../../contracts/tools/deploy';
import type { DeployOperation, DeployRequest, DeployTarget, FollowLogsRequest, LogsRequest, RollbackRequest, ServiceSpec } from '../target';
import { buildImage } from './cloud-build';
import {
  conditionState,
  pinnedRevision,
  revisionInfo,
  revisionTemplate,
  serviceName,
  serviceState,
  servingRevision,
  settled,
  shortName,
  timestamp,
  trafficByRevision,
  type Revision,
  type Service,
} from './cloud-run';
import { followRunLogs, tailRunLogs } from './cloud-logging';
import { pollUntil } from './poll';

const RUN = { service: 'Cloud Run', role: 'roles/run.admin' } as const;
const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
/** What the traffic pin warning says, once, so deploy and rollback word it the same. */
const pinWarning = (revision: string) =>
  `all traffic is pinned to revision ${revision}: later deploys create revisions but send them no traffic until traffic goes back to latest (call cloudrun.rollback_service with to_revision "latest", or accept the reset the next deploy offers)`;

export class GcpDeployTarget implements DeployTarget {
  readonly kind = 'gcp' as const;
  private readonly project: string;
  private readonly build: CloudBuildClient;
  private readonly servicesClient: ServicesClient;
  private readonly revisionsClient: RevisionsClient;
  private readonly logging: InstanceType<typeof loggingV2.LoggingServiceV2Client>;
  private readonly pollMs: number;
  private readonly buildTimeoutMs: number;
  private readonly rolloutTimeoutMs: number;

  constructor(
    private readonly config: Config,
    overrides?: GcpOverrides,
  ) {
    if (!config.gcpProject) throw new ProductOsError('not_configured', 'PRODUCT_OS_DEPLOY_TARGET=gcp needs GOOGLE_CLOUD_PROJECT: set it, or use the local target');
    this.project = config.gcpProject;
    // Each package pins its own google-auth-library: the options are the same, the types differ.
    const opts = gaxOptions(this.project, overrides);
    this.build = new CloudBuildClient(opts as ConstructorParameters<typeof CloudBuildClient>[0]);
    this.servicesClient = new ServicesClient(opts as ConstructorParameters<typeof ServicesClient>[0]);
    this.revisionsClient = new RevisionsClient(opts as ConstructorParameters<typeof RevisionsClient>[0]);
    this.logging = new loggingV2.LoggingServiceV2Client(opts as ConstructorParameters<typeof loggingV2.LoggingServiceV2Client>[0]);
    this.pollMs = overrides?.pollMs ?? 3000;
    this.buildTimeoutMs = overrides?.operationTimeoutMs ?? 20 * 60_000;
    this.rolloutTimeoutMs = overrides?.operationTimeoutMs ?? 10 * 60_000;
  }

  async deploy(req: DeployRequest, op: DeployOperation): Promise<DeployOutput> {
    const name = serviceName(this.project, req.region, req.service);
    const existing = await this.getService(name);
    const warnings: string[] = [];
    const labels = { 'managed-by': 'product-os', env: req.env, ...(req.labels ?? {}) };
    let image: string;
    let buildId: string | undefined;
    if (req.source.kind === 'git') {
      const repository = this.config.gcp.repository;
      if (!repository) throw new ProductOsError('not_configured', 'deploying to Cloud Run builds an image first: set PRODUCT_OS_ARTIFACT_REPOSITORY to an Artifact Registry Docker repository (REPO or LOCATION-docker.pkg.dev/PROJECT/REPO)');
      await op.progress({ progress: 0, total: 4, message: `building ${req.source.repo} at ${req.source.ref} with Cloud Build` });
      const built = await buildImage(
        this.build,
        {
          project: this.project,
          region: req.region,
          repo: req.source.repo,
          ref: req.source.ref,
          dockerfilePath: req.source.dockerfilePath,
          buildContext: req.source.buildContext,
          image: imagePath(repository, this.project, req.region, req.service),
          tag: `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`,
          labels: { env: req.env },
        },
        op,
        { pollMs: this.pollMs, timeoutMs: this.buildTimeoutMs },
      );
      image = built.image;
      buildId = built.buildId;
    } else {
      image = req.source.image;
    }
    await op.progress({ progress: 2, total: 4, message: `${existing ? 'updating' : 'creating'} Cloud Run service ${req.service} with ${image}` });
    // A deploy from git always makes a revision (Cloud Run makes one only when the template
    // changes, and a rebuild of the same ref may give the same digest): the build's id marks it.
    const template = revisionTemplate(image, req.envVars, req.secretEnv ?? {}, req.deploy, buildId ? { ...labels, 'product-os-build': buildId.toLowerCase().slice(0, 63) } : labels);
    const pinned = existing ? pinnedRevision(existing) : undefined;
    const builtNote = buildId ? ` The image ${image} (build ${buildId}) is in Artifact Registry.` : '';
    try {
      if (existing) {
        // A full replace: the traffic is sent back as it is, so a rollback's pin is kept, not silently undone.
        await this.servicesClient.updateService({
          service: {
            name,
            labels: { ...(existing.labels ?? {}), ...labels },
            template,
            traffic: existing.traffic,
            ingress: existing.ingress,
            ...(req.deploy.allow_unauthenticated !== undefined ? { invokerIamDisabled: req.deploy.allow_unauthenticated } : { invokerIamDisabled: existing.invokerIamDisabled }),
          },
        });
      } else {
        await this.servicesClient.createService({
          parent: `projects/${this.project}/locations/${req.region}`,
          serviceId: req.service,
          service: { labels, template, traffic: [{ type: LATEST, percent: 100 }], ...(req.deploy.allow_unauthenticated ? { invokerIamDisabled: true } : {}) },
        });
      }
    } catch (err) {
      const e = gcpError(err, { ...RUN, action: `${existing ? 'updating' : 'creating'} service ${req.service} in ${req.region}` });
      throw new ProductOsError(e.code, `${e.message}${builtNote} No new revision was created; traffic is unchanged.`, { ...(e.details as object), ...(buildId ? { build_id: buildId } : {}) }, { retryable: e.retryable });
    }
    const before = Number(existing?.generation ?? 0);
    const after = await this.waitForRollout(name, before, op, `revision of ${req.service}`, existing ? servingRevision(existing) : undefined);
    const created = shortName(after.latestCreatedRevision);
    const ready = shortName(after.latestReadyRevision);
    if (conditionState(after.terminalCondition) === 'CONDITION_FAILED' || (created && created !== ready)) {
      const why = after.terminalCondition?.message ?? 'the new revision did not become ready';
      throw new ProductOsError(
        'executor_failed',
        `revision ${created || '(new)'} of ${req.service} did not become ready: ${why}. ${ready ? `Traffic stays on revision ${ready}.` : 'The service has no ready revision and serves nothing.'}${builtNote} Fix the container (it must listen on $PORT) and deploy again; cloudrun.logs.tail with revision "${created}" shows its logs.`,
        { revision: created, serving_revision: ready || null, ...(buildId ? { build_id: buildId } : {}) },
      );
    }
    if (pinned) warnings.push(`revision ${ready} is deployed but serves no traffic: ${pinWarning(pinned)}`);
    await op.progress({ progress: 4, total: 4, message: `revision ${ready} ready${pinned ? ` (traffic stays on ${pinned})` : ''}` });
    return { service_url: after.uri ?? '', revision: ready, ...(buildId ? { build_id: buildId } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
  }

  async status(service: string, region: string, _op: DeployOperation): Promise<ServiceStatus> {
    const s = await this.requireService(service, region);
    const revisions = await this.listRevisions(s);
    const pinned = pinnedRevision(s);
    const state = serviceState(s);
    const message = s.reconciling ? 'Cloud Run is rolling out a change' : (s.terminalCondition?.message ?? undefined);
    return {
      service_name: service,
      region,
      service_url: s.uri ?? '',
      latest_ready_revision: shortName(s.latestReadyRevision),
      status: state,
      ...(timestamp(s.updateTime) ? { last_deploy_time: timestamp(s.updateTime) } : {}),
      revisions,
      serving_revision: servingRevision(s),
      ...(pinned ? { message: pinWarning(pinned) } : message ? { message } : {}),
    };
  }

  async revisions(service: string, region: string, _op: DeployOperation): Promise<RevisionInfo[]> {
    return this.listRevisions(await this.requireService(service, region));
  }

  async rollback(req: RollbackRequest, op: DeployOperation): Promise<RollbackOutput> {
    const name = serviceName(this.project, req.region, req.service);
    const s = await this.requireService(req.service, req.region);
    const from = servingRevision(s);
    const revisions = await this.listRevisions(s);
    const toLatest = req.toRevision === 'latest';
    let to: string;
    if (toLatest) to = shortName(s.latestReadyRevision);
    else if (req.toRevision) {
      const r = revisions.find((x) => x.name === req.toRevision);
      if (!r) throw new ProductOsError('not_found', `service ${req.service} has no revision "${req.toRevision}"; its revisions: ${revisions.map((x) => x.name).slice(0, 10).join(', ') || 'none'}`);
      if (r.status === 'error') throw new ProductOsError('invalid_state', `revision ${r.name} is not ready (${r.message ?? 'it failed'}): roll back to a ready one`);
      to = r.name;
    } else {
      const i = revisions.findIndex((x) => x.name === from);
      const previous = revisions.slice(i + 1).find((x) => x.status !== 'error' && x.status !== 'deploying');
      if (!previous) throw new ProductOsError('not_found', `service ${req.service} has no ready revision before ${from} to roll back to`);
      to = previous.name;
    }
    if (!toLatest && to === from && pinnedRevision(s) === to) throw new ProductOsError('invalid_state', `all traffic already goes to revision ${to}`);
    await op.progress({ progress: 0, total: 2, message: toLatest ? `sending traffic back to the latest revision (${to})` : `sending all traffic of ${req.service} to ${to}` });
    try {
      await this.servicesClient.updateService({
        service: { ...serviceForUpdate(s), traffic: toLatest ? [{ type: LATEST, percent: 100 }] : [{ type: REVISION, revision: to, percent: 100 }] },
      });
    } catch (err) {
      throw gcpError(err, { ...RUN, action: `moving the traffic of ${req.service} to ${to}` });
    }
    await op.log('info', `rollback of ${req.service}: ${from} → ${to} (${req.reason})`);
    const after = await this.waitForRollout(name, Number(s.generation ?? 0), op, `traffic change of ${req.service}`, from);
    const serving = servingRevision(after);
    if (serving !== to) {
      throw new ProductOsError('executor_failed', `Cloud Run did not move the traffic of ${req.service} to ${to} (it serves ${serving}): ${after.terminalCondition?.message ?? 'no reason given'}; check cloudrun.get_service_status`);
    }
    await op.progress({ progress: 2, total: 2, message: `traffic on ${to}` });
    return { service_name: req.service, region: req.region, from_revision: from, to_revision: to, service_url: after.uri ?? '', ...(toLatest ? {} : { warnings: [pinWarning(to)] }) };
  }

  async logs(req: LogsRequest, _op: DeployOperation): Promise<LogLineOut[]> {
    return tailRunLogs(this.logging, this.project, { ...req, region: req.region ?? this.config.gcp.region });
  }

  /** Cloud Logging has no cheap stream here: the one run polls it (cloud-logging.ts followRunLogs). */
  async followLogs(req: FollowLogsRequest, op: DeployOperation, onLine: (line: LogLineOut) => Promise<void>): Promise<void> {
    await followRunLogs(this.logging, this.project, { ...req, region: req.region ?? this.config.gcp.region }, op, onLine);
  }

  async services(_op: DeployOperation): Promise<ListServicesOutput> {
    const region = this.config.gcp.region;
    let list: Service[];
    try {
      [list] = await this.servicesClient.listServices({ parent: `projects/${this.project}/locations/${region}`, pageSize: 100 }, { autoPaginate: false });
    } catch (err) {
      throw gcpError(err, { ...RUN, action: `listing the services in ${region}`, role: 'roles/run.viewer' });
    }
    const services = [];
    for (const s of list.slice(0, 100)) {
      const revisions = await this.listRevisions(s);
      services.push({ service_name: shortName(s.name), region, service_url: s.uri ?? '', status: serviceState(s), serving_revision: servingRevision(s), revision_count: revisions.length });
    }
    return { target: 'gcp', services };
  }

  async describe(service: string, region: string, _op: DeployOperation): Promise<ServiceSpec | null> {
    const s = await this.getService(serviceName(this.project, region, service));
    if (!s) return null;
    const c = s.template?.containers?.[0];
    const envVars: Record<string, string> = {};
    const secretEnv: Record<string, string> = {};
    for (const e of c?.env ?? []) {
      const ref = e.valueSource?.secretKeyRef;
      if (ref?.secret && e.name) {
        const [, project, , secret] = ref.secret.split('/');
        secretEnv[e.name] = `sm://${project}/${secret}${ref.version && ref.version !== 'latest' ? `/${ref.version}` : ''}`;
      } else if (e.name) envVars[e.name] = e.value ?? '';
    }
    const t = s.template;
    return {
      service,
      region,
      image: c?.image ?? '',
      envVars,
      secretEnv,
      deploy: {
        ...(c?.resources?.limits?.cpu ? { cpu: c.resources.limits.cpu } : {}),
        ...(c?.resources?.limits?.memory ? { memory: c.resources.limits.memory } : {}),
        ...(t?.scaling?.minInstanceCount != null ? { min_instances: t.scaling.minInstanceCount } : {}),
        ...(t?.scaling?.maxInstanceCount != null ? { max_instances: t.scaling.maxInstanceCount } : {}),
        ...(t?.maxInstanceRequestConcurrency != null ? { concurrency: t.maxInstanceRequestConcurrency } : {}),
        ...(t?.timeout?.seconds != null ? { timeout_seconds: Number(t.timeout.seconds) } : {}),
        ...(t?.serviceAccount ? { service_account_email: t.serviceAccount } : {}),
        ...(s.invokerIamDisabled ? { allow_unauthenticated: true } : {}),
      },
      labels: { ...(s.labels ?? {}) },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.build.close(), this.servicesClient.close(), this.revisionsClient.close(), this.logging.close()]);
  }

  private async getService(name: string): Promise<Service | null> {
    try {
      const [s] = await this.servicesClient.getService({ name });
      return s;
    } catch (err) {
      if (gcpStatusOf(err).status === 'NOT_FOUND') return null;
      throw gcpError(err, { ...RUN, action: `reading service ${shortName(name)}`, role: 'roles/run.viewer' });
    }
  }

  private async requireService(service: string, region: string): Promise<Service> {
    const s = await this.getService(serviceName(this.project, region, service));
    if (!s) throw new ProductOsError('not_found', `no Cloud Run service "${service}" in ${region} of project ${this.project}: deploy it first (cloudrun.deploy_service), or check the name and region`);
    return s;
  }

  /** Newest first, with each one's share of traffic. */
  private async listRevisions(s: Service): Promise<RevisionInfo[]> {
    let list: Revision[];
    try {
      [list] = await this.revisionsClient.listRevisions({ parent: s.name ?? '', pageSize: 100 }, { autoPaginate: false });
    } catch (err) {
      throw gcpError(err, { ...RUN, action: `listing the revisions of ${shortName(s.name)}`, role: 'roles/run.viewer' });
    }
    const traffic = trafficByRevision(s);
    return list.map((r) => revisionInfo(r, traffic)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /**
   * Polls the service until Cloud Run has acted on the change made after `generation`. A
   * timeout or a cancel leaves the change in Cloud Run's hands: the error says so and names
   * the revision still serving.
   */
  private waitForRollout(name: string, generation: number, op: DeployOperation, what: string, serving: string | undefined): Promise<Service> {
    let last = '';
    const stillServing = serving ? `revision ${serving} keeps serving until it is` : 'nothing serves until it is';
    return pollUntil<Service>({
      read: async () => (await this.getService(name)) ?? (() => { throw new ProductOsError('not_found', `service ${shortName(name)} disappeared during the deploy (deleted by someone else?)`); })(),
      done: (s) => Number(s.observedGeneration ?? 0) > generation && settled(s),
      onValue: async (s) => {
        const note = s.reconciling ? `Cloud Run is rolling out ${shortName(s.latestCreatedRevision) || 'a new revision'}` : `Cloud Run: ${conditionState(s.terminalCondition).replace('CONDITION_', '').toLowerCase()}`;
        if (note !== last) {
          last = note;
          await op.progress({ progress: 3, total: 4, message: note });
        }
      },
      intervalMs: this.pollMs,
      timeoutMs: this.rolloutTimeoutMs,
      signal: op.signal,
      onTimeout: (s) =>
        new ProductOsError(
          'timed_out',
          `the ${what} did not become ready within ${Math.round(this.rolloutTimeoutMs / 1000)} s (${s?.terminalCondition?.message ?? 'still reconciling'}); Cloud Run carries on with it and ${stillServing} ready: check cloudrun.get_service_status, and the revision's logs if it never becomes ready`,
          { serving_revision: serving ?? null, revision: shortName(s?.latestCreatedRevision) || null },
        ),
      onAbort: async () =>
        new ProductOsError('cancelled', `deploy cancelled while Cloud Run rolled out the ${what}: the change was already sent and may still complete; ${stillServing} ready. Check cloudrun.get_service_status`, { serving_revision: serving ?? null }),
    });
  }
}

/** A service as sent back in a full-replace update: its settable fields only. */
function serviceForUpdate(s: Service): Service {
  return { name: s.name, labels: s.labels, annotations: s.annotations, template: s.template, traffic: s.traffic, ingress: s.ingress, invokerIamDisabled: s.invokerIamDisabled, description: s.description, scaling: s.scaling };
}

