/**
 * The Google Cloud deploy target (Cloud Build → Artifact Registry → Cloud Run v2, Cloud Logging)
 * through the real Node clients in REST fallback mode, against a local server speaking those
 * APIs (test/helpers/fake-gcp.ts), or a real project with GCP_LIVE_TESTS=1. Every fault the
 * issue names ends in a run error that says what to do and what was left behind.
 */
import { strict as assert } from 'node:assert';
import { loadConfig } from '../../backend/config';
import { GcpDeployTarget } from '../../backend/deploy/gcp/target';
import type { DeployOperation, DeployRequest } from '../../backend/deploy/target';
import { ProductOsError } from '../../backend/errors';
import type { FakeGcp } from '../helpers/fake-gcp';
import { announceLive, FAKE_PROJECT, fakeOverrides, LIVE, liveOverrides, startFake } from '../helpers/gcp-test-env';
import { createBackend } from '../../backend/main';
import { request as http, tempDir } from '../helpers/backend';

const REGION = process.env.PRODUCT_OS_GCP_REGION || 'us-central1';

function recorder(signal = new AbortController().signal) {
  const events: string[] = [];
  const op: DeployOperation = {
    signal,
    progress: async (p) => void events.push(`progress ${p.progress}/${p.total ?? '?'} ${p.message}`),
    log: async (level, message) => void events.push(`${level} ${message}`),
  };
  return { op, events };
}

