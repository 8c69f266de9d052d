/** The small pure parts of the Google Cloud and secrets work: references, the mask, error mapping, settings, the editor's secret list. */
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { parseSecretRef, secretRefProblem, formatSecretRef } from '../../backend/secrets/secret-ref';
import { SecretMask } from '../../backend/secrets/secret-mask';
import { readHandoff } from '../../backend/secrets/handoff';
import { gcpError, gcpStatusOf } from '../../backend/gcp/errors';
import { parseArtifactRepository, imagePath } from '../../backend/gcp/gcp-settings';
import { validateConfig, loadConfig } from '../../backend/config';
import { EditorSecrets } from '../../extension/secrets/editor-secrets';
import { runLogFilter } from '../../backend/deploy/gcp/cloud-logging';
import { revisionTemplate, pinnedRevision, serviceState } from '../../backend/deploy/gcp/cloud-run';

describe('secret references', () => {
  it('sm://PROJECT/NAME[/VERSION] and editor://NAME, nothing else', () => {
    assert.deepEqual(parseSecretRef('sm://my-proj-1/api_key'), { kind: 'sm', project: 'my-proj-1', name: 'api_key', version: 'latest' });
    assert.deepEqual(parseSecretRef('sm://my-proj-1/api_key/7'), { kind: 'sm', project: 'my-proj-1', name: 'api_key', version: '7' });
    assert.deepEqual(parseSecretRef('editor://MISSINGLETTR_TOKEN'), { kind: 'editor', name: 'MISSINGLETTR_TOKEN' });
    for (const bad of ['sm://p/x', 'sm://my-proj-1/', 'sm://my-proj-1/a/0', 'sm://my-proj-1/a/b/c', 'editor://', 'editor://a b', 'plain-value', 'sm:/my-proj-1/a']) {
      assert.equal(parseSecretRef(bad), null, bad);
      assert.ok(secretRefProblem(bad));
    }
    assert.equal(formatSecretRef({ kind: 'sm', project: 'my-proj-1', name: 'a', version: 'latest' }), 'sm://my-proj-1/a');
    assert.match(secretRefProblem('hunter2') ?? '', /never the value itself/);
  });
});

describe('the secret mask', () => {
  it('masks every known value and its JSON and base64 forms, longest first, in nested values; ignores very short ones', () => {
    const m = new SecretMask();
    m.add('abc');
    m.add('s3cret-"quoted"-value');
    m.add('s3cret-"quoted"-value-longer');
    assert.equal(m.mask('x abc y'), 'x abc y', 'short values are not masked');
    assert.equal(m.mask('k=s3cret-"quoted"-value-longer;'), 'k=[secret];');
    assert.equal(m.mask(JSON.stringify({ v: 's3cret-"quoted"-value' })), '{"v":"[secret]"}');
    assert.equal(m.mask(Buffer.from('s3cret-"quoted"-value').toString('base64')), '[secret]');
    assert.deepEqual(m.maskValue({ a: ['s3cret-"quoted"-value'], n: 1 }), { a: ['[secret]'], n: 1 });
  });
});

describe('the secrets hand-off on stdin', () => {
  it('reads one line and leaves the rest; refuses a bad one without echoing it; times out', async () => {
    const s = new PassThrough();
    const p = readHandoff(s, 1000);
    s.write('{"secrets":{"A":"va');
    s.write('lue-1"}}\nlater input');
    assert.deepEqual(await p, { A: 'value-1' });
    const bad = new PassThrough();
    const q = readHandoff(bad, 1000);
    bad.write('{"secrets":{"A":["leaky-value"]}}\n');
    await assert.rejects(q, (e: Error) => /not a string/.test(e.message) && !e.message.includes('leaky-value'));
    await assert.rejects(readHandoff(new PassThrough(), 50), /no secrets hand-off on stdin within 50 ms/);
  });
});

