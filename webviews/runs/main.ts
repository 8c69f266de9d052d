/**
 * The Runs panel: every run in a windowed list with filters (status, tool, correlation id),
 * kept live from the run stream; a run's detail with its event timeline, input and output,
 * token counts and live log lines; Approve / Deny for runs awaiting approval, Cancel, Retry.
 */
import '../common/elements';
import { RUN_STATUSES, TERMINAL_STATUSES, type LogLine, type Run, type RunEvent } from '../../contracts/rest';
import { HostClient } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { formatDuration, formatJson, formatTime, statusLook } from '../common/format';
import { PanelState } from '../common/state';
import { describeError, emptyState, jsonBlock, showBanner, statusBadge } from '../common/ui';
import { vscodeApi } from '../common/vscode-api';
import { describeEvent, queryFor, RunDetailModel, RunsModel, tokenCounts, type RunFilters } from './runs-model';
import { VirtualList } from './virtual-list';
import { triageView } from './triage-table';
import { callerLabel } from '../common/caller-label';
import type { DailyUsage, RunUsage } from '../../contracts/llm-usage';
import { dailyUsageText, runUsageText } from './usage-view';

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, { status: '', tool: '', correlationId: '', viewReads: false, selected: '', tab: 0 });

const app = document.getElementById('app') as HTMLElement;
const model = new RunsModel({ status: state.get().status, tool: state.get().tool, correlationId: state.get().correlationId, viewReads: state.get().viewReads });
let detail: RunDetailModel | null = null;
let loadingPage = false;
let loadSeq = 0;

const countEl = h('span', { class: 'muted', attrs: { 'data-role': 'count' } });
const detailPane = h('section', { class: 'run-detail', attrs: { 'aria-label': 'Run detail', 'aria-live': 'off' } });

/** Tool titles by name (from tools/list): runs are named by what they do, the id kept as a hint. */
const titles = new Map<string, string>();
const toolTitle = (name: string): string => titles.get(name) ?? name;

const list = new VirtualList<Run>({
  rowHeight: 28,
  label: 'Runs',
  key: (r) => r.id,
  render: (r, row) => {
    const look = statusLook(r.status);
    row.setAttribute('aria-label', `${toolTitle(r.tool)}, ${look.label}, ${formatTime(r.createdAt)}`);
    replace(row, statusBadge(r), h('span', { class: 'tool', attrs: { title: r.tool } }, toolTitle(r.tool)), r.risk === 'high' ? h('span', { class: 'chip', attrs: { title: 'High risk' } }, 'high') : null, h('time', null, formatTime(r.createdAt)));
    row.querySelector('.status span:last-child')?.classList.add('sr-only');
  },
  select: (r) => void selectRun(r.id),
  nearEnd: () => void loadMore(),
});

// ---- Filters ----

type Select = HTMLElement & { value: string };
const statusSelect = h(
  'vscode-single-select',
  { attrs: { 'aria-label': 'Status', 'data-filter': 'status' } },
  h('vscode-option', { attrs: { value: '', selected: model.filters.status === '' } }, 'Any status'),
  RUN_STATUSES.map((s) => h('vscode-option', { attrs: { value: s, selected: model.filters.status === s } }, statusLook(s).label)),
) as unknown as Select;
const toolSelect = h('vscode-single-select', { attrs: { 'aria-label': 'Tool', 'data-filter': 'tool', combobox: true } }, h('vscode-option', { attrs: { value: '', selected: true } }, 'Any tool')) as unknown as Select;
const correlationField = h('vscode-textfield', { attrs: { placeholder: 'Correlation id', 'aria-label': 'Correlation id', 'data-filter': 'correlationId' }, props: { value: model.filters.correlationId } }) as unknown as Select;
// The Services view's own list/status reads are hidden unless this is checked.
const viewReadsBox = h('vscode-checkbox', {
  attrs: { label: 'View reads', title: 'Show the runs the editor\'s views made on their own (Services view refreshes)', 'data-filter': 'viewReads' },
  props: { checked: model.filters.viewReads === true },
}) as unknown as HTMLElement & { checked: boolean };
let correlationTimer: ReturnType<typeof setTimeout> | undefined;

