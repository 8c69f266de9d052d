/**
 * marketing.generate_channel_posts on the local model (in-process while the tool's remote
 * executor URL is not configured): loads the brand profile, asks the model for each
 * channel's posts as schema-constrained JSON, checks every post in code
 * (backend/marketing/post-checks.ts) and has a post that breaks a rule rewritten, a bounded
 * number of times, telling the model what broke. A post still breaking a rule after that is
 * returned flagged with its violations, never as clean.
 *
 * Only counts are logged: the prompt and the model's drafts live for the call (the validated
 * result is the user's artifact, stored as the run's output).
 */
import type { LocalHandler } from '../executors/local';
import type { ExecutionContext } from '../executors/executor';
import type { GenerateRequest, LlmProvider } from '../llm/provider';
import { ModelOutputError } from '../llm/schema-output';
import { ProductOsError } from '../errors';
import { getBrand, type BrandRow } from '../store/brand';
import type { Queryable } from '../store/db';
import type { Channel, ChannelPosts, ChannelPostsInput, DraftedPost, PostViolation } from '../../contracts/tools/marketing';
import { channelLimit } from '../marketing/channel-limits';
import { checkPost, normalizeForMatch, type Draft, type PostRules } from '../marketing/post-checks';
import { assemble, batchDrafts, batchMessages, batchSchema, brandVoice, retryMessages, singleSchema, type BrandVoice } from '../marketing/draft-prompt';

/** Drafts the model may write for one post: the first and two rewrites. */
export const MAX_ATTEMPTS = 3;
/** Tokens one call may spend, whatever the channel's limit (a Facebook post may be 63 206 characters). */
const MAX_TOKENS_PER_CALL = 4096;

/** Reads a brand profile: the local store's by default; the configured brand store's (Firestore) when main.ts wires one. */
export type LoadProfile = (q: Queryable, profileId: string) => Promise<BrandRow | null>;

export const channelPostsHandler = (loadProfile: LoadProfile = getBrand): LocalHandler => async (input: ChannelPostsInput, ctx) => {
  const profile = await loadProfile(ctx.db, input.brand_profile_id);
  if (!profile) {
    throw new ProductOsError('not_found', `no brand profile "${input.brand_profile_id}": fill it in the Company Brain panel or call brand.update_profile before drafting posts`);
  }
  const llm = await ctx.llm();
  const voice = brandVoice(profile.brand);
  const n = input.variations_per_channel ?? 3;
  const channels = [...new Set(input.channels)];
  const out: ChannelPosts = { channels: [], brand_profile_version: profile.version, flagged: 0 };

  for (const [i, channel] of channels.entries()) {
    ctx.signal.throwIfAborted();
    await ctx.progress({ progress: i, total: channels.length, message: `drafting ${channel} posts` });
    const rules: PostRules = {
      maxLength: channelLimit(channel, input.constraints?.max_length),
      emojiLevel: input.constraints?.emoji_level ?? 'light',
      includeHashtags: input.constraints?.include_hashtags ?? true,
      forbiddenClaims: voice.forbiddenClaims,
      dont: voice.dont,
    };
    const posts = await draftChannel(llm, ctx, { voice, input, channel, rules, n });
    const flagged = posts.filter((p) => p.flagged).length;
    const rewrites = posts.reduce((s, p) => s + (p.attempts ?? 1) - 1, 0);
    out.channels.push({ channel, posts, max_length: rules.maxLength });
    out.flagged = (out.flagged ?? 0) + flagged;
    await ctx.log(flagged > 0 ? 'warn' : 'info', `${channel}: ${posts.length} posts drafted, ${rewrites} rewritten, ${flagged} still breaking a rule (flagged)`, {
      channel,
      posts: posts.length,
      rewrites,
      flagged,
    });
  }
  await ctx.progress({ progress: channels.length, total: channels.length, message: 'done' });
  return out;
};

interface ChannelJob {
  voice: BrandVoice;
  input: ChannelPostsInput;
  channel: Channel;
  rules: PostRules;
  n: number;
}

async function draftChannel(llm: LlmProvider, ctx: ExecutionContext, job: ChannelJob): Promise<DraftedPost[]> {
  const { voice, input, channel, rules, n } = job;
  const tokens = Math.min(MAX_TOKENS_PER_CALL, 64 + Math.ceil(rules.maxLength / 2.5) + 40);
  const ask = async (req: Omit<GenerateRequest, 'signal'>): Promise<unknown> => {
    let r;
    try {
      r = await llm.generate({ ...req, signal: ctx.signal });
    } catch (err) {
      // An answer that is not the JSON asked for (cut at its token limit, or a server that does
      // not enforce the schema) is a malformed draft, rewritten like any other, not the end of
      // the run. Its tokens were metered by the provider's wrapper.
      if (err instanceof ModelOutputError) return null;
      throw err;
    }
    return r.json !== undefined ? r.json : parseOrNull(r.text);
  };

  const batch = batchDrafts(await ask({ messages: batchMessages(voice, input.brief, channel, rules, n), schema: batchSchema(rules, n), maxTokens: Math.min(MAX_TOKENS_PER_CALL, tokens * n) })) ?? [];
  const kept: string[] = [];
  const posts: DraftedPost[] = [];
  for (let slot = 0; slot < n; slot++) {
    let draft = slot < batch.length ? assemble(batch[slot]) : null;
    let violations: PostViolation[] = draft ? checkPost(draft, rules, kept) : [malformed(slot < batch.length)];
    let attempts = 1;
    while (violations.length > 0 && attempts < MAX_ATTEMPTS) {
      ctx.signal.throwIfAborted();
      attempts++;
      const again = await ask({ messages: retryMessages(voice, input.brief, channel, rules, draft?.text ?? '', violations), schema: singleSchema(rules), maxTokens: tokens, temperature: 0.9 });
      draft = assemble(again);
      violations = draft ? checkPost(draft, rules, kept) : [malformed(true)];
    }
    if (draft) kept.push(normalizeForMatch(draft.text));
    posts.push(post(draft, violations, attempts));
  }
  return posts;
}

function post(draft: Draft | null, violations: PostViolation[], attempts: number): DraftedPost {
  return { text: draft?.text ?? '', hashtags: draft?.hashtags ?? [], flagged: violations.length > 0, violations, attempts };
}

function malformed(answered: boolean): PostViolation {
  return { rule: 'malformed', detail: answered ? 'the model\'s answer was not a post ({"text", "hashtags"})' : 'the model wrote fewer posts than asked' };
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