async function rejects(p: Promise<unknown>, code: string, ...phrases: RegExp[]): Promise<ProductOsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProductOsError, `expected a ProductOsError, got ${(err as Error)?.stack ?? String(err)}`);
    assert.equal(err.code, code, `code of: ${err.message}`);
    for (const re of phrases) assert.match(err.message, re);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('Google Cloud deploy target (Cloud Build, Cloud Run v2, Cloud Logging)', function () {
  this.timeout(LIVE ? 30 * 60_000 : 30_000);
  let fake: FakeGcp | undefined;
  const env = () => ({
    GOOGLE_CLOUD_PROJECT: LIVE ? process.env.GOOGLE_CLOUD_PROJECT : FAKE_PROJECT,
    PRODUCT_OS_DEPLOY_TARGET: 'gcp',
    PRODUCT_OS_ARTIFACT_REPOSITORY: LIVE ? process.env.PRODUCT_OS_ARTIFACT_REPOSITORY : 'product-images',
    PRODUCT_OS_GCP_REGION: REGION,
    PRODUCT_OS_DATA: '/tmp/unused-data-dir',
  });
  const target = (opts: Parameters<typeof fakeOverrides>[1] = {}) => new GcpDeployTarget(loadConfig(env()), LIVE ? liveOverrides() : fakeOverrides(fake!, opts));
  const repo = LIVE ? process.env.GCP_LIVE_REPO! : 'https://github.com/example/hello-service.git';
  const goodRef = LIVE ? process.env.GCP_LIVE_REF! : 'main';
  const request = (service: string, ref: string, extra: Partial<DeployRequest> = {}): DeployRequest => ({
    service,
    region: REGION,
    env: 'dev',
    source: { kind: 'git', repo, ref, dockerfilePath: 'Dockerfile', buildContext: '.' },
    envVars: { GREETING: 'hello' },
    deploy: { memory: '512Mi', max_instances: 2 },
    ...extra,
  });
  const service = `pos-test-${Date.now().toString(36)}`;

  before(async () => {
    announceLive('gcp deploy', undefined, 'the failed build, failed revision, never ready, build timeout, cancel, permission denied, quota and expired token scenarios, and the tool-path test');
    if (!LIVE) fake = await startFake();
  });
  after(async () => {
    await fake?.stop();
    if (LIVE) {
      // A live run leaves nothing behind: the test service goes (its images stay in the repository, tagged by build).
      const { ServicesClient } = await import('@google-cloud/run');
      const client = new ServicesClient();
      const [op] = await client.deleteService({ name: `projects/${process.env.GOOGLE_CLOUD_PROJECT}/locations/${REGION}/services/${service}` }).catch(() => [null]);
      await op?.promise().catch(() => undefined);
      await client.close();
    }
  });

  it('deploys a ref: build steps and the rollout are progress events, the revision is deployed by digest, status reads ready', async () => {
    const t = target();
    const { op, events } = recorder();
    const out = await t.deploy(request(service, goodRef), op);
    assert.match(out.service_url, /^https:\/\//);
    assert.ok(out.revision.startsWith(service), out.revision);
    assert.ok(out.build_id, 'build id returned');
    assert.ok(events.some((e) => /Cloud Build .* started/.test(e)), events.join('\n'));
    assert.ok(events.some((e) => /progress .*build (working|queued)/.test(e)), events.join('\n'));
    assert.ok(events.some((e) => /revision .* ready/.test(e)), events.join('\n'));
    const status = await t.status(service, REGION, op);
    assert.equal(status.status, 'ready');
    assert.equal(status.latest_ready_revision, out.revision);
    assert.equal(status.serving_revision, out.revision);
    assert.ok(status.revisions?.[0].image?.includes('@sha256:'), `deployed by digest: ${status.revisions?.[0].image}`);
    if (fake) {
      const create = fake.calls.find((c) => c.method === 'POST' && /\/services$/.test(c.path));
      const tpl = (create?.body as { template: { containers: Array<{ env: unknown[]; resources: unknown }> } }).template;
      assert.deepEqual(tpl.containers[0].env, [{ name: 'GREETING', value: 'hello' }]);
      assert.deepEqual(tpl.containers[0].resources, { limits: { memory: '512Mi' } });
      const build = fake.calls.find((c) => c.method === 'POST' && /\/builds$/.test(c.path))?.body as { source: { gitSource: { url: string; revision: string } }; images: string[] };
      assert.deepEqual(build.source.gitSource, { url: repo, revision: goodRef });
      assert.match(build.images[0], new RegExp(`^${REGION}-docker\\.pkg\\.dev/${FAKE_PROJECT}/product-images/${service}:`));
    }
    await t.close();
  });

  it('a second deploy makes a second revision; rollback pins traffic to the first and warns; the next deploy keeps the pin and says how to reset it', async () => {
    const t = target();
    const { op } = recorder();
    const first = (await t.status(service, REGION, op)).latest_ready_revision;
    const second = await t.deploy(request(service, goodRef), op);
    assert.notEqual(second.revision, first);
    const rb = await t.rollback({ service, region: REGION, env: 'dev', toRevision: first, reason: 'test' }, op);
    assert.equal(rb.from_revision, second.revision);
    assert.equal(rb.to_revision, first);
    assert.match(rb.warnings?.join(' ') ?? '', /pinned to revision .*later deploys/);
    const pinned = await t.status(service, REGION, op);
    assert.equal(pinned.serving_revision, first);
    assert.match(pinned.message ?? '', /pinned/);
    const third = await t.deploy(request(service, goodRef), op);
    assert.match(third.warnings?.join(' ') ?? '', new RegExp(`revision ${third.revision} is deployed but serves no traffic.*to_revision "latest"`));
    assert.equal((await t.status(service, REGION, op)).serving_revision, first, 'the pin holds');
    const reset = await t.rollback({ service, region: REGION, env: 'dev', toRevision: 'latest', reason: 'unpin' }, op);
    assert.equal(reset.to_revision, third.revision);
    assert.equal((await t.status(service, REGION, op)).serving_revision, third.revision);
    await t.close();
  });

  it('a ref that does not exist: a not_found run error naming the ref; nothing deployed', async () => {
    const t = target();
    const before = (await t.status(service, REGION, recorder().op)).latest_ready_revision;
    await rejects(t.deploy(request(service, LIVE ? 'refs/heads/no-such-branch-product-os' : 'missing-branch'), recorder().op), 'not_found', /could not fetch .* at "/, /Nothing was deployed/);
    assert.equal((await t.status(service, REGION, recorder().op)).latest_ready_revision, before);
    await t.close();
  });

  if (!LIVE) {
    it('a failed Cloud Build (the Dockerfile does not build): invalid_input with the step and the build log; nothing deployed', async () => {
      const t = target();
      const err = await rejects(t.deploy(request(service, 'broken-dockerfile'), recorder().op), 'invalid_input', /did not build/, /step exited with non-zero status/, /Build log: https:\/\/console\.cloud\.google\.com/, /Nothing was deployed/);
      assert.ok((err.details as { build_id?: string }).build_id);
      await t.close();
    });

    it('a revision that fails to start: an error naming it, its reason, and the revision still serving', async () => {
      const t = target();
      const serving = (await t.status(service, REGION, recorder().op)).serving_revision;
      await rejects(
        t.deploy({ ...request(service, ''), source: { kind: 'image', image: 'us-docker.pkg.dev/x/y/broken-app:1' } }, recorder().op),
        'executor_failed',
        /did not become ready: Revision .* failed to start/,
        new RegExp(`Traffic stays on revision ${serving}`),
        /logs\.tail/,
      );
      const after = await t.status(service, REGION, recorder().op);
      assert.equal(after.status, 'error');
      assert.equal(after.serving_revision, serving);
      await t.close();
    });

    it('a service that never becomes ready: timed_out within the limit, saying Cloud Run carries on and what still serves', async () => {
      const t = target({ operationTimeoutMs: 300 });
      const started = Date.now();
      await rejects(t.deploy({ ...request(`${service}-slow`, ''), source: { kind: 'image', image: 'us-docker.pkg.dev/x/y/never-ready:1' } }, recorder().op), 'timed_out', /did not become ready within/, /Cloud Run carries on/, /nothing serves until/);
      assert.ok(Date.now() - started < 5000);
      await t.close();
    });

    it('a build that outlasts the limit: timed_out, nothing deployed, the build named', async () => {
      const t = target({ operationTimeoutMs: 200 });
      await rejects(t.deploy(request(service, 'slow-build'), recorder().op), 'timed_out', /Cloud Build build-\d+ did not finish within/, /nothing was deployed/);
      await t.close();
    });

    it('a cancelled deploy cancels its Cloud Build', async () => {
      const t = target({ operationTimeoutMs: 10_000 });
      const ac = new AbortController();
      setTimeout(() => ac.abort('cancel'), 100);
      await rejects(t.deploy(request(service, 'slow-build'), recorder(ac.signal).op), 'cancelled', /Cloud Build build-\d+ was cancelled; nothing was deployed/);
      assert.ok(fake!.calls.some((c) => c.method === 'POST' && c.path.endsWith(':cancel')));
      await t.close();
    });

    it('permission denied: permission_denied naming the role to grant', async () => {
      const t = target();
      fake!.failNext(/^POST .*\/builds$/, 403, 'PERMISSION_DENIED', "The caller does not have permission");
      await rejects(t.deploy(request(service, 'main'), recorder().op), 'permission_denied', /Cloud Build: starting a build/, /grant it roles\/cloudbuild\.builds\.editor/);
      fake!.failNext(/^PATCH .*\/services\//, 403, 'PERMISSION_DENIED', "Permission 'run.services.update' denied on resource");
      const err = await rejects(t.deploy(request(service, 'main'), recorder().op), 'permission_denied', /roles\/run\.admin/, /is in Artifact Registry/, /No new revision was created/);
      assert.ok((err.details as { build_id?: string }).build_id, 'the build that did happen is reported');
      await t.close();
    });

    it('quota exceeded: quota_exceeded, retryable, saying to wait or raise the quota', async () => {
      const t = target();
      fake!.failNext(/^GET .*\/services\//, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric Read requests');
      const err = await rejects(t.status(service, REGION, recorder().op), 'quota_exceeded', /wait a minute and retry, or raise the quota/);
      assert.equal(err.retryable, true);
      await t.close();
    });

    it('an expired token: not_configured saying how to log in again (server refusing it, and the client unable to refresh it)', async () => {
      const refused = target({ token: 'ya29.expired-or-revoked' });
      await rejects(refused.status(service, REGION, recorder().op), 'not_configured', /credentials are missing or expired/, /gcloud auth application-default login/);
      await refused.close();
      const stale = target({ expired: true });
      await rejects(stale.status(service, REGION, recorder().op), 'not_configured', /credentials are missing or expired/);
      await stale.close();
    });
  }

  it('logs.tail reads Cloud Logging for the service or one revision, oldest first, within limit', async () => {
    const t = target();
    const st = await t.status(service, REGION, recorder().op);
    const [newest, older] = st.revisions!.filter((r) => r.status !== 'error');
    if (fake) {
      const now = Date.now();
      for (let i = 0; i < 5; i++) fake.logs.push({ service, revision: older.name, timestamp: new Date(now - 10_000 + i).toISOString(), severity: 'INFO', text: `old line ${i}` });
      for (let i = 0; i < 3; i++) fake.logs.push({ service, revision: newest.name, timestamp: new Date(now - 5_000 + i).toISOString(), severity: 'ERROR', text: `new line ${i}` });
      fake.logs.push({ service, revision: newest.name, timestamp: new Date(now - 7_200_000).toISOString(), severity: 'INFO', text: 'too old' });
    }
    const all = await t.logs({ service, limit: 4, sinceSeconds: 3600 }, recorder().op);
    assert.ok(all.length <= 4);
    if (fake) {
      assert.deepEqual(all.map((l) => l.text), ['old line 4', 'new line 0', 'new line 1', 'new line 2']);
      const one = await t.logs({ service, revision: older.name, limit: 100, sinceSeconds: 3600 }, recorder().op);
      assert.deepEqual(one.map((l) => l.text), ['old line 0', 'old line 1', 'old line 2', 'old line 3', 'old line 4']);
      const filter = (fake.calls.filter((c) => c.path === '/v2/entries:list').pop()?.body as { filter: string }).filter;
      assert.match(filter, new RegExp(`resource.type="cloud_run_revision" AND resource.labels.service_name="${service}" AND resource.labels.location="${REGION}" AND resource.labels.revision_name="${older.name}"`));
    }
    await t.close();
  });

  if (!LIVE) {
    it('through the tools: the build and rollout are run events, status reads the service, the rollback waits for approval', async function () {
      this.timeout(180_000); // a whole backend starts (PGlite, migrations)
      const backend = await createBackend({
        env: { ...env(), PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_STORE: 'pglite' },
        overrides: { dataDir: tempDir(), port: 0 },
        gcp: fakeOverrides(fake!),
        stderr: () => undefined,
      });
      try {
        const url = await backend.listen();
        const call = async (tool: string, input: Record<string, unknown>) => {
          const res = await http(url, backend.token, 'POST', '/api/runs', { tool, input });
          assert.ok(res.status < 300, `${tool}: ${res.status} ${JSON.stringify(res.body)}`);
          return res.body.run ?? res.body;
        };
        const wait = async (id: string) => (await http(url, backend.token, 'GET', `/api/runs/${id}/wait?timeoutMs=20000`)).body;
        const svc = `${service}-tools`;
        const run = await wait((await call('cloudrun.deploy_service', { service_name: svc, repo, ref: 'main', env: 'dev', region: REGION })).id);
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        const events = await backend.db.query<{ type: string; data: { message?: string } }>('SELECT * FROM run_events WHERE run_id = $1', [run.id]);
        const progress = events.filter((e) => e.type === 'progress').map((e) => e.data.message ?? '');
        assert.ok(progress.some((m) => /^build (queued|working)/.test(m)), progress.join(' | '));
        assert.ok(progress.some((m) => /Cloud Run is rolling out/.test(m)), progress.join(' | '));
        assert.ok(progress.some((m) => new RegExp(`revision ${run.output.revision} ready`).test(m)), progress.join(' | '));
        const status = await wait((await call('cloudrun.get_service_status', { service_name: svc, region: REGION })).id);
        assert.equal(status.output.status, 'ready');
        const rollback = await call('cloudrun.rollback_service', { service_name: svc, region: REGION, env: 'dev', reason: 'test' });
        assert.equal(rollback.status, 'awaiting_approval');
      } finally {
        await backend.close();
      }
    });
  }

  it('a service that does not exist: not_found saying to deploy it first', async () => {
    const t = target();
    await rejects(t.status('no-such-service-product-os', REGION, recorder().op), 'not_found', /no Cloud Run service "no-such-service-product-os"/, /deploy it first/);
    await rejects(t.rollback({ service, region: REGION, env: 'dev', toRevision: 'nope-00001-xyz', reason: 'x' }, recorder().op), 'not_found', /has no revision "nope-00001-xyz"/);
    await t.close();
  });
});
