/**
 * Placing the service map's nodes, without the DOM: a small force-directed layout (springs on
 * edges, repulsion between nodes) started from a circle, so the same map always lands the same
 * way; a fixed number of iterations, then overlaps pushed apart and the result fitted to a
 * box. Also the map's shape from ops.service_map's output, checked edge by edge.
 */
import type { ServiceEdge, ServiceMap, ServiceNode } from '../../contracts/tasks/service-map';

export type { ServiceEdge, ServiceMap, ServiceNode };

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export const NODE_W = 190;
export const NODE_H = 58;
const ITERATIONS = 300;

/** Edges whose ends both exist, without duplicates (network edges are symmetric). */
export function cleanEdges(map: ServiceMap): ServiceEdge[] {
  const ids = new Set(map.nodes.map((n) => n.id));
  const seen = new Set<string>();
  const out: ServiceEdge[] = [];
  for (const e of map.edges) {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) continue;
    const [a, b] = e.kind === 'network' && e.from > e.to ? [e.to, e.from] : [e.from, e.to];
    const key = `${e.kind}|${a}|${b}|${e.label ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

export function layout(map: ServiceMap): Placed[] {
  const n = map.nodes.length;
  if (n === 0) return [];
  const index = new Map(map.nodes.map((node, i) => [node.id, i]));
  const edges = cleanEdges(map).map((e) => [index.get(e.from) as number, index.get(e.to) as number] as const);
  const radius = Math.max(150, (n * (NODE_W + 40)) / (2 * Math.PI));
  const x = map.nodes.map((_, i) => radius * Math.cos((2 * Math.PI * i) / n));
  const y = map.nodes.map((_, i) => radius * Math.sin((2 * Math.PI * i) / n));
  const k = Math.sqrt((radius * radius * 4) / Math.max(1, n)) * 0.9;
  let temperature = radius / 2;
  for (let it = 0; it < ITERATIONS && n > 1; it++) {
    const dx = new Array<number>(n).fill(0);
    const dy = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let ux = x[i] - x[j];
        let uy = y[i] - y[j];
        let d = Math.hypot(ux, uy);
        if (d < 0.01) {
          ux = 0.01 * (i - j);
          uy = 0.01;
          d = Math.hypot(ux, uy);
        }
        const f = (k * k) / d;
        dx[i] += (ux / d) * f;
        dy[i] += (uy / d) * f;
        dx[j] -= (ux / d) * f;
        dy[j] -= (uy / d) * f;
      }
    }
    for (const [a, b] of edges) {
      const ux = x[a] - x[b];
      const uy = y[a] - y[b];
      const d = Math.max(0.01, Math.hypot(ux, uy));
      const f = (d * d) / k;
      dx[a] -= (ux / d) * f;
      dy[a] -= (uy / d) * f;
      dx[b] += (ux / d) * f;
      dy[b] += (uy / d) * f;
    }
    for (let i = 0; i < n; i++) {
      // A weak pull to the centre keeps unconnected nodes from drifting away.
      dx[i] -= x[i] * 0.01;
      dy[i] -= y[i] * 0.01;
      const d = Math.max(0.01, Math.hypot(dx[i], dy[i]));
      const step = Math.min(d, temperature);
      x[i] += (dx[i] / d) * step;
      y[i] += (dy[i] / d) * step;
    }
    temperature = Math.max(1, temperature * 0.97);
  }
  separate(x, y);
  // Shift to positive coordinates with a margin; the SVG's viewBox scales the whole drawing.
  const minX = Math.min(...x);
  const minY = Math.min(...y);
  return map.nodes.map((node, i) => ({ id: node.id, x: Math.round(20 + x[i] - minX), y: Math.round(20 + y[i] - minY) }));
}

/** The drawing's size for placed nodes (with the margin). */
export function bounds(placed: readonly Placed[]): { width: number; height: number } {
  return { width: Math.max(0, ...placed.map((p) => p.x)) + NODE_W + 20, height: Math.max(0, ...placed.map((p) => p.y)) + NODE_H + 20 };
}

/** Push overlapping node boxes apart (bounded passes). */
function separate(x: number[], y: number[]): void {
  const gapX = NODE_W + 30;
  const gapY = NODE_H + 30;
  for (let pass = 0; pass < 50; pass++) {
    let moved = false;
    for (let i = 0; i < x.length; i++) {
      for (let j = i + 1; j < x.length; j++) {
        const ox = gapX - Math.abs(x[i] - x[j]);
        const oy = gapY - Math.abs(y[i] - y[j]);
        if (ox > 0 && oy > 0) {
          moved = true;
          if (ox / gapX < oy / gapY) {
            const push = (ox / 2 + 1) * (x[i] >= x[j] ? 1 : -1);
            x[i] += push;
            x[j] -= push;
          } else {
            const push = (oy / 2 + 1) * (y[i] >= y[j] ? 1 : -1);
            y[i] += push;
            y[j] -= push;
          }
        }
      }
    }
    if (!moved) return;
  }
}

/** Whether two placed boxes overlap. */
export function overlaps(a: Placed, b: Placed): boolean {
  return Math.abs(a.x - b.x) < NODE_W && Math.abs(a.y - b.y) < NODE_H;
}
