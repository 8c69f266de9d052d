/**
 * Each platform's own limit on a post's text, in characters, and a line on what a post there
 * looks like. A campaign's `max_length` can only lower a channel's limit: a 500-character
 * post is no use on X whatever the brief says.
 */
import type { Channel } from '../../contracts/tools/marketing';

interface ChannelStyle {
  /** The platform's limit for the post's text (caption, description or body). */
  limit: number;
  style: string;
}

export const CHANNEL_STYLES: Readonly<Record<Channel, ChannelStyle>> = {
  x: { limit: 280, style: 'X (Twitter): one punchy idea, short sentences' },
  bluesky: { limit: 300, style: 'Bluesky: conversational, one idea' },
  threads: { limit: 500, style: 'Threads: conversational, one or two short paragraphs' },
  mastodon: { limit: 500, style: 'Mastodon: plain and sincere, hashtags help discovery' },
  pinterest: { limit: 500, style: 'Pinterest: a pin description that says what the reader will get' },
  google_business: { limit: 1500, style: 'Google Business Profile: a local update with a clear next step' },
  instagram: { limit: 2200, style: 'Instagram: a caption whose first line hooks, then the detail' },
  tiktok: { limit: 2200, style: 'TikTok: a short caption for a video, first words count most' },
  linkedin: { limit: 3000, style: 'LinkedIn: professional, lead with the outcome, short paragraphs' },
  youtube: { limit: 5000, style: 'YouTube: a video description, first two lines carry the point' },
  facebook: { limit: 63206, style: 'Facebook: friendly, a few short sentences' },
  reddit: { limit: 40000, style: 'Reddit: helpful and plain, no marketing tone, say who you are' },
};

/** The limit a channel's posts are held to: the platform's, lowered by the campaign's `max_length`. */
export function channelLimit(channel: Channel, maxLength: number | undefined): number {
  const own = CHANNEL_STYLES[channel].limit;
  return maxLength === undefined ? own : Math.min(own, maxLength);
}
