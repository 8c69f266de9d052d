/**
 * Cloud Build: the ref of a git repository built into an image in Artifact Registry. One build
 * per deploy (docker build, then push by Cloud Build's `images`), followed step by step as run
 * progress; the image is then deployed by digest, so the revision runs exactly what was built.
 */
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { ProductOsError } from '../../errors';
import { gcpError } from '../../gcp/errors';
import type { DeployOperation } from '../target';
import { pollUntil } from './poll';

export interface BuildRequest {
  project: string;
  region: string;
  repo: string;
  ref: string;
  dockerfilePath: string;
  buildContext: string;
  /** IMAGE without tag: LOCATION-docker.pkg.dev/PROJECT/REPO/SERVICE. */
  image: string;
  tag: string;
  labels: Record<string, string>;
}

export interface BuiltImage {
  buildId: string;
  /** IMAGE@sha256:… when Cloud Build reported the digest, else IMAGE:TAG. */
  image: string;
  logUrl?: string;
}

type Build = {
  id?: string | null;
  status?: string | number | null;
  statusDetail?: string | null;
  logUrl?: string | null;
  steps?: Array<{ id?: string | null; name?: string | null; status?: string | number | null }> | null;
  failureInfo?: { type?: string | number | null; detail?: string | null } | null;
  results?: { images?: Array<{ name?: string | null; digest?: string | null }> | null } | null;
};

/** Build.Status, by number (REST may answer either form). */
const STATUS = ['STATUS_UNKNOWN', 'QUEUED', 'WORKING', 'SUCCESS', 'FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED', 'PENDING'];
const FAILURE = ['FAILURE_TYPE_UNSPECIFIED', 'PUSH_FAILED', 'PUSH_IMAGE_NOT_FOUND', 'PUSH_NOT_AUTHORIZED', 'LOGGING_FAILURE', 'USER_BUILD_STEP', 'FETCH_SOURCE_FAILED'];
const named = (v: string | number | null | undefined, names: string[]) => (typeof v === 'number' ? (names[v] ?? String(v)) : (v ?? names[0]));
const FINISHED = new Set(['SUCCESS', 'FAILURE', 'INTERNAL_ERROR', 'TIMEOUT', 'CANCELLED', 'EXPIRED']);

