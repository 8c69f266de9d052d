/**
 * Online template mining over masked messages.
 *
 * After masking (masker.ts), the only open question is which of the remaining plain words
 * are variables. Drain answers it with a similarity threshold: two lines of the same length
 * sharing, say, half their words are one template. That threshold is a per-dataset knob, and
 * no single value fits: "session closed for user cyrus" / "… news" (one template) and
 * "<*> open through proxy <*> HTTPS" / "… SOCKS5" (two templates) are equally similar.
 *
 * This miner asks a question that does not depend on the dataset: in one position, with
 * every other word of the line identical, how many DIFFERENT words have been seen? A
 * constant that tells templates apart comes from a small closed set (startup/shutdown,
 * HTTPS/SOCKS5, admin/root); a variable keeps producing new values. So:
 *
 * 1. Online, per line: a message seen before (hash lookup) or covered by a general template
 *    (trie lookup, trie.ts) joins its cluster. Any other message starts a cluster, and each of
 *    its positions is entered in a "hole index": the message with that word cut out → the
 *    words seen in the hole. When a hole has collected `minDistinct` (3) different words, the
 *    clusters under it merge into one template with `<*>` there (2 words are enough when one
 *    of them is a whole masked value, `<*>`: the position is known to carry data). Merged
 *    templates are indexed the same way, so several variables are found one at a time.
 * 2. Refinement, at the end and every REFINE_EVERY new clusters: templates whose several word
 *    variables change together never share all-but-one word, so clusters of one length are
 *    grouped by Drain's similarity, and a group is merged only if every position where its
 *    members differ has `minDistinct` different words; otherwise it is split on its weakest
 *    position and each part tried again. Similarity only proposes; the count decides. Then
 *    every cluster covered by a more general template joins it.
 *
 * Guard: a merge never produces a template with more `<*>` than constant words.
 * Memory is per distinct masked message (hashed), not per line.
 */

import { WILDCARD } from './masker';
import { TemplateTrie } from './trie';

export interface MinerOptions {
  /** Different words in one position, rest of the line equal, that make the position a variable. */
  minDistinct?: number;
  /** The same when one of the words is a whole masked value (`<*>`): the place is known to hold data. */
  minDistinctMasked?: number;
  /** Share of equal positions that proposes two templates as one group in refinement (default 0.5). */
  groupSimilarity?: number;
}

interface Cluster {
  parent: number;
  tokens: string[];
  /** Lines assigned to this cluster directly (not counting clusters merged into it). */
  size: number;
  /** Number of `<*>` tokens; a template with any can match lines that differ from it. */
  wildcards: number;
}

export class TemplateMiner {
  private readonly minDistinct: number;
  private readonly minDistinctMasked: number;
  private readonly groupSimilarity: number;
  private readonly clusters: Cluster[] = [];
  /**
   * Hash of a masked message → the cluster it was put in (resolve with rootOf). Hashes, not
   * the text, so memory does not grow with message length; a hit is checked against the
   * cluster's words, so a collision costs a lookup, never a wrong group.
   */
  private readonly exact = new Map<number, number>();
  /** Roots whose template has a `<*>`: only those can match a message not seen before. */
  private readonly general = new TemplateTrie();
  /** Hash of a template with one hole → word in the hole → clusters. Checked like `exact`. */
  private readonly holes = new Map<number, Map<string, number[]>>();
  /** Hole keys already generalized or refused; never looked at again. */
  private readonly settled = new Set<number>();
  /** Current roots (templates), so refinement does not walk dead clusters. */
  private readonly live = new Set<number>();
  /** New clusters since the last refinement pass. */
  private sinceRefine = 0;

  constructor(options: MinerOptions = {}) {
    this.minDistinct = options.minDistinct ?? 3;
    this.minDistinctMasked = options.minDistinctMasked ?? 2;
    this.groupSimilarity = options.groupSimilarity ?? GROUP_SIMILARITY;
  }

