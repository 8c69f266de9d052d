/**
 * The Insights panel in headless Chromium with a fake host. With no events: how to bring them
 * in, and a sample only as a marked preview. With events: the funnel's steps proposed from the
 * events that exist and funnel, retention, drivers and anomalies drawn from the tools' outputs
 * (each a tool/call through the host, never the backend directly); picking a step, changing the
 * window (and its last day), a failed run, "Write as insight", and all of it kept across a reload
 * without running anything again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { EventCatalog, Run } from '../../../contracts/rest';
import type { AnomalyDetection, CohortRetention, FunnelSummary, TopDrivers } from '../../../contracts/tools/analytics';
import { usePanelBrowser, FakeHost, HostFailure, screenshotsDir, until, type Handlers } from './harness';
import { makeRun, toolList } from './fixtures';

const DAY = 86_400_000;
const today = new Date(Math.floor(Date.now() / DAY) * DAY);
const iso = (daysAgo: number) => new Date(today.getTime() - daysAgo * DAY).toISOString();

/** What a demo-like store holds: four milestones and one repeated activity event. */
const CATALOG: EventCatalog = {
  engine: 'duckdb',
  events: [
    { name: 'session_started', events: 41_000, users: 3900, firstSeen: iso(90), lastSeen: iso(0) },
    { name: 'signup_completed', events: 4000, users: 4000, firstSeen: iso(90), lastSeen: iso(0) },
    { name: 'onboarding_done', events: 2600, users: 2600, firstSeen: iso(90), lastSeen: iso(0) },
    { name: 'project_created', events: 3100, users: 1800, firstSeen: iso(90), lastSeen: iso(1) },
    { name: 'subscription_paid', events: 520, users: 520, firstSeen: iso(85), lastSeen: iso(2) },
  ],
  properties: [{ key: 'plan', events: 4000, values: 3 }, { key: 'source', events: 4000, values: 5 }],
  totals: { events: 51_220, users: 4000, firstSeen: iso(90), lastSeen: iso(0) },
};
const EMPTY: EventCatalog = { engine: 'duckdb', events: [], properties: [], totals: { events: 0, users: 0, firstSeen: null, lastSeen: null } };

/** Outputs computed from the input, so a test can see its choices reached the tool. */
function funnelOut(input: { range_days: number; funnel: { name: string; steps: Array<{ event_name: string }> } }): FunnelSummary {
  let users = 4000;
  return {
    funnel_name: input.funnel.name,
    range_days: input.range_days,
    steps: input.funnel.steps.map((s, i) => {
      const prev = users;
      users = i === 0 ? users : Math.round(users * 0.5);
      const rate = i === 0 ? 1 : users / prev;
      return i === 0
        ? { event_name: s.event_name, users, conversion_from_prev: rate }
        : { event_name: s.event_name, users, conversion_from_prev: rate, conversion_from_prev_interval: { lower: rate - 0.02, upper: rate + 0.02 }, median_seconds_from_prev: 5400 * i };
    }),
  };
}
const retentionOut = (input: { range_days: number }): CohortRetention => ({
  period: 'week',
  range_days: input.range_days,
  cohorts: [
    { cohort_start: '2026-10-05', size: 400, retained: [1, 0.5, 0.4, 0.3] },
    { cohort_start: '2026-10-12', size: 600, retained: [1, 0.45, 0.35] },
    { cohort_start: '2026-10-19', size: 500, retained: [1, 0.4] },
  ],
});
const driversOut = (input: { range_days: number; target: Record<string, unknown> }): TopDrivers => ({
  target: input.target,
  range_days: input.range_days,
  drivers: [
    { name: 'plan=team', score: 2.4, direction: 'positive', evidence: 'users with plan=team converted 2.4× as often, 310 of 1,200 vs 210 of 2,800', confidence: 0.93 },
    { name: 'source=ads', score: -1.6, direction: 'negative', evidence: 'users from ads converted less often, 40 of 900 vs 480 of 3,100', confidence: 0.71 },
  ],
});
const anomaliesOut = (input: { metric: string; range_days: number }): AnomalyDetection => {
  const series = Array.from({ length: input.range_days }, (_, i) => {
    const t = iso(input.range_days - 1 - i);
    return { t, value: i === 10 ? 80 : 400 + (i % 7) * 10, expected: 400 + (i % 7) * 10, lower: 340 + (i % 7) * 10, upper: 460 + (i % 7) * 10 };
  });
  return { metric: input.metric, method: 'weekly seasonal median ± 3 MAD', series, anomalies: [{ t: series[10].t, value: 80, expected: series[10].expected, score: 7.2, direction: 'drop' }] };
};

