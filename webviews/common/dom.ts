/** A small DOM builder: elements with attributes, properties, listeners and children. No innerHTML. */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
  props?: Record<string, unknown>;
  on?: Partial<Record<string, (e: Event) => void>>;
  dataset?: Record<string, string>;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    for (const [k, v] of Object.entries(props.attrs ?? {})) {
      if (v === false || v === null || v === undefined) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const [k, v] of Object.entries(props.props ?? {})) (el as unknown as Record<string, unknown>)[k] = v;
    for (const [k, v] of Object.entries(props.dataset ?? {})) el.dataset[k] = v;
    for (const [k, fn] of Object.entries(props.on ?? {})) if (fn) el.addEventListener(k, fn);
  }
  append(el, children);
  return el;
}

export function icon(name: string, label?: string): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}`, attrs: label ? { role: 'img', 'aria-label': label, title: label } : { 'aria-hidden': 'true' } });
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

export function $(selector: string, root: ParentNode = document): HTMLElement {
  const el = root.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`no element ${selector}`);
  return el;
}
