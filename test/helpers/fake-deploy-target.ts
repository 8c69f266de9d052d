/**
 * A deploy target in memory, implementing backend/deploy/target.ts's DeployTarget: each deploy
 * makes a revision of its image with the request's environment, secret references, options and
 * labels, and describe() answers from the serving one. `failOn` makes the next deploy of a
 * service fail as a real target would (an image that does not start).
 */
import type { DeployOperation, DeployRequest, DeployTarget, LogsRequest, RollbackRequest, ServiceSpec } from '../../backend/deploy/target';
import type { DeployOutput, ListServicesOutput, LogLineOut, RevisionInfo, RollbackOutput, ServiceStatus } from '../../contracts/tools/deploy';
import { ProductOsError } from '../../backend/errors';

interface FakeService {
  spec: ServiceSpec;
  revisions: string[];
}

export class FakeDeployTarget implements DeployTarget {
  readonly kind = 'local' as const;
  readonly deploys: DeployRequest[] = [];
  readonly services_ = new Map<string, FakeService>();
  failOn = new Set<string>();

  private key(service: string, region: string): string {
    return `${service}@${region}`;
  }

  async deploy(req: DeployRequest, op: DeployOperation): Promise<DeployOutput> {
    op.signal.throwIfAborted();
    this.deploys.push(structuredClone(req));
    if (this.failOn.has(req.service)) {
      throw new ProductOsError('executor_failed', `revision of ${req.service} never became healthy; traffic stays on the previous revision`);
    }
    if (req.source.kind !== 'image') throw new ProductOsError('invalid_input', 'the fake target deploys images only');
    await op.log('info', `deploying ${req.service}`);
    const k = this.key(req.service, req.region);
    const s = this.services_.get(k) ?? { spec: undefined as unknown as ServiceSpec, revisions: [] };
    const revision = `${req.service}-${String(s.revisions.length + 1).padStart(5, '0')}`;
    s.revisions.push(revision);
    s.spec = { service: req.service, region: req.region, image: req.source.image, envVars: { ...req.envVars }, secretEnv: { ...(req.secretEnv ?? {}) }, deploy: { ...req.deploy }, labels: { ...(req.labels ?? {}) } };
    this.services_.set(k, s);
    return { service_url: `http://127.0.0.1:1/${req.service}`, revision };
  }

  async status(service: string, region: string): Promise<ServiceStatus> {
    const s = this.services_.get(this.key(service, region));
    if (!s) throw new ProductOsError('not_found', `no service ${service}`);
    return { service_name: service, region, service_url: `http://127.0.0.1:1/${service}`, latest_ready_revision: s.revisions.at(-1)!, status: 'ready' };
  }

  async revisions(): Promise<RevisionInfo[]> {
    return [];
  }

  async rollback(req: RollbackRequest): Promise<RollbackOutput> {
    throw new ProductOsError('not_implemented', `the fake target does not roll back ${req.service}`);
  }

  async logs(_req: LogsRequest): Promise<LogLineOut[]> {
    return [];
  }

  async services(): Promise<ListServicesOutput> {
    return {
      target: 'local',
      services: [...this.services_.values()].map((s) => ({ service_name: s.spec.service, region: s.spec.region, service_url: `http://127.0.0.1:1/${s.spec.service}`, status: 'ready' as const, serving_revision: s.revisions.at(-1)!, revision_count: s.revisions.length })),
    };
  }

  async describe(service: string, region: string): Promise<ServiceSpec | null> {
    const s = this.services_.get(this.key(service, region));
    return s ? structuredClone(s.spec) : null;
  }
}
