import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { freshDatabase } from '../helpers/postgres';
import { DEMO_BRAND } from '../../backend/demo';
import { MAX_ATTEMPTS } from '../../backend/tools/channel-posts';
import type { GenerateRequest } from '../../backend/llm/provider';
import type { ChannelPosts } from '../../contracts/tools/marketing';

/**
 * marketing.generate_channel_posts in-process on a scripted local model: posts drafted per
 * channel, every one checked in code, a post that breaks a rule rewritten (the model told
 * what broke) and, when rewrites run out, returned flagged — never clean.
 */

const brief = { goal: 'trial signups', product: 'Lumen Notes', audience: 'solo founders', key_points: ['write notes in half the time'] };
const isBatch = (req: GenerateRequest) => (req.schema as { required?: string[] } | undefined)?.required?.includes('posts') === true;
const userText = (req: GenerateRequest) => req.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');

describe('marketing.generate_channel_posts on the local model', function () {
  this.timeout(60_000);
  let b: TestBackend;
  let llm: ScriptedLlm;
  let dbs: Array<{ url: string; drop(): Promise<void> }> = [];
  /** A backend on its own database of the test PostgreSQL. */
  const start = async (model?: ScriptedLlm): Promise<TestBackend> => {
    const db = await freshDatabase();
    dbs.push(db);
    return startBackend({ env: { DATABASE_URL: db.url }, ...(model ? { llm: model } : {}) });
  };

  async function withModel(replies: ConstructorParameters<typeof ScriptedLlm>[0]): Promise<void> {
    llm = new ScriptedLlm(replies);
    b = await start(llm);
    const saved = await b.tool('brand.update_profile', { profile_id: 'default', patch: DEMO_BRAND });
    assert.equal(saved.status, 'succeeded', JSON.stringify(saved.error));
  }
  afterEach(async () => {
    await b?.close();
    for (const db of dbs) await db.drop();
    dbs = [];
  });

  const logsOf = async (runId: string): Promise<string> => {
    const res = await b.api<{ lines: Array<{ message: string }> }>('GET', `/api/logs?runId=${runId}&limit=1000`);
    assert.equal(res.status, 200);
    return JSON.stringify(res.body.lines);
  };

  it('rewrites a post that makes a forbidden claim or carries a forbidden emoji, telling the model what broke; clean posts are drafted once', async () => {
    await withModel([
      // x: two variations, the second makes a forbidden claim in another case and punctuation.
      { json: { posts: [{ text: 'Notes in half the time. Try Lumen free.', hashtags: ['notes'] }, { text: 'The #1 NOTE-APP for founders!', hashtags: ['founders'] }] } },
      (req) => {
        assert.ok(!isBatch(req), 'a rewrite asks for one post');
        assert.match(userText(req), /forbidden claim "#1 note app"/);
        assert.match(userText(req), /The #1 NOTE-APP for founders!/);
        return { json: { text: 'Founders write notes in half the time with Lumen.', hashtags: ['founders'] } };
      },
      // linkedin: an emoji at level "none", then the same post without it.
      { json: { posts: [{ text: 'Your notes, done by lunch 🚀', hashtags: ['productivity'] }, { text: 'Plan less, ship more.', hashtags: ['shipping'] }] } },
      (req) => {
        assert.match(userText(req), /1 emoji, more than 0 \(emoji level "none"\)/);
        return { json: { text: 'Your notes, done by lunch.', hashtags: ['productivity'] } };
      },
    ]);
    const run = await b.tool('marketing.generate_channel_posts', {
      brand_profile_id: 'default',
      brief,
      channels: ['x', 'linkedin'],
      variations_per_channel: 2,
      constraints: { emoji_level: 'none' },
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const out = run.output as ChannelPosts;
    assert.equal(out.flagged, 0);
    assert.equal(out.brand_profile_version, 1);
    assert.deepEqual(
      out.channels.map((c) => [c.channel, c.max_length, c.posts.map((p) => [p.text, p.attempts, p.flagged, p.violations?.length])]),
      [
        ['x', 280, [['Notes in half the time. Try Lumen free.\n\n#notes', 1, false, 0], ['Founders write notes in half the time with Lumen.\n\n#founders', 2, false, 0]]],
        ['linkedin', 3000, [['Your notes, done by lunch.\n\n#productivity', 2, false, 0], ['Plan less, ship more.\n\n#shipping', 1, false, 0]]],
      ],
    );
    // Every model call is metered against the run: 2 batches + 2 rewrites.
    const usage = await b.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_usage WHERE run_id = $1', [run.id]);
    assert.equal(usage[0].n, 4);
    // The prompt went out with the brand voice and the brief, schema-constrained, with the channel's limit.
    const first = llm.requests[0];
    assert.ok(first.schema, 'the model is asked for schema-constrained JSON');
    assert.match(first.messages[0].content, /Never claim, in any wording:\n- #1 note app/);
    assert.match(userText(first), /at most 280 characters/);
    assert.match(userText(first), /No emoji at all/);
    // Only counts are logged: neither the drafts nor the prompt reach the logs.
    const logs = await logsOf(run.id);
    assert.match(logs, /x: 2 posts drafted, 1 rewritten, 0 still breaking a rule/);
    assert.doesNotMatch(logs, /NOTE-APP|done by lunch|Never claim/);
  });

  it(`flags a post still too long after ${MAX_ATTEMPTS} drafts, naming the rule; it is never returned clean`, async () => {
    // Within the schema's 120 characters, as a real model's answer must be; its hashtag, put
    // after the text, takes the post past the limit.
    const long = (i: number) => ({ json: { text: `Draft ${i}: ${'long words '.repeat(20)}`.slice(0, 115).trim(), hashtags: ['notes'] } });
    await withModel([{ json: { posts: [long(1).json] } }, long(2), long(3)]);
    const run = await b.tool('marketing.generate_channel_posts', {
      brand_profile_id: 'default',
      brief,
      channels: ['bluesky'],
      variations_per_channel: 1,
      constraints: { max_length: 120, emoji_level: 'light', include_hashtags: true },
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const out = run.output as ChannelPosts;
    const [p] = out.channels[0].posts;
    assert.equal(out.channels[0].max_length, 120);
    assert.equal(p.flagged, true);
    assert.equal(p.attempts, MAX_ATTEMPTS);
    assert.deepEqual(p.violations?.map((v) => v.rule), ['max_length']);
    assert.match(p.violations![0].detail, /more than the limit of 120/);
    assert.equal(out.flagged, 1);
    assert.equal(llm.requests.length, MAX_ATTEMPTS, 'no call beyond the bound');
    assert.match(await logsOf(run.id), /bluesky: 1 posts drafted, 2 rewritten, 1 still breaking a rule \(flagged\)/);
  });

  it('rewrites an unasked-for hashtag, a duplicate and a rewrite that was not a post (as a real provider reports it)', async () => {
    await withModel([
      // Every answer here is one a real model could give: the schema allows no hashtags list
      // when none were asked for, but a '#' in the text is still text.
      { json: { posts: [{ text: 'Notes, fast. #ship', hashtags: [] }, { text: 'notes FAST!', hashtags: [] }, { text: 'A calmer notes app.', hashtags: [] }] } },
      (req) => {
        assert.match(userText(req), /hashtags were not asked for: #ship/);
        return { json: { text: 'Notes, fast.', hashtags: [] } };
      },
      (req) => {
        assert.match(userText(req), /the same text as another post/);
        // Not the JSON asked for: the provider's invalid_output, a malformed draft to rewrite.
        return { json: { body: 'not a post' } };
      },
      (req) => {
        assert.match(userText(req), /was not a post/);
        return { json: { text: 'Write less, decide more.', hashtags: [] } };
      },
    ]);
    const run = await b.tool('marketing.generate_channel_posts', {
      brand_profile_id: 'default',
      brief,
      channels: ['mastodon'],
      variations_per_channel: 3,
      constraints: { include_hashtags: false },
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const posts = (run.output as ChannelPosts).channels[0].posts;
    assert.deepEqual(
      posts.map((p) => [p.text, p.attempts, p.flagged]),
      [
        ['Notes, fast.', 2, false],
        ['Write less, decide more.', 3, false],
        ['A calmer notes app.', 1, false],
      ],
    );
    assert.equal(llm.requests.length, 4);
  });

  it('an answer that is not the JSON asked for (as real providers report it: invalid_output) is a malformed draft, rewritten; the run goes on and the text is in no log', async () => {
    await withModel([
      'Sure! Here are three posts: SECRET-ANSWER-TEXT',
      (req) => {
        assert.match(userText(req), /fewer posts than asked/);
        return 'still not JSON SECRET-ANSWER-TEXT';
      },
      { json: { text: 'Notes, fast.', hashtags: [] } },
      { json: { text: 'Write less, decide more.', hashtags: [] } },
    ]);
    const run = await b.tool('marketing.generate_channel_posts', { brand_profile_id: 'default', brief, channels: ['mastodon'], variations_per_channel: 2, constraints: { include_hashtags: false } });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const posts = (run.output as ChannelPosts).channels[0].posts;
    assert.deepEqual(posts.map((p) => [p.text, p.attempts, p.flagged]), [['Notes, fast.', 3, false], ['Write less, decide more.', 2, false]]);
    assert.equal(llm.requests.length, 4);
    assert.doesNotMatch(await logsOf(run.id), /SECRET-ANSWER-TEXT/);
  });

  it('without a configured model the run fails not_configured, naming the setting; an unknown profile fails not_found before any model call', async () => {
    b = await start();
    const none = await b.tool('brand.update_profile', { profile_id: 'default', patch: DEMO_BRAND });
    assert.equal(none.status, 'succeeded');
    const run = await b.tool('marketing.generate_channel_posts', { brand_profile_id: 'default', brief, channels: ['x'] });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'not_configured');
    assert.match(run.error?.message ?? '', /PRODUCT_OS_LLM/);
    await b.close();

    llm = new ScriptedLlm([]);
    b = await start(llm);
    const missing = await b.tool('marketing.generate_channel_posts', { brand_profile_id: 'nope', brief, channels: ['x'] });
    assert.equal(missing.status, 'failed');
    assert.equal(missing.error?.code, 'not_found');
    assert.match(missing.error?.message ?? '', /no brand profile "nope"/);
    assert.equal(llm.requests.length, 0);
  });
});
