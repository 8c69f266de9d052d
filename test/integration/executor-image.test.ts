/**
 * The remote executor's image, built with the repository's Dockerfile (on a base made here from
 * this host's Node: nothing is pulled) and run the way Cloud Run runs it — read-only root but
 * /tmp, non-root user, configuration from the environment — then called as a remote executor by
 * a control plane in this process: ID tokens from a local metadata server, checked inside the
 * container against local certificates; no token gets 401.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import { startBackend, tempDir, type TestBackend } from '../helpers/backend';
import { dockerCli } from '../helpers/docker';
import { freshDatabase } from '../helpers/postgres';
import { startFakeGoogleIdentity, type FakeGoogleIdentity } from '../helpers/fake-google-identity';

const ROOT = path.resolve(__dirname, '../..');
const TAG = `product-os/executor:test-${process.pid}`;
const LABEL = `product-os.test=executor-image-${process.pid}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The bundled registry with the brand tools pointed at `url` (what PRODUCT_OS_EXECUTOR_URLS does in production). */
function registryPointingAt(url: string): string {
  const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  for (const name of ['brand.get_profile', 'brand.update_profile']) doc.tools[name].executor.url = url;
  const file = path.join(tempDir('product-os-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}

describe('executor image (Dockerfile) as a remote executor', function () {
  this.timeout(900_000);
  let identity: FakeGoogleIdentity;
  let db: { url: string; drop(): Promise<void> };
  let control: TestBackend | undefined;
  let container: string | undefined;
  let url: string;

  before(async () => {
    const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-executor-image.mjs'), '--local-base', '--tag', TAG], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    if (built.status !== 0) throw new Error(`the executor image did not build (it needs a Docker engine and \`npm run build\`): ${built.error?.message ?? `exit ${built.status}`}\n${built.stderr}`);
    identity = await startFakeGoogleIdentity();
    db = await freshDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // Host network: the container reaches the test PostgreSQL and certificates on 127.0.0.1, and
    // listens on 127.0.0.1 only.
    container = dockerCli([
      'run', '-d', '--network', 'host', '--read-only', '--tmpfs', '/tmp:rw,mode=1777', '--label', LABEL,
      '-e', 'PRODUCT_OS_HOST=127.0.0.1', '-e', `PRODUCT_OS_PORT=${port}`, '-e', `DATABASE_URL=${db.url}`,
      '-e', `PRODUCT_OS_EXECUTOR_AUDIENCE=${url}`, '-e', `PRODUCT_OS_EXECUTOR_INVOKERS=${identity.email}`, '-e', `PRODUCT_OS_EXECUTOR_CERTS_URL=${identity.certsUrl}`,
      TAG,
    ]).trim();
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the executor container did not answer /health in 120 s:\n${dockerCli(['logs', container], 10_000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    await control?.close();
    if (container) spawnSync('docker', ['rm', '-f', container], { timeout: 60_000 });
    spawnSync('docker', ['rmi', '-f', TAG], { timeout: 60_000 });
    await identity?.close();
    await db?.drop();
  });

  it('runs as a non-root user from the Dockerfile, serving product-os serve --role executor', async () => {
    const config = JSON.parse(dockerCli(['image', 'inspect', '--format', '{{json .Config}}', TAG]));
    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '/app/cli.js', 'serve', '--role', 'executor']);
    const health = (await (await fetch(`${url}/health`)).json()) as { role: string };
    assert.equal(health.role, 'executor');
  });

  it('answers 401 without an ID token, and 401 to one signed by another key', async () => {
    const body = JSON.stringify({ runId: 'r', attempt: 1, input: { profile_id: 'acme' } });
    const none = await fetch(`${url}/execute/brand/get_profile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(none.status, 401);
    const foreign = identity.sign({ aud: url, sub: '1', email: identity.email, email_verified: true }, identity.foreignKey);
    const refused = await fetch(`${url}/execute/brand/get_profile`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${foreign}` }, body });
    assert.equal(refused.status, 401);
  });

  it('serves a control plane: a brand profile written and read back through the container', async () => {
    const saved = { GCE_METADATA_HOST: process.env.GCE_METADATA_HOST, METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION };
    process.env.GCE_METADATA_HOST = identity.metadataHost;
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
    const controlDb = await freshDatabase();
    try {
      control = await startBackend({ env: { DATABASE_URL: controlDb.url, PRODUCT_OS_REGISTRY: registryPointingAt(url) } });
      const written = await control.tool('brand.update_profile', { profile_id: 'acme', patch: { voice: { tone: ['plain'] } } });
      assert.equal(written.status, 'succeeded', JSON.stringify(written.error));
      const read = await control.tool('brand.get_profile', { profile_id: 'acme' });
      assert.equal(read.status, 'succeeded', JSON.stringify(read.error));
      assert.ok(identity.minted >= 1, 'the control plane got its token from the metadata server');
      // The profile lives in the executor's store, not the control plane's.
      const local = await control.backend.db.query<{ n: string }>('SELECT count(*)::text AS n FROM brand_profiles');
      assert.equal(local[0].n, '0');
    } finally {
      await control?.close();
      control = undefined;
      await controlDb.drop();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
