/**
 * The output of an `ops.log_triage` run as a table a person reads in the Runs panel: the
 * log's time range and totals on top, then one row per template — flags as badges (their
 * one-line reasons as tooltips), template, count, level, first and last seen — sortable by
 * any column, and a template's sample lines and top values on click. The JSON stays below it.
 *
 * The output was validated against the registry's outputSchema before it reached the panel;
 * `asTriageOutput` only checks the few fields the table reads, so an older run's output
 * (before flags and values existed) still shows, with empty cells.
 */

import { h, replace } from '../common/dom';
import { formatTime } from '../common/format';

export interface TriageFlag {
  kind: string;
  reason: string;
}

export interface TriageRow {
  id: string;
  template: string;
  count: number;
  level?: string | null;
  first_seen?: string | null;
  last_seen?: string | null;
  flags?: TriageFlag[];
  variables?: Array<{ slot: number; values: Array<{ value: string; count: number }>; other: number }>;
  examples: string[];
  file?: string;
}

export interface TriageOutput {
  files_scanned: number;
  lines: number;
  time_range?: { first: string | null; last: string | null };
  templates: TriageRow[];
  new_templates: number;
  spikes: number;
  redacted?: boolean;
  /** What changed, in a few sentences from the local model (present only when one is configured). */
  summary?: string;
}

export type SortColumn = 'flags' | 'template' | 'count' | 'level' | 'first_seen' | 'last_seen';
export interface SortState {
  column: SortColumn;
  descending: boolean;
}

/** The order flags are shown in and rows are ranked by: the most urgent first. */
const FLAG_ORDER = ['new', 'spike', 'rare', 'error'];
const LEVEL_ORDER = ['trace', 'debug', 'info', 'notice', 'warn', 'error', 'fatal'];

/** The output, when it is a log-triage output the table can show. */
export function asTriageOutput(tool: string, output: unknown): TriageOutput | undefined {
  if (tool !== 'ops.log_triage' || !output || typeof output !== 'object') return undefined;
  const o = output as Partial<TriageOutput>;
  if (!Array.isArray(o.templates) || typeof o.lines !== 'number') return undefined;
  return o as TriageOutput;
}

/** Rank of a row's most urgent flag (unflagged rows last). */
export function flagRank(row: TriageRow): number {
  let best = FLAG_ORDER.length;
  for (const f of row.flags ?? []) {
    const i = FLAG_ORDER.indexOf(f.kind);
    if (i >= 0 && i < best) best = i;
  }
  return best;
}

/** The rows in the order `sort` asks for; ties keep the worker's order (flagged, then frequent). */
export function sortRows(rows: readonly TriageRow[], sort: SortState): TriageRow[] {
  const dir = sort.descending ? -1 : 1;
  const value = (r: TriageRow): number | string => {
    switch (sort.column) {
      case 'flags':
        // "Descending" means most urgent first.
        return -flagRank(r);
      case 'template':
        return r.template.toLowerCase();
      case 'count':
        return r.count;
      case 'level':
        return LEVEL_ORDER.indexOf(r.level ?? '');
      case 'first_seen':
        return r.first_seen ?? '';
      case 'last_seen':
        return r.last_seen ?? '';
    }
  };
  return rows
    .map((r, i) => ({ r, i, v: value(r) }))
    .sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.i - b.i))
    .map((x) => x.r);
}

/** The next sort after a click on `column`: the same column flips, another starts descending (text ascending). */
export function nextSort(current: SortState, column: SortColumn): SortState {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: column !== 'template' };
}

/** One line over the table: how much was read, over which time, and how much is flagged. */
export function summaryLine(out: TriageOutput): string {
  const range = out.time_range?.first ? `${formatTime(out.time_range.first)} – ${formatTime(out.time_range.last ?? out.time_range.first)}` : 'no timestamps';
  const flagged = out.templates.filter((t) => (t.flags ?? []).length > 0).length;
  const templates = new Set(out.templates.map((t) => t.id)).size;
  return `${out.lines} lines in ${out.files_scanned} file${out.files_scanned === 1 ? '' : 's'}, ${range} · ${templates} templates, ${flagged} flagged (${out.new_templates} new, ${out.spikes} spiking)${out.redacted ? ' · values masked' : ''}`;
}

const COLUMNS: Array<{ column: SortColumn; label: string; numeric?: boolean }> = [
  { column: 'flags', label: 'Flags' },
  { column: 'template', label: 'Template' },
  { column: 'count', label: 'Count', numeric: true },
  { column: 'level', label: 'Level' },
  { column: 'first_seen', label: 'First seen' },
  { column: 'last_seen', label: 'Last seen' },
];

