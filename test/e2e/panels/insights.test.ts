/**
 * The Insights panel in headless Chromium with a fake host: what is missing while the analytics
 * tools are unavailable, the charts and tables with sample data, and with the tools available a
 * funnel run, "Save as insight", the saved list and "Draft campaign".
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Run } from '../../../contracts/rest';
import { usePanelBrowser, FakeHost, screenshotsDir, until } from './harness';
import { makeRun, toolList } from './fixtures';
import { SAMPLE_ANOMALIES, SAMPLE_DRIVERS, SAMPLE_FUNNEL } from '../../../webviews/insights/sample-data';

describe('Insights panel (browser)', function () {
  this.timeout(120_000);
  const panels = usePanelBrowser();

  const analytics = (n: string) => n.startsWith('analytics.') || n.startsWith('marketing.');

  it('says which analytics tools are missing and previews the charts with sample data', async () => {
    const host = new FakeHost({ 'tools/list': () => ({ tools: toolList(analytics) }) });
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('[data-role="missing"] li');
    const missing = await page.locator('[data-role="missing"]').innerText();
    for (const t of ['analytics.funnel_summary', 'analytics.top_drivers', 'analytics.anomaly_detect', 'analytics.write_insight', 'marketing.generate_channel_posts']) assert.match(missing, new RegExp(t.replace('.', '\\.')));
    assert.equal(await page.locator('vscode-button[data-action="run-analytics.funnel_summary"]').getAttribute('disabled'), '');
    await page.click('vscode-button[data-action="toggle-sample"]');
    await page.waitForSelector('.sample-tag');
    const rows = await page.$$eval('[data-role="funnel-table"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[1], ['2. signup_started', '3,100', '25.0%', '25.0%', '9,300']);
    assert.equal(rows[4][3], '1.5%');
    assert.equal(await page.locator('[data-role="drivers"] tbody tr').count(), 4);
    assert.match(await page.locator('[data-role="drivers"] tbody tr').first().innerText(), /invited_teammate[\s\S]*high/);
    assert.match(await page.locator('[data-role="anomalies"]').innerText(), /spike[\s\S]*drop/);
    // The charts drew something on their canvases.
    const drawn = await page.$$eval('canvas', (cs) => cs.map((c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d');
      if (!ctx || c.width === 0) return 0;
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    }));
    assert.ok(drawn.length === 2 && drawn.every((n) => n > 500), `canvases drew ${drawn.join(', ')} pixels`);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(screenshotsDir, 'panel-insights.png'), fullPage: true });
    // Actions that cannot run are disabled and say why, in words (not executor names).
    const save = page.locator('vscode-button[data-action="save-insight"]').first();
    assert.equal(await save.getAttribute('disabled'), '');
    const reason = await page.locator('[data-role="action-reason"]').first().innerText();
    assert.match(reason, /Saving insights is not available in this version yet/);
    assert.doesNotMatch(reason, /executor/);
    await save.click({ force: true });
    assert.equal(host.count('tool/call'), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('disables Save as insight and Draft campaign until there is a result, and never saves sample data', async () => {
    const host = new FakeHost({ 'tools/list': () => ({ tools: toolList(() => false) }), 'runs/list': () => ({ runs: [], nextCursor: null }) });
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('vscode-button[data-action="run-analytics.funnel_summary"]:not([disabled])');
    const save = page.locator('vscode-button[data-action="save-insight"]').first();
    const draft = page.locator('vscode-button[data-action="draft-campaign"]').first();
    assert.equal(await save.getAttribute('disabled'), '');
    assert.equal(await draft.getAttribute('disabled'), '');
    assert.match(await page.locator('[data-role="action-reason"]').first().innerText(), /Run the analysis first/);
    await page.click('vscode-button[data-action="toggle-sample"]');
    await page.waitForFunction(() => /Sample data is not saved/.test(document.querySelector('[data-role="action-reason"]')?.textContent ?? ''));
    assert.equal(await save.getAttribute('disabled'), '');
    assert.equal(await draft.getAttribute('disabled'), null, 'a campaign may be drafted from the sample, to try it');
    assert.equal(host.count('tool/call'), 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('runs a funnel, saves it as an insight and drafts a campaign from it', async () => {
    const saved: Run[] = [];
    const host = new FakeHost({
      'tools/list': () => ({ tools: toolList(() => false) }),
      'runs/list': () => ({ runs: saved, nextCursor: null }),
      'tool/call': ({ tool, input }) => {
        const outputs: Record<string, unknown> = {
          'analytics.funnel_summary': SAMPLE_FUNNEL,
          'analytics.top_drivers': SAMPLE_DRIVERS,
          'analytics.anomaly_detect': SAMPLE_ANOMALIES,
          'analytics.write_insight': { insight_id: 'ins-1', stored: { bigquery: { dataset: 'd', table: 't' }, firestore: { collection: 'c', doc_id: 'x' }, gcs: { bucket: 'b', prefix: 'p' } } },
          'marketing.generate_channel_posts': { channels: [{ channel: 'linkedin', posts: [{ text: 'Teams that invite a teammate convert 2.4x.' }] }] },
        };
        const run = makeRun({ tool, input, output: outputs[tool] });
        if (tool === 'analytics.write_insight') saved.push(run);
        return run;
      },
    });
    const { page, problems } = await panels.open('insights', host);
    await page.waitForSelector('vscode-button[data-action="run-analytics.funnel_summary"]:not([disabled])');
    assert.equal(await page.locator('[data-role="missing"] li').count(), 0);
    const called = host.waitFor('tool/call');
    await page.click('vscode-button[data-action="run-analytics.funnel_summary"]');
    const req = (await called).params as { tool: string; input: { range_days: number; funnel: { steps: unknown[] } }; wait: boolean };
    assert.equal(req.tool, 'analytics.funnel_summary');
    assert.equal(req.wait, true);
    assert.equal(req.input.range_days, 30);
    assert.equal(req.input.funnel.steps.length, 5);
    await page.waitForSelector('[data-role="funnel-table"] tbody tr');
    const save = host.waitFor('tool/call', (p: { tool: string }) => p.tool === 'analytics.write_insight');
    await page.locator('vscode-button[data-action="save-insight"]').first().click();
    const insight = ((await save).params as { input: { insight: { type: string; recommendations: unknown[] } } }).input.insight;
    assert.equal(insight.type, 'funnel_drop');
    assert.ok(insight.recommendations.length >= 1);
    await page.waitForSelector('[data-role="saved"] li[data-insight="ins-1"]');
    await page.click('[data-role="saved"] li[data-insight="ins-1"] vscode-button[data-action="draft-campaign"]');
    await page.fill('[data-role="saved"] vscode-textfield[data-field="product"] input', 'Acme');
    await page.fill('[data-role="saved"] vscode-textfield[data-field="audience"] input', 'Founders');
    const campaign = host.waitFor('tool/call', (p: { tool: string }) => p.tool === 'marketing.generate_channel_posts');
    await page.click('[data-role="saved"] vscode-button[data-action="generate-posts"]');
    const input = ((await campaign).params as { input: { brief: { product: string; key_points: string[] }; channels: string[] } }).input;
    assert.equal(input.brief.product, 'Acme');
    assert.deepEqual(input.channels, ['linkedin']);
    await page.waitForSelector('[data-role="campaign-result"] p');
    await until(() => problems.length === 0, 100);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