describe('Google API errors to run errors', () => {
  it('reads the status from REST bodies, gRPC codes, HTTP codes and auth-library messages', () => {
    assert.equal(gcpStatusOf({ code: 404, message: '{"error":{"code":404,"message":"gone","status":"NOT_FOUND"}}' }).status, 'NOT_FOUND');
    assert.equal(gcpStatusOf({ code: 404, message: '{"error":{"code":404,"message":"gone","status":"NOT_FOUND"}}' }).detail, 'gone');
    assert.equal(gcpStatusOf({ code: 7, message: '7 PERMISSION_DENIED: nope' }).status, 'PERMISSION_DENIED');
    assert.equal(gcpStatusOf({ code: 7, message: '7 PERMISSION_DENIED: nope' }).detail, 'nope');
    assert.equal(gcpStatusOf({ code: 429, message: 'Too many' }).status, 'RESOURCE_EXHAUSTED');
    assert.equal(gcpStatusOf(new Error('invalid_grant: Token has been expired or revoked.')).status, 'UNAUTHENTICATED');
    assert.equal(gcpStatusOf(new Error('something odd')).status, 'UNKNOWN');
  });
  it('each status becomes a code a caller can act on, with what to do', () => {
    const call = { service: 'Cloud Run', action: 'reading service web', role: 'roles/run.viewer' };
    const cases: Array<[unknown, string, RegExp, boolean]> = [
      [{ code: 5, message: 'x' }, 'not_found', /Check the name/, false],
      [{ code: 7, message: 'x' }, 'permission_denied', /grant it roles\/run\.viewer/, false],
      [{ code: 8, message: 'x' }, 'quota_exceeded', /raise the quota/, true],
      [{ code: 16, message: 'x' }, 'not_configured', /application-default login/, false],
      [{ code: 4, message: 'x' }, 'timed_out', /did not answer in time/, true],
      [{ code: 14, message: 'x' }, 'unavailable', /retry/, true],
      [{ code: 3, message: 'x' }, 'invalid_input', /fix what the message names/, false],
    ];
    for (const [err, code, re, retryable] of cases) {
      const e = gcpError(err, call);
      assert.equal(e.code, code);
      assert.match(e.message, /^Cloud Run: reading service web failed/);
      assert.match(e.message, re);
      assert.equal(e.retryable, retryable, code);
    }
  });
});

describe('Google Cloud settings', () => {
  it('an Artifact Registry repository as a bare id or a full path; the image path per service', () => {
    assert.deepEqual(parseArtifactRepository('images'), { repo: 'images' });
    assert.deepEqual(parseArtifactRepository('europe-west1-docker.pkg.dev/other-proj/images'), { location: 'europe-west1', project: 'other-proj', repo: 'images' });
    assert.equal(parseArtifactRepository('gcr.io/x/y'), null);
    assert.equal(imagePath({ repo: 'images' }, 'my-proj', 'us-central1', 'web'), 'us-central1-docker.pkg.dev/my-proj/images/web');
  });
  it('what the gcp target and Firestore need is reported missing with the reason, and stops start-up', () => {
    const report = validateConfig({ PRODUCT_OS_DEPLOY_TARGET: 'gcp' });
    const project = report.find((r) => r.name === 'GOOGLE_CLOUD_PROJECT')!;
    const repo = report.find((r) => r.name === 'PRODUCT_OS_ARTIFACT_REPOSITORY')!;
    assert.equal(project.status, 'invalid');
    assert.match(project.message, /GOOGLE_CLOUD_PROJECT is not set, and PRODUCT_OS_DEPLOY_TARGET is gcp/);
    assert.equal(repo.status, 'invalid');
    assert.match(validateConfig({ PRODUCT_OS_BRAND_STORE: 'firestore' }).find((r) => r.name === 'GOOGLE_CLOUD_PROJECT')!.message, /PRODUCT_OS_BRAND_STORE is firestore/);
    assert.equal(validateConfig({}).find((r) => r.name === 'GOOGLE_CLOUD_PROJECT')!.status, 'missing');
    assert.equal(validateConfig({ PRODUCT_OS_BRAND_STORE: 'mongo' }).find((r) => r.name === 'PRODUCT_OS_BRAND_STORE')!.status, 'invalid');
    assert.throws(() => loadConfig({ PRODUCT_OS_DEPLOY_TARGET: 'gcp', GOOGLE_CLOUD_PROJECT: 'my-proj' }), /PRODUCT_OS_ARTIFACT_REPOSITORY is not set/);
    const c = loadConfig({ PRODUCT_OS_DEPLOY_TARGET: 'gcp', GOOGLE_CLOUD_PROJECT: 'my-proj', PRODUCT_OS_ARTIFACT_REPOSITORY: 'images', PRODUCT_OS_GCP_REGION: 'europe-west4' });
    assert.deepEqual(c.gcp, { brandStore: 'local', firestoreDatabase: '(default)', region: 'europe-west4', repository: { repo: 'images' } });
  });
});

