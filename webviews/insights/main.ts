/**
 * The Insights panel: a funnel chart (users per step, conversion from the step before and
 * overall), the drivers of a metric with how sure each is, an anomaly chart, the saved insights,
 * "Save as insight" and "Draft campaign". Each runs a registry tool through the host; while a
 * tool is not available the panel says which and why, and a clearly marked sample can be shown.
 */
import '../common/elements';
import type { Run, ToolInfo } from '../../contracts/rest';
import type { AnomalyDetection, FunnelSummary, TopDrivers } from '../../contracts/tools/analytics';
import { HostClient } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { formatTime, percent } from '../common/format';
import { validate, type JsonSchema } from '../../contracts/json-schema';
import { PanelState } from '../common/state';
import { describeError, missingTools, showBanner } from '../common/ui';
import { draftBlocked, saveBlocked } from './action-state';
import { vscodeApi } from '../common/vscode-api';
import { AnomalyChart, FunnelChart, onThemeChange } from './charts';
import {
  anomalyInsight,
  campaignFromInsight,
  confidenceLabel,
  driverInsight,
  funnelInsight,
  funnelRows,
  rankDrivers,
  type Insight,
} from './funnel';
import { SAMPLE_ANOMALIES, SAMPLE_DRIVERS, SAMPLE_FUNNEL } from './sample-data';

const TOOLS = {
  funnel: 'analytics.funnel_summary',
  drivers: 'analytics.top_drivers',
  anomalies: 'analytics.anomaly_detect',
  save: 'analytics.write_insight',
  campaign: 'marketing.generate_channel_posts',
} as const;

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, {
  sample: false,
  rangeDays: 30,
  funnelName: 'Signup to paid',
  funnelSteps: 'visit_landing, signup_started, signup_completed, first_project, subscription_paid',
  driverMetric: 'trial_to_paid',
  anomalyMetric: 'signup_completed',
  funnel: null as unknown,
  drivers: null as unknown,
  anomalies: null as unknown,
});

const app = document.getElementById('app') as HTMLElement;
let tools = new Map<string, ToolInfo>();
const missingEl = h('div', { attrs: { 'data-role': 'missing' } });
const savedEl = h('div', { attrs: { 'data-role': 'saved' } });

type Field = HTMLElement & { value: string; disabled: boolean };

const available = (name: string): boolean => tools.get(name)?.available === true;
const sample = (): boolean => state.get().sample;

function sampleTag(): HTMLElement | null {
  return sample() ? h('span', { class: 'sample-tag', attrs: { title: 'Made-up numbers to show the charts; not your data' } }, icon('beaker'), 'Sample data') : null;
}

function textField(label: string, key: 'funnelName' | 'funnelSteps' | 'driverMetric' | 'anomalyMetric', width = '220px'): Field {
  const f = h('vscode-textfield', { attrs: { 'aria-label': label, placeholder: label, 'data-field': key }, props: { value: state.get()[key] } }) as unknown as Field;
  f.style.width = width;
  f.addEventListener('input', () => state.update({ [key]: f.value }));
  return f;
}

function runButton(tool: string, label: string, fn: () => Promise<void>): HTMLElement {
  const ok = available(tool);
  return h(
    'vscode-button',
    { attrs: { icon: 'play', disabled: !ok, title: ok ? `Run ${tool}` : `${tool} is not available yet`, 'data-action': `run-${tool}` }, on: { click: () => void fn() } },
    label,
  );
}

/** Run a tool and wait for its output; the input is checked against the tool's schema first. */
async function runTool(tool: string, input: Record<string, unknown>): Promise<unknown | null> {
  const info = tools.get(tool);
  if (info) {
    const violations = validate(info.inputSchema as JsonSchema, input);
    if (violations.length > 0) {
      showBanner('error', `${tool}: ${violations.map((v) => v.message).join('; ')}`);
      return null;
    }
  }
  try {
    const run: Run = await client.request('tool/call', { tool, input, wait: true });
    if (run.status === 'succeeded') return run.output ?? null;
    if (run.status === 'awaiting_approval') showBanner('warning', `${tool} is waiting for approval in the Runs panel.`);
    else showBanner('error', `${tool} ${run.status.replace('_', ' ')}${run.error ? `: ${run.error.message}` : ''}`);
  } catch (err) {
    showBanner('error', `${tool}: ${describeError(err)}`);
  }
  return null;
}

// ---- Save as insight / Draft campaign ----

