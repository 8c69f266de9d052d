/**
 * The rules a drafted post is held to, checked in code (a model's promise to follow them is
 * not a check): length, emoji count, hashtags, the brand's forbidden claims and `dont` list,
 * duplicates within a channel. Phrase matching ignores case, accents and punctuation, and
 * matches whole words only, so "Guaranteed productivity-gains!" breaks the claim
 * "guaranteed productivity gains" while "guaranteeds" would not.
 */
import type { EmojiLevel, PostViolation } from '../../contracts/tools/marketing';

export interface PostRules {
  /** Characters (code points), hashtags included. */
  maxLength: number;
  emojiLevel: EmojiLevel;
  includeHashtags: boolean;
  forbiddenClaims: readonly string[];
  /** The brand voice's `dont` entries. */
  dont: readonly string[];
}

/** A post as the handler assembled it: the text to publish and the hashtags it carries. */
export interface Draft {
  text: string;
  hashtags: string[];
  /** Hashtags the model proposed that are not valid hashtags (spaces, punctuation, digits only). */
  badHashtags: string[];
}

/** The most emoji a post may carry at each level ("heavy" still has a ceiling: a post is not a row of emoji). */
export const EMOJI_MAX: Readonly<Record<EmojiLevel, number>> = { none: 0, light: 2, medium: 5, heavy: 10 };

/**
 * Normalized for phrase matching: accents stripped, lower case, every run of characters that
 * are not letters or digits one space, padded with a space each side so a phrase matches
 * only at word boundaries.
 */
export function normalizeForMatch(s: string): string {
  const words = s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return ` ${words} `;
}

/** Whether `phrase` occurs in `text` as whole words, ignoring case, accents and punctuation. */
export function containsPhrase(text: string, phrase: string): boolean {
  const p = normalizeForMatch(phrase);
  if (p.trim() === '') return false;
  return normalizeForMatch(text).includes(p);
}

/**
 * What a `dont` entry forbids literally: the terms it quotes ('Jargon like "synergy"' →
 * "synergy"), or, when it quotes none, the entry itself ("world-class"). An instruction such
 * as "Superlatives we cannot prove" is then only matched as written: it still reaches the
 * model in the prompt, but code cannot judge it, and does not pretend to.
 */
export function dontTerms(entry: string): string[] {
  const quoted: string[] = [];
  for (const m of entry.matchAll(/["“”«»„]([^"“”«»„]+)["“”«»„]/gu)) quoted.push(m[1]);
  // Single quotes only around a term (preceded by a start or a space), so the apostrophe in "don't" opens nothing.
  for (const m of entry.matchAll(/(?:^|[\s(])['‘’]([^'‘’]+)['‘’](?=$|[\s).,;:!?])/gu)) quoted.push(m[1]);
  const terms = quoted.length > 0 ? quoted : [entry];
  return terms.map((t) => t.trim()).filter((t) => normalizeForMatch(t).trim() !== '');
}

/** A hashtag a platform links: '#' then letters, digits or '_', at least one of them not a digit. */
const HASHTAG = /(?<![\p{L}\p{N}_&#])#(?=[\p{L}\p{N}_]*[\p{L}_])[\p{L}\p{N}_]+/gu;

export function hashtagsIn(text: string): string[] {
  return [...text.matchAll(HASHTAG)].map((m) => m[0]);
}

/** A proposed tag without its '#'s is valid when it is one word a platform would link. */
export function validTag(tag: string): string | null {
  const bare = tag.trim().replace(/^#+/, '');
  return /^[\p{L}\p{N}_]+$/u.test(bare) && /[\p{L}_]/u.test(bare) ? `#${bare}` : null;
}

/**
 * Emoji as a reader sees them: a pictograph with its variation selector, skin tone and
 * zero-width-joined parts is one; a flag (two regional indicators) is one. ©, ® and ™ count
 * only in their emoji presentation (followed by U+FE0F).
 */
const EMOJI = /(?:\p{RI}\p{RI})|(?:\p{Extended_Pictographic}\uFE0F?\p{EMod}?(?:\u200D\p{Extended_Pictographic}\uFE0F?\p{EMod}?)*)/gu;
const TEXT_SYMBOLS = new Set(['©', '®', '™']);

export function countEmoji(text: string): number {
  let n = 0;
  for (const m of text.matchAll(EMOJI)) if (!(TEXT_SYMBOLS.has(m[0]) && !m[0].includes('\uFE0F'))) n++;
  return n;
}

export const lengthOf = (text: string): number => [...text].length;

/**
 * Every rule `draft` breaks (empty when it is clean). `earlier` holds the normalized texts of
 * the channel's posts already kept, for the duplicate rule.
 */
export function checkPost(draft: Draft, rules: PostRules, earlier: readonly string[] = []): PostViolation[] {
  const out: PostViolation[] = [];
  const text = draft.text;
  if (text.trim() === '') return [{ rule: 'empty', detail: 'the post has no text' }];

  const length = lengthOf(text);
  if (length > rules.maxLength) out.push({ rule: 'max_length', detail: `${length} characters, more than the limit of ${rules.maxLength}` });

  const emoji = countEmoji(text);
  const emojiMax = EMOJI_MAX[rules.emojiLevel];
  if (emoji > emojiMax) out.push({ rule: 'emoji', detail: `${emoji} emoji, more than ${emojiMax} (emoji level "${rules.emojiLevel}")` });

  const tags = hashtagsIn(text);
  if (!rules.includeHashtags && tags.length > 0) out.push({ rule: 'hashtags_not_allowed', detail: `hashtags were not asked for: ${tags.join(' ')}` });
  if (rules.includeHashtags && tags.length === 0) out.push({ rule: 'hashtags_missing', detail: 'hashtags were asked for and the post has none' });
  if (draft.badHashtags.length > 0) out.push({ rule: 'hashtag_format', detail: `not a hashtag a platform links: ${draft.badHashtags.map((t) => JSON.stringify(t)).join(', ')}` });

  for (const claim of rules.forbiddenClaims) {
    if (containsPhrase(text, claim)) out.push({ rule: 'forbidden_claim', detail: `makes the forbidden claim "${claim}"` });
  }
  for (const entry of rules.dont) {
    for (const term of dontTerms(entry)) {
      if (containsPhrase(text, term)) out.push({ rule: 'dont', detail: `uses "${term}" (the brand voice says don't: ${entry})` });
    }
  }

  const key = normalizeForMatch(text);
  if (earlier.includes(key)) out.push({ rule: 'duplicate', detail: 'the same text as another post for this channel' });
  return out;
}
