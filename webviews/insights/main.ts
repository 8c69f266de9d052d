/**
 * The Insights panel on the user's own events: a funnel whose steps are picked from the events
 * that exist, the retention triangle, the drivers of a conversion with how sure each is, an
 * anomaly chart, all over one analysis window; "Write as insight" on each result, the saved
 * insights and "Draft campaign". Every number comes from a registry tool run through the host
 * (webviews never reach the backend). With no events yet it says how to bring them in, and only
 * then offers a clearly marked sample preview. Choices and results are kept with setState, so a
 * hidden or reloaded panel shows the same thing without running anything again.
 */
import '../common/elements';
import type { EventCatalog, Run, ToolInfo } from '../../contracts/rest';
import type { AnomalyDetection, CohortRetention, FunnelSummary, RateInterval, TopDrivers } from '../../contracts/tools/analytics';
import { HostClient } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { formatTime, percent } from '../common/format';
import { validate, type JsonSchema } from '../../contracts/json-schema';
import { PanelState } from '../common/state';
import { describeError, missingTools, showBanner } from '../common/ui';
import { draftBlocked, saveBlocked } from './action-state';
import { vscodeApi } from '../common/vscode-api';
import { AnomalyChart, FunnelChart, onThemeChange } from './charts';
import { anomalyInsight, campaignFromInsight, confidenceLabel, driverInsight, funnelInsight, funnelRows, rankDrivers, type Insight } from './funnel';
import { averageRetention, periodLabel, retentionInsight } from './retention';
import { allKnown, analysisWindow, describeCatalog, MAX_STEPS, proposeAnomalyMetric, proposeFunnel, proposeReturnEvent, windowMisses } from './catalog';
import { SAMPLE_ANOMALIES, SAMPLE_DRIVERS, SAMPLE_FUNNEL, SAMPLE_RETENTION } from './sample-data';

const TOOLS = {
  funnel: 'analytics.funnel_summary',
  retention: 'analytics.cohort_retention',
  drivers: 'analytics.top_drivers',
  anomalies: 'analytics.anomaly_detect',
  save: 'analytics.write_insight',
  campaign: 'marketing.generate_channel_posts',
} as const;
type Analysis = 'funnel' | 'retention' | 'drivers' | 'anomalies';
const ANALYSES: Analysis[] = ['funnel', 'retention', 'drivers', 'anomalies'];
const RANGES = [7, 14, 30, 90, 180, 365];

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, {
  sample: false,
  rangeDays: 30,
  /** Last day of the analysis window (YYYY-MM-DD, UTC); empty: today. */
  asOf: '',
  windowDays: 14,
  funnelName: 'Funnel',
  funnelSteps: [] as string[],
  /** Per step, an optional property filter as "key=value" (empty: none). */
  funnelFilters: [] as string[],
  cohortEvent: '',
  returnEvent: '',
  period: 'week',
  driverTarget: '',
  anomalyMetric: '',
  /** Whether the choices were proposed from this store's events (and the first analyses run). */
  proposed: false,
  funnel: null as unknown,
  retention: null as unknown,
  drivers: null as unknown,
  anomalies: null as unknown,
});

const app = document.getElementById('app') as HTMLElement;
let tools = new Map<string, ToolInfo>();
/** What the event store holds; null until read (or when it cannot be). */
let catalog: EventCatalog | null = null;
/** Why the catalog could not be read, shown in place of the charts. */
let catalogProblem: string | null = null;
const busy = new Set<Analysis>();

type Field = HTMLElement & { value: string; disabled: boolean };

