/**
 * marketing.generate_channel_posts, declared once: the campaign input the Insights panel
 * builds and the drafted posts it draws (the registry's inputSchema and outputSchema, which
 * test/unit/tool-contracts.test.ts holds equal to these).
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;
const Strings = Type.Array(Type.String());

export const CHANNELS = ['x', 'linkedin', 'facebook', 'instagram', 'tiktok', 'youtube', 'pinterest', 'reddit', 'google_business', 'mastodon', 'bluesky', 'threads'] as const;
export const Channel = Type.Union(CHANNELS.map((c) => Type.Literal(c)));
export type Channel = Static<typeof Channel>;

export const EMOJI_LEVELS = ['none', 'light', 'medium', 'heavy'] as const;
export const EmojiLevel = Type.Union(EMOJI_LEVELS.map((l) => Type.Literal(l)), { default: 'light' });
export type EmojiLevel = Static<typeof EmojiLevel>;

export const CampaignBrief = Type.Object(
  {
    goal: Type.String(),
    product: Type.String(),
    audience: Type.String(),
    key_points: Type.Array(Type.String(), { minItems: 1 }),
    offer: Type.Optional(Type.String()),
    call_to_action: Type.Optional(Type.String()),
    landing_page_url: Type.Optional(Type.String()),
  },
  Closed,
);
export type CampaignBrief = Static<typeof CampaignBrief>;

export const PostConstraints = Type.Object(
  {
    max_length: Type.Optional(Type.Integer({ minimum: 50, maximum: 4000 })),
    emoji_level: Type.Optional(EmojiLevel),
    include_hashtags: Type.Optional(Type.Boolean({ default: true })),
  },
  Closed,
);
export type PostConstraints = Static<typeof PostConstraints>;

export const ChannelPostsInput = Type.Object(
  {
    brand_profile_id: Type.String(),
    brief: CampaignBrief,
    channels: Type.Array(Channel, { minItems: 1 }),
    variations_per_channel: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3 })),
    constraints: Type.Optional(PostConstraints),
  },
  Closed,
);
export type ChannelPostsInput = Static<typeof ChannelPostsInput>;

/** The rules a drafted post is checked against in code (backend/marketing/post-checks.ts). */
export const POST_RULES = ['malformed', 'empty', 'max_length', 'emoji', 'hashtags_missing', 'hashtags_not_allowed', 'hashtag_format', 'forbidden_claim', 'dont', 'duplicate'] as const;
export const PostRule = Type.Union(POST_RULES.map((r) => Type.Literal(r)));
export type PostRule = Static<typeof PostRule>;

export const PostViolation = Type.Object({ rule: PostRule, detail: Type.String() }, Closed);
export type PostViolation = Static<typeof PostViolation>;

export const DraftedPost = Type.Object(
  {
    text: Type.String(),
    title: Type.Optional(Type.String()),
    alt_text: Type.Optional(Type.String()),
    hashtags: Type.Optional(Strings),
    media_suggestions: Type.Optional(Strings),
    flagged: Type.Optional(Type.Boolean()),
    violations: Type.Optional(Type.Array(PostViolation)),
    attempts: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  Closed,
);
export type DraftedPost = Static<typeof DraftedPost>;

export const ChannelPosts = Type.Object(
  {
    channels: Type.Array(
      Type.Object({ channel: Type.String(), posts: Type.Array(DraftedPost), max_length: Type.Optional(Type.Integer({ minimum: 1 })) }, Closed),
    ),
    brand_profile_version: Type.Optional(Type.Integer({ minimum: 1 })),
    flagged: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  Closed,
);
export type ChannelPosts = Static<typeof ChannelPosts>;
