/**
 * Blueprints reconciled on a deploy target (an in-memory one implementing DeployTarget, given
 * to a real backend): through the tools, and through `product-os blueprint apply` talking to
 * that backend, which prints the diff first and changes nothing the second time.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import { callRoute } from '../../contracts/client';
import type { Run } from '../../contracts/rest';
import type { ApplyBlueprintOutput } from '../../contracts/blueprint';
import { tempDir } from '../helpers/backend';
import { freshDatabase } from '../helpers/postgres';
import { FakeDeployTarget } from '../helpers/fake-deploy-target';

const ROOT = path.resolve(__dirname, '../..');

const blueprint = (image = 'ghcr.io/acme/web:1.0.0', logLevel = 'info') => ({
  version: 1,
  region: 'europe-west1',
  services: [
    { name: 'web', image, env: { LOG_LEVEL: logLevel }, secrets: { DATABASE_URL: 'sm://acme-prod/db-url' }, scaling: { min_instances: 1, max_instances: 3 } },
    { name: 'worker', image: 'ghcr.io/acme/worker:1.0.0', resources: { cpu: '1', memory: '512Mi' } },
  ],
});

describe('blueprint apply on a deploy target', function () {
  this.timeout(900_000);
  let db: { url: string; drop(): Promise<void> };
  let backend: Backend;
  let target: FakeDeployTarget;
  let url: string;

  before(async () => {
    db = await freshDatabase();
    target = new FakeDeployTarget();
    backend = await createBackend({ env: { DATABASE_URL: db.url, PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef' }, overrides: { dataDir: tempDir(), port: 0 }, deployTarget: target, stderr: () => undefined });
    url = await backend.listen();
  });

  after(async () => {
    await backend?.close();
    await db?.drop();
  });

  const conn = () => ({ url, token: backend.token });
  async function tool(name: string, input: Record<string, unknown>): Promise<Run> {
    const run = await callRoute(conn(), 'createRun', { body: { tool: name, input } });
    return callRoute(conn(), 'waitRun', { params: { id: run.id }, query: { timeoutMs: 30_000 } });
  }
  /** The CLI in its own process, against this backend (async: the backend answers it from this process). */
  function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'backend/cli.ts'), ...args], { cwd: ROOT, env: { ...process.env, PRODUCT_OS_URL: url, PRODUCT_OS_TOKEN: backend.token } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  it('a plan changes nothing and says what an apply would create', async () => {
    const run = await tool('infra.plan_blueprint', { blueprint: blueprint() });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const out = run.output as ApplyBlueprintOutput;
    assert.equal(out.dry_run, true);
    assert.deepEqual(out.changes.map((c) => [c.service, c.action]), [['web', 'create'], ['worker', 'create']]);
    assert.equal(target.deploys.length, 0);
  });

  it('apply creates each service with its image, env, secret references and scaling; applying again changes nothing', async () => {
    const first = await tool('infra.apply_blueprint', { blueprint: blueprint(), source: 'infra.yaml' });
    assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
    assert.equal(target.deploys.length, 2);
    const web = target.deploys[0];
    assert.deepEqual(web.source, { kind: 'image', image: 'ghcr.io/acme/web:1.0.0' });
    assert.equal(web.region, 'europe-west1');
    assert.deepEqual(web.envVars, { LOG_LEVEL: 'info' });
    assert.deepEqual(web.secretEnv, { DATABASE_URL: 'sm://acme-prod/db-url' });
    assert.deepEqual(web.deploy, { min_instances: 1, max_instances: 3 });
    assert.equal(web.labels?.['managed-by'], 'product-os-blueprint');
    assert.deepEqual(target.deploys[1].deploy, { cpu: '1', memory: '512Mi' });
    const second = await tool('infra.apply_blueprint', { blueprint: blueprint(), source: 'infra.yaml' });
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.deepEqual((second.output as ApplyBlueprintOutput).changes.map((c) => c.action), ['unchanged', 'unchanged']);
    assert.equal(target.deploys.length, 2, 'the second apply deployed nothing');
  });

  it('a changed image and env update only that service, keeping options the blueprint does not declare', async () => {
    await target.deploy({ ...target.deploys[0], deploy: { ...target.deploys[0].deploy, timeout_seconds: 30 } }, { signal: new AbortController().signal, progress: async () => {}, log: async () => {} });
    const before = target.deploys.length;
    const run = await tool('infra.apply_blueprint', { blueprint: blueprint('ghcr.io/acme/web:1.1.0', 'debug') });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const out = run.output as ApplyBlueprintOutput;
    assert.deepEqual(out.changes.map((c) => [c.service, c.action]), [['web', 'update'], ['worker', 'unchanged']]);
    assert.deepEqual(out.changes[0].fields, [
      { field: 'image', change: 'change', from: 'ghcr.io/acme/web:1.0.0', to: 'ghcr.io/acme/web:1.1.0' },
      { field: 'env.LOG_LEVEL', change: 'change' },
    ]);
    assert.ok(out.changes[0].revision, 'the applied revision is reported');
    assert.equal(target.deploys.length, before + 1);
    assert.equal(target.deploys.at(-1)!.deploy.timeout_seconds, 30, 'an option the blueprint is silent on is kept');
  });

  it('a failed deploy says which services were applied before it and which were not touched', async () => {
    target.failOn.add('worker');
    try {
      const bp = blueprint('ghcr.io/acme/web:2.0.0');
      bp.services[1].image = 'ghcr.io/acme/worker:2.0.0';
      const run = await tool('infra.apply_blueprint', { blueprint: bp });
      assert.equal(run.status, 'failed');
      assert.match(run.error!.message, /update of worker failed: revision of worker never became healthy.*Applied before it: web \(revision web-\d+\)/);
    } finally {
      target.failOn.clear();
    }
  });

  it('the tools refuse an invalid blueprint at its JSON pointer before touching the target', async () => {
    const before = target.deploys.length;
    const bp = blueprint();
    (bp.services[0].scaling as Record<string, number>).min_instances = 9;
    const run = await tool('infra.apply_blueprint', { blueprint: bp });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'invalid_input');
    assert.match(run.error!.message, /\/blueprint\/services\/0\/scaling\/min_instances: min_instances \(9\) is above max_instances \(3\)/);
    assert.equal(target.deploys.length, before);
  });

  it('product-os blueprint apply prints the diff first, applies, and the second time changes nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'infra.yaml');
    fs.writeFileSync(file, `version: 1\nregion: europe-west1\nservices:\n  - name: api\n    image: ghcr.io/acme/api:1.0.0\n    env:\n      MODE: live\n    scaling:\n      max_instances: 2\n`);
    const dry = await cli(['blueprint', 'apply', '--dry-run', file]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /1 to create/);
    assert.match(dry.stdout, /\+ create api \(europe-west1\)\n {4}\+ image: ghcr\.io\/acme\/api:1\.0\.0\n {4}\+ env\.MODE \(value not shown\)\n {4}\+ max_instances: 2/);
    assert.match(dry.stdout, /not in the blueprint \(left as they are\): web \(europe-west1\), worker \(europe-west1\)/);
    assert.match(dry.stdout, /dry run: nothing applied/);
    assert.equal(target.services_.has('api@europe-west1'), false);
    const applied = await cli(['blueprint', 'apply', file]);
    assert.equal(applied.status, 0, applied.stderr);
    assert.ok(applied.stdout.indexOf('+ create api') < applied.stdout.indexOf('applied (run '), 'the diff comes before the result');
    assert.match(applied.stdout, /applied \(run [0-9a-f-]+\):\n\+ create api \(europe-west1\) → revision api-00001/);
    const again = await cli(['blueprint', 'apply', file]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 to create, 0 to update, 1 unchanged/);
    assert.match(again.stdout, /nothing to change/);
    assert.equal(target.services_.get('api@europe-west1')!.revisions.length, 1);
  });

  it('product-os blueprint apply refuses a bad file with its line and pointer (exit 2), sending nothing', async () => {
    const file = path.join(tempDir(), 'bad.yaml');
    fs.writeFileSync(file, `version: 1\nservices:\n  - name: Api_Server\n    image: x:1\n`);
    const before = target.deploys.length;
    const r = await cli(['blueprint', 'apply', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.yaml:3: \/services\/0\/name: /);
    assert.equal(target.deploys.length, before);
  });
});