export async function buildImage(client: CloudBuildClient, req: BuildRequest, op: DeployOperation, timing: { pollMs: number; timeoutMs: number }): Promise<BuiltImage> {
  const parent = `projects/${req.project}/locations/${req.region}`;
  const tagged = `${req.image}:${req.tag}`;
  const call = { service: 'Cloud Build', role: 'roles/cloudbuild.builds.editor' } as const;
  let buildId: string;
  try {
    // parent only (no projectId): the client then uses the regional route, so the build runs in the deploy's region.
    const [operation] = await client.createBuild({
      parent,
      build: {
        source: { gitSource: { url: req.repo, revision: req.ref, ...(req.buildContext === '.' || req.buildContext === '' ? {} : { dir: req.buildContext }) } },
        steps: [{ id: 'docker-build', name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', tagged, '-f', req.dockerfilePath, '.'] }],
        images: [tagged],
        tags: Object.entries(req.labels).map(([k, v]) => `${k}-${v}`.replace(/[^a-zA-Z0-9_.-]/g, '-')),
        timeout: { seconds: Math.ceil(timing.timeoutMs / 1000) },
      },
    });
    const meta = operation.metadata as { build?: Build } | undefined;
    buildId = meta?.build?.id ?? '';
    if (!buildId) throw new ProductOsError('unavailable', 'Cloud Build accepted the build but did not say its id; check the Cloud Build history in the console', undefined, { retryable: false });
  } catch (err) {
    throw gcpError(err, { ...call, action: `starting a build of ${req.repo} at ${req.ref}` });
  }
  await op.log('info', `Cloud Build ${buildId} started: ${req.repo} at ${req.ref} → ${tagged}`);
  const name = `${parent}/builds/${buildId}`;
  let lastReport = '';
  let lastLogUrl: string | undefined;
  const done = await pollUntil<Build>({
    read: async () => {
      try {
        const [b] = await client.getBuild({ name });
        return b as Build;
      } catch (err) {
        throw gcpError(err, { ...call, action: `reading build ${buildId}` });
      }
    },
    done: (b) => FINISHED.has(named(b.status, STATUS)),
    onValue: async (b) => {
      lastLogUrl = b.logUrl ?? lastLogUrl;
      const steps = b.steps ?? [];
      const finished = steps.filter((s) => ['SUCCESS', 'FAILURE'].includes(named(s.status, STATUS))).length;
      const current = steps.find((s) => named(s.status, STATUS) === 'WORKING');
      const report = `build ${named(b.status, STATUS).toLowerCase()}${current ? `: step ${current.id ?? current.name}` : ''}`;
      if (report !== lastReport) {
        lastReport = report;
        await op.progress({ progress: finished, total: steps.length + 2, message: report });
      }
    },
    intervalMs: timing.pollMs,
    timeoutMs: timing.timeoutMs,
    signal: op.signal,
    onTimeout: () =>
      new ProductOsError('timed_out', `Cloud Build ${buildId} did not finish within ${Math.round(timing.timeoutMs / 1000)} s; nothing was deployed and traffic is unchanged. Follow it at ${lastLogUrl ?? 'the Cloud Build history'} and deploy again once it is done`, { build_id: buildId }),
    onAbort: async () => {
      // Cancelled by the user: stop the build too, so nothing is pushed behind their back.
      await client.cancelBuild({ name }).catch(() => undefined);
      return new ProductOsError('cancelled', `deploy cancelled: Cloud Build ${buildId} was cancelled; nothing was deployed`, { build_id: buildId });
    },
  });
  const status = named(done.status, STATUS);
  if (status !== 'SUCCESS') throw buildFailure(done, buildId, req);
  const digest = done.results?.images?.find((i) => i.name === tagged || i.name?.startsWith(req.image))?.digest;
  return { buildId, image: digest ? `${req.image}@${digest}` : tagged, ...(done.logUrl ? { logUrl: done.logUrl } : {}) };
}

/** A failed build as a run error: which kind, Google's detail, the log, and that nothing was deployed. */
function buildFailure(b: Build, buildId: string, req: BuildRequest): ProductOsError {
  const status = named(b.status, STATUS);
  const type = named(b.failureInfo?.type, FAILURE);
  const detail = b.failureInfo?.detail ?? b.statusDetail ?? '';
  const logs = b.logUrl ? ` Build log: ${b.logUrl}.` : '';
  const details = { build_id: buildId, build_status: status, failure_type: type };
  const tail = `Nothing was deployed; traffic is unchanged.${logs}`;
  if (type === 'FETCH_SOURCE_FAILED') {
    return new ProductOsError('not_found', `Cloud Build ${buildId} could not fetch ${req.repo} at "${req.ref}" (${detail || 'the ref does not exist or the repository is not reachable'}): check the ref (a branch, tag or commit that exists) and that Cloud Build can read the repository. ${tail}`, details);
  }
  if (type === 'PUSH_NOT_AUTHORIZED' || type === 'PUSH_FAILED' || type === 'PUSH_IMAGE_NOT_FOUND') {
    return new ProductOsError('permission_denied', `Cloud Build ${buildId} built the image but could not push it to ${req.image} (${detail || type}): grant the Cloud Build service account roles/artifactregistry.writer on the repository, or check PRODUCT_OS_ARTIFACT_REPOSITORY. ${tail}`, details);
  }
  if (status === 'TIMEOUT') return new ProductOsError('timed_out', `Cloud Build ${buildId} hit its time limit. ${tail}`, details);
  if (status === 'CANCELLED' || status === 'EXPIRED') return new ProductOsError('cancelled', `Cloud Build ${buildId} was ${status.toLowerCase()} before it finished. ${tail}`, details);
  if (status === 'INTERNAL_ERROR') return new ProductOsError('unavailable', `Cloud Build ${buildId} failed on Google's side${detail ? ` (${detail})` : ''}: deploy again. ${tail}`, details, { retryable: true });
  return new ProductOsError('invalid_input', `Cloud Build ${buildId} failed: the Dockerfile ${req.dockerfilePath} did not build at ${req.ref}${detail ? ` (${detail})` : ''}; fix it and deploy again. ${tail}`, details);
}