const available = (name: string): boolean => tools.get(name)?.available === true;
const hasEvents = (): boolean => (catalog?.totals.events ?? 0) > 0;
/** The sample is only for a store with no events: once real ones exist it is never shown. */
const sample = (): boolean => state.get().sample && !hasEvents();
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** Whether a tool's input schema has a top-level property (so an optional input is only sent where it is understood). */
function takes(tool: string, prop: string): boolean {
  const props = (tools.get(tool)?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!props && Object.prototype.hasOwnProperty.call(props, prop);
}

function sampleTag(): HTMLElement | null {
  return sample() ? h('span', { class: 'sample-tag', attrs: { title: 'Made-up numbers to show the charts; not your data' } }, icon('beaker'), 'Sample data') : null;
}

// ---- Running a tool ----

/** Run a tool and wait for its output; the input is checked against the tool's schema first. */
/**
 * Run a tool and wait for its output; the input is checked against the tool's schema first.
 * A failure is reported through `fail` (by default the banner; an analysis writes it in its card,
 * so four failing analyses do not hide each other).
 */
async function runTool(tool: string, input: Record<string, unknown>, fail: (level: 'warning' | 'error', message: string) => void = showBanner): Promise<unknown | null> {
  const info = tools.get(tool);
  if (info) {
    const violations = validate(info.inputSchema as JsonSchema, input);
    if (violations.length > 0) {
      fail('error', `${tool}: ${violations.map((v) => v.message).join('; ')}`);
      return null;
    }
  }
  try {
    const run: Run = await client.request('tool/call', { tool, input, wait: true });
    if (run.status === 'succeeded') return run.output ?? null;
    if (run.status === 'awaiting_approval') fail('warning', `${tool} is waiting for approval in the Runs panel.`);
    else fail('error', `${tool} ${run.status.replace('_', ' ')}${run.error ? `: ${run.error.message}` : ''}`);
  } catch (err) {
    fail('error', `${tool}: ${describeError(err)}`);
  }
  return null;
}

/** Each analysis card's last failure, written in the card. */
const errorEl = (a: Analysis) => h('p', { class: 'error-text', attrs: { 'data-role': `error-${a}`, role: 'alert' } });
const errorEls: Record<Analysis, HTMLElement> = { funnel: errorEl('funnel'), retention: errorEl('retention'), drivers: errorEl('drivers'), anomalies: errorEl('anomalies') };

/** One analysis at a time per card: its button shows a ring, and a press while it runs is ignored. */
async function analyse(which: Analysis): Promise<void> {
  if (busy.has(which) || sample()) return;
  const input = inputs[which]();
  if (!input) return;
  busy.add(which);
  drawBusy();
  replace(errorEls[which]);
  try {
    const out = await runTool(TOOLS[which], input, (level, message) => replace(errorEls[which], icon(level), ` ${message}`));
    if (out) {
      state.update({ [which]: out });
      draw[which]();
      refreshInsightActions();
    }
  } finally {
    busy.delete(which);
    drawBusy();
  }
}

/** Run the analyses one after another (two cores are shared with everything else). */
async function analyseAll(which: readonly Analysis[]): Promise<void> {
  for (const a of which) if (available(TOOLS[a])) await analyse(a);
}

// ---- Pickers built from the catalog ----

function eventNames(): string[] {
  return (catalog?.events ?? []).map((e) => e.name);
}

/** A select of the events that exist (a filterable combobox when there are many). */
function eventSelect(label: string, field: string, value: string, onChange: (v: string) => void): Field {
  const names = eventNames();
  const users = new Map((catalog?.events ?? []).map((e) => [e.name, e.users]));
  const options = names.includes(value) || value === '' ? names : [value, ...names];
  const select = h(
    'vscode-single-select',
    { attrs: { 'aria-label': label, title: label, 'data-field': field, combobox: names.length > 12 } },
    options.map((n) =>
      h('vscode-option', { attrs: { value: n, selected: n === value, description: users.has(n) ? `${users.get(n)!.toLocaleString('en-US')} users` : 'not in the data' } }, n),
    ),
  ) as unknown as Field;
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

function runButton(which: Analysis, label: string): HTMLElement {
  return h('vscode-button', { attrs: { icon: 'play', 'data-action': `run-${TOOLS[which]}` }, on: { click: () => void analyse(which) } }, label);
}

// ---- Write as insight / Draft campaign ----

async function saveInsight(insight: Insight): Promise<void> {
  if (sample()) {
    showBanner('info', 'Sample data is not saved: run the analysis on your data first.');
    return;
  }
  const output = (await runTool(TOOLS.save, { insight })) as { insight_id?: string; artifact?: { path?: string } } | null;
  if (output?.insight_id) {
    showBanner('info', `Wrote the insight ${output.insight_id}${output.artifact?.path ? ` (${output.artifact.path})` : ''}.`);
    void loadSaved();
  }
}

/** Each result card's actions, refreshed whenever its result (or the tool list) changes. */
const actionRows: Array<() => void> = [];

function refreshInsightActions(): void {
  for (const refresh of actionRows) refresh();
}

function insightActions(make: () => Insight | null): HTMLElement {
  const campaignBox = h('div');
  const reason = h('span', { class: 'muted', attrs: { 'data-role': 'action-reason' } });
  const save = h(
    'vscode-button',
    { attrs: { secondary: true, icon: 'save', 'data-action': 'save-insight' }, on: { click: () => { const i = make(); if (i) void saveInsight(i); } } },
    'Write as insight',
  ) as unknown as Field;
  const draft = h(
    'vscode-button',
    { attrs: { secondary: true, icon: 'megaphone', 'data-action': 'draft-campaign' }, on: { click: () => { const i = make(); if (i) campaignForm(campaignBox, i); } } },
    'Draft campaign',
  ) as unknown as Field;
  actionRows.push(() => {
    const facts = (name: string) => ({ hasResult: make() !== null, sample: sample(), tool: tools.get(name) });
    const whySave = saveBlocked(facts(TOOLS.save));
    const whyDraft = draftBlocked(facts(TOOLS.campaign));
    save.disabled = whySave !== null;
    draft.disabled = whyDraft !== null;
    save.setAttribute('title', whySave ?? 'Write this as an insight (analytics.write_insight)');
    draft.setAttribute('title', whyDraft ?? 'Draft campaign');
    // Disabled buttons show no tooltip everywhere: the reason is also written beside them.
    reason.textContent = [...new Set([whySave, whyDraft].filter((r): r is string => r !== null))].join(' ');
  });
  actionRows.at(-1)!();
  return h('div', { class: 'row' }, save as unknown as HTMLElement, draft as unknown as HTMLElement, reason, campaignBox);
}

const CHANNELS = ['linkedin', 'x', 'bluesky', 'mastodon'];

function campaignForm(box: HTMLElement, insight: Insight): void {
  const product = h('vscode-textfield', { attrs: { placeholder: 'Product', 'aria-label': 'Product', 'data-field': 'product' } }) as unknown as Field;
  const audience = h('vscode-textfield', { attrs: { placeholder: 'Audience', 'aria-label': 'Audience', 'data-field': 'audience' } }) as unknown as Field;
  const boxes = CHANNELS.map((c) => h('vscode-checkbox', { attrs: { label: c, 'data-channel': c }, props: { checked: c === 'linkedin' } }) as unknown as HTMLElement & { checked: boolean });
  const result = h('div', { attrs: { 'data-role': 'campaign-result' } });
  replace(
    box,
    h(
      'div',
      { class: 'chart-card', attrs: { 'aria-label': 'Draft a campaign' } },
      h('h3', null, `Draft a campaign from "${insight.title}"`),
      !available(TOOLS.campaign) ? h('p', { class: 'notice' }, icon('warning'), ` ${TOOLS.campaign} is not available yet: ${tools.get(TOOLS.campaign)?.unavailableReason ?? 'unknown tool'}.`) : null,
      h('div', { class: 'row' }, product, audience),
      h('div', { class: 'row' }, boxes),
      h(
        'div',
        { class: 'row' },
        h(
          'vscode-button',
          {
            attrs: { icon: 'sparkle', 'data-action': 'generate-posts' },
            on: {
              click: () =>
                void (async () => {
                  const channels = boxes.filter((b) => b.checked).map((b) => b.dataset.channel as string);
                  type Post = { text: string; flagged?: boolean; violations?: Array<{ rule: string; detail: string }> };
                  const out = (await runTool(TOOLS.campaign, campaignFromInsight(insight, product.value.trim(), audience.value.trim(), channels))) as { channels?: Array<{ channel: string; posts: Post[] }> } | null;
                  // A post the brand's claims policy flagged says so, with each rule it broke.
                  const post = (p: Post) =>
                    h(
                      'div',
                      { class: 'post', dataset: p.flagged ? { flagged: 'true' } : {} },
                      h('p', null, p.text),
                      p.flagged ? h('p', { class: 'warning-text' }, icon('warning'), ' Flagged: check before posting') : null,
                      p.flagged && p.violations?.length ? h('ul', { class: 'muted' }, p.violations.map((v) => h('li', null, `${v.rule}: ${v.detail}`))) : null,
                    );
                  if (out?.channels) replace(result, out.channels.map((c) => h('section', null, h('h3', null, c.channel), c.posts.map(post))));
                })(),
            },
          },
          'Generate posts',
        ),
      ),
      result,
    ),
  );
}

// ---- Funnel ----

const funnelCanvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Funnel chart: users per step' } });
const funnelTable = h('div', { attrs: { 'data-role': 'funnel-table' } });
const funnelChart = new FunnelChart(funnelCanvas);
const funnelHead = h('header');
const stepsEl = h('div', { class: 'steps', attrs: { 'data-role': 'funnel-steps' } });

function currentFunnel(): FunnelSummary | null {
  return sample() ? SAMPLE_FUNNEL : (state.get().funnel as FunnelSummary | null);
}

/** A rate's 95 % interval, as "12.0–15.3%" (null when the tool gave none). */
function interval(v: RateInterval | undefined): string | null {
  return v ? `${(v.lower * 100).toFixed(1)}–${(v.upper * 100).toFixed(1)}%` : null;
}

/** A median duration in words: "45 s", "3.2 h", "2.5 d". */
function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** What span a result covers: its window when the tool says it, else its range. */
function spanText(out: { range_days: number; window?: { from: string; to: string } }): string {
  if (!out.window) return `last ${out.range_days} days`;
  const last = new Date(Date.parse(out.window.to) - 1).toISOString().slice(0, 10);
  return `${out.window.from.slice(0, 10)} to ${last}`;
}

function drawFunnel(): void {
  const out = currentFunnel();
  const rows = out ? funnelRows(out.steps) : [];
  funnelChart.update(rows);
  replace(funnelHead, h('h2', null, 'Funnel'), sampleTag(), out ? h('span', { class: 'muted', attrs: { 'data-role': 'funnel-span' } }, `${out.funnel_name}, ${spanText(out)}`) : null, h('span', { class: 'spacer' }));
  const step = (i: number) => out?.steps[i];
  const timed = out?.steps.some((st) => st.median_seconds_from_prev !== undefined) ?? false;
  replace(
    funnelTable,
    !out
      ? h('p', { class: 'muted' }, 'No funnel yet: pick its steps and press Run funnel.')
      : h(
          'table',
          { class: 'data' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, 'Step'), h('th', { class: 'num' }, 'Users'), h('th', { class: 'num' }, 'From previous'), h('th', { class: 'num' }, 'Overall'), h('th', { class: 'num' }, 'Dropped'), timed ? h('th', { class: 'num' }, 'Median time') : null),
          ),
          h(
            'tbody',
            null,
            rows.map((r, i) => {
              const ci = i === 0 ? null : interval(step(i)?.conversion_from_prev_interval);
              const ciAll = i === 0 ? null : interval(step(i)?.conversion_overall_interval);
              return h(
                'tr',
                { dataset: { step: String(r.step) } },
                h('td', null, `${r.step}. ${r.event}`),
                h('td', { class: 'num' }, r.users.toLocaleString('en-US')),
                h('td', { class: 'num', attrs: ci ? { title: `95% interval ${ci}` } : {} }, percent(r.fromPrevious), ci ? h('span', { class: 'ci' }, ` (${ci})`) : null),
                h('td', { class: 'num', attrs: ciAll ? { title: `95% interval ${ciAll}` } : {} }, percent(r.overall), ciAll ? h('span', { class: 'ci' }, ` (${ciAll})`) : null),
                h('td', { class: 'num' }, r.dropped.toLocaleString('en-US')),
                timed ? h('td', { class: 'num', attrs: { title: 'Median time from the previous step' } }, i === 0 ? '' : duration(step(i)?.median_seconds_from_prev)) : null,
              );
            }),
          ),
        ),
  );
}

