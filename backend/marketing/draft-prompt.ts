/**
 * What the model is asked for a channel's posts, and the JSON shape its answer is held to.
 * The messages live only for the call: nothing here is logged or stored (the token-only rule;
 * the handler logs counts). The brief and the brand profile are the user's own data.
 */
import type { ChatMessage } from '../llm/provider';
import type { JsonSchema } from '../../contracts/json-schema';
import type { CampaignBrief, Channel, PostViolation } from '../../contracts/tools/marketing';
import { CHANNEL_STYLES } from './channel-limits';
import { EMOJI_MAX, hashtagsIn, validTag, type Draft, type PostRules } from './post-checks';

/** The brand profile fields the prompt uses, read defensively (a profile is the user's JSON). */
export interface BrandVoice {
  name: string;
  tone: string[];
  styleNotes: string[];
  do: string[];
  dont: string[];
  audience: string[];
  forbiddenClaims: string[];
  disclaimers: string[];
  complianceNotes: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '') : []);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function brandVoice(brand: Record<string, unknown>): BrandVoice {
  const voice = obj(brand.voice);
  const audience = obj(brand.audience);
  const claims = obj(brand.claims_policy);
  return {
    name: typeof brand.name === 'string' ? brand.name : '',
    tone: strings(voice.tone),
    styleNotes: strings(voice.style_notes),
    do: strings(voice.do),
    dont: strings(voice.dont),
    audience: strings([audience.primary, audience.secondary]),
    forbiddenClaims: strings(claims.forbidden_claims),
    disclaimers: strings(claims.required_disclaimers),
    complianceNotes: strings(claims.compliance_notes),
  };
}

/** Hashtags per post when they are asked for: enough to be found, few enough to read. */
const MAX_TAGS = 5;

const draftSchema = (rules: PostRules): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required: ['text', 'hashtags'],
  properties: {
    text: { type: 'string', minLength: 1, maxLength: rules.maxLength },
    hashtags: { type: 'array', maxItems: rules.includeHashtags ? MAX_TAGS : 0, items: { type: 'string', minLength: 2, maxLength: 60 } },
  },
});

/** `{ posts: [n drafts] }` for the first pass over a channel. */
export function batchSchema(rules: PostRules, n: number): JsonSchema {
  return { type: 'object', additionalProperties: false, required: ['posts'], properties: { posts: { type: 'array', minItems: n, maxItems: n, items: draftSchema(rules) } } };
}

/** One draft, for a regeneration. */
export const singleSchema = draftSchema;

const list = (label: string, items: string[]): string => (items.length > 0 ? `${label}:\n${items.map((i) => `- ${i}`).join('\n')}\n` : '');

function systemMessage(brand: BrandVoice): string {
  return (
    `You write social media posts for ${brand.name || 'a brand'}, in its voice. Answer with JSON only.\n` +
    list('Tone', brand.tone) +
    list('Style notes', brand.styleNotes) +
    list('Do', brand.do) +
    list("Don't", brand.dont) +
    list('Audience', brand.audience) +
    list('Never claim, in any wording', brand.forbiddenClaims) +
    list('Required disclaimers (add one when the post touches what it covers)', brand.disclaimers) +
    list('Compliance notes', brand.complianceNotes)
  );
}

function rulesText(channel: Channel, rules: PostRules): string {
  const emoji = EMOJI_MAX[rules.emojiLevel];
  return (
    `Channel: ${CHANNEL_STYLES[channel].style}.\n` +
    `Each post: at most ${rules.maxLength} characters in "text", counting the hashtags that will be added after it on a new line.\n` +
    (emoji === 0 ? 'No emoji at all.\n' : `At most ${emoji} emoji.\n`) +
    (rules.includeHashtags
      ? `Put 1 to ${MAX_TAGS} hashtags in "hashtags" (one word each, letters, digits or _), not in "text".\n`
      : 'No hashtags: "hashtags" is an empty list and "text" has no "#" tags.\n')
  );
}

function briefText(brief: CampaignBrief): string {
  return (
    `Goal: ${brief.goal}\nProduct: ${brief.product}\nAudience: ${brief.audience}\n` +
    list('Key points', brief.key_points) +
    (brief.offer ? `Offer: ${brief.offer}\n` : '') +
    (brief.call_to_action ? `Call to action: ${brief.call_to_action}\n` : '') +
    (brief.landing_page_url ? `Link: ${brief.landing_page_url}\n` : '')
  );
}

export function batchMessages(brand: BrandVoice, brief: CampaignBrief, channel: Channel, rules: PostRules, n: number): ChatMessage[] {
  return [
    { role: 'system', content: systemMessage(brand) },
    { role: 'user', content: `Write ${n} different post${n === 1 ? '' : 's'} for this campaign.\n${briefText(brief)}${rulesText(channel, rules)}Answer as {"posts":[{"text":"…","hashtags":["…"]}]}.` },
  ];
}

/** A new draft for one post, told what the last one broke so it can avoid it. */
export function retryMessages(brand: BrandVoice, brief: CampaignBrief, channel: Channel, rules: PostRules, previous: string, broke: readonly PostViolation[]): ChatMessage[] {
  return [
    { role: 'system', content: systemMessage(brand) },
    {
      role: 'user',
      content:
        `Write one post for this campaign.\n${briefText(brief)}${rulesText(channel, rules)}` +
        `A previous draft broke these rules:\n${broke.map((v) => `- ${v.detail}`).join('\n')}\n` +
        `Previous draft (do not repeat its mistakes):\n${previous}\n` +
        'Answer as {"text":"…","hashtags":["…"]}.',
    },
  ];
}

/**
 * A model's draft as a post: its tags (valid ones, with their '#') follow the text on a new
 * line unless the text already carries them; invalid ones are kept aside for the
 * hashtag_format rule. Null when the value is not a draft at all.
 */
export function assemble(value: unknown): Draft | null {
  const v = obj(value);
  if (typeof v.text !== 'string' || (v.hashtags !== undefined && !Array.isArray(v.hashtags))) return null;
  const proposed = Array.isArray(v.hashtags) ? v.hashtags.filter((t): t is string => typeof t === 'string') : [];
  const good: string[] = [];
  const bad: string[] = [];
  for (const t of proposed) {
    const tag = validTag(t);
    if (tag) {
      if (!good.some((g) => g.toLowerCase() === tag.toLowerCase())) good.push(tag);
    } else bad.push(t);
  }
  const body = v.text.trim();
  const inText = new Set(hashtagsIn(body).map((t) => t.toLowerCase()));
  // Tags that were not asked for are still added, so the hashtags_not_allowed rule sees them.
  const extra = good.filter((t) => !inText.has(t.toLowerCase()));
  const text = extra.length > 0 ? `${body}\n\n${extra.join(' ')}` : body;
  return { text, hashtags: hashtagsIn(text), badHashtags: bad };
}

/** The drafts of a batch answer, in order; null when it is not `{ posts: [...] }`. */
export function batchDrafts(value: unknown): unknown[] | null {
  const posts = obj(value).posts;
  return Array.isArray(posts) ? posts : null;
}