function setFilters(f: Partial<RunFilters>): void {
  model.filters = { ...model.filters, ...f };
  state.update({ status: model.filters.status, tool: model.filters.tool, correlationId: model.filters.correlationId, viewReads: model.filters.viewReads === true });
  void reload();
}
statusSelect.addEventListener('change', () => setFilters({ status: statusSelect.value }));
toolSelect.addEventListener('change', () => setFilters({ tool: toolSelect.value }));
viewReadsBox.addEventListener('change', () => setFilters({ viewReads: viewReadsBox.checked }));
correlationField.addEventListener('input', () => {
  clearTimeout(correlationTimer);
  correlationTimer = setTimeout(() => setFilters({ correlationId: correlationField.value.trim() }), 300);
});

async function loadTools(): Promise<void> {
  try {
    const { tools } = await client.request('tools/list', {});
    for (const t of tools) titles.set(t.name, t.title);
    refreshList();
    renderDetailHead();
    replace(
      toolSelect,
      h('vscode-option', { attrs: { value: '', selected: model.filters.tool === '' } }, 'Any tool'),
      tools.map((t) => h('vscode-option', { attrs: { value: t.name, selected: model.filters.tool === t.name, description: t.title } }, t.name)),
    );
  } catch {
    // The tool filter then offers "Any tool" only.
  }
}

// ---- The list ----

function refreshList(): void {
  list.setItems(model.runs);
  countEl.textContent = `${model.runs.length}${model.nextCursor ? '+' : ''} run${model.runs.length === 1 ? '' : 's'}`;
}

async function reload(): Promise<void> {
  const seq = ++loadSeq;
  app.setAttribute('aria-busy', 'true');
  try {
    const page = await client.request('runs/list', queryFor(model.filters));
    if (seq !== loadSeq) return;
    model.reset(page.runs, page.nextCursor);
    await fillHidden(seq);
    refreshList();
  } catch (err) {
    showBanner('error', `Could not list runs: ${describeError(err)}`);
  } finally {
    // The page starts busy (panel HTML); the latest reload clears it, whatever it found.
    if (seq === loadSeq) app.setAttribute('aria-busy', 'false');
  }
}

/**
 * Pages whose runs were mostly hidden view reads leave a short list that may never scroll to
 * its end: a few more pages are read at once (at most 5) until a screenful shows.
 */
async function fillHidden(seq: number): Promise<void> {
  for (let i = 0; i < 5 && model.nextCursor && model.runs.length < 50 && seq === loadSeq; i++) {
    const page = await client.request('runs/list', queryFor(model.filters, model.nextCursor));
    if (seq !== loadSeq) return;
    model.addPage(page.runs, page.nextCursor);
  }
}

async function loadMore(): Promise<void> {
  if (loadingPage || !model.nextCursor) return;
  loadingPage = true;
  const seq = loadSeq;
  try {
    const page = await client.request('runs/list', queryFor(model.filters, model.nextCursor));
    if (seq !== loadSeq) return;
    model.addPage(page.runs, page.nextCursor);
    refreshList();
  } catch (err) {
    showBanner('error', `Could not load more runs: ${describeError(err)}`);
  } finally {
    loadingPage = false;
  }
}

// ---- The detail ----