  /** Adds one message (its masked words); returns a cluster id to resolve later with `templateOf`/`rootOf`. */
  add(tokens: readonly string[]): number {
    const signature = messageKey(tokens);
    const seen = this.exact.get(signature);
    if (seen !== undefined && covers(this.clusters[seen].tokens, tokens)) {
      this.clusters[seen].size++;
      return seen;
    }
    const match = this.matchGeneral(tokens);
    if (match !== undefined) {
      if (seen === undefined) this.remember(signature, match);
      this.clusters[match].size++;
      return match;
    }
    const id = this.create([...tokens], 1);
    if (seen === undefined) this.remember(signature, id);
    this.index(id);
    // Templates with several word variables only merge in the refinement pass; on a long
    // stream of them, run it now and then so memory stays per template, not per line.
    if (++this.sinceRefine >= REFINE_EVERY) this.refine();
    return id;
  }

  private remember(signature: number, id: number): void {
    if (this.exact.size < MAX_EXACT) this.exact.set(signature, id);
  }

  /** End of input: the refinement pass (step 2 above) over everything the online pass left. */
  finish(): void {
    this.refine();
  }

  private refine(): void {
    this.sinceRefine = 0;
    const byLength = new Map<number, number[]>();
    for (const id of [...this.live].sort((a, b) => a - b)) {
      const n = this.clusters[id].tokens.length;
      const list = byLength.get(n);
      if (list) list.push(id);
      else byLength.set(n, [id]);
    }
    // Joint generalization, then absorption of covered clusters (the trie finds their cover).
    for (const roots of byLength.values()) this.jointGeneralize(roots);
    for (const id of [...this.live].sort((a, b) => a - b)) {
      if (this.clusters[id].parent !== id) continue;
      const target = this.matchGeneral(this.clusters[id].tokens, id);
      if (target !== undefined) this.union(target, id);
    }
  }

  /** Joint generalization over the root clusters of one length: propose groups by similarity, let settleGroup decide. */
  private jointGeneralize(roots: number[]): void {
    if (roots.length < 2) return;
    type Group = { seed: string[]; members: number[] };
    const groups: Group[] = [];
    // A group sharing at least half the positions with a template shares at least one of its
    // first half + 1 positions (pigeonhole), so groups are looked up by those words only.
    const n = this.clusters[roots[0]].tokens.length;
    const probe = Math.min(n, Math.floor(n / 2) + 1);
    const byWord = new Map<string, Group[]>();
    for (const id of roots) {
      const tokens = this.clusters[id].tokens;
      let best: Group | undefined;
      let bestSim = 0;
      const seen = new Set<Group>();
      for (let i = 0; i < probe; i++) {
        if (tokens[i] === WILDCARD) continue;
        for (const g of byWord.get(`${i}\u0000${tokens[i]}`) ?? []) {
          if (seen.has(g)) continue;
          seen.add(g);
          const sim = similarity(g.seed, tokens);
          if (sim > bestSim) {
            best = g;
            bestSim = sim;
          }
        }
      }
      if (best && bestSim >= this.groupSimilarity) {
        best.members.push(id);
        for (let i = 0; i < tokens.length; i++) if (best.seed[i] !== tokens[i]) best.seed[i] = WILDCARD;
      } else {
        const g: Group = { seed: [...tokens], members: [id] };
        groups.push(g);
        for (let i = 0; i < probe; i++) {
          if (tokens[i] === WILDCARD) continue;
          const key = `${i}\u0000${tokens[i]}`;
          const list = byWord.get(key);
          if (list) list.push(g);
          else byWord.set(key, [g]);
        }
      }
    }
    for (const g of groups) if (g.members.length > 1) this.settleGroup(g.members);
  }

