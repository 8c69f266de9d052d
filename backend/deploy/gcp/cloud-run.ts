/**
 * Cloud Run v2: a service's desired state from a deploy request, its observed state read back
 * (terminal condition, reconciling flag, latest ready revision, traffic), and waiting for a
 * rollout to settle. Readiness is read from the service itself rather than from the update's
 * long-running operation, so a rollout that fails, one still running and one that is done are
 * told apart the same way `get_service_status` tells them apart.
 */
import type { protos } from '@google-cloud/run';
import type { DeployOptions } from '../target';
import type { RevisionInfo, ServiceState } from '../../../contracts/tools/deploy';
import { ProductOsError } from '../../errors';
import { parseSecretRef } from '../../secrets/secret-ref';

export type Service = protos.google.cloud.run.v2.IService;
export type Revision = protos.google.cloud.run.v2.IRevision;

const CONDITION_STATE = ['STATE_UNSPECIFIED', 'CONDITION_PENDING', 'CONDITION_RECONCILING', 'CONDITION_FAILED', 'CONDITION_SUCCEEDED'];
const TRAFFIC_TYPE = ['TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED', 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION'];
export const enumName = (v: unknown, names: string[]): string => (typeof v === 'number' ? (names[v] ?? String(v)) : typeof v === 'string' ? v : names[0]);

export const conditionState = (c: { state?: unknown } | null | undefined) => enumName(c?.state, CONDITION_STATE);
export const trafficType = (t: { type?: unknown } | null | undefined) => enumName(t?.type, TRAFFIC_TYPE);

export function serviceName(project: string, region: string, service: string): string {
  return `projects/${project}/locations/${region}/services/${service}`;
}

/** The short revision name (Cloud Run answers full resource names in some fields). */
export function shortName(name: string | null | undefined): string {
  return (name ?? '').split('/').pop() ?? '';
}

/** The revision template for `image` with the request's env, secret references, limits and scaling. */
export function revisionTemplate(image: string, envVars: Record<string, string>, secretEnv: Record<string, string>, deploy: DeployOptions, labels: Record<string, string>): protos.google.cloud.run.v2.IRevisionTemplate {
  const env: protos.google.cloud.run.v2.IEnvVar[] = Object.entries(envVars).map(([name, value]) => ({ name, value }));
  for (const [name, reference] of Object.entries(secretEnv)) {
    const ref = parseSecretRef(reference);
    // Cloud Run reads the value itself at start-up: the value never passes through us.
    if (!ref || ref.kind !== 'sm') {
      throw new ProductOsError('invalid_input', `secret env var ${name}: Cloud Run reads secrets from Secret Manager, so it must be an sm://PROJECT/NAME[/VERSION] reference (an editor:// secret exists only on this machine)`);
    }
    env.push({ name, valueSource: { secretKeyRef: { secret: `projects/${ref.project}/secrets/${ref.name}`, version: ref.version } } });
  }
  const limits: Record<string, string> = {};
  if (deploy.cpu) limits.cpu = deploy.cpu;
  if (deploy.memory) limits.memory = deploy.memory;
  return {
    labels,
    containers: [{ image, env, ...(Object.keys(limits).length > 0 ? { resources: { limits } } : {}) }],
    ...(deploy.min_instances !== undefined || deploy.max_instances !== undefined
      ? { scaling: { ...(deploy.min_instances !== undefined ? { minInstanceCount: deploy.min_instances } : {}), ...(deploy.max_instances !== undefined ? { maxInstanceCount: deploy.max_instances } : {}) } }
      : {}),
    ...(deploy.concurrency !== undefined ? { maxInstanceRequestConcurrency: deploy.concurrency } : {}),
    ...(deploy.timeout_seconds !== undefined ? { timeout: { seconds: deploy.timeout_seconds } } : {}),
    ...(deploy.service_account_email ? { serviceAccount: deploy.service_account_email } : {}),
  };
}

/** Whether Cloud Run has finished acting on the service's latest change. */
export function settled(s: Service): boolean {
  const observed = Number(s.observedGeneration ?? 0);
  const generation = Number(s.generation ?? 0);
  return !s.reconciling && observed >= generation && conditionState(s.terminalCondition) !== 'CONDITION_RECONCILING' && conditionState(s.terminalCondition) !== 'CONDITION_PENDING';
}

export function serviceState(s: Service): ServiceState {
  if (s.reconciling || !settled(s)) return 'deploying';
  const state = conditionState(s.terminalCondition);
  if (state === 'CONDITION_SUCCEEDED') return 'ready';
  if (state === 'CONDITION_FAILED') return 'error';
  return 'unknown';
}

/** The revision all traffic is pinned to, when it is pinned (a rollback), else undefined. */
export function pinnedRevision(s: Service): string | undefined {
  const traffic = s.traffic ?? [];
  if (traffic.some((t) => trafficType(t) === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' && (t.percent ?? 0) > 0)) return undefined;
  const all = traffic.find((t) => trafficType(t) === 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' && (t.percent ?? 0) === 100);
  return all?.revision ? shortName(all.revision) : undefined;
}

/** The revision serving now: the pinned one, else the latest ready one (what LATEST means). */
export function servingRevision(s: Service): string {
  const fromStatus = (s.trafficStatuses ?? []).find((t) => (t.percent ?? 0) === 100 && t.revision);
  return pinnedRevision(s) ?? (fromStatus?.revision ? shortName(fromStatus.revision) : shortName(s.latestReadyRevision));
}

/** Percent of traffic by short revision name, from what Cloud Run reports it routes. */
export function trafficByRevision(s: Service): Map<string, number> {
  const out = new Map<string, number>();
  const statuses = s.trafficStatuses && s.trafficStatuses.length > 0 ? s.trafficStatuses : s.traffic ?? [];
  for (const t of statuses) {
    const name = trafficType(t) === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' ? shortName(s.latestReadyRevision) : shortName(t.revision);
    if (name) out.set(name, (out.get(name) ?? 0) + (t.percent ?? 0));
  }
  return out;
}

export function revisionInfo(r: Revision, traffic: Map<string, number>): RevisionInfo {
  const name = shortName(r.name);
  const ready = (r.conditions ?? []).find((c) => c.type === 'Ready');
  const state = r.reconciling ? 'deploying' : conditionState(ready ?? r.conditions?.[0]) === 'CONDITION_FAILED' ? 'error' : conditionState(ready) === 'CONDITION_SUCCEEDED' ? 'ready' : 'deploying';
  const percent = traffic.get(name) ?? 0;
  return {
    name,
    status: state === 'ready' && percent === 0 ? 'retired' : state,
    traffic_percent: percent,
    created_at: timestamp(r.createTime) ?? new Date(0).toISOString(),
    ...(r.containers?.[0]?.image ? { image: r.containers[0].image } : {}),
    ...(ready?.message ? { message: ready.message } : {}),
  };
}

export function timestamp(t: { seconds?: unknown; nanos?: unknown } | string | null | undefined): string | undefined {
  if (!t) return undefined;
  if (typeof t === 'string') return new Date(t).toISOString();
  const seconds = Number(t.seconds ?? 0);
  if (!seconds) return undefined;
  return new Date(seconds * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6)).toISOString();
}
