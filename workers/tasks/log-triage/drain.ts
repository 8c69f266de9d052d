/**
 * Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth Tree", ICWS
 * 2017), as Drain3 implements it: a message goes down a tree by its length, then by its
 * first `depth - 3` words (the depth counts the root and the leaf too; a word with a digit,
 * or any word once a node has `maxChildren` children, goes down the `<*>` branch); at the
 * leaf it joins the most similar cluster if
 * the share of equal words reaches `similarity`, and the cluster's template gets `<*>`
 * wherever the two differ; otherwise it starts a cluster.
 *
 * Here for two reasons. It is the yardstick the miner is held to where it cannot trust a
 * header (the bench and tests run both on whole lines), and it is what the miner falls back
 * to for a file whose lines it cannot split at all (see triage.ts). No maintained npm
 * package implements it, and the worker image takes Node built-ins only, so it is written
 * here; the defaults are Drain3's (depth 4, similarity 0.4, 100 children).
 */

import { WILDCARD } from './masker';

export interface DrainOptions {
  depth?: number;
  similarity?: number;
  maxChildren?: number;
}

interface DrainCluster {
  id: number;
  tokens: string[];
  size: number;
}

interface DrainNode {
  children: Map<string, DrainNode>;
  clusters: DrainCluster[];
}

const node = (): DrainNode => ({ children: new Map(), clusters: [] });

export class Drain {
  private readonly depth: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly root = node();
  private readonly clusters: DrainCluster[] = [];

  constructor(options: DrainOptions = {}) {
    this.depth = Math.max(3, options.depth ?? 4);
    this.similarity = options.similarity ?? 0.4;
    this.maxChildren = options.maxChildren ?? 100;
  }

  /** Adds one message (masked words); returns its cluster id. */
  add(tokens: readonly string[]): number {
    const leaf = this.leafFor(tokens);
    let best: DrainCluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of leaf.clusters) {
      const [sim, params] = similarity(c.tokens, tokens);
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    if (best && bestSim >= this.similarity) {
      for (let i = 0; i < tokens.length; i++) if (best.tokens[i] !== tokens[i]) best.tokens[i] = WILDCARD;
      best.size++;
      return best.id;
    }
    const c: DrainCluster = { id: this.clusters.length, tokens: [...tokens], size: 1 };
    this.clusters.push(c);
    leaf.clusters.push(c);
    return c.id;
  }

  templateOf(id: number): string {
    return this.clusters[id].tokens.join(' ');
  }

  /** The leaf a message goes to, made on the way when missing. */
  private leafFor(tokens: readonly string[]): DrainNode {
    const byLength = String(tokens.length);
    let cur: DrainNode | undefined = this.root.children.get(byLength);
    if (!cur) this.root.children.set(byLength, (cur = node()));
    const steps = Math.min(this.depth - 3, tokens.length);
    for (let i = 0; i < steps; i++) {
      const token = tokens[i];
      let next: DrainNode | undefined = cur.children.get(token);
      if (!next) {
        const key = /\d/.test(token) || token.includes(WILDCARD) || cur.children.size >= this.maxChildren - 1 ? WILDCARD : token;
        next = cur.children.get(key);
        if (!next) cur.children.set(key, (next = node()));
      }
      cur = next;
    }
    return cur;
  }
}

/** Drain's sequence similarity: equal words over length (template `<*>` do not count), and the number of `<*>`. */
function similarity(template: readonly string[], tokens: readonly string[]): [number, number] {
  if (template.length === 0) return [1, 0];
  let same = 0;
  let params = 0;
  for (let i = 0; i < template.length; i++) {
    if (template[i] === WILDCARD) params++;
    else if (template[i] === tokens[i]) same++;
  }
  return [same / template.length, params];
}