function drawSteps(): void {
  const steps = strings(state.get().funnelSteps);
  const set = (i: number, v: string) => {
    const next = [...strings(state.get().funnelSteps)];
    next[i] = v;
    state.update({ funnelSteps: next });
  };
  const remove = (i: number) => {
    state.update({ funnelSteps: strings(state.get().funnelSteps).filter((_, j) => j !== i), funnelFilters: strings(state.get().funnelFilters).filter((_, j) => j !== i) });
    drawSteps();
  };
  const setFilter = (i: number, v: string) => {
    const next = [...strings(state.get().funnelFilters)];
    while (next.length < i) next.push('');
    next[i] = v.trim();
    state.update({ funnelFilters: next });
  };
  const keys = (catalog?.properties ?? []).slice(0, 8).map((p) => p.key).join(', ');
  const filters = strings(state.get().funnelFilters);
  const add = () => {
    const now = strings(state.get().funnelSteps);
    const next = eventNames().find((n) => !now.includes(n));
    if (next) state.update({ funnelSteps: [...now, next] });
    drawSteps();
  };
  replace(
    stepsEl,
    steps.map((s, i) =>
      h(
        'span',
        { class: 'step', dataset: { step: String(i + 1) } },
        h('span', { class: 'muted' }, `${i + 1}.`),
        eventSelect(`Step ${i + 1}`, `step-${i + 1}`, s, (v) => set(i, v)),
        filterField(i, filters[i] ?? '', keys, (v) => setFilter(i, v)),
        h('button', { class: 'icon-button', attrs: { type: 'button', title: `Remove step ${i + 1}`, 'aria-label': `Remove step ${i + 1}`, 'data-action': 'remove-step', disabled: steps.length <= 2 }, on: { click: () => remove(i) } }, icon('close')),
        i < steps.length - 1 ? icon('arrow-right') : null,
      ),
    ),
    h('vscode-button', { attrs: { secondary: true, icon: 'add', 'data-action': 'add-step', disabled: steps.length >= MAX_STEPS || steps.length >= eventNames().length }, on: { click: add } }, 'Add step'),
  );
}

