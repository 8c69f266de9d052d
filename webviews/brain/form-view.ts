/**
 * Draws a FormNode tree with vscode-elements and keeps the draft value in step with it. Each
 * edit updates the draft and revalidates it against the schema; messages appear under the
 * field they belong to. Lists of strings can be edited, added to, reordered and emptied.
 */
import { validate, type JsonSchema, type Violation } from '../../contracts/json-schema';
import { h, icon, replace } from '../common/dom';
import { getAt, numberValue, placeViolations, setAt, textValue, walkForm, type FormNode, type Path } from './schema-form';

type ValueElement = HTMLElement & { value: string; checked?: boolean; invalid?: boolean };

let fieldSeq = 0;

export class FormView {
  readonly root: HTMLElement;
  private draft: unknown;
  private readonly errorSlots = new Map<string, HTMLElement>();
  private readonly fieldPointers: Set<string>;
  private violations: Violation[] = [];
  private serverViolations: Violation[] = [];

  constructor(
    private readonly form: FormNode,
    private readonly schema: JsonSchema,
    initial: unknown,
    private readonly changed: (draft: unknown, violations: Violation[]) => void,
  ) {
    this.draft = initial;
    this.fieldPointers = new Set(walkForm(form).map((n) => n.pointer));
    this.root = h('form', { class: 'schema-form', attrs: { novalidate: true, 'aria-label': 'Brand profile' }, on: { submit: (e) => e.preventDefault() } });
    this.render();
  }

  get value(): unknown {
    return this.draft;
  }

  get problems(): Violation[] {
    return this.violations;
  }

  /** Replace the whole value (load, discard, revert) and redraw. */
  setValue(value: unknown): void {
    this.draft = value;
    this.serverViolations = [];
    this.render();
  }

  /** Errors the backend reported for a save (pointers into the patch). */
  setServerViolations(violations: Violation[]): void {
    this.serverViolations = violations;
    this.showErrors();
  }

  private render(): void {
    this.errorSlots.clear();
    replace(this.root, this.node(this.form, true));
    this.revalidate(false);
  }

  private update(path: Path, value: unknown): void {
    this.draft = setAt(this.draft, path, value);
    this.serverViolations = [];
    this.revalidate(true);
  }

  private revalidate(notify: boolean): void {
    this.violations = validate(this.schema, this.draft);
    this.showErrors();
    if (notify) this.changed(this.draft, this.violations);
  }

  private showErrors(): void {
    const fields = new Set([...this.fieldPointers, ...this.errorSlots.keys()]);
    const placed = placeViolations(this.violations, fields);
    for (const [p, msgs] of placeViolations(this.serverViolations, fields, '/patch')) placed.set(p, [...(placed.get(p) ?? []), ...msgs]);
    for (const [pointer, slot] of this.errorSlots) {
      const msgs = placed.get(pointer) ?? [];
      slot.textContent = msgs.join('; ');
      const field = slot.closest('.list-item, .field');
      field?.classList.toggle('invalid', msgs.length > 0);
      const input = field?.querySelector<ValueElement>('vscode-textfield, vscode-textarea, vscode-single-select');
      if (input && 'invalid' in input) input.invalid = msgs.length > 0;
    }
  }

  private errorSlot(pointer: string, id: string): HTMLElement {
    const slot = h('div', { class: 'field-error', attrs: { id, role: 'alert', 'aria-live': 'polite' }, dataset: { pointer } });
    this.errorSlots.set(pointer, slot);
    return slot;
  }