const OUTPUTS: Record<string, (input: never) => unknown> = {
  'analytics.funnel_summary': funnelOut,
  'analytics.cohort_retention': retentionOut,
  'analytics.top_drivers': driversOut,
  'analytics.anomaly_detect': anomaliesOut,
  'analytics.write_insight': () => ({ insight_id: 'ins-1', stored: { bigquery: { dataset: 'local', table: 'insights' }, firestore: { collection: 'local', doc_id: 'ins-1' }, gcs: { bucket: 'local', prefix: 'insights/ins-1.json' } } }),
  'marketing.generate_channel_posts': () => ({
    channels: [{ channel: 'linkedin', posts: [{ text: 'Teams convert 2.4x as often.' }, { text: 'Guaranteed growth for every team!', flagged: true, violations: [{ rule: 'forbidden_claim', detail: 'claims "guaranteed growth", which the claims policy forbids' }] }] }],
  }),
};

/** A host whose store holds `catalog` and whose tools answer from OUTPUTS; it keeps what was written. */
function analyticsHost(catalog: EventCatalog, over: Handlers = {}): { host: FakeHost; saved: Run[] } {
  const saved: Run[] = [];
  const host = new FakeHost({
    'tools/list': () => ({ tools: toolList(() => false) }),
    'events/catalog': () => catalog,
    'runs/list': () => ({ runs: saved, nextCursor: null }),
    'tool/call': ({ tool, input }) => {
      const run = makeRun({ tool, input, output: OUTPUTS[tool]?.(input as never) });
      if (tool === 'analytics.write_insight') saved.push(run);
      return run;
    },
    ...over,
  });
  return { host, saved };
}

type Call = { tool: string; input: Record<string, unknown> };
const calls = (host: FakeHost): Call[] => host.requests.filter((r) => r.method === 'tool/call').map((r) => r.params as Call);
const tableRows = (page: import('playwright-core').Page, sel: string) =>
  page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));

