import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import { DEMO_BRAND } from '../../backend/demo';
import { callRoute } from '../../contracts/client';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { canaryMarker, findCanaries } from '../helpers/canary';
import { freshDatabase } from '../helpers/postgres';
import type { GenerateRequest } from '../../backend/llm/provider';
import type { ChannelPosts } from '../../contracts/tools/marketing';

/**
 * Token counts only, on marketing.generate_channel_posts (real PostgreSQL, verbose logs): the
 * drafts the model wrote and the checks threw away (one that is not JSON, one that made a
 * forbidden claim) and the tool's prompt template are in no pg_dump, table row, backend log
 * line or data-folder file. The brief and the brand (the user's) and the post kept (the result)
 * are stored.
 */
const NOT_JSON_MARKER = canaryMarker('notjson');
const REJECTED_MARKER = canaryMarker('rejected');
const TEMPLATE = ['in its voice. Answer with JSON only.', 'Previous draft (do not repeat its mistakes):'];
const userText = (req: GenerateRequest) => req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');

describe('canary: campaign drafts keep only the posts returned (real PostgreSQL)', function () {
  this.timeout(120_000);
  let backend: Backend;
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  const logs: string[] = [];
  const llm = new ScriptedLlm([
    // The batch answer is not JSON: a malformed draft, rewritten.
    `Sure! Here are posts ${NOT_JSON_MARKER}`,
    // The rewrite makes a forbidden claim: rewritten again, the model told what broke.
    { json: { text: `The #1 note app for you. ${REJECTED_MARKER}`, hashtags: ['notes'] } },
    (req) => {
      assert.ok(userText(req).includes(REJECTED_MARKER), 'the model was shown the draft it has to fix');
      return { json: { text: 'Write notes in half the time.', hashtags: ['notes'] } };
    },
  ]);

  before(async () => {
    db = await freshDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posts-canary-data-'));
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', DATABASE_URL: db.url, DEBUG_REDACTED_MODE: 'false' },
      overrides: { dataDir, port: 0 },
      llm,
      stderr: (l) => logs.push(l),
    });
    await backend.listen();
  });

  after(async () => {
    await backend?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('drafts one clean post after two thrown-away drafts, and no marker or template line is kept', async () => {
    const conn = { url: backend.url!, token: backend.token };
    const run = async (tool: string, input: Record<string, unknown>) => callRoute(conn, 'waitRun', { params: { id: (await callRoute(conn, 'createRun', { body: { tool, input } })).id }, query: { timeoutMs: 60_000 } });
    assert.equal((await run('brand.update_profile', { profile_id: 'default', patch: DEMO_BRAND })).status, 'succeeded');
    const posts = await run('marketing.generate_channel_posts', {
      brand_profile_id: 'default',
      brief: { goal: 'trial signups', product: 'Lumen Notes', audience: 'solo founders', key_points: ['write notes in half the time'] },
      channels: ['linkedin'],
      variations_per_channel: 1,
    });
    assert.equal(posts.status, 'succeeded', JSON.stringify(posts.error));
    const out = posts.output as ChannelPosts;
    assert.deepEqual(out.channels[0]!.posts.map((p) => [p.text, p.attempts, p.flagged]), [['Write notes in half the time.\n\n#notes', 3, false]]);
    assert.equal(llm.requests.length, 3);
    for (const line of TEMPLATE) assert.ok(llm.requests.some((r) => r.messages.some((m) => m.content.includes(line))), `the template still says "${line}"`);

    await backend.close();
    const dump = execFileSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const pg = await import('pg');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const found = await findCanaries([NOT_JSON_MARKER, REJECTED_MARKER, ...TEMPLATE], {
        db: { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows } as never,
        logs: [...logs, dump],
        folders: [dataDir],
      });
      assert.deepEqual(found, []);
    } finally {
      await client.end();
    }
    assert.ok(logs.some((l) => l.includes('linkedin: 1 posts drafted, 2 rewritten')), 'the run logged its counts (verbose)');
    assert.ok(dump.includes('Write notes in half the time.'), 'the post returned is stored as the run\'s output');
    assert.ok(dump.includes('trial signups'), 'the brief (the user\'s input) is stored');
  });
});