/** A step's optional "key=value" property filter. */
function filterField(i: number, value: string, keys: string, onInput: (v: string) => void): HTMLElement {
  const f = h('vscode-textfield', {
    attrs: { placeholder: 'where key=value', 'aria-label': `Step ${i + 1} property filter (key=value)`, title: keys ? `Only events whose property matches, e.g. plan=team. Properties: ${keys}` : 'Only events whose property matches, e.g. plan=team', 'data-field': `filter-${i + 1}` },
    props: { value },
  }) as unknown as Field;
  f.style.width = '130px';
  f.addEventListener('input', () => onInput(f.value));
  return f;
}

/** "plan=team" as a funnel step filter; a property the data does not have is named (the tool would refuse it too). */
function parseFilter(text: string, step: number): { filter?: Record<string, string>; problem?: string } {
  if (text === '') return {};
  const m = /^([^=]+)=(.*)$/.exec(text);
  if (!m || m[1].trim() === '') return { problem: `Step ${step}'s filter "${text}" is not key=value (for example plan=team).` };
  const key = m[1].trim();
  if (catalog && catalog.properties.length > 0 && !catalog.properties.some((p) => p.key === key)) return { problem: `Step ${step}'s filter names "${key}", a property no event has.` };
  return { filter: { [key]: m[2].trim() } };
}

const DAY = 86_400_000;

/** The instant the window ends: the day after the chosen last day, or now. */
function windowEnd(): number {
  const d = state.get().asOf;
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d)) ? Date.parse(`${d}T00:00:00Z`) + DAY : Date.now();
}

/** `as_of` for a tool that takes it, when a last day was chosen. */
function asOf(tool: string): Record<string, unknown> {
  return state.get().asOf && takes(tool, 'as_of') ? { as_of: new Date(windowEnd()).toISOString() } : {};
}

const inputs: Record<Analysis, () => Record<string, unknown> | null> = {
  funnel: () => {
    const steps = strings(state.get().funnelSteps);
    if (steps.length < 2) {
      showBanner('error', 'A funnel needs at least two steps: add a step.');
      return null;
    }
    const filters = strings(state.get().funnelFilters);
    const parsed = steps.map((_, i) => parseFilter(filters[i] ?? '', i + 1));
    const problem = parsed.find((p) => p.problem)?.problem;
    if (problem) {
      showBanner('error', problem);
      return null;
    }
    return {
      range_days: state.get().rangeDays,
      funnel: { name: state.get().funnelName.trim() || 'Funnel', steps: steps.map((event_name, i) => ({ event_name, ...(parsed[i].filter ? { filter: parsed[i].filter } : {}) })) },
      ...(takes(TOOLS.funnel, 'window_days') ? { window_days: state.get().windowDays } : {}),
      ...asOf(TOOLS.funnel),
    };
  },
  retention: () => {
    const { cohortEvent, returnEvent, period, rangeDays } = state.get();
    if (!cohortEvent || !returnEvent) {
      showBanner('error', 'Pick the event that starts a cohort and the event that counts as coming back.');
      return null;
    }
    return { range_days: rangeDays, cohort_event: cohortEvent, return_event: returnEvent, period, periods: period === 'day' ? 14 : 8, ...asOf(TOOLS.retention) };
  },
  drivers: () => {
    const target = state.get().driverTarget;
    if (!target) {
      showBanner('error', 'Pick the event whose conversion the drivers explain.');
      return null;
    }
    const entry = strings(state.get().funnelSteps)[0];
    return {
      range_days: state.get().rangeDays,
      target: { metric: `${target}_conversion`, event_name: target },
      ...(entry && entry !== target && takes(TOOLS.drivers, 'entry_event') ? { entry_event: entry } : {}),
      ...(takes(TOOLS.drivers, 'window_days') ? { window_days: state.get().windowDays } : {}),
      ...asOf(TOOLS.drivers),
    };
  },
  anomalies: () => {
    const metric = state.get().anomalyMetric;
    if (!metric) {
      showBanner('error', 'Pick the event whose daily count to check.');
      return null;
    }
    return { metric, range_days: Math.max(7, state.get().rangeDays), ...asOf(TOOLS.anomalies) };
  },
};