  /** Merges a group whose every differing position looks variable; otherwise splits on the weakest position and recurses. */
  private settleGroup(group: number[]): void {
    // Members merged elsewhere meanwhile (by a generalization another group triggered) drop out.
    const members = group.filter((id) => this.clusters[id].parent === id);
    if (members.length < 2) return;
    const rows = members.map((id) => this.clusters[id].tokens);
    const n = rows[0].length;
    let weakest = -1;
    let weakestDistinct = Infinity;
    const template: string[] = [];
    for (let i = 0; i < n; i++) {
      const values = new Set<string>();
      for (const r of rows) values.add(r[i]);
      if (values.size === 1) {
        template.push(rows[0][i]);
        continue;
      }
      template.push(WILDCARD);
      // With several positions differing at once the evidence is weaker, so each needs the
      // full count, unless the place is known to carry data (a masked value is among its words).
      if (values.size < this.minDistinct && !holdsData(values) && values.size < weakestDistinct) {
        weakest = i;
        weakestDistinct = values.size;
      }
    }
    if (weakest >= 0) {
      const parts = new Map<string, number[]>();
      members.forEach((id, k) => {
        const part = parts.get(rows[k][weakest]);
        if (part) part.push(id);
        else parts.set(rows[k][weakest], [id]);
      });
      for (const part of parts.values()) if (part.length > 1) this.settleGroup(part);
      return;
    }
    const constants = template.filter((t) => t !== WILDCARD).length;
    if (constants === 0 || constants < n - constants) return;
    const merged = this.create(template, 0);
    for (const id of members) this.union(merged, id);
    this.index(merged);
  }

  /** The root cluster a provisional id ended in. */
  rootOf(id: number): number {
    let r = id;
    while (this.clusters[r].parent !== r) r = this.clusters[r].parent;
    // Path compression: later lookups of the same id are O(1).
    let c = id;
    while (this.clusters[c].parent !== r) {
      const next = this.clusters[c].parent;
      this.clusters[c].parent = r;
      c = next;
    }
    return r;
  }

  /** The template text of the cluster an id ended in. */
  templateOf(id: number): string {
    return this.clusters[this.rootOf(id)].tokens.join(' ');
  }

  /** Current root clusters, largest first: id, template, lines. */
  templates(): Array<{ id: number; template: string; count: number }> {
    const counts = new Map<number, number>();
    for (let i = 0; i < this.clusters.length; i++) {
      const r = this.rootOf(i);
      counts.set(r, (counts.get(r) ?? 0) + this.clusters[i].size);
    }
    return [...counts]
      .map(([id, count]) => ({ id, template: this.clusters[id].tokens.join(' '), count }))
      .sort((a, b) => b.count - a.count || (a.template < b.template ? -1 : 1));
  }

  private create(tokens: string[], size: number): number {
    const id = this.clusters.length;
    const wildcards = tokens.filter((t) => t === WILDCARD).length;
    this.clusters.push({ parent: id, tokens, size, wildcards });
    this.live.add(id);
    if (wildcards > 0) this.general.insert(tokens, id);
    return id;
  }

  /**
   * The most specific general template (most constant words) that covers `tokens`, other than
   * `self`; undefined when none does.
   */
  private matchGeneral(tokens: readonly string[], self = -1): number | undefined {
    let best: number | undefined;
    let bestWild = Infinity;
    const selfWild = self >= 0 ? this.clusters[self].wildcards : -1;
    this.general.forEachCovering(tokens, (id) => {
      if (id === self) return;
      const w = this.clusters[id].wildcards;
      // Only strictly more general templates may take a cluster in (never two equals swapping);
      // among them the most specific, ties to the oldest, so the choice does not depend on the walk.
      if (w <= selfWild || w > bestWild || (w === bestWild && best !== undefined && id > best)) return;
      best = id;
      bestWild = w;
    });
    return best;
  }