const els = {
  header: h('header', { class: 'row' }),
  actions: h('div', { class: 'row', attrs: { 'data-role': 'actions' } }),
  facts: h('dl', { class: 'facts' }),
  error: h('div'),
  timeline: h('ul', { class: 'timeline', attrs: { 'data-role': 'timeline' } }),
  input: h('div'),
  output: h('div'),
  logs: h('div', { class: 'logs', attrs: { 'data-role': 'logs', role: 'log', 'aria-label': 'Log lines', tabindex: 0 } }),
  logsTab: h('vscode-tab-header', { attrs: { slot: 'header' } }, 'Logs'),
  reason: h('vscode-textfield', { attrs: { placeholder: 'Reason (optional)', 'aria-label': 'Reason' } }) as unknown as Select,
};
const tabs = h(
  'vscode-tabs',
  { attrs: { 'aria-label': 'Run detail' } },
  h('vscode-tab-header', { attrs: { slot: 'header' } }, 'Timeline'),
  h('vscode-tab-panel', null, els.timeline),
  h('vscode-tab-header', { attrs: { slot: 'header' } }, 'Input'),
  h('vscode-tab-panel', null, els.input),
  h('vscode-tab-header', { attrs: { slot: 'header' } }, 'Output'),
  h('vscode-tab-panel', null, els.output),
  els.logsTab,
  h('vscode-tab-panel', null, els.logs),
) as unknown as HTMLElement & { selectedIndex: number };
tabs.addEventListener('vsc-tabs-select', () => state.update({ tab: tabs.selectedIndex }));

/** Where a run executed, in words: the local engine, a worker container, or the remote executor's URL. */
function executedOnLabel(where: string): string {
  if (where === 'local') return 'this machine (in the backend)';
  if (where === 'docker') return 'a worker container on this machine';
  return `remote executor ${where}`;
}

/** The run's model usage as the backend recorded it (GET /api/runs/:id/usage), once loaded. */
let runUsage: RunUsage | null = null;

/** Token counts from the usage rows; the counts a run reports in its output while they load. */
function tokensFact(runId: string, fromOutput: { prompt: number; completion: number } | null): HTMLElement {
  const usage = runUsage?.runId === runId ? runUsage : null;
  const text = runUsageText(usage, fromOutput);
  return h('span', { class: text.muted ? 'muted' : '', attrs: { 'data-role': 'tokens', title: text.title } }, text.text);
}

async function loadUsage(id: string): Promise<void> {
  try {
    const usage = await client.request('run/usage', { id });
    if (detail?.run.id !== id) return;
    runUsage = usage;
    renderDetailHead();
  } catch {
    // A backend without the usage route (or a run it no longer has): the fact says so already.
  }
}

const dailyEl = h('span', { class: 'muted', attrs: { 'data-role': 'daily-usage' } });
let dailyTimer: ReturnType<typeof setTimeout> | undefined;

async function loadDaily(): Promise<void> {
  try {
    const daily: DailyUsage = await client.request('usage/daily', { days: 7 });
    const t = dailyUsageText(daily, new Date().toISOString().slice(0, 10));
    dailyEl.textContent = t.text;
    dailyEl.title = t.title;
  } catch {
    dailyEl.textContent = '';
  }
}

function fact(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', null, label), h('dd', null, value)];
}

