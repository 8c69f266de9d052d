/**
 * marketing.publish_missinglettr and its dry run, marketing.preview_missinglettr, declared
 * once: the campaign both take (the seed's input schema), what a publish returns (the seed's
 * output plus optional fields saying how the answer was reached), and the exact request a
 * preview shows. test/unit/tool-contracts.test.ts holds each equal to the registry.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS } from './marketing';

const Closed = { additionalProperties: false } as const;
/** A one-value enum, spelled as the registry spells it (`enum: [x]`). */
const Only = <T extends string | boolean>(v: T) => Type.Unsafe<T>({ type: typeof v, enum: [v] });

export const PublishPost = Type.Object(
  {
    channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
    text: Type.String(),
    media_urls: Type.Optional(Type.Array(Type.String())),
    link_url: Type.Optional(Type.String()),
  },
  Closed,
);

export const PublishInput = Type.Object(
  {
    campaign: Type.Object({ name: Type.String(), posts: Type.Array(PublishPost, { minItems: 1 }) }, Closed),
    schedule: Type.Object(
      {
        mode: Type.Union([Type.Literal('now'), Type.Literal('scheduled')]),
        start_time: Type.Optional(Type.String({ description: 'ISO timestamp required if mode=scheduled.' })),
        timezone: Type.Optional(Type.String({ default: 'UTC' })),
      },
      Closed,
    ),
    idempotency_key: Type.Optional(Type.String({ description: 'Optional idempotency key to prevent duplicates.' })),
  },
  Closed,
);
export type PublishInput = Static<typeof PublishInput>;

export const PublishOutput = Type.Object(
  {
    provider: Only('missinglettr' as const),
    campaign_id: Type.String(),
    status: Type.Union([Type.Literal('queued'), Type.Literal('scheduled'), Type.Literal('published'), Type.Literal('failed')]),
    provider_response: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'Raw provider response (redacted as needed).' })),
    /** The key the publish was recorded under (the caller's, or one made from the run). */
    idempotency_key: Type.Optional(Type.String()),
    /** answered from the record of an earlier publish with this key: nothing was posted again. */
    deduplicated: Type.Optional(Type.Boolean()),
    /** found at the provider after an earlier call's answer was lost (a crash or a timeout): nothing was posted again. */
    reconciled: Type.Optional(Type.Boolean()),
  },
  Closed,
);
export type PublishOutput = Static<typeof PublishOutput>;

export const PublishPreview = Type.Object(
  {
    provider: Only('missinglettr' as const),
    dry_run: Only(true as const),
    /** Exactly what a publish would send; the token is named by where it comes from, never shown. */
    request: Type.Object(
      {
        method: Only('POST' as const),
        url: Type.String(),
        headers: Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } }),
        body: Type.Unsafe<Record<string, unknown>>({ type: 'object' }),
      },
      Closed,
    ),
    /** What a publish with this key would do now: post, answer from the record, or refuse. */
    would: Type.Union([Type.Literal('post'), Type.Literal('answer_from_record'), Type.Literal('refuse_key_reused')]),
    token: Type.String({ description: 'where the token would come from (a reference or a setting name), or what is missing' }),
    warnings: Type.Array(Type.String()),
  },
  Closed,
);
export type PublishPreview = Static<typeof PublishPreview>;