  private node(node: FormNode, root = false): HTMLElement {
    const id = `f${++fieldSeq}`;
    const errId = `${id}-err`;
    const help = node.description ? h('div', { class: 'help', attrs: { id: `${id}-help` } }, node.description) : null;
    const label = h('label', { class: 'field-label', attrs: { for: id } }, node.label, node.required ? '' : h('span', { class: 'muted' }, ' (optional)'));
    const describedBy = [help ? `${id}-help` : '', errId].filter(Boolean).join(' ');
    switch (node.kind) {
      case 'object': {
        const children = node.children.map((c) => this.node(c));
        if (root) return h('div', { class: 'field', dataset: { pointer: node.pointer } }, children, this.errorSlot(node.pointer, errId));
        return h('fieldset', { class: 'group field', dataset: { pointer: node.pointer } }, h('legend', null, node.label), help, children, this.errorSlot(node.pointer, errId));
      }
      case 'text': {
        const current = getAt(this.draft, node.path);
        const text = typeof current === 'string' ? current : '';
        let input: ValueElement;
        if (node.enum) {
          input = h('vscode-single-select', { attrs: { id, 'aria-describedby': describedBy }, dataset: { pointer: node.pointer } }, node.enum.map((o) => h('vscode-option', { attrs: { value: o, selected: o === text } }, o))) as unknown as ValueElement;
          input.addEventListener('change', () => this.update(node.path, input.value));
        } else {
          input = h(node.multiline ? 'vscode-textarea' : 'vscode-textfield', { attrs: { id, 'aria-describedby': describedBy, ...(node.maxLength ? { maxlength: node.maxLength } : {}) }, props: { value: text }, dataset: { pointer: node.pointer } }) as unknown as ValueElement;
          input.addEventListener('input', () => this.update(node.path, textValue(node, input.value)));
        }
        return h('div', { class: 'field', dataset: { pointer: node.pointer } }, label, help, input, this.errorSlot(node.pointer, errId));
      }
      case 'number': {
        const current = getAt(this.draft, node.path);
        const input = h('vscode-textfield', { attrs: { id, type: 'number', 'aria-describedby': describedBy }, props: { value: typeof current === 'number' ? String(current) : '' }, dataset: { pointer: node.pointer } }) as unknown as ValueElement;
        input.addEventListener('input', () => {
          const n = numberValue(node, input.value);
          this.update(node.path, Number.isNaN(n) ? input.value : n);
        });
        return h('div', { class: 'field', dataset: { pointer: node.pointer } }, label, help, input, this.errorSlot(node.pointer, errId));
      }
      case 'boolean': {
        const input = h('vscode-checkbox', { attrs: { id, 'aria-describedby': describedBy }, props: { checked: getAt(this.draft, node.path) === true, label: node.label }, dataset: { pointer: node.pointer } }) as unknown as ValueElement;
        input.addEventListener('change', () => this.update(node.path, input.checked === true));
        return h('div', { class: 'field', dataset: { pointer: node.pointer } }, input, help, this.errorSlot(node.pointer, errId));
      }
      case 'stringList':
        return this.list(node, id, errId, help);
      case 'json': {
        const input = h('vscode-textarea', { attrs: { id, rows: 4, 'aria-describedby': describedBy }, props: { value: JSON.stringify(getAt(this.draft, node.path) ?? null, null, 2) }, dataset: { pointer: node.pointer } }) as unknown as ValueElement;
        const slot = this.errorSlot(node.pointer, errId);
        input.addEventListener('input', () => {
          try {
            this.update(node.path, JSON.parse(input.value) as unknown);
          } catch {
            slot.textContent = 'Not valid JSON';
          }
        });
        return h('div', { class: 'field', dataset: { pointer: node.pointer } }, label, help, input, slot);
      }
    }
  }

  private list(node: FormNode & { kind: 'stringList' }, id: string, errId: string, help: HTMLElement | null): HTMLElement {
    const items = h('div', { class: 'list-editor', attrs: { role: 'list', 'aria-labelledby': `${id}-legend` } });
    const slot = this.errorSlot(node.pointer, errId);
    const values = (): string[] => {
      const v = getAt(this.draft, node.path);
      return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
    };
    const draw = (focusIndex?: number): void => {
      const list = values();
      for (const p of [...this.errorSlots.keys()]) if (p.startsWith(`${node.pointer}/`)) this.errorSlots.delete(p);
      replace(
        items,
        list.map((text, i) => {
          const itemPointer = `${node.pointer}/${i}`;
          const input = h('vscode-textfield', { attrs: { 'aria-label': `${node.label} item ${i + 1}` }, props: { value: text }, dataset: { pointer: itemPointer } }) as unknown as ValueElement;
          input.addEventListener('input', () => this.update([...node.path, i], input.value));
          input.addEventListener('keydown', (e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              this.update(node.path, [...values().slice(0, i + 1), '', ...values().slice(i + 1)]);
              draw(i + 1);
            }
          });
          const button = (name: string, title: string, fn: () => void, disabled = false) =>
            h('button', { class: 'icon-button', attrs: { type: 'button', title, 'aria-label': `${title} (item ${i + 1})`, disabled }, on: { click: fn } }, icon(name));
          return h(
            'div',
            { class: 'list-item', attrs: { role: 'listitem' }, dataset: { pointer: itemPointer } },
            input,
            button('arrow-up', 'Move up', () => {
              const l = values();
              [l[i - 1], l[i]] = [l[i], l[i - 1]];
              this.update(node.path, l);
              draw(i - 1);
            }, i === 0),
            button('arrow-down', 'Move down', () => {
              const l = values();
              [l[i + 1], l[i]] = [l[i], l[i + 1]];
              this.update(node.path, l);
              draw(i + 1);
            }, i === list.length - 1),
            button('trash', 'Remove', () => {
              this.update(node.path, values().filter((_, j) => j !== i));
              draw(Math.min(i, values().length - 1));
            }),
            this.errorSlot(itemPointer, `${id}-err-${i}`),
          );
        }),
      );
      this.showErrors();
      if (focusIndex !== undefined && focusIndex >= 0) items.querySelectorAll<HTMLElement>('vscode-textfield')[focusIndex]?.focus();
    };
    const add = h(
      'vscode-button',
      {
        attrs: { secondary: true, icon: 'add', 'aria-label': `Add to ${node.label}` },
        dataset: { action: 'add-item', pointer: node.pointer },
        on: {
          click: () => {
            this.update(node.path, [...values(), '']);
            draw(values().length - 1);
          },
        },
      },
      'Add',
    );
    draw();
    return h('fieldset', { class: 'group field', dataset: { pointer: node.pointer, kind: 'list' } }, h('legend', { attrs: { id: `${id}-legend` } }, node.label, node.required ? '' : h('span', { class: 'muted' }, ' (optional)')), help, items, h('div', { class: 'row' }, add), slot);
  }
}
