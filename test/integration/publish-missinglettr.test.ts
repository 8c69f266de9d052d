/**
 * marketing.publish_missinglettr against a local fake of the Missinglettr API (it dedupes
 * nothing itself): retried publishes never post twice, a crash between the request and its
 * record is reconciled, a failure after the provider accepted is reported plainly, and the dry
 * run shows exactly the request a publish sends.
 */
import { strict as assert } from 'node:assert';
import { callRoute } from '../../contracts/client';
import { startBackend, tempDir, type TestBackend } from '../helpers/backend';
import { freshDatabase } from '../helpers/postgres';
import { startFakeMissinglettr, type FakeMissinglettr } from '../helpers/fake-missinglettr';

const campaign = (name = 'Launch week', text = 'We shipped the board you asked for.') => ({
  campaign: { name, posts: [{ channel: 'linkedin', text }, { channel: 'x', text: `${text} #buildinpublic`, link_url: 'https://example.com/launch' }] },
  schedule: { mode: 'now' },
});

describe('marketing.publish_missinglettr (a local Missinglettr)', function () {
  this.timeout(120_000);
  let fake: FakeMissinglettr;
  let db: { url: string; drop(): Promise<void> };
  let backend: TestBackend;
  const env = () => ({ DATABASE_URL: db.url, PRODUCT_OS_MISSINGLETTR_URL: fake.url, MISSINGLETTR_API_TOKEN: fake.token });

  before(async () => {
    fake = await startFakeMissinglettr();
    db = await freshDatabase();
    backend = await startBackend({ env: env() });
  });

  after(async () => {
    await backend?.close();
    await fake?.close();
    await db?.drop();
  });

  beforeEach(() => {
    fake.plan = [];
  });

  const posts = () => fake.requests.filter((r) => r.method === 'POST');

  it('publishes the campaign with the token from its source, and says how it was recorded', async () => {
    const before = posts().length;
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign(), idempotency_key: 'launch-1' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const out = run.output as { provider: string; campaign_id: string; status: string; idempotency_key: string };
    assert.equal(out.provider, 'missinglettr');
    assert.equal(out.status, 'queued');
    assert.equal(out.idempotency_key, 'launch-1');
    assert.equal(posts().length, before + 1);
    const sent = fake.campaigns.find((c) => c.id === out.campaign_id)!;
    assert.deepEqual(sent.body, {
      name: 'Launch week',
      external_id: 'launch-1',
      posts: [{ channel: 'linkedin', text: 'We shipped the board you asked for.' }, { channel: 'x', text: 'We shipped the board you asked for. #buildinpublic', link_url: 'https://example.com/launch' }],
      schedule: { mode: 'now', timezone: 'UTC' },
    });
    assert.equal(posts().at(-1)!.idempotencyKey, 'launch-1');
    // The token reached the provider and nowhere else: not the run, its events or the logs.
    const events = await backend.api('GET', `/api/runs/${run.id}/events`);
    const logs = await backend.api('GET', '/api/logs?limit=500');
    assert.ok(!JSON.stringify([run, events.body, logs.body]).includes(fake.token));
  });

  it('a retried publish with the same key answers from the record and posts nothing', async () => {
    const before = fake.campaigns.length;
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign(), idempotency_key: 'launch-1' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal((run.output as { deduplicated?: boolean }).deduplicated, true);
    assert.equal(fake.campaigns.length, before, 'no second campaign');
  });

  it('the same key with a different campaign is refused, and nothing is posted', async () => {
    const before = posts().length;
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Other'), idempotency_key: 'launch-1' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'conflict');
    assert.match(run.error!.message, /already used for a different campaign/);
    assert.equal(posts().length, before);
  });

  it('an answer lost after the provider created it (500) is looked up, not posted again', async () => {
    fake.plan = ['accept-then-500'];
    const before = fake.campaigns.length;
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Lost answer'), idempotency_key: 'lost-1' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal((run.output as { reconciled?: boolean }).reconciled, true);
    assert.equal(fake.campaigns.length, before + 1, 'exactly one campaign');
    assert.equal(fake.campaigns.filter((c) => c.external_id === 'lost-1').length, 1);
  });

  it('503s before anything was created are retried (after a look-up) until it is created once', async () => {
    fake.plan = ['unavailable', 'unavailable'];
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Busy'), idempotency_key: 'busy-1' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(fake.campaigns.filter((c) => c.external_id === 'busy-1').length, 1);
    assert.equal(posts().filter((p) => p.idempotencyKey === 'busy-1').length, 3);
    assert.equal(fake.requests.filter((r) => r.method === 'GET' && r.path.includes('external_id=busy-1')).length, 2, 'looked up before each retry');
  });

  it('a crash between the request and its record is reconciled by the next publish with the key', async () => {
    fake.plan = ['accept-then-hang'];
    const created = fake.nextCreated();
    const conn = { url: backend.url, token: backend.token };
    const first = await callRoute(conn, 'createRun', { body: { tool: 'marketing.publish_missinglettr', input: { ...campaign('Crash'), idempotency_key: 'crash-1' } } });
    await created; // the provider has it; this backend never hears back
    await backend.close(); // the backend goes away mid-request
    backend = await startBackend({ env: env() });
    const firstNow = await backend.backend.engine.get(first.id);
    assert.notEqual(firstNow.status, 'succeeded', 'the first run never recorded success');
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Crash'), idempotency_key: 'crash-1' });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal((run.output as { reconciled?: boolean }).reconciled, true);
    assert.equal(fake.campaigns.filter((c) => c.external_id === 'crash-1').length, 1, 'posted once');
  });

  it('a campaign the provider accepted and then failed is reported as such, and a retry does not re-post it', async () => {
    fake.plan = ['accept-failed'];
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Revoked'), idempotency_key: 'failed-1' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'executor_failed');
    const id = fake.campaigns.find((c) => c.external_id === 'failed-1')!.id;
    assert.match(run.error!.message, new RegExp(`accepted the campaign \\(id ${id}\\) but reports it failed: the LinkedIn connection was revoked`));
    assert.match(run.error!.message, /new idempotency_key/);
    const again = await backend.tool('marketing.publish_missinglettr', { ...campaign('Revoked'), idempotency_key: 'failed-1' });
    assert.equal(again.status, 'failed');
    assert.equal(again.error?.code, 'executor_failed');
    assert.equal(fake.campaigns.filter((c) => c.external_id === 'failed-1').length, 1);
  });

  it('a refused token says where it came from and what to do, without the token', async () => {
    fake.plan = ['unauthorized'];
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Expired'), idempotency_key: 'expired-1' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'unauthorized');
    assert.match(run.error!.message, /MISSINGLETTR_API_TOKEN.*expired/);
    assert.ok(!run.error!.message.includes(fake.token));
    // Nothing was posted, so the same publish may go once the token is fixed.
    const retry = await backend.tool('marketing.publish_missinglettr', { ...campaign('Expired'), idempotency_key: 'expired-1' });
    assert.equal(retry.status, 'succeeded', JSON.stringify(retry.error));
  });

  it('a campaign the provider refuses is invalid_input with its reason', async () => {
    fake.plan = ['reject'];
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign('Too long'), idempotency_key: 'reject-1' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'invalid_input');
    assert.match(run.error!.message, /refused the campaign \(422\): posts\[0\]\.text: too long for x/);
  });

  it('refuses a scheduled publish in the past, naming the field, before anything is sent or recorded', async () => {
    const before = fake.requests.length;
    const run = await backend.tool('marketing.publish_missinglettr', { ...campaign(), schedule: { mode: 'scheduled', start_time: '2020-01-01T09:00:00Z' }, idempotency_key: 'past-1' });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'invalid_input');
    assert.match(run.error!.message, /schedule\.start_time .* is in the past/);
    assert.equal(fake.requests.length, before);
    const rows = await backend.backend.db.query('SELECT 1 FROM publish_attempts WHERE idempotency_key = $1', ['past-1']);
    assert.equal(rows.length, 0);
  });

  it('the dry run shows exactly the request a publish then sends, without the token, and posts nothing', async () => {
    const input = { ...campaign('Preview me'), schedule: { mode: 'scheduled', start_time: new Date(Date.now() + 86_400_000).toISOString(), timezone: 'Europe/Paris' }, idempotency_key: 'preview-1' };
    const before = fake.requests.length;
    const preview = await backend.tool('marketing.preview_missinglettr', input);
    assert.equal(preview.status, 'succeeded', JSON.stringify(preview.error));
    const p = preview.output as { dry_run: boolean; would: string; token: string; request: { method: string; url: string; headers: Record<string, string>; body: unknown } };
    assert.equal(fake.requests.length, before, 'the dry run sent nothing');
    assert.equal(p.dry_run, true);
    assert.equal(p.would, 'post');
    assert.equal(p.token, 'MISSINGLETTR_API_TOKEN (environment)');
    assert.equal(p.request.url, `${fake.url}/campaigns`);
    assert.ok(!JSON.stringify(p).includes(fake.token));
    const run = await backend.tool('marketing.publish_missinglettr', input);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal((run.output as { status: string }).status, 'scheduled');
    assert.deepEqual(fake.campaigns.at(-1)!.body, p.request.body, 'the publish sent what the dry run showed');
    const after = await backend.tool('marketing.preview_missinglettr', input);
    assert.equal((after.output as { would: string }).would, 'answer_from_record');
  });

  it('without a token it is not_configured, saying which settings to set', async () => {
    const other = await startBackend({ env: { PRODUCT_OS_MISSINGLETTR_URL: fake.url, DATABASE_URL: db.url }, dataDir: tempDir() });
    try {
      const before = fake.requests.length;
      const run = await other.tool('marketing.publish_missinglettr', { ...campaign(), idempotency_key: 'no-token' });
      assert.equal(run.status, 'failed');
      assert.equal(run.error?.code, 'not_configured');
      assert.match(run.error!.message, /PRODUCT_OS_MISSINGLETTR_TOKEN/);
      assert.equal(fake.requests.length, before);
    } finally {
      await other.close();
    }
  });

  it('is medium risk: with approvals on for medium risk it waits, and posts nothing until approved', async () => {
    const other = await startBackend({ env: { ...env(), PRODUCT_OS_MEDIUM_RISK: 'approval' }, dataDir: tempDir() });
    try {
      const conn = { url: other.url, token: other.token };
      const before = posts().length;
      const created = await callRoute(conn, 'createRun', { body: { tool: 'marketing.publish_missinglettr', input: { ...campaign('Approve me'), idempotency_key: 'approve-1' } } });
      assert.equal(created.status, 'awaiting_approval');
      assert.equal(posts().length, before);
      await callRoute(conn, 'approveRun', { params: { id: created.id }, body: {} });
      const done = await callRoute(conn, 'waitRun', { params: { id: created.id }, query: { timeoutMs: 20_000 } });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.equal(posts().length, before + 1);
    } finally {
      await other.close();
    }
  });
});