describe('Cloud Run pieces', () => {
  it('secret env vars become Secret Manager references Cloud Run resolves; an editor secret is refused', () => {
    const t = revisionTemplate('img@sha256:1', { A: '1' }, { TOKEN: 'sm://my-proj/tok/3' }, { cpu: '1', min_instances: 0, concurrency: 10, timeout_seconds: 60 }, { env: 'dev' });
    assert.deepEqual(t.containers?.[0].env, [{ name: 'A', value: '1' }, { name: 'TOKEN', valueSource: { secretKeyRef: { secret: 'projects/my-proj/secrets/tok', version: '3' } } }]);
    assert.deepEqual(t.scaling, { minInstanceCount: 0 });
    assert.equal(t.maxInstanceRequestConcurrency, 10);
    assert.throws(() => revisionTemplate('img', {}, { TOKEN: 'editor://X' }, {}, {}), /must be an sm:\/\/PROJECT\/NAME/);
  });
  it('traffic pinned or latest; the service state from its conditions', () => {
    assert.equal(pinnedRevision({ traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] }), undefined);
    assert.equal(pinnedRevision({ traffic: [{ type: 2, revision: 'web-00001-abc', percent: 100 }] }), 'web-00001-abc');
    assert.equal(serviceState({ reconciling: true }), 'deploying');
    assert.equal(serviceState({ generation: 2, observedGeneration: 2, terminalCondition: { state: 'CONDITION_SUCCEEDED' } } as never), 'ready');
    assert.equal(serviceState({ generation: 2, observedGeneration: 2, terminalCondition: { state: 3 } } as never), 'error');
    assert.equal(serviceState({ generation: 3, observedGeneration: 2, terminalCondition: { state: 'CONDITION_SUCCEEDED' } } as never), 'deploying');
  });
  it('the log filter quotes every value', () => {
    assert.equal(
      runLogFilter('web"x', 'us-central1', undefined, new Date('2026-01-01T00:00:00Z')),
      'resource.type="cloud_run_revision" AND resource.labels.service_name="web\\"x" AND resource.labels.location="us-central1" AND timestamp>="2026-01-01T00:00:00.000Z"',
    );
  });
});

describe('editor secrets (SecretStorage values, names in global state)', () => {
  it('stores, lists, hands over and removes; refuses bad names and empty values', async () => {
    const vault = new Map<string, string>();
    const state = new Map<string, unknown>();
    const s = new EditorSecrets(
      { get: async (k) => vault.get(k), store: async (k, v) => void vault.set(k, v), delete: async (k) => void vault.delete(k) },
      { get: <T>(k: string, d: T) => (state.has(k) ? (state.get(k) as T) : d), update: async (k, v) => void state.set(k, v) },
    );
    await s.set('B_TOKEN', 'vb');
    await s.set('A_TOKEN', 'va');
    await s.set('A_TOKEN', 'va2');
    assert.deepEqual(s.names(), ['A_TOKEN', 'B_TOKEN']);
    assert.deepEqual(await s.all(), { A_TOKEN: 'va2', B_TOKEN: 'vb' });
    assert.ok(![...state.values()].flat().some((v) => String(v).startsWith('v')), 'no value in global state');
    await assert.rejects(s.set('bad name', 'x'), /invalid secret name/);
    await assert.rejects(s.set('OK', ''), /cannot be empty/);
    await s.remove('B_TOKEN');
    assert.deepEqual(await s.all(), { A_TOKEN: 'va2' });
  });
});
