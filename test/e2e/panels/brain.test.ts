/**
 * The Company Brain panel in headless Chromium with a fake host: the form generated from the
 * registry's brand schema, list editing, inline validation, save as a merge patch, the version
 * history's diff and revert, unsaved edits surviving a reload, and no console errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { usePanelBrowser, FakeHost, HostFailure, screenshotsDir, until } from './harness';
import { brandSchema, brandVersions, makeRun, sampleProfile } from './fixtures';

describe('Company Brain panel (browser)', function () {
  this.timeout(120_000);
  const panels = usePanelBrowser();

  function brainHost(schema: unknown = brandSchema): FakeHost {
    return new FakeHost({
      'brand/load': () => ({ profile: sampleProfile, schema, versions: brandVersions() }),
      'brand/save': () => makeRun({ tool: 'brand.update_profile', status: 'succeeded', risk: 'medium', output: { ok: true, updated_at: '2025-01-02T00:00:00Z' } }),
      'brand/revert': () => makeRun({ tool: 'brand.update_profile', status: 'succeeded', risk: 'medium' }),
      'ui/openPanel': () => null,
    });
  }

  const field = (pointer: string) => `vscode-textfield[data-pointer="${pointer}"] input`;

  it('generates the form from the schema and saves a merge patch', async () => {
    const host = brainHost();
    const { page, problems } = await panels.open('brain', host);
    await page.waitForSelector(field('/name'));
    assert.equal(await page.inputValue(field('/name')), 'Acme Analytics');
    // String arrays are editable lists.
    assert.equal(await page.locator('fieldset[data-pointer="/voice/tone"] vscode-textfield').count(), 2);
    await page.fill(field('/name'), 'Acme Insights');
    await page.click('vscode-button[data-action="add-item"][data-pointer="/voice/do"]');
    await page.fill(field('/voice/do/1'), 'Cite sources');
    await page.click('fieldset[data-pointer="/voice/dont"] button[aria-label^="Remove"]');
    assert.match(await page.locator('[data-role="status"]').innerText(), /Unsaved/);
    await page.screenshot({ path: join(screenshotsDir, 'panel-brain.png') });
    const saved = host.waitFor('brand/save');
    await page.click('vscode-button[data-action="save"]');
    const req = await saved;
    assert.deepEqual(req.params, { profileId: 'default', patch: { name: 'Acme Insights', voice: { do: ['Use numbers', 'Cite sources'], dont: [] } } });
    await until(() => host.count('brand/load') === 2, 5000, 'a reload after saving');
    await page.waitForFunction(() => /Saved/.test(document.getElementById('banner')?.textContent ?? ''));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('validates inline with the schema and keeps Save disabled until fixed', async () => {
    const strict = JSON.parse(JSON.stringify(brandSchema)) as { properties: { name: Record<string, unknown> } };
    strict.properties.name.minLength = 1;
    const host = brainHost(strict);
    const { page, problems } = await panels.open('brain', host);
    await page.waitForSelector(field('/name'));
    await page.fill(field('/name'), '');
    await page.waitForSelector('.field-error[data-pointer="/name"]:has-text("must not be empty")');
    assert.equal(await page.locator('vscode-button[data-action="save"]').getAttribute('disabled'), '');
    assert.match(await page.locator('[data-role="problems"]').innerText(), /1 problem/);
    await page.fill(field('/name'), 'Back');
    await page.waitForFunction(() => !document.querySelector('vscode-button[data-action="save"]')?.hasAttribute('disabled'));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows the backend refusal on the field it names', async () => {
    const host = brainHost();
    host.handlers['brand/save'] = () => {
      throw new HostFailure('invalid_input', 'the patch would make an invalid profile: /patch/voice/tone/0 must be string', {
        runId: 'r1',
        violations: [{ pointer: '/patch/voice/tone/0', rule: 'type', message: '/patch/voice/tone/0 must be string' }],
      });
    };
    const { page, problems } = await panels.open('brain', host);
    await page.waitForSelector(field('/voice/tone/0'));
    await page.fill(field('/voice/tone/0'), 'warm');
    await page.click('vscode-button[data-action="save"]');
    await page.waitForSelector('.field-error[data-pointer="/voice/tone/0"]:has-text("Item 1 must be string")');
    assert.match(await page.locator('#banner').innerText(), /Could not save/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows what a version changed and reverts to it', async () => {
    const host = brainHost();
    const { page, problems } = await panels.open('brain', host);
    await page.waitForSelector('.versions li[data-version="1"] button');
    await page.click('.versions li[data-version="2"] button');
    const diff = await page.locator('[data-role="diff"]').innerText();
    assert.match(diff, /Changes in v2 \(since v1\)/);
    assert.match(diff, /voice › tone › 1: "precise"/);
    assert.match(diff, /This is the current version/);
    await page.click('.versions li[data-version="1"] button');
    const reverted = host.waitFor('brand/revert');
    await page.click('vscode-button[data-action="revert"]');
    assert.deepEqual((await reverted).params, { profileId: 'default', version: 1 });
    await page.waitForFunction(() => /Reverted to v1/.test(document.getElementById('banner')?.textContent ?? ''));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('reads a first version as the profile, names who saved each version in words, and keeps the Save bar off the fields', async () => {
    const host = brainHost();
    const { page, problems } = await panels.open('brain', host);
    await page.waitForSelector('.versions li[data-version="1"] button');
    const history = await page.locator('.versions').innerText();
    assert.match(history, /you, in the editor/);
    assert.match(history, /you, from the command line/);
    assert.doesNotMatch(history, /api:vscode|api:cli/);
    await page.click('.versions li[data-version="1"] button');
    const first = page.locator('[data-role="diff"] li');
    assert.ok((await first.count()) >= 8, 'one line per field');
    const lines = await first.allInnerTexts();
    assert.ok(lines.includes('name: Acme Analytics'), lines.join(' | '));
    assert.ok(lines.includes('voice › tone: friendly'), lines.join(' | '));
    assert.ok(lines.every((l) => l.length < 120 && !l.includes('{')), 'no line of raw JSON');

    // A short window: the fields scroll, and no visible part of a field is under the Save bar.
    await page.setViewportSize({ width: 1000, height: 420 });
    for (const at of [0, 0.5, 1]) {
      const covered = await page.evaluate((fraction) => {
        const fields = document.querySelector('.brain-fields') as HTMLElement;
        fields.scrollTop = (fields.scrollHeight - fields.clientHeight) * fraction;
        const bar = (document.querySelector('.form-actions') as HTMLElement).getBoundingClientRect();
        const clip = fields.getBoundingClientRect();
        return Array.from(document.querySelectorAll('.brain-fields [data-pointer]')).filter((el) => {
          const r = el.getBoundingClientRect();
          const top = Math.max(r.top, clip.top, bar.top);
          const bottom = Math.min(r.bottom, clip.bottom, bar.bottom);
          return bottom - top > 1 && r.right > bar.left && r.left < bar.right;
        }).length;
      }, at);
      assert.equal(covered, 0, `fields under the Save bar at scroll ${at}`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('keeps unsaved edits across a reload', async () => {
    const host = brainHost();
    const { page } = await panels.open('brain', host);
    await page.waitForSelector(field('/name'));
    await page.fill(field('/audience/primary'), 'Indie hackers');
    await until(() => ((host.state as { draft?: { audience?: { primary?: string } } } | undefined)?.draft?.audience?.primary ?? '') === 'Indie hackers', 5000, 'the draft saved');
    const saved = host.state;
    await page.close();
    const again = brainHost();
    const reopened = await panels.open('brain', again, { state: saved });
    await reopened.page.waitForSelector(field('/audience/primary'));
    assert.equal(await reopened.page.inputValue(field('/audience/primary')), 'Indie hackers');
    assert.match(await reopened.page.locator('[data-role="status"]').innerText(), /Unsaved/);
    assert.deepEqual(reopened.problems, []);
    await reopened.page.close();
  });
});
