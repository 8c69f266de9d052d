/**
 * An index of templates with `<*>` words, answering "which templates cover this message?".
 *
 * A message not seen before must be checked against every general template of its length;
 * scanning them all made mining quadratic on logs with many templates. This is a trie over
 * word positions (one per message length), where each node has a child per word and one
 * for `<*>`: a lookup follows the message's word and the `<*>` branch at each level, so it
 * only visits templates that agree with the message so far. Templates rarely have `<*>` at
 * the same early positions as many others, so the walk stays narrow in practice.
 */

import { WILDCARD } from './masker';

interface Node {
  next?: Map<string, Node>;
  wild?: Node;
  ids?: Set<number>;
}

export class TemplateTrie {
  private readonly byLength = new Map<number, Node>();

  insert(tokens: readonly string[], id: number): void {
    let node = this.byLength.get(tokens.length);
    if (!node) this.byLength.set(tokens.length, (node = {}));
    for (const t of tokens) {
      if (t === WILDCARD) node = node.wild ??= {};
      else {
        node.next ??= new Map();
        let child = node.next.get(t);
        if (!child) node.next.set(t, (child = {}));
        node = child;
      }
    }
    (node.ids ??= new Set()).add(id);
  }

  remove(tokens: readonly string[], id: number): void {
    let node = this.byLength.get(tokens.length);
    for (const t of tokens) {
      if (!node) return;
      node = t === WILDCARD ? node.wild : node.next?.get(t);
    }
    node?.ids?.delete(id);
  }

  /** Calls `visit` with every template id that covers `tokens`. */
  forEachCovering(tokens: readonly string[], visit: (id: number) => void): void {
    const root = this.byLength.get(tokens.length);
    if (!root) return;
    const n = tokens.length;
    const nodes: Node[] = [root];
    const depths: number[] = [0];
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const depth = depths.pop()!;
      if (depth === n) {
        if (node.ids) for (const id of node.ids) visit(id);
        continue;
      }
      if (node.wild) {
        nodes.push(node.wild);
        depths.push(depth + 1);
      }
      // A message word that is itself `<*>` only matches a `<*>` in the template.
      const child = tokens[depth] === WILDCARD ? undefined : node.next?.get(tokens[depth]);
      if (child) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
}