function renderDetailHead(): void {
  if (!detail) return;
  const run = detail.run;
  replace(els.header, h('h2', { attrs: { title: run.tool } }, toolTitle(run.tool)), statusBadge(run), h('span', { class: 'chip', attrs: { title: 'Risk' } }, `${run.risk} risk`));
  const tokens = tokenCounts(run);
  replace(
    els.facts,
    fact('Run', h('code', null, run.id)),
    fact('Started by', h('span', { attrs: { title: run.caller } }, callerLabel(run.caller))),
    fact('Created', formatTime(run.createdAt)),
    fact('Started', formatTime(run.startedAt)),
    fact('Finished', formatTime(run.finishedAt)),
    fact('Duration', formatDuration(run.startedAt, run.finishedAt)),
    run.executedOn ? fact('Executed on', h('span', { attrs: { 'data-role': 'executed-on', title: run.executedOn } }, executedOnLabel(run.executedOn))) : null,
    // Only when the run was tried again: "Attempt 1 of 3" on a run that failed for good (not
    // configured, refused) suggests retries that will never happen.
    run.attempt > 1 ? fact('Attempt', `${run.attempt} of ${run.maxAttempts}`) : null,
    fact(
      'Correlation',
      run.correlationId
        ? h('a', { attrs: { href: '#', title: 'Show the runs with this correlation id' }, on: { click: (e) => (e.preventDefault(), (correlationField.value = run.correlationId ?? ''), setFilters({ correlationId: run.correlationId ?? '' })) } }, run.correlationId)
        : '—',
    ),
    fact('Trace', h('code', null, run.traceId)),
    fact('LLM tokens', tokensFact(run.id, tokens)),
  );
  replace(els.error, run.error ? h('p', { class: 'notice notice-error', attrs: { role: 'alert' } }, icon('error'), ` ${run.error.code}: ${run.error.message}`) : null);
  const button = (label: string, action: string, iconName: string, fn: () => Promise<void>, secondary = false) =>
    h('vscode-button', { attrs: { icon: iconName, secondary, 'data-action': action }, on: { click: () => void fn() } }, label);
  replace(
    els.actions,
    detail.canApprove ? [button('Approve', 'approve', 'check', () => decide('run/approve')), button('Deny', 'deny', 'close', () => decide('run/deny'), true), els.reason] : null,
    detail.canCancel ? button('Cancel', 'cancel', 'debug-stop', cancel, true) : null,
    detail.canRetry ? button('Retry', 'retry', 'debug-restart', retry, true) : null,
  );
  replace(els.input, jsonBlock(run.input, 'Input JSON'));
  replace(els.output, run.output === undefined ? h('p', { class: 'muted' }, run.status === 'succeeded' ? 'No output.' : 'No output yet.') : [triageView(run), jsonBlock(run.output, 'Output JSON')]);
}

function eventItem(e: RunEvent): HTMLElement {
  return h('li', { dataset: { event: String(e.id), type: e.type } }, h('time', null, formatTime(e.createdAt)), h('span', null, describeEvent(e)));
}

function renderTimeline(): void {
  if (!detail) return;
  const events = detail.timeline();
  replace(els.timeline, events.length === 0 ? h('li', { class: 'muted' }, 'No events yet.') : events.map(eventItem));
}

function logItem(l: LogLine): HTMLElement {
  return h('div', { class: `line lvl-${l.level}`, dataset: { line: String(l.id) } }, `${new Date(l.ts).toLocaleTimeString()} ${l.level.toUpperCase().padEnd(5)} ${l.source}: ${l.message}${Object.keys(l.fields).length > 0 ? ` ${formatJson(l.fields).replace(/\s+/g, ' ')}` : ''}`);
}

function renderLogs(): void {
  if (!detail) return;
  const lines = detail.logLines();
  replace(els.logs, lines.length === 0 ? h('span', { class: 'muted' }, 'No log lines yet.') : lines.map(logItem));
  replace(els.logsTab, `Logs (${lines.length})`);
  els.logs.scrollTop = els.logs.scrollHeight;
}

async function selectRun(id: string): Promise<void> {
  state.update({ selected: id });
  list.select(id);
  replace(detailPane, h('vscode-progress-ring', { attrs: { 'aria-label': 'Loading the run' } }));
  try {
    const { run, events, logs } = await client.request('run/get', { id });
    if (state.get().selected !== id) return;
    detail = new RunDetailModel(run, events, logs);
    replace(detailPane, els.header, els.actions, els.error, els.facts, tabs);
    tabs.selectedIndex = state.get().tab;
    renderDetailHead();
    renderTimeline();
    renderLogs();
    void loadUsage(id);
  } catch (err) {
    detail = null;
    replace(detailPane, h('p', { class: 'notice notice-error', attrs: { role: 'alert' } }, `Could not load run ${id}: ${describeError(err)}`));
  }
}

function applyRun(run: Run): void {
  if (model.upsert(run)) refreshList();
  if (detail && detail.run.id === run.id && run.version >= detail.run.version) {
    detail.run = run;
    renderDetailHead();
    if (TERMINAL_STATUSES.has(run.status)) void loadUsage(run.id);
  }
  // A run that ended may have used the model: today's totals follow (at most twice a second).
  if (TERMINAL_STATUSES.has(run.status)) {
    clearTimeout(dailyTimer);
    dailyTimer = setTimeout(() => void loadDaily(), 500);
  }
}

