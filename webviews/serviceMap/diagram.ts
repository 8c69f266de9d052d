/**
 * The service map as SVG: a box per container (name, image, state), a line per relation
 * coloured by kind (shared network, Docker link, environment reference) with its label.
 * Nodes are focusable; arrow keys move between them, Enter selects.
 */
import { NODE_H, NODE_W, bounds, cleanEdges, layout, type ServiceMap, type ServiceNode } from './layout';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function isRunning(node: ServiceNode): boolean {
  return node.state === 'running';
}

/** Draws the map into an SVG element; `select` is called with the chosen node. */
export function drawServiceMap(map: ServiceMap, select: (node: ServiceNode) => void, selectedId: string | null = null): SVGSVGElement {
  const placed = layout(map);
  const at = new Map(placed.map((p) => [p.id, p]));
  const { width, height } = bounds(placed);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': `Service map: ${map.nodes.length} containers`, preserveAspectRatio: 'xMidYMid meet' });
  const edgeLayer = svg('g', { 'aria-hidden': 'true' });
  const edges = cleanEdges(map);
  // Several relations between one pair are drawn as separate curves.
  const pairCount = new Map<string, number>();
  for (const e of edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const pair = [e.from, e.to].sort().join('|');
    const nth = pairCount.get(pair) ?? 0;
    pairCount.set(pair, nth + 1);
    const x1 = a.x + NODE_W / 2;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x + NODE_W / 2;
    const y2 = b.y + NODE_H / 2;
    const bend = nth === 0 ? 0 : (nth % 2 ? 1 : -1) * 30 * Math.ceil(nth / 2);
    const mx = (x1 + x2) / 2 - ((y2 - y1) / Math.max(1, Math.hypot(x2 - x1, y2 - y1))) * bend;
    const my = (y1 + y2) / 2 + ((x2 - x1) / Math.max(1, Math.hypot(x2 - x1, y2 - y1))) * bend;
    edgeLayer.appendChild(svg('path', { class: `sm-edge ${e.kind}`, d: `M ${x1} ${y1} Q ${mx} ${my} ${x2} ${y2}`, 'data-from': e.from, 'data-to': e.to, 'data-kind': e.kind }));
    if (e.label) edgeLayer.appendChild(svg('text', { class: 'sm-edge-label', x: (x1 + 2 * mx + x2) / 4, y: (y1 + 2 * my + y2) / 4 - 4, 'text-anchor': 'middle' }, e.label));
  }
  root.appendChild(edgeLayer);
  const nodeLayer = svg('g', {});
  const order = [...map.nodes].sort((a, b) => (at.get(a.id)?.x ?? 0) - (at.get(b.id)?.x ?? 0) || (at.get(a.id)?.y ?? 0) - (at.get(b.id)?.y ?? 0));
  for (const node of map.nodes) {
    const p = at.get(node.id);
    if (!p) continue;
    const ports = node.ports.map((pt) => (pt.host_port ? `${pt.host_port}→${pt.container_port}` : `${pt.container_port}`)).join(', ');
    const g = svg('g', {
      class: `sm-node ${isRunning(node) ? 'running' : 'stopped'}${node.id === selectedId ? ' selected' : ''}`,
      transform: `translate(${p.x} ${p.y})`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${node.name}, ${node.state}, image ${node.image}${ports ? `, ports ${ports}` : ''}`,
      'data-node': node.id,
    });
    g.appendChild(svg('rect', { width: NODE_W, height: NODE_H, rx: 4 }));
    g.appendChild(svg('text', { x: 10, y: 20 }, truncate(node.name, 24)));
    g.appendChild(svg('text', { class: 'sub', x: 10, y: 36 }, truncate(node.image, 28)));
    g.appendChild(svg('text', { class: 'sub', x: 10, y: 50 }, truncate(`${node.state}${ports ? ` · ${ports}` : ''}`, 30)));
    g.addEventListener('click', () => select(node));
    g.addEventListener('keydown', (e) => {
      const i = order.findIndex((n) => n.id === node.id);
      const next = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? order[i + 1] : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? order[i - 1] : undefined;
      if (next) {
        e.preventDefault();
        root.querySelector<SVGGElement>(`[data-node="${CSS.escape(next.id)}"]`)?.focus();
      } else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select(node);
      }
    });
    nodeLayer.appendChild(g);
  }
  root.appendChild(nodeLayer);
  return root;
}