const BADGE_CLASS: Record<string, string> = { new: 'status-info', spike: 'status-warn', rare: 'status-info', error: 'status-error' };

/** The table, with its own sort and expanded-row state. */
export function triageTable(out: TriageOutput): HTMLElement {
  let sort: SortState = { column: 'flags', descending: true };
  const open = new Set<string>();
  const body = h('tbody');
  const heads = COLUMNS.map((c) => {
    const button = h('button', { class: 'link', attrs: { type: 'button', 'data-sort': c.column }, on: { click: () => ((sort = nextSort(sort, c.column)), render()) } }, c.label);
    return { c, th: h('th', { class: c.numeric ? 'num' : undefined, attrs: { scope: 'col' } }, button) };
  });

  const rowKey = (r: TriageRow) => `${r.id}\u0000${r.file ?? ''}`;
  function render(): void {
    for (const { c, th } of heads) th.setAttribute('aria-sort', sort.column === c.column ? (sort.descending ? 'descending' : 'ascending') : 'none');
    const rows = sortRows(out.templates, sort);
    replace(
      body,
      rows.map((r) => {
        const key = rowKey(r);
        const expanded = open.has(key);
        const toggle = () => {
          if (open.has(key)) open.delete(key);
          else open.add(key);
          render();
        };
        const main = h(
          'tr',
          {
            class: 'triage-row',
            attrs: { tabindex: 0, 'aria-expanded': expanded, 'data-template': r.id },
            on: { click: toggle, keydown: (e) => (e as KeyboardEvent).key === 'Enter' && toggle() },
          },
          h('td', null, (r.flags ?? []).map((f) => h('span', { class: `chip ${BADGE_CLASS[f.kind] ?? ''}`, attrs: { title: f.reason, 'data-flag': f.kind } }, f.kind))),
          h('td', null, h('code', null, r.template)),
          h('td', { class: 'num' }, r.count),
          h('td', null, r.level ?? ''),
          h('td', null, r.first_seen ? h('time', { attrs: { datetime: r.first_seen } }, formatTime(r.first_seen)) : ''),
          h('td', null, r.last_seen ? h('time', { attrs: { datetime: r.last_seen } }, formatTime(r.last_seen)) : ''),
        );
        return expanded ? [main, detailRow(r)] : [main];
      }),
    );
  }
  render();
  return h(
    'div',
    { class: 'triage', attrs: { 'data-role': 'triage-table' } },
    h('p', { class: 'muted' }, summaryLine(out)),
    out.summary ? h('p', { attrs: { 'data-role': 'triage-summary', title: 'Written by the local model from the counts and flags below' } }, out.summary) : null,
    h('table', { class: 'data', attrs: { 'aria-label': 'Log templates' } }, h('thead', null, h('tr', null, heads.map((x) => x.th))), body),
  );
}

/** The expanded part of a row: why it is flagged, its top values, its sample lines. */
function detailRow(r: TriageRow): HTMLElement {
  return h(
    'tr',
    { class: 'triage-detail' },
    h(
      'td',
      { attrs: { colspan: COLUMNS.length } },
      (r.flags ?? []).length > 0 ? h('ul', null, (r.flags ?? []).map((f) => h('li', null, h('strong', null, f.kind), ': ', f.reason))) : null,
      (r.variables ?? []).map((v) =>
        h(
          'p',
          null,
          h('span', { class: 'muted' }, `<*> #${v.slot + 1}: `),
          v.values.map((x, i) => [i > 0 ? ', ' : '', h('code', null, x.value), ` ×${x.count}`]),
          v.other > 0 ? h('span', { class: 'muted' }, `, other ×${v.other}`) : null,
        ),
      ),
      r.file ? h('p', { class: 'muted' }, r.file) : null,
      h('pre', { class: 'json', attrs: { 'aria-label': 'Sample lines' } }, r.examples.join('\n')),
    ),
  );
}

/**
 * The table for a run's output, or null when the run is not a log triage. The detail pane is
 * redrawn on every event of the selected run; the last table is kept (one entry) so that its
 * sort and open rows survive those redraws.
 */
let last: { runId: string; output: unknown; el: HTMLElement } | undefined;
export function triageView(run: { id: string; tool: string; output?: unknown }): HTMLElement | null {
  const out = asTriageOutput(run.tool, run.output);
  if (!out) return null;
  if (last && last.runId === run.id && last.output === run.output) return last.el;
  last = { runId: run.id, output: run.output, el: triageTable(out) };
  return last.el;
}