// ---- Retention ----

const retentionEl = h('div', { attrs: { 'data-role': 'retention' } });
const retentionPickers = h('span', { class: 'row' });

function currentRetention(): CohortRetention | null {
  return sample() ? SAMPLE_RETENTION : (state.get().retention as CohortRetention | null);
}

/** A cell's shade: the theme's chart blue, stronger for a larger share (CSSOM, so the CSP allows it). */
function shade(cell: HTMLElement, share: number): void {
  cell.style.backgroundColor = `color-mix(in srgb, var(--vscode-charts-blue) ${Math.round(share * 70)}%, transparent)`;
}

function drawRetention(): void {
  const out = currentRetention();
  if (!out) return replace(retentionEl, h('p', { class: 'muted' }, 'No retention yet.'));
  if (out.cohorts.length === 0) return replace(retentionEl, h('p', { class: 'muted' }, 'No user performed the cohort event in this window.'));
  const width = Math.max(...out.cohorts.map((c) => c.retained.length));
  // The tool's averages carry their intervals; an output without them is averaged here the same way.
  const avg = out.average
    ? out.average.map((a) => ({ period: a.period_index, share: a.retained, users: a.cohort_users, interval: interval(a.interval) }))
    : averageRetention(out.cohorts).map((a) => ({ ...a, interval: null }));
  const cell = (share: number | undefined) => {
    if (share === undefined) return h('td', { class: 'num muted' }, '');
    const td = h('td', { class: 'num' }, percent(share));
    shade(td, share);
    return td;
  };
  replace(
    retentionEl,
    h(
      'table',
      { class: 'data triangle' },
      h('thead', null, h('tr', null, h('th', null, 'Cohort'), h('th', { class: 'num' }, 'Users'), Array.from({ length: width }, (_, i) => h('th', { class: 'num' }, periodLabel(out.period, i))))),
      h(
        'tbody',
        null,
        out.cohorts.map((c) => h('tr', { dataset: { cohort: c.cohort_start } }, h('td', null, c.cohort_start), h('td', { class: 'num' }, c.size.toLocaleString('en-US')), Array.from({ length: width }, (_, i) => cell(c.retained[i])))),
      ),
      h(
        'tfoot',
        null,
        h('tr', { dataset: { role: 'average' } }, h('th', null, 'Average'), h('td', { class: 'num' }, out.cohorts.reduce((n, c) => n + c.size, 0).toLocaleString('en-US')), avg.map((a) => h('td', { class: 'num', attrs: { title: `over ${a.users} users${a.interval ? `; 95% interval ${a.interval}` : ''}` } }, percent(a.share)))),
      ),
    ),
  );
}

function drawRetentionPickers(): void {
  const periods = ((tools.get(TOOLS.retention)?.inputSchema as { properties?: { period?: { enum?: string[] } } } | undefined)?.properties?.period?.enum ?? ['day', 'week', 'month']).filter((p) => p === 'day' || p === 'week' || p === 'month');
  const periodSel = h(
    'vscode-single-select',
    { attrs: { 'aria-label': 'Period', 'data-field': 'period' } },
    periods.map((p) => h('vscode-option', { attrs: { value: p, selected: p === state.get().period } }, `${p[0].toUpperCase()}${p.slice(1)}ly`)),
  ) as unknown as Field;
  periodSel.addEventListener('change', () => state.update({ period: periodSel.value }));
  replace(
    retentionPickers,
    h('span', { class: 'muted' }, 'Users who did'),
    eventSelect('Cohort event', 'cohort-event', state.get().cohortEvent, (v) => state.update({ cohortEvent: v })),
    h('span', { class: 'muted' }, 'coming back to'),
    eventSelect('Return event', 'return-event', state.get().returnEvent, (v) => state.update({ returnEvent: v })),
    periodSel,
  );
}

// ---- Drivers ----

const driversEl = h('div', { attrs: { 'data-role': 'drivers' } });
const driverPicker = h('span', { class: 'row' });

function currentDrivers(): TopDrivers | null {
  return sample() ? SAMPLE_DRIVERS : (state.get().drivers as TopDrivers | null);
}

function drawDrivers(): void {
  const out = currentDrivers();
  if (!out) return replace(driversEl, h('p', { class: 'muted' }, 'No drivers yet.'));
  if (out.drivers.length === 0) return replace(driversEl, h('p', { class: 'muted' }, 'No property had enough support to say it drives this conversion.'));
  replace(
    driversEl,
    h(
      'table',
      { class: 'data' },
      h('thead', null, h('tr', null, h('th', null, 'Driver'), h('th', null, 'Direction'), h('th', { class: 'num' }, 'Score'), h('th', null, 'Confidence'), h('th', null, 'Evidence'))),
      h(
        'tbody',
        null,
        rankDrivers(out.drivers).map((d) => {
          const bar = h('span');
          bar.style.width = `${Math.round((d.confidence ?? 0) * 100)}%`;
          return h(
            'tr',
            { dataset: { driver: d.name } },
            h('td', null, h('code', null, d.name)),
            h('td', null, icon(d.direction === 'positive' ? 'arrow-up' : d.direction === 'negative' ? 'arrow-down' : 'dash'), ` ${d.direction}`),
            h('td', { class: 'num' }, d.score.toFixed(2)),
            h('td', null, h('span', { class: 'meter', attrs: { 'aria-hidden': 'true' } }, bar), ` ${confidenceLabel(d.confidence)} (${percent(d.confidence ?? null, 0)})`),
            h('td', null, d.evidence),
          );
        }),
      ),
    ),
  );
}

