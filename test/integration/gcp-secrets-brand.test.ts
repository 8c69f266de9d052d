/**
 * Secrets (Secret Manager references and the editor's secrets) and the Company Brain in
 * Firestore, through the real Node clients: Secret Manager in REST fallback mode against the
 * local fake (test/helpers/fake-gcp.ts), Firestore against @firestore-emulator/server (an
 * emulator in Node, over gRPC as the client speaks to Google). GCP_LIVE_TESTS=1 reads a real
 * secret too.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { stringify, parse } from 'yaml';
import { FirestoreServer } from '@firestore-emulator/server';
import { createBackend, type Backend } from '../../backend/main';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import { ProductOsError } from '../../backend/errors';
import { SecretMask } from '../../backend/secrets/secret-mask';
import { SecretResolver } from '../../backend/secrets/secret-resolver';
import { SecretManagerSource } from '../../backend/secrets/secret-manager';
import { parseHandoff, formatHandoff } from '../../contracts/secrets-handoff';
import { FirestoreBrandStore } from '../../backend/gcp/firestore-brand-store';
import type { LocalHandler } from '../../backend/executors/local';
import type { GcpOverrides } from '../../backend/gcp/client-options';
import { request, tempDir } from '../helpers/backend';
import type { FakeGcp } from '../helpers/fake-gcp';
import { announceLive, FAKE_PROJECT, fakeOverrides, fixedTokenAuth, LIVE, startFake } from '../helpers/gcp-test-env';
import type { Settings } from '@google-cloud/firestore';

async function rejects(p: Promise<unknown>, code: string, ...phrases: RegExp[]): Promise<ProductOsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProductOsError, `expected a ProductOsError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const re of phrases) assert.match(err.message, re);
    return err;
  }
  assert.fail(`expected ${code}`);
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Every file under `dir`, as bytes, for a grep. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('secrets: Secret Manager references and editor secrets', function () {
  this.timeout(60_000);
  let fake: FakeGcp;
  before(async () => {
    announceLive('secrets');
    fake = await startFake();
  });
  after(async () => fake.stop());

  const resolver = (overrides: GcpOverrides = fakeOverrides(fake)) => new SecretResolver(new SecretMask(), new SecretManagerSource({ projectId: FAKE_PROJECT, ...overrides.client }));

  it('reads sm:// references from Secret Manager (latest or a version), once per few minutes, and masks what it read', async () => {
    fake.secrets.set(`${FAKE_PROJECT}/db-password`, 'pa55-from-secret-manager');
    const r = resolver();
    assert.equal(await r.resolve(`sm://${FAKE_PROJECT}/db-password`, 'DB_PASSWORD'), 'pa55-from-secret-manager');
    assert.equal(await r.resolve(`sm://${FAKE_PROJECT}/db-password`, 'DB_PASSWORD'), 'pa55-from-secret-manager');
    assert.equal(fake.calls.filter((c) => c.path.endsWith('/secrets/db-password/versions/latest:access')).length, 1, 'cached');
    await r.resolve(`sm://${FAKE_PROJECT}/db-password/3`, 'DB_PASSWORD');
    assert.ok(fake.calls.some((c) => c.path.endsWith('/secrets/db-password/versions/3:access')));
    assert.equal(r.mask.mask('password=pa55-from-secret-manager;'), 'password=[secret];');
    await r.close();
  });

  it('each failure names the reference and what to do, never a value', async () => {
    const r = resolver();
    await rejects(r.resolve(`sm://${FAKE_PROJECT}/nope`, 'API_KEY'), 'not_found', /Secret Manager: reading secret projects\/fake-project-1\/secrets\/nope\/versions\/latest failed/, /gcloud secrets create nope --project fake-project-1/);
    fake.failNext(/:access$/, 403, 'PERMISSION_DENIED', "Permission 'secretmanager.versions.access' denied for resource");
    await rejects(r.resolve(`sm://${FAKE_PROJECT}/other`, 'API_KEY'), 'permission_denied', /roles\/secretmanager\.secretAccessor/);
    fake.failNext(/:access$/, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric Access requests');
    const q = await rejects(r.resolve(`sm://${FAKE_PROJECT}/other`, 'API_KEY'), 'quota_exceeded', /wait a minute/);
    assert.equal(q.retryable, true);
    const expired = resolver(fakeOverrides(fake, { token: 'ya29.revoked' }));
    await rejects(expired.resolve(`sm://${FAKE_PROJECT}/other`, 'API_KEY'), 'not_configured', /credentials are missing or expired/, /application-default login/);
    await rejects(r.resolve('hunter2-the-value-itself', 'API_KEY'), 'invalid_input', /API_KEY must be a secret reference/, /never the value itself/);
    await rejects(r.resolve('sm://Bad Project/x', 'API_KEY'), 'invalid_input', /sm:\/\/PROJECT\/NAME/);
    await rejects(r.resolve('editor://MISSLETTR', 'API_KEY'), 'not_configured', /has not handed to this backend/, /Store Secret/);
    await Promise.all([r.close(), expired.close()]);
  });

  it('the editor hand-off line: names checked, values strings, nothing echoed', () => {
    assert.deepEqual(parseHandoff(formatHandoff({ A: 'x', 'b.c-d_e': 'y' }).trim()), { A: 'x', 'b.c-d_e': 'y' });
    assert.throws(() => parseHandoff('{"secrets":{"bad name":"v"}}'), /invalid secret/);
    assert.throws(() => parseHandoff('{"secrets":{"A":42}}'), /not a string/);
    assert.throws(() => parseHandoff('not json s3cr3t-value'), (e: Error) => !e.message.includes('s3cr3t'));
  });

  if (LIVE) {
    it('GCP_LIVE_TESTS=1: reads GCP_LIVE_SECRET from the real Secret Manager', async () => {
      const r = new SecretResolver(new SecretMask(), new SecretManagerSource({ projectId: process.env.GOOGLE_CLOUD_PROJECT }));
      assert.ok((await r.resolve(process.env.GCP_LIVE_SECRET!, 'GCP_LIVE_SECRET')).length > 0);
      await r.close();
    });
  }

  it('a unique secret value never reaches the logs, run events, run errors, runs.input, /config/validate, the database or the data folder', async function () {
    this.timeout(180_000); // a whole backend starts (PGlite, migrations): 40-60 s on a loaded machine
    const editorValue = `editor-canary-${Date.now().toString(36)}-Zq9`;
    const smValue = `sm-canary-${Date.now().toString(36)}-Kx7`;
    fake.secrets.set(`${FAKE_PROJECT}/canary`, smValue);
    // A careless tool: prints the values, reports them as progress, and fails quoting them.
    const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
    doc.tools['test.use_secrets'] = {
      title: 'Use secrets',
      description: 'Resolves two secret references and leaks them everywhere it can.',
      module: 'system',
      risk: 'low',
      idempotent: false,
      timeout_seconds: 20,
      executor: { kind: 'local', handler: 'test.use_secrets' },
      inputSchema: { type: 'object', additionalProperties: false, required: ['refs'], properties: { refs: { type: 'array', items: { type: 'string' } } } },
      outputSchema: { type: 'object', additionalProperties: false, properties: {} },
    };
    const registry = path.join(tempDir('product-os-registry-'), 'tool-registry.yaml');
    fs.writeFileSync(registry, stringify(doc));
    let backend: Backend | undefined;
    const handler: LocalHandler = async (input: { refs: string[] }, ctx) => {
      const values = await Promise.all(input.refs.map((ref) => backend!.secrets.resolve(ref, 'test input', ctx.signal)));
      await ctx.log('info', `using ${values.join(' and ')}`, { token: values[0], nested: { also: values[1] } });
      await ctx.progress({ progress: 1, total: 2, message: `sent Authorization: Bearer ${values[1]}` });
      throw new ProductOsError('executor_failed', `provider said: invalid key ${values[0]} / ${values[1]}`, { echoed: values });
    };
    const dataDir = tempDir();
    const stderr: string[] = [];
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_REGISTRY: registry, PRODUCT_OS_STORE: 'pglite', DEBUG_REDACTED_MODE: 'false', GOOGLE_CLOUD_PROJECT: FAKE_PROJECT },
      overrides: { dataDir, port: 0 },
      handlers: new Map([['test.use_secrets', handler]]),
      gcp: fakeOverrides(fake),
      editorSecrets: { PROVIDER_TOKEN: editorValue },
      stderr: (l) => stderr.push(l),
    });
    try {
      const url = await backend.listen();
      const created = await request(url, backend.token, 'POST', '/api/runs', { tool: 'test.use_secrets', input: { refs: ['editor://PROVIDER_TOKEN', `sm://${FAKE_PROJECT}/canary`] } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const run = (await request(url, backend.token, 'GET', `/api/runs/${created.body.id}/wait?timeoutMs=20000`)).body;
      assert.equal(run.status, 'failed');
      assert.match(run.error.message, /invalid key \[secret\] \/ \[secret\]/, 'the error is kept, the values masked');
      const events = (await request(url, backend.token, 'GET', `/api/runs/${run.id}/events`)).body;
      const validate = (await request(url, backend.token, 'GET', '/config/validate')).body;
      const secretsEntry = validate.settings.find((s: { name: string }) => s.name === 'secrets');
      assert.match(secretsEntry.value, /editor:\/\/PROVIDER_TOKEN/, 'names are shown');
      const tables = await backend.db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      let dump = '';
      for (const { table_name } of tables) dump += JSON.stringify(await backend.db.query(`SELECT * FROM "${table_name}"`));
      assert.ok(dump.includes('editor://PROVIDER_TOKEN'), 'runs.input holds the reference');
      const where: Record<string, string> = { 'run record': JSON.stringify(run), 'run events': JSON.stringify(events), '/config/validate': JSON.stringify(validate), 'backend stderr': stderr.join('\n'), 'database dump': dump };
      await backend.close();
      backend = undefined;
      for (const file of filesUnder(dataDir)) where[`data folder ${path.relative(dataDir, file)}`] = fs.readFileSync(file).toString('latin1');
      for (const [place, text] of Object.entries(where)) {
        for (const [name, value] of [['editor secret', editorValue], ['Secret Manager secret', smValue]]) {
          assert.ok(!text.includes(value), `${name} found in ${place}`);
          assert.ok(!text.includes(Buffer.from(value).toString('base64')), `${name} (base64) found in ${place}`);
        }
      }
      assert.ok(stderr.join('\n').includes('using [secret] and [secret]'), 'the log line is kept with the values masked');
    } finally {
      await backend?.close();
    }
  });
});

describe('Company Brain in Firestore (PRODUCT_OS_BRAND_STORE=firestore, Firestore emulator)', function () {
  this.timeout(120_000);
  let emulator: FirestoreServer | undefined;
  let port: number;
  const created: string[] = [];
  before(async () => {
    announceLive('firestore brand', 'the Firestore emulator (@firestore-emulator/server)');
    if (LIVE) return;
    port = await freePort();
    emulator = new FirestoreServer();
    await emulator.start(port);
  });
  after(async () => {
    if (LIVE && created.length > 0) {
      // A live run leaves nothing behind: its profiles and their history go.
      const { Firestore } = await import('@google-cloud/firestore');
      const db = new Firestore(firestoreSettings());
      for (const id of created) await db.recursiveDelete(db.collection('brand_profiles').doc(id));
      await db.terminate();
    }
    await emulator?.stop?.();
  });

  // Live: the project's Firestore (database PRODUCT_OS_FIRESTORE_DATABASE). Emulator: a fixed-token
  // auth client, since without one the client first looks for a metadata server (seconds).
  const firestoreSettings = (): Settings =>
    LIVE
      ? { projectId: process.env.GOOGLE_CLOUD_PROJECT, databaseId: process.env.PRODUCT_OS_FIRESTORE_DATABASE || '(default)' }
      : ({ projectId: FAKE_PROJECT, host: '127.0.0.1', port, ssl: false, authClient: fixedTokenAuth('owner') } as Settings);

  async function brandBackend(store: 'local' | 'firestore') {
    const dataDir = tempDir();
    const backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_STORE: 'pglite', PRODUCT_OS_BRAND_STORE: store, GOOGLE_CLOUD_PROJECT: LIVE ? process.env.GOOGLE_CLOUD_PROJECT : FAKE_PROJECT },
      overrides: { dataDir, port: 0 },
      gcp: { firestore: firestoreSettings() },
      stderr: () => undefined,
    });
    const url = await backend.listen();
    const call = async (tool: string, input: Record<string, unknown>) => {
      const created = await request(url, backend.token, 'POST', '/api/runs', { tool, input });
      return (await request(url, backend.token, 'GET', `/api/runs/${created.body.id}/wait?timeoutMs=20000`)).body;
    };
    return { backend, url, call, get: (p: string) => request(url, backend.token, 'GET', p) };
  }

  /** What a user sees of a sequence of brand calls, without timestamps and run ids. */
  async function story(b: Awaited<ReturnType<typeof brandBackend>>, id: string) {
    const out: unknown[] = [];
    const strip = (run: { status: string; output?: Record<string, unknown>; error?: { code: string } }) =>
      run.status === 'succeeded' ? { status: run.status, output: { ...run.output, updated_at: typeof run.output?.updated_at } } : { status: run.status, code: run.error?.code };
    out.push(strip(await b.call('brand.get_profile', { profile_id: id })));
    out.push(strip(await b.call('brand.update_profile', { profile_id: id, patch: { name: 'Lumen', voice: { tone: ['calm'], style_notes: [], do: ['be brief'], dont: [] } } })));
    out.push(strip(await b.call('brand.update_profile', { profile_id: id, patch: { voice: { tone: ['warm', 'plain'] }, audience: { primary: 'founders' } } })));
    out.push(strip(await b.call('brand.update_profile', { profile_id: id, patch: { voice: { tone: 'not-an-array' } } })));
    out.push(strip(await b.call('brand.get_profile', { profile_id: id })));
    out.push(strip(await b.call('brand.revert_profile', { profile_id: id, version: 1 })));
    out.push(strip(await b.call('brand.revert_profile', { profile_id: id, version: 1 })));
    out.push(strip(await b.call('brand.revert_profile', { profile_id: id, version: 9 })));
    const current = (await b.get(`/api/brand/${id}`)).body;
    out.push({ version: current.version, brand: current.brand });
    const history = (await b.get(`/api/brand/${id}/history`)).body.versions.map((v: { version: number; brand: unknown; changedBy: string; runId: string | null }) => ({ version: v.version, brand: v.brand, changedBy: v.changedBy, hasRun: !!v.runId }));
    out.push(history);
    return out;
  }

  it('the same tools give the same profiles, versions and history as the local store, and the documents are in Firestore', async () => {
    const local = await brandBackend('local');
    const cloud = await brandBackend('firestore');
    try {
      const id = `acme-${Date.now().toString(36)}`;
      created.push(id);
      let t = Date.now();
    const a = await story(local, id);
    const localMs = Date.now() - t;
    t = Date.now();
    const b = await story(cloud, id);
    console.log(`      (the same 8 brand runs: local store ${localMs} ms, Firestore emulator ${Date.now() - t} ms)`);
      assert.deepEqual(b, a);
      // v1, v2, a refused patch, a revert to v1 (v3), a revert that changes nothing, one to no such version.
      assert.equal((a[a.length - 2] as { version: number }).version, 3);
      // Not in the local tables: in Firestore.
      assert.equal((await cloud.backend.db.query('SELECT 1 FROM brand_profiles WHERE profile_id = $1', [id])).length, 0);
      const direct = new FirestoreBrandStore(firestoreSettings());
      const row = await direct.get(null, id);
      assert.equal(row?.version, 3);
      assert.equal((await direct.history(null, id)).length, 3);
      await direct.close();
    } finally {
      await local.backend.close();
      await cloud.backend.close();
    }
  });

  it('a save against a stale version writes nothing (optimistic check in a Firestore transaction); bad ids are refused', async () => {
    const store = new FirestoreBrandStore(firestoreSettings());
    const id = `race-${Date.now().toString(36)}`;
    created.push(id);
    const brand = { name: 'x', voice: { tone: [], style_notes: [], do: [], dont: [] }, audience: {}, claims_policy: {} };
    assert.equal((await store.save(null, id, 0, brand, 'test', null))?.version, 1);
    assert.equal(await store.save(null, id, 0, brand, 'test', null), null, 'create lost the race');
    assert.equal((await store.save(null, id, 1, { ...brand, name: 'y' }, 'test', 'run-1'))?.version, 2);
    assert.equal(await store.save(null, id, 1, { ...brand, name: 'z' }, 'test', null), null, 'stale update');
    assert.equal(((await store.get(null, id))?.brand as { name: string }).name, 'y');
    assert.deepEqual((await store.history(null, id)).map((h) => [h.version, h.runId]), [[2, 'run-1'], [1, null]]);
    await rejects(store.get(null, 'a/b'), 'invalid_input', /cannot be a Firestore document id/);
    await store.close();
  });
});