describe('Insights panel (browser)', function () {
  this.timeout(120_000);
  const panels = usePanelBrowser();

  it('with no events, says how to bring them in and shows a sample only as a marked preview', async () => {
    const { host } = analyticsHost(EMPTY);
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="empty"]:not([hidden])');
    const empty = await page.locator('[data-role="empty"]').innerText();
    for (const way of ['product-os events import FILE', 'events.ingest', 'product-os demo']) assert.ok(empty.includes(way), `the empty state names ${way}: ${empty}`);
    assert.equal(await page.locator('[data-role="analyses"]').isVisible(), false, 'no charts without events');
    await page.click('vscode-button[data-action="toggle-sample"]');
    await page.waitForSelector('.sample-tag');
    assert.equal(await page.locator('[data-role="analyses"]').isVisible(), true);
    const rows = await tableRows(page, '[data-role="funnel-table"]');
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[1], ['2. signup_started', '3,100', '25.0%', '25.0%', '9,300']);
    assert.equal(await page.locator('[data-role="retention"] tbody tr').count(), 6);
    // Nothing runs on a sample, and a sample is never written as an insight.
    assert.equal(await page.locator('vscode-button[data-action="run-analytics.funnel_summary"]').getAttribute('disabled'), '');
    assert.match(await page.locator('[data-role="action-reason"]').first().innerText(), /Sample data is not saved/);
    assert.equal(host.count('tool/call'), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('on real events, proposes a funnel from the events that exist and draws funnel, retention, drivers and anomalies from the tools', async () => {
    const { host } = analyticsHost(CATALOG);
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="anomalies"] li[data-anomaly]');
    const made = calls(host);
    assert.deepEqual(made.map((c) => c.tool), ['analytics.funnel_summary', 'analytics.cohort_retention', 'analytics.top_drivers', 'analytics.anomaly_detect']);
    const funnel = made[0].input as { range_days: number; funnel: { steps: Array<{ event_name: string }> } };
    // Milestones by users, most first; the repeated activity (10 events per user) is not a step.
    assert.deepEqual(funnel.funnel.steps.map((s) => s.event_name), ['signup_completed', 'onboarding_done', 'project_created', 'subscription_paid']);
    assert.equal(funnel.range_days, 30);
    assert.deepEqual([made[1].input.cohort_event, made[1].input.return_event], ['signup_completed', 'session_started']);
    assert.equal((made[2].input.target as { event_name: string }).event_name, 'subscription_paid');
    assert.equal(made[3].input.metric, 'session_started');
    // Each tool's output is what is drawn.
    const funnelRows = await tableRows(page, '[data-role="funnel-table"]');
    // Every rate with its 95 % interval, and the median time from the step before.
    assert.deepEqual(funnelRows.map((r) => [r[0], r[1], r[2], r[5]]), [
      ['1. signup_completed', '4,000', '100.0%', ''],
      ['2. onboarding_done', '2,000', '50.0% (48.0–52.0%)', '1.5 h'],
      ['3. project_created', '1,000', '50.0% (48.0–52.0%)', '3.0 h'],
      ['4. subscription_paid', '500', '50.0% (48.0–52.0%)', '4.5 h'],
    ]);
    const triangle = await tableRows(page, '[data-role="retention"]');
    assert.deepEqual(triangle[0], ['2026-10-05', '400', '100.0%', '50.0%', '40.0%', '30.0%']);
    assert.deepEqual(triangle[2], ['2026-10-19', '500', '100.0%', '40.0%', '', '']);
    // Average per period, weighted by cohort size over the cohorts that reached it: (200+270+200)/1500.
    const avg = await page.$$eval('[data-role="retention"] tfoot td', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(avg, ['1,500', '100.0%', '44.7%', '37.0%', '30.0%']);
    const drivers = await page.locator('[data-role="drivers"] tbody tr').allInnerTexts();
    assert.match(drivers[0], /plan=team[\s\S]*positive[\s\S]*high \(93%\)[\s\S]*310 of 1,200/);
    assert.match(drivers[1], /source=ads[\s\S]*negative/);
    assert.match(await page.locator('[data-role="anomalies"]').innerText(), /drop: 80 \(expected 370–490, score 7\.2\)/);
    // Real data: no sample anywhere, and the data's span is said.
    assert.equal(await page.locator('.sample-tag').count(), 0);
    assert.equal(await page.locator('vscode-button[data-action="toggle-sample"]').isVisible(), false);
    assert.match(await page.locator('[data-role="data-span"]').innerText(), /51,220 events from 4,000 users/);
    const drawn = await page.$$eval('canvas', (cs) => cs.map((c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d');
      if (!ctx || c.width === 0) return 0;
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    }));
    assert.ok(drawn.length === 2 && drawn.every((n) => n > 500), `canvases drew ${drawn.join(', ')} pixels`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshotsDir, 'panel-insights.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('picks a step from the events, changes the window, and keeps choices and results across a reload without running again', async () => {
    const { host } = analyticsHost(CATALOG);
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="anomalies"] li[data-anomaly]');
    await until(() => host.count('tool/call') === 4);
    // The step pickers offer exactly the events that exist.
    const offered = await page.$$eval('[data-field="step-2"] vscode-option', (os) => os.map((o) => o.getAttribute('value')));
    assert.deepEqual([...offered].sort(), CATALOG.events.map((e) => e.name).sort());
    await page.$eval('[data-field="step-2"]', (el) => {
      (el as HTMLElement & { value: string }).value = 'project_created';
      el.dispatchEvent(new Event('change'));
    });
    await page.click('[data-action="remove-step"] >> nth=2');
    // A filter on a property no event has is named and nothing runs; one that exists goes with its step.
    const runsSoFar = host.count('tool/call');
    await page.fill('[data-field="filter-1"] input', 'colour=red');
    await page.click('vscode-button[data-action="run-analytics.funnel_summary"]');
    await page.waitForSelector('#banner .banner-error');
    assert.match(await page.locator('#banner').innerText(), /Step 1's filter names "colour", a property no event has/);
    assert.equal(host.count('tool/call'), runsSoFar);
    await page.fill('[data-field="filter-1"] input', 'plan=team');
    const run = host.waitFor('tool/call', (p: Call) => p.tool === 'analytics.funnel_summary');
    await page.click('vscode-button[data-action="run-analytics.funnel_summary"]');
    const sentSteps = ((await run).params as { input: { funnel: { steps: Array<{ event_name: string; filter?: unknown }> } } }).input.funnel.steps;
    assert.deepEqual(sentSteps.map((s) => s.event_name), ['signup_completed', 'project_created', 'subscription_paid']);
    assert.deepEqual(sentSteps.map((s) => s.filter), [{ plan: 'team' }, undefined, undefined]);
    await page.waitForFunction(() => document.querySelectorAll('[data-role="funnel-table"] tbody tr').length === 3);
    // A new window runs the analyses shown again, for that window.
    const before = host.count('tool/call');
    await page.$eval('[data-field="range"]', (el) => {
      (el as HTMLElement & { value: string }).value = '90';
      el.dispatchEvent(new Event('change'));
    });
    await until(() => host.count('tool/call') === before + 4, 10_000, 'four runs for the new window');
    assert.ok(calls(host).slice(before).every((c) => c.input.range_days === 90));
    await until(() => host.state !== undefined && (host.state as { rangeDays?: number }).rangeDays === 90);
    await page.waitForTimeout(200);
    const funnelBefore = await tableRows(page, '[data-role="funnel-table"]');
    await page.close();

    // Reopened (hidden and shown, or the window reloaded): same choices, same results, no runs.
    const again = analyticsHost(CATALOG);
    const reopened = await panels.open('insights', again.host, { state: host.state });
    await reopened.page.waitForSelector('[data-role="retention"] tbody tr');
    await reopened.page.waitForTimeout(500);
    assert.equal(again.host.count('tool/call'), 0, 'a reopened panel runs nothing');
    assert.deepEqual(await tableRows(reopened.page, '[data-role="funnel-table"]'), funnelBefore);
    assert.equal(await reopened.page.$eval('[data-field="range"]', (el) => (el as HTMLElement & { value: string }).value), '90');
    assert.equal(await reopened.page.$eval('[data-field="step-2"]', (el) => (el as HTMLElement & { value: string }).value), 'project_created');
    assert.deepEqual(problems, []);
    assert.deepEqual(reopened.problems, []);
    await reopened.page.close();
  });

  it('says when the newest event is older than the window, and can end the window on that day', async () => {
    const old: EventCatalog = { ...CATALOG, totals: { ...CATALOG.totals, firstSeen: '2025-01-01T00:00:00.000Z', lastSeen: '2025-03-31T12:00:00.000Z' } };
    const { host } = analyticsHost(old);
    // Tools that take as_of (a last day for the window), as the registry's will.
    const tools = toolList(() => false).map((t) =>
      t.name.startsWith('analytics.') && t.name !== 'analytics.write_insight'
        ? { ...t, inputSchema: { ...(t.inputSchema as object), properties: { ...((t.inputSchema as { properties: object }).properties), as_of: { type: 'string', format: 'date-time' } } } }
        : t,
    );
    host.handlers['tools/list'] = () => ({ tools });
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="window-miss"]');
    assert.match(await page.locator('[data-role="window-miss"]').innerText(), /newest event is from 2025-03-31/);
    await until(() => host.count('tool/call') === 4);
    const before = host.count('tool/call');
    await page.click('vscode-button[data-action="end-at-data"]');
    await until(() => host.count('tool/call') === before + 4, 10_000, 'the analyses again, ending on the data');
    for (const c of calls(host).slice(before)) assert.equal(c.input.as_of, '2025-04-01T00:00:00.000Z', `${c.tool} ends after 2025-03-31`);
    assert.equal(await page.locator('[data-role="window-miss"]').count(), 0);
    assert.match(await page.locator('[data-role="window"]').innerText(), /2025-03-02 to 2025-03-31/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('says so in the panel when the events cannot be read, and reads them again on Reload', async () => {
    let fail = true;
    const { host } = analyticsHost(CATALOG, {
      'events/catalog': () => {
        if (fail) throw new HostFailure('unavailable', 'the backend exited (code 1) before it was ready');
        return CATALOG;
      },
    });
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="catalog-error"]:not([hidden])');
    assert.match(await page.locator('[data-role="catalog-error"]').innerText(), /Could not read which events exist: the backend exited \(code 1\) before it was ready/);
    assert.equal(host.count('tool/call'), 0);
    fail = false;
    await page.click('vscode-button[data-action="reload"]');
    await page.waitForSelector('[data-role="funnel-table"] tbody tr');
    assert.equal(await page.locator('[data-role="catalog-error"]').isVisible(), false);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('says why a run failed and which tools are missing', async () => {
    const { host } = analyticsHost(CATALOG, {
      'tools/list': () => ({ tools: toolList((n) => n === 'analytics.top_drivers') }),
      'tool/call': ({ tool, input }) =>
        makeRun({ tool, input, status: 'failed', output: undefined, error: { code: 'invalid_input', message: 'no event named "signup_completed" in the last 30 days' } }),
    });
    const { page, problems } = await panels.open('insights', host);
    // Each analysis says in its own card why it failed (none hides another's message).
    await page.waitForSelector('[data-role="error-anomalies"]:has-text("failed")');
    assert.match(await page.locator('[data-role="error-funnel"]').innerText(), /analytics\.funnel_summary failed: no event named "signup_completed"/);
    assert.match(await page.locator('[data-role="error-retention"]').innerText(), /analytics\.cohort_retention failed/);
    assert.match(await page.locator('[data-role="missing"]').innerText(), /analytics\.top_drivers/);
    assert.equal(await page.locator('vscode-button[data-action="run-analytics.top_drivers"]').getAttribute('disabled'), '');
    await until(() => host.count('tool/call') === 3, 10_000, 'the three available analyses');
    assert.ok(!calls(host).some((c) => c.tool === 'analytics.top_drivers'), 'an unavailable tool is not called');
    assert.match(await page.locator('[data-role="funnel-table"]').innerText(), /No funnel yet/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('writes a result as an insight and drafts a campaign from it', async () => {
    const { host } = analyticsHost(CATALOG);
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="drivers"] tbody tr');
    await until(() => host.count('tool/call') === 4);
    const save = host.waitFor('tool/call', (p: Call) => p.tool === 'analytics.write_insight');
    await page.locator('[data-card="drivers"] vscode-button[data-action="save-insight"]').click();
    const insight = ((await save).params as { input: { insight: { type: string; title: string; summary: string } } }).input.insight;
    assert.equal(insight.type, 'driver');
    assert.match(insight.title, /subscription_paid: "plan=team" is the strongest positive driver/);
    assert.match(insight.summary, /310 of 1,200/);
    await page.waitForSelector('[data-role="saved"] li[data-insight="ins-1"]');
    await page.click('[data-role="saved"] li[data-insight="ins-1"] vscode-button[data-action="draft-campaign"]');
    await page.fill('[data-role="saved"] vscode-textfield[data-field="product"] input', 'Acme');
    await page.fill('[data-role="saved"] vscode-textfield[data-field="audience"] input', 'Founders');
    const campaign = host.waitFor('tool/call', (p: Call) => p.tool === 'marketing.generate_channel_posts');
    await page.click('[data-role="saved"] vscode-button[data-action="generate-posts"]');
    const input = ((await campaign).params as { input: { brief: { product: string }; channels: string[] } }).input;
    assert.equal(input.brief.product, 'Acme');
    assert.deepEqual(input.channels, ['linkedin']);
    await page.waitForSelector('[data-role="campaign-result"] p');
    // A post the claims policy flagged says so, with the rule it broke; a clean one does not.
    assert.equal(await page.locator('[data-role="campaign-result"] .post').count(), 2);
    assert.match(await page.locator('[data-role="campaign-result"] .post[data-flagged="true"]').innerText(), /Flagged: check before posting[\s\S]*forbidden_claim: claims "guaranteed growth"/);
    assert.doesNotMatch(await page.locator('[data-role="campaign-result"] .post').first().innerText(), /Flagged/);
    // The retention triangle can be written too.
    const saveRetention = host.waitFor('tool/call', (p: Call) => p.tool === 'analytics.write_insight');
    await page.locator('[data-card="retention"] vscode-button[data-action="save-insight"]').click();
    const r = ((await saveRetention).params as { input: { insight: { title: string; context: { cohort_event: string } } } }).input.insight;
    assert.match(r.title, /44\.7% come back in week 1 after "signup_completed"/);
    assert.equal(r.context.cohort_event, 'signup_completed');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