  /** Records each position of a new template in the hole index, and generalizes where the evidence is complete. */
  private index(first: number): void {
    const work = [first];
    while (work.length > 0) {
      const id = work.pop()!;
      if (this.clusters[id].parent !== id) continue;
      const tokens = this.clusters[id].tokens;
      const hashes = tokenHashes(tokens);
      for (let p = 0; p < tokens.length; p++) {
        if (tokens[p] === WILDCARD) continue;
        const key = combine(hashes, p);
        if (this.settled.has(key)) continue;
        let words = this.holes.get(key);
        if (!words) this.holes.set(key, (words = new Map()));
        const ids = words.get(tokens[p]);
        if (ids) ids.push(id);
        else words.set(tokens[p], [id]);
        const masked = holdsData(words.keys());
        if (words.size < (masked ? this.minDistinctMasked : this.minDistinct)) continue;
        const merged = this.generalize(key, tokens, p, words);
        if (merged !== undefined) {
          work.push(merged);
          break; // this template is gone; the merged one is indexed from the work list
        }
      }
    }
  }

  /** Merges the clusters under a hole key into one template with `<*>` at `p`; undefined when refused. */
  private generalize(key: number, tokens: readonly string[], p: number, words: Map<string, number[]>): number | undefined {
    this.settled.add(key);
    this.holes.delete(key);
    const template = [...tokens];
    template[p] = WILDCARD;
    // Never let a template become mostly placeholders: "<*> <*> failed" says nothing and
    // swallows unrelated lines. At least one constant word, and no fewer constants than placeholders.
    const constants = template.filter((t) => t !== WILDCARD).length;
    if (constants === 0 || constants < template.length - constants) return undefined;
    const roots = new Set<number>();
    for (const ids of words.values()) {
      for (const id of ids) {
        const r = this.rootOf(id);
        // Only clusters this template covers: a hash collision, or a cluster that meanwhile
        // joined a template more general elsewhere, stays where it is.
        if (covers(template, this.clusters[r].tokens)) roots.add(r);
      }
    }
    if (roots.size < 2) return undefined;
    // The template may already exist as a message of its own (a line whose word there was
    // masked): merge into that cluster rather than creating a twin with the same text.
    const twin = this.exact.get(messageKey(template));
    const twinRoot = twin === undefined ? undefined : this.rootOf(twin);
    const merged = twinRoot !== undefined && sameWords(this.clusters[twinRoot].tokens, template) ? twinRoot : this.create(template, 0);
    for (const r of roots) this.union(merged, r);
    return merged;
  }

  private union(into: number, from: number): void {
    const a = this.rootOf(into);
    const b = this.rootOf(from);
    if (a === b) return;
    this.clusters[b].parent = a;
    this.live.delete(b);
    if (this.clusters[b].wildcards > 0) this.general.remove(this.clusters[b].tokens, b);
  }
}

/**
 * True when the words seen in one place show it carries data: one of them is a whole masked
 * value, or one is a masked value inside a word (`Record{<*>`) that another fits
 * (`Record{bcfadea}`: an id the masker could not tell from a word).
 */
function holdsData(words: Iterable<string>): boolean {
  const list = [...words];
  for (const w of list) {
    if (w === WILDCARD) return true;
    if (!w.includes(WILDCARD)) continue;
    const parts = w.split(WILDCARD).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const shape = new RegExp(`^${parts.join('.+')}$`);
    if (list.some((v) => v !== w && !v.includes(WILDCARD) && shape.test(v))) return true;
  }
  return false;
}

/** True when `template` covers `tokens`: equal words, or `<*>` in the template. */
function covers(template: readonly string[], tokens: readonly string[]): boolean {
  if (template.length !== tokens.length) return false;
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== WILDCARD && template[i] !== tokens[i]) return false;
  }
  return true;
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** New clusters (messages no template covered) between two refinement passes during a stream. */
const REFINE_EVERY = 5000;

/** Share of positions two same-length templates must have equal to be proposed as one group in finish(). */
const GROUP_SIMILARITY = 0.5;