async function saveInsight(insight: Insight): Promise<void> {
  if (sample()) {
    showBanner('info', 'Sample data is not saved: run the analysis on your data first.');
    return;
  }
  const output = (await runTool(TOOLS.save, { insight })) as { insight_id?: string } | null;
  if (output?.insight_id) {
    showBanner('info', `Saved the insight as ${output.insight_id}.`);
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
    'Save as insight',
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
    save.setAttribute('title', whySave ?? 'Save as insight');
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
                  const out = (await runTool(TOOLS.campaign, campaignFromInsight(insight, product.value.trim(), audience.value.trim(), channels))) as { channels?: Array<{ channel: string; posts: Array<{ text: string }> }> } | null;
                  if (out?.channels)
                    replace(result, out.channels.map((c) => h('section', null, h('h3', null, c.channel), c.posts.map((p) => h('p', null, p.text)))));
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

function renderFunnel(out: FunnelSummary | null): void {
  const rows = out ? funnelRows(out.steps) : [];
  funnelChart.update(rows);
  replace(
    funnelTable,
    !out
      ? h('p', { class: 'muted' }, 'No funnel yet.')
      : h(
          'table',
          { class: 'data' },
          h('thead', null, h('tr', null, h('th', null, 'Step'), h('th', { class: 'num' }, 'Users'), h('th', { class: 'num' }, 'From previous'), h('th', { class: 'num' }, 'Overall'), h('th', { class: 'num' }, 'Dropped'))),
          h(
            'tbody',
            null,
            rows.map((r) => h('tr', { dataset: { step: String(r.step) } }, h('td', null, `${r.step}. ${r.event}`), h('td', { class: 'num' }, r.users.toLocaleString()), h('td', { class: 'num' }, percent(r.fromPrevious)), h('td', { class: 'num' }, percent(r.overall)), h('td', { class: 'num' }, r.dropped.toLocaleString()))),
          ),
        ),
  );
}

async function runFunnel(): Promise<void> {
  const steps = state.get().funnelSteps.split(',').map((s) => s.trim()).filter(Boolean).map((event_name) => ({ event_name }));
  const out = (await runTool(TOOLS.funnel, { range_days: state.get().rangeDays, funnel: { name: state.get().funnelName, steps } })) as FunnelSummary | null;
  if (out) {
    state.update({ funnel: out });
    renderFunnel(out);
    refreshInsightActions();
  }
}

function currentFunnel(): FunnelSummary | null {
  return sample() ? SAMPLE_FUNNEL : (state.get().funnel as FunnelSummary | null);
}

// ---- Drivers ----

const driversEl = h('div', { attrs: { 'data-role': 'drivers' } });

function renderDrivers(out: TopDrivers | null): void {
  if (!out) return replace(driversEl, h('p', { class: 'muted' }, 'No drivers yet.'));
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

async function runDrivers(): Promise<void> {
  const out = (await runTool(TOOLS.drivers, { range_days: state.get().rangeDays, target: { metric: state.get().driverMetric } })) as TopDrivers | null;
  if (out) {
    state.update({ drivers: out });
    renderDrivers(out);
    refreshInsightActions();
  }
}

function currentDrivers(): TopDrivers | null {
  return sample() ? SAMPLE_DRIVERS : (state.get().drivers as TopDrivers | null);
}

// ---- Anomalies ----

const anomalyCanvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Anomaly chart: observed values, the expected band and the anomalies' } });
const anomalyChart = new AnomalyChart(anomalyCanvas);
const anomalyList = h('div', { attrs: { 'data-role': 'anomalies' } });

function renderAnomalies(out: AnomalyDetection | null): void {
  anomalyChart.update(out?.series ?? [], out?.anomalies ?? []);
  replace(
    anomalyList,
    !out
      ? h('p', { class: 'muted' }, 'No series yet.')
      : out.anomalies.length === 0
        ? h('p', { class: 'muted' }, 'No point fell outside the expected band.')
        : h('ul', { class: 'timeline' }, out.anomalies.map((a) => h('li', null, icon(a.direction === 'spike' ? 'arrow-up' : 'arrow-down'), h('time', null, a.t.slice(0, 10)), `${a.direction}: ${a.value} (expected ${a.expected}, score ${a.score.toFixed(1)})`)), h('li', { class: 'muted' }, `Method: ${out.method}`)),
  );
}

async function runAnomalies(): Promise<void> {
  const out = (await runTool(TOOLS.anomalies, { metric: state.get().anomalyMetric, range_days: Math.max(7, state.get().rangeDays) })) as AnomalyDetection | null;
  if (out) {
    state.update({ anomalies: out });
    renderAnomalies(out);
    refreshInsightActions();
  }
}

function currentAnomalies(): AnomalyDetection | null {
  return sample() ? SAMPLE_ANOMALIES : (state.get().anomalies as AnomalyDetection | null);
}

// ---- Saved insights ----

async function loadSaved(): Promise<void> {
  if (!tools.has(TOOLS.save)) return;
  try {
    const page = await client.request('runs/list', { tool: TOOLS.save, status: 'succeeded', limit: 50 });
    const saved = page.runs
      .map((r) => ({ run: r, insight: (r.input as { insight?: Insight } | null)?.insight, id: (r.output as { insight_id?: string } | undefined)?.insight_id }))
      .filter((s): s is { run: Run; insight: Insight; id: string | undefined } => typeof s.insight?.title === 'string');
    replace(
      savedEl,
      saved.length === 0
        ? h('p', { class: 'muted' }, 'No saved insights yet. Use "Save as insight" on a result.')
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

// ---- Layout ----

function render(): void {
  const s = sample();
  replace(missingEl, missingTools([...tools.values()].filter((t) => Object.values(TOOLS).includes(t.name as never)), 'Some analytics tools are not available yet, so their parts of this panel cannot run:'));
  replace(funnelHead, h('h2', null, 'Funnel'), sampleTag(), h('span', { class: 'spacer' }));
  renderFunnel(currentFunnel());
  renderDrivers(currentDrivers());
  renderAnomalies(currentAnomalies());
  const rangeSel = app.querySelector<Field>('[data-field="range"]');
  if (rangeSel) rangeSel.value = String(state.get().rangeDays);
  const toggle = app.querySelector<HTMLElement>('[data-action="toggle-sample"]');
  toggle?.setAttribute('aria-pressed', String(s));
  if (toggle) toggle.textContent = s ? 'Hide sample data' : 'Preview with sample data';
  for (const key of ['funnel', 'drivers', 'anomalies'] as const) {
    const b = app.querySelector<Field>(`[data-action="run-${TOOLS[key]}"]`);
    if (b) b.disabled = !available(TOOLS[key]);
  }
  refreshInsightActions();
}

const rangeSelect = h(
  'vscode-single-select',
  { attrs: { 'aria-label': 'Window', 'data-field': 'range' } },
  [7, 30, 90, 365].map((d) => h('vscode-option', { attrs: { value: String(d), selected: d === state.get().rangeDays } }, `Last ${d} days`)),
) as unknown as Field;
rangeSelect.addEventListener('change', () => state.update({ rangeDays: Number(rangeSelect.value) }));

function card(title: HTMLElement | string, controls: HTMLElement[], ...body: HTMLElement[]): HTMLElement {
  return h('section', { class: 'chart-card' }, typeof title === 'string' ? h('header', null, h('h2', null, title)) : title, h('div', { class: 'row' }, controls), ...body);
}

replace(
  app,
  h(
    'div',
    { class: 'toolbar' },
    h('h1', null, 'Insights'),
    rangeSelect,
    h('span', { class: 'spacer' }),
    h(
      'vscode-button',
      {
        attrs: { secondary: true, icon: 'beaker', 'data-action': 'toggle-sample', 'aria-pressed': 'false' },
        on: {
          click: () => {
            state.update({ sample: !sample() });
            render();
          },
        },
      },
      'Preview with sample data',
    ),
    h('vscode-button', { attrs: { secondary: true, icon: 'refresh' }, on: { click: () => void init() } }, 'Reload'),
  ),
  h(
    'div',
    { class: 'insights' },
    missingEl,
    card(
      funnelHead,
      [textField('Funnel name', 'funnelName', '180px'), textField('Steps (event names, comma-separated)', 'funnelSteps', '420px'), runButton(TOOLS.funnel, 'Run funnel', runFunnel)],
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
        'Drivers',
        [textField('Target metric', 'driverMetric'), runButton(TOOLS.drivers, 'Find drivers', runDrivers)],
        driversEl,
        insightActions(() => {
          const d = currentDrivers();
          return d ? driverInsight(d.target.metric ?? state.get().driverMetric, d.range_days, d.drivers) : null;
        }),
      ),
      card(
        'Anomalies',
        [textField('Metric or event', 'anomalyMetric'), runButton(TOOLS.anomalies, 'Detect anomalies', runAnomalies)],
        h('div', { class: 'chart-box' }, anomalyCanvas),
        anomalyList,
        insightActions(() => {
          const a = currentAnomalies();
          return a ? anomalyInsight(a.metric, Math.max(7, state.get().rangeDays), a.anomalies) : null;
        }),
      ),
    ),
    h('section', { class: 'chart-card' }, h('header', null, h('h2', null, 'Saved insights')), savedEl),
  ),
);

async function init(): Promise<void> {
  try {
    const result = await client.request('tools/list', {});
    tools = new Map(result.tools.map((t) => [t.name, t]));
  } catch (err) {
    showBanner('error', `Could not read the tool registry: ${describeError(err)}`);
  }
  // Run buttons were drawn before the registry was known: redraw them with it.
  for (const [key, label, fn] of [
    ['funnel', 'Run funnel', runFunnel],
    ['drivers', 'Find drivers', runDrivers],
    ['anomalies', 'Detect anomalies', runAnomalies],
  ] as const) {
    const old = app.querySelector(`[data-action="run-${TOOLS[key]}"]`);
    old?.replaceWith(runButton(TOOLS[key], label, fn));
  }
  render();
  if (!tools.has(TOOLS.save)) replace(savedEl, h('p', { class: 'muted' }, `${TOOLS.save} is not in the registry.`));
  else if (!available(TOOLS.save)) replace(savedEl, h('p', { class: 'muted' }, `Saved insights appear here once ${TOOLS.save} is available.`));
  else void loadSaved();
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
render();
void init();
