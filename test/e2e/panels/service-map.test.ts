/**
 * The Service Map panel in headless Chromium with a fake host: what is missing while
 * ops.service_map cannot run, the diagram with sample data (nodes, edges, selection by mouse
 * and keyboard), and the request the panel makes when the tool is available (the fake host
 * answers it with the sample map). The real read of a Docker host's containers is tested in
 * test/integration/ops-tasks-docker.test.ts, and the panel against a real backend in
 * test/e2e/vscode/editor.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { usePanelBrowser, FakeHost, screenshotsDir } from './harness';
import { makeRun, toolList } from './fixtures';
import { SAMPLE_SERVICE_MAP } from '../../../webviews/serviceMap/sample-data';

describe('Service Map panel (browser)', function () {
  this.timeout(120_000);
  const panels = usePanelBrowser();

  it('says the tool is missing, and draws the sample map', async () => {
    const host = new FakeHost({ 'tools/list': () => ({ tools: toolList((n) => n === 'ops.service_map') }) });
    const { page, problems } = await panels.open('serviceMap', host);
    await page.waitForSelector('[data-role="missing"] li');
    await page.waitForSelector('#app[aria-busy="false"]', { timeout: 5000 });
    assert.match(await page.locator('[data-role="missing"]').innerText(), /ops\.service_map[\s\S]*not implemented/);
    assert.equal(await page.locator('vscode-button[data-action="run"]').getAttribute('disabled'), '');
    await page.click('vscode-button[data-action="toggle-sample"]');
    await page.waitForSelector('svg .sm-node');
    assert.equal(await page.locator('svg .sm-node').count(), SAMPLE_SERVICE_MAP.nodes.length);
    assert.equal(await page.locator('svg .sm-edge').count(), SAMPLE_SERVICE_MAP.edges.length);
    assert.equal(await page.locator('svg .sm-node.stopped').count(), 1);
    await page.click('svg .sm-node[data-node="c-api"]');
    await page.waitForSelector('.sm-side h2:has-text("api")');
    assert.match(await page.locator('.sm-side').innerText(), /DATABASE_URL/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('.sm-side h2')?.textContent !== 'api');
    await page.screenshot({ path: join(screenshotsDir, 'panel-service-map.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('asks the host for ops.service_map when it is available, and draws the map it answers (fake host)', async () => {
    const host = new FakeHost({
      'tools/list': () => ({ tools: toolList(() => false) }),
      'tool/call': ({ tool, input }) => makeRun({ tool, input, output: SAMPLE_SERVICE_MAP }),
    });
    const { page, problems } = await panels.open('serviceMap', host);
    await page.waitForSelector('vscode-button[data-action="run"]:not([disabled])');
    const called = host.waitFor('tool/call');
    await page.click('vscode-button[data-action="run"]');
    assert.deepEqual((await called).params, { tool: 'ops.service_map', input: { include_stopped: false }, wait: true });
    await page.waitForSelector('svg .sm-node[data-node="c-db"]');
    assert.equal(await page.locator('[data-role="sample-tag"].hidden').count(), 1);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