function drawDriverPicker(): void {
  replace(driverPicker, h('span', { class: 'muted' }, 'What makes users reach'), eventSelect('Target event', 'driver-target', state.get().driverTarget, (v) => state.update({ driverTarget: v })));
}

// ---- Anomalies ----

const anomalyCanvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Anomaly chart: observed values, the expected band and the anomalies' } });
const anomalyChart = new AnomalyChart(anomalyCanvas);
const anomalyList = h('div', { attrs: { 'data-role': 'anomalies' } });
const anomalyPicker = h('span', { class: 'row' });

function currentAnomalies(): AnomalyDetection | null {
  return sample() ? SAMPLE_ANOMALIES : (state.get().anomalies as AnomalyDetection | null);
}

function drawAnomalies(): void {
  const out = currentAnomalies();
  anomalyChart.update(out?.series ?? [], out?.anomalies ?? []);
  replace(
    anomalyList,
    !out
      ? h('p', { class: 'muted' }, 'No series yet.')
      : out.anomalies.length === 0
        ? h('p', { class: 'muted' }, `No day fell outside the expected range (${out.method}).`)
        : h(
            'ul',
            { class: 'timeline' },
            out.anomalies.map((a) => {
              const p = out.series.find((s) => s.t === a.t);
              return h(
                'li',
                { dataset: { anomaly: a.t.slice(0, 10) } },
                icon(a.direction === 'spike' ? 'arrow-up' : 'arrow-down'),
                h('time', null, a.t.slice(0, 10)),
                `${a.direction}: ${a.value.toLocaleString('en-US')} (expected ${p ? `${Math.round(p.lower)}–${Math.round(p.upper)}` : Math.round(a.expected)}, score ${a.score.toFixed(1)})`,
              );
            }),
            h('li', { class: 'muted' }, `Method: ${out.method}`),
          ),
  );
}

function drawAnomalyPicker(): void {
  replace(anomalyPicker, h('span', { class: 'muted' }, 'Daily count of'), eventSelect('Metric event', 'anomaly-metric', state.get().anomalyMetric, (v) => state.update({ anomalyMetric: v })));
}

const draw: Record<Analysis, () => void> = { funnel: drawFunnel, retention: drawRetention, drivers: drawDrivers, anomalies: drawAnomalies };

// ---- Saved insights ----

const savedEl = h('div', { attrs: { 'data-role': 'saved' } });

async function loadSaved(): Promise<void> {
  if (!available(TOOLS.save)) return;
  try {
    const page = await client.request('runs/list', { tool: TOOLS.save, status: 'succeeded', limit: 50 });
    const saved = page.runs
      .map((r) => ({ run: r, insight: (r.input as { insight?: Insight } | null)?.insight, id: (r.output as { insight_id?: string } | undefined)?.insight_id }))
      .filter((s): s is { run: Run; insight: Insight; id: string | undefined } => typeof s.insight?.title === 'string');
    replace(
      savedEl,
      saved.length === 0
        ? h('p', { class: 'muted' }, 'No insights written yet. Use "Write as insight" on a result.')
        : h(
            'ul',
            { class: 'timeline' },
            saved.map((s) => {
              const box = h('div');
              return h(
                'li',
                { dataset: { insight: s.id ?? s.run.id } },
                h('span', { class: 'chip' }, s.insight.type),
                h('span', null, s.insight.title),
                h('span', { class: 'muted' }, `${s.insight.severity} · ${confidenceLabel(s.insight.confidence)} confidence · ${formatTime(s.run.createdAt)}`),
                h('vscode-button', { attrs: { secondary: true, icon: 'megaphone', 'data-action': 'draft-campaign' }, on: { click: () => campaignForm(box, s.insight) } }, 'Draft campaign'),
                box,
              );
            }),
          ),
    );
  } catch (err) {
    replace(savedEl, h('p', { class: 'error-text' }, `Could not list saved insights: ${describeError(err)}`));
  }
}

// ---- No events yet ----

const emptyEl = h('section', { class: 'chart-card empty-events', attrs: { 'data-role': 'empty', 'aria-label': 'No events yet' } });
const unreadEl = h('p', { class: 'error-text', attrs: { 'data-role': 'catalog-error', role: 'alert', hidden: true } });

function drawEmpty(): void {
  const cmd = (text: string) => h('code', null, text);
  replace(
    emptyEl,
    h('h2', null, icon('graph'), ' No product events yet'),
    h('p', null, 'Insights are computed from your product events (who did what, when). Bring some in:'),
    h(
      'ul',
      null,
      h('li', null, cmd('product-os events import FILE'), ' — a CSV, JSON lines or Parquet file with user_id, event, timestamp and properties.'),
      h('li', null, 'The ', cmd('events.ingest'), ' tool — send batches from your app or an agent (MCP or ', cmd('POST /api/runs'), ').'),
      h('li', null, cmd('product-os demo'), ' — a realistic sample product’s events, to try the panel.'),
    ),
    h('p', { class: 'muted' }, 'Then press Reload. Until then you can preview the charts with made-up numbers.'),
  );
}

// ---- Layout ----

const missingEl = h('div', { attrs: { 'data-role': 'missing' } });
const dataEl = h('p', { class: 'muted', attrs: { 'data-role': 'data-span' } });
const windowEl = h('span', { class: 'muted', attrs: { 'data-role': 'window' } });
const analysesEl = h('div', { class: 'insights-body', attrs: { 'data-role': 'analyses' } });

