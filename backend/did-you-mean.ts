import { distance } from 'fastest-levenshtein';

/**
 * The known name a mistyped one was most likely meant to be: a close spelling (a few edits,
 * more for longer names), or the same tool without its module ("get_profile" for
 * "brand.get_profile"). None when nothing is close, so a wild guess is never offered.
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const bare = c.slice(c.indexOf('.') + 1);
    const score = Math.min(distance(wanted, c), bare === wanted ? 0.5 : distance(wanted, bare) + 0.5);
    if (score <= Math.max(2, Math.floor(wanted.length / 4)) && (!best || score < best.score)) best = { name: candidate, score };
  }
  return best?.name;
}