async function decide(method: 'run/approve' | 'run/deny'): Promise<void> {
  if (!detail) return;
  const reason = els.reason.value.trim();
  try {
    const run = await client.request(method, { id: detail.run.id, ...(reason ? { reason } : {}) });
    applyRun(run);
    els.reason.value = '';
    showBanner('info', `${method === 'run/approve' ? 'Approved' : 'Denied'} ${toolTitle(run.tool)} (run ${run.id.slice(0, 8)}).`);
  } catch (err) {
    showBanner('error', `Could not ${method === 'run/approve' ? 'approve' : 'deny'} the run: ${describeError(err)}`);
  }
}

async function cancel(): Promise<void> {
  if (!detail) return;
  try {
    applyRun(await client.request('run/cancel', { id: detail.run.id }));
  } catch (err) {
    showBanner('error', `Could not cancel the run: ${describeError(err)}`);
  }
}

async function retry(): Promise<void> {
  if (!detail) return;
  try {
    const run = await client.request('run/retry', { id: detail.run.id });
    applyRun(run);
    showBanner('info', `Submitted ${toolTitle(run.tool)} again as run ${run.id.slice(0, 8)}.`);
    void selectRun(run.id);
  } catch (err) {
    showBanner('error', `Could not retry the run: ${describeError(err)}`);
  }
}

// ---- Wiring ----

replace(
  app,
  h('div', { class: 'toolbar' }, h('h1', null, 'Runs'), countEl, h('span', { class: 'spacer' }), dailyEl, h('vscode-button', { attrs: { secondary: true, icon: 'refresh' }, on: { click: () => (void reload(), void loadDaily()) } }, 'Reload')),
  h(
    'div',
    { class: 'runs' },
    h(
      'section',
      { class: 'runs-list-pane', attrs: { 'aria-label': 'Run list' } },
      h(
        'div',
        { class: 'filters', attrs: { role: 'search' } },
        icon('filter'),
        statusSelect,
        toolSelect,
        correlationField,
        viewReadsBox,
        h(
          'button',
          {
            class: 'icon-button',
            attrs: { type: 'button', title: 'Clear filters', 'aria-label': 'Clear filters' },
            on: {
              click: () => {
                statusSelect.value = '';
                toolSelect.value = '';
                correlationField.value = '';
                setFilters({ status: '', tool: '', correlationId: '' });
              },
            },
          },
          icon('clear-all'),
        ),
      ),
      list.root,
    ),
    detailPane,
  ),
);
replace(detailPane, emptyState('list-selection', 'Select a run to see its timeline, input, output and logs.'));

client.on('run/changed', ({ run }) => applyRun(run));
client.on('run/event', ({ event }) => {
  if (detail?.addEvent(event)) renderTimeline();
});
client.on('log/line', ({ line }) => {
  if (!detail?.addLog(line)) return;
  const atBottom = els.logs.scrollTop + els.logs.clientHeight >= els.logs.scrollHeight - 4;
  if (els.logs.querySelector('.muted')) replace(els.logs);
  els.logs.appendChild(logItem(line));
  replace(els.logsTab, `Logs (${detail.logLines().length})`);
  if (atBottom) els.logs.scrollTop = els.logs.scrollHeight;
});
client.on('panel/focus', ({ runId }) => {
  if (runId) void selectRun(runId);
});
client.on('panel/resync', () => {
  void reload();
  void loadDaily();
  if (state.get().selected) void selectRun(state.get().selected);
});
client.on('protocol/error', ({ message }) => showBanner('warning', `The extension refused a message: ${message}`));

client.ready('runs');
void loadTools();
void loadDaily();
void reload().then(() => {
  if (state.get().selected) void selectRun(state.get().selected);
});