const rangeSelect = h(
  'vscode-single-select',
  { attrs: { 'aria-label': 'Analysis window', 'data-field': 'range' } },
  RANGES.map((d) => h('vscode-option', { attrs: { value: String(d), selected: d === state.get().rangeDays } }, `Last ${d} days`)),
) as unknown as Field;
rangeSelect.addEventListener('change', () => {
  const days = Number(rangeSelect.value);
  if (!RANGES.includes(days) || days === state.get().rangeDays) return;
  state.update({ rangeDays: days });
  drawWindow();
  // The results shown are for the old window: run them again for the new one.
  if (hasEvents()) void analyseAll(ANALYSES.filter((a) => state.get()[a] !== null));
});

const asOfField = h('vscode-textfield', {
  attrs: { type: 'date', 'aria-label': 'Last day of the window (empty: today)', title: 'Last day of the window (UTC); empty: today', 'data-field': 'as-of' },
  props: { value: state.get().asOf },
}) as unknown as Field;
asOfField.addEventListener('change', () => setAsOf(asOfField.value));
const asOfBox = h('span', { class: 'row' }, h('span', { class: 'muted' }, 'ending'), asOfField);

function setAsOf(day: string): void {
  const v = /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : '';
  if (v === state.get().asOf) return;
  state.update({ asOf: v });
  drawWindow();
  if (hasEvents()) void analyseAll(ANALYSES.filter((a) => state.get()[a] !== null));
}

const sampleToggle = h(
  'vscode-button',
  { attrs: { secondary: true, icon: 'beaker', 'data-action': 'toggle-sample', 'aria-pressed': 'false' }, on: { click: () => { state.update({ sample: !state.get().sample }); render(); } } },
  'Preview with sample data',
);

const windowDaysField = h('vscode-textfield', {
  attrs: { type: 'number', min: 1, max: 90, 'aria-label': 'Conversion window in days', title: 'Conversion window: days from a user’s first step to the last', 'data-field': 'window-days' },
  props: { value: String(state.get().windowDays) },
}) as unknown as Field;
windowDaysField.style.width = '70px';
windowDaysField.addEventListener('input', () => {
  const n = Number(windowDaysField.value);
  if (Number.isInteger(n) && n >= 1 && n <= 90) state.update({ windowDays: n });
});
const funnelNameField = h('vscode-textfield', { attrs: { 'aria-label': 'Funnel name', placeholder: 'Funnel name', 'data-field': 'funnelName' }, props: { value: state.get().funnelName } }) as unknown as Field;
funnelNameField.addEventListener('input', () => state.update({ funnelName: funnelNameField.value }));

function card(role: Analysis | 'saved', title: HTMLElement | string, controls: Array<HTMLElement | null>, ...body: HTMLElement[]): HTMLElement {
  return h(
    'section',
    { class: 'chart-card', dataset: { card: role } },
    typeof title === 'string' ? h('header', null, h('h2', null, title)) : title,
    controls.length ? h('div', { class: 'row' }, controls) : null,
    role === 'saved' ? null : errorEls[role],
    ...body,
  );
}

function drawWindow(): void {
  const { from, to } = analysisWindow(state.get().rangeDays, windowEnd());
  replace(windowEl, `${from} to ${to} (UTC)`);
  asOfBox.hidden = !takes(TOOLS.funnel, 'as_of');
  if (asOfField.value !== state.get().asOf) asOfField.value = state.get().asOf;
  if (!catalog) return replace(dataEl);
  const miss = windowMisses(catalog, state.get().rangeDays, windowEnd());
  const canMove = miss && !asOfBox.hidden;
  replace(
    dataEl,
    hasEvents() ? describeCatalog(catalog) : null,
    miss
      ? h(
          'span',
          { class: 'warning-text', attrs: { 'data-role': 'window-miss' } },
          ` · The newest event is from ${miss.newest}, before this window: ${canMove ? 'end the window on that day, or ' : ''}choose a window of at least ${miss.needDays} days. `,
        )
      : null,
    canMove ? h('vscode-button', { attrs: { secondary: true, icon: 'calendar', 'data-action': 'end-at-data' }, on: { click: () => setAsOf(miss.newest) } }, `End on ${miss.newest}`) : null,
  );
}

function drawBusy(): void {
  for (const a of ANALYSES) {
    const b = app.querySelector<Field>(`[data-action="run-${TOOLS[a]}"]`);
    if (!b) continue;
    // Disabled means "cannot run here" (the tool is missing, or this is the sample); a run in
    // progress shows a ring instead, and a second press is ignored until it ends.
    b.disabled = !available(TOOLS[a]) || sample();
    b.setAttribute('aria-busy', String(busy.has(a)));
    b.setAttribute('title', !available(TOOLS[a]) ? `${TOOLS[a]} is not available: ${tools.get(TOOLS[a])?.unavailableReason ?? 'not in the registry'}` : busy.has(a) ? 'Running…' : `Run ${TOOLS[a]}`);
    const ring = app.querySelector(`[data-card="${a}"] vscode-progress-ring`);
    if (busy.has(a) && !ring) b.after(h('vscode-progress-ring', { attrs: { 'aria-label': 'Running' } }));
    if (!busy.has(a)) ring?.remove();
  }
}