/** Drain's similarity: the share of positions with the same word (a `<*>` in the seed counts as different). */
function similarity(seed: readonly string[], tokens: readonly string[]): number {
  let same = 0;
  for (let i = 0; i < seed.length; i++) if (seed[i] !== WILDCARD && seed[i] === tokens[i]) same++;
  return seed.length === 0 ? 1 : same / seed.length;
}

// Hashing. A message's key and each of its one-hole keys come from per-word hashes in O(words):
// key = sum over words of h(word) * B^i (two independent 32-bit lanes, 52 bits kept), and the
// key with a hole at p swaps h(word p) for a fixed HOLE value.

/** Cached exact lookups; beyond this, messages are matched without the cache (slower, bounded memory). */
const MAX_EXACT = 1_000_000;
const B1 = 0x01000193;
const B2 = 0x5bd1e995;
const HOLE1 = 0x27d4eb2f;
const HOLE2 = 0x165667b1;

interface Hashes {
  lane1: Uint32Array;
  lane2: Uint32Array;
  /** B^i per position, per lane. */
  pow1: Uint32Array;
  pow2: Uint32Array;
  total1: number;
  total2: number;
}

/** A token's two independent hashes (FNV-1a and a second multiplier), left in `pair`: no allocation per token. */
const pair = new Uint32Array(2);
function hashToken(t: string): void {
  let h1 = 0x811c9dc5;
  let h2 = 0xc2b2ae35;
  for (let j = 0; j < t.length; j++) {
    const c = t.charCodeAt(j);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x85ebca6b);
  }
  pair[0] = h1;
  pair[1] = h2 ^ (h2 >>> 15);
}

function tokenHashes(tokens: readonly string[]): Hashes {
  const n = tokens.length;
  const lane1 = new Uint32Array(n);
  const lane2 = new Uint32Array(n);
  const pow1 = new Uint32Array(n);
  const pow2 = new Uint32Array(n);
  let total1 = n;
  let total2 = Math.imul(n, 0x9e3779b1);
  let p1 = 1;
  let p2 = 1;
  for (let i = 0; i < n; i++) {
    hashToken(tokens[i]);
    const h1 = pair[0];
    const h2 = pair[1];
    lane1[i] = h1;
    lane2[i] = h2;
    pow1[i] = p1;
    pow2[i] = p2;
    total1 = (total1 + Math.imul(h1, p1)) | 0;
    total2 = (total2 + Math.imul(h2, p2)) | 0;
    p1 = Math.imul(p1, B1);
    p2 = Math.imul(p2, B2);
  }
  return { lane1, lane2, pow1, pow2, total1, total2 };
}

/**
 * The key of the whole message: what `combine(tokenHashes(tokens), -1)` gives, without the
 * four typed arrays (this runs on every line; the arrays are only needed for hole keys).
 */
function messageKey(tokens: readonly string[]): number {
  const n = tokens.length;
  let total1 = n;
  let total2 = Math.imul(n, 0x9e3779b1);
  let p1 = 1;
  let p2 = 1;
  for (let i = 0; i < n; i++) {
    hashToken(tokens[i]);
    const h1 = pair[0];
    const h2 = pair[1];
    total1 = (total1 + Math.imul(h1, p1)) | 0;
    total2 = (total2 + Math.imul(h2, p2)) | 0;
    p1 = Math.imul(p1, B1);
    p2 = Math.imul(p2, B2);
  }
  return (total1 >>> 0) * 0x100000 + (total2 >>> 12);
}

/** The key of the whole message (hole = -1) or of the message with a hole at `hole`. */
function combine(h: Hashes, hole: number): number {
  let a = h.total1;
  let b = h.total2;
  if (hole >= 0) {
    a = (a + Math.imul((HOLE1 - h.lane1[hole]) | 0, h.pow1[hole])) | 0;
    b = (b + Math.imul((HOLE2 - h.lane2[hole]) | 0, h.pow2[hole])) | 0;
  }
  return (a >>> 0) * 0x100000 + (b >>> 12);
}