/** Draw everything from the tool list, the catalog and the state (no tool runs here). */
function render(): void {
  const real = hasEvents();
  const showSample = sample();
  replace(missingEl, missingTools([...tools.values()].filter((t) => (Object.values(TOOLS) as string[]).includes(t.name)), 'Some analytics tools are not available, so their parts of this panel cannot run:'));
  sampleToggle.hidden = real;
  sampleToggle.setAttribute('aria-pressed', String(showSample));
  sampleToggle.textContent = showSample ? 'Hide sample data' : 'Preview with sample data';
  emptyEl.hidden = real || catalog === null;
  unreadEl.hidden = catalogProblem === null;
  replace(unreadEl, icon('error'), ` Could not read which events exist: ${catalogProblem ?? ''}. Press Reload to try again.`);
  analysesEl.hidden = !real && !showSample;
  drawWindow();
  drawSteps();
  drawRetentionPickers();
  drawDriverPicker();
  drawAnomalyPicker();
  for (const a of ANALYSES) draw[a]();
  drawBusy();
  refreshInsightActions();
}

replace(
  app,
  h('div', { class: 'toolbar' }, h('h1', null, 'Insights'), rangeSelect, asOfBox, windowEl, h('span', { class: 'spacer' }), sampleToggle, h('vscode-button', { attrs: { secondary: true, icon: 'refresh', 'data-action': 'reload' }, on: { click: () => void init() } }, 'Reload')),
  h(
    'div',
    { class: 'insights' },
    dataEl,
    missingEl,
    unreadEl,
    emptyEl,
    analysesEl,
  ),
);

replace(
  analysesEl,
  card(
    'funnel',
    funnelHead,
    [funnelNameField, h('span', { class: 'muted' }, 'within'), windowDaysField, h('span', { class: 'muted' }, 'days of the first step'), runButton('funnel', 'Run funnel')],
    stepsEl,
    h('div', { class: 'chart-box' }, funnelCanvas),
    funnelTable,
    insightActions(() => {
      const f = currentFunnel();
      return f ? funnelInsight(f.funnel_name, f.range_days, funnelRows(f.steps)) : null;
    }),
  ),
  h(
    'div',
    { class: 'grid-2' },
    card(
      'retention',
      'Retention',
      [retentionPickers, runButton('retention', 'Run retention')],
      retentionEl,
      insightActions(() => {
        const r = currentRetention();
        return r ? retentionInsight(r, state.get().cohortEvent || 'signup', state.get().returnEvent || 'return') : null;
      }),
    ),
    card(
      'drivers',
      'Drivers',
      [driverPicker, runButton('drivers', 'Find drivers')],
      driversEl,
      insightActions(() => {
        const d = currentDrivers();
        return d ? driverInsight(typeof d.target.event_name === 'string' ? d.target.event_name : (d.target.metric ?? state.get().driverTarget), d.range_days, d.drivers) : null;
      }),
    ),
  ),
  card(
    'anomalies',
    'Anomalies',
    [anomalyPicker, runButton('anomalies', 'Detect anomalies')],
    h('div', { class: 'chart-box' }, anomalyCanvas),
    anomalyList,
    insightActions(() => {
      const a = currentAnomalies();
      return a ? anomalyInsight(a.metric, Math.max(7, state.get().rangeDays), a.anomalies) : null;
    }),
  ),
  card('saved', 'Saved insights', [], savedEl),
);

/** First look at a store with events: propose choices from what exists and run the analyses once. */
function propose(c: EventCatalog): boolean {
  const s = state.get();
  const steps = strings(s.funnelSteps);
  const fresh = !s.proposed;
  const funnel = fresh || !allKnown(c, steps) ? proposeFunnel(c) : steps;
  const known = (name: string) => c.events.some((e) => e.name === name);
  state.update({
    proposed: true,
    funnelSteps: funnel,
    cohortEvent: known(s.cohortEvent) && !fresh ? s.cohortEvent : (funnel[0] ?? ''),
    returnEvent: known(s.returnEvent) && !fresh ? s.returnEvent : (proposeReturnEvent(c) ?? ''),
    driverTarget: known(s.driverTarget) && !fresh ? s.driverTarget : (funnel.at(-1) ?? ''),
    anomalyMetric: known(s.anomalyMetric) && !fresh ? s.anomalyMetric : (proposeAnomalyMetric(c) ?? ''),
    sample: false,
  });
  return fresh;
}

async function init(): Promise<void> {
  const [toolResult, catalogResult] = await Promise.allSettled([client.request('tools/list', {}), client.request('events/catalog', {})]);
  if (toolResult.status === 'fulfilled') tools = new Map(toolResult.value.tools.map((t) => [t.name, t]));
  else showBanner('error', `Could not read the tool registry: ${describeError(toolResult.reason)}`);
  catalogProblem = null;
  if (catalogResult.status === 'fulfilled') catalog = catalogResult.value;
  else {
    catalog = null;
    catalogProblem = describeError(catalogResult.reason);
  }
  const firstLook = catalog !== null && hasEvents() && propose(catalog);
  app.removeAttribute('aria-busy');
  render();
  if (!tools.has(TOOLS.save)) replace(savedEl, h('p', { class: 'muted' }, `${TOOLS.save} is not in the registry.`));
  else if (!available(TOOLS.save)) replace(savedEl, h('p', { class: 'muted' }, `Saved insights appear here once ${TOOLS.save} is available.`));
  else void loadSaved();
  if (firstLook) await analyseAll(ANALYSES);
}

onThemeChange(() => {
  funnelChart.applyTheme();
  anomalyChart.applyTheme();
});
client.on('run/changed', ({ run }) => {
  if (run.tool === TOOLS.save && run.status === 'succeeded') void loadSaved();
});
client.on('panel/resync', () => void init());
client.on('protocol/error', ({ message }) => showBanner('warning', `The extension refused a message: ${message}`));
client.ready('insights');
drawEmpty();
render();
void init();
