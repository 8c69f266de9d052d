/**
 * What the editor says when a tool run cannot run or fails: the failure reaches the Output
 * channel ("Show Backend Log" must lead somewhere), log triage names the productOs.logs.folder
 * setting and offers a way out, and a re-run says that lines already seen are skipped.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fake, fakeContext } from './vscode-fake';
import { activate, deactivate } from '../../../extension/extension';
import { triageSummary } from '../../../extension/tools/triage-summary';
import { chooseServiceMapContainers } from '../../../extension/commands/service-map-commands';
import { backendEnv, readSettings } from '../../../extension/settings';
import type { Services } from '../../../extension/services';
import { startFakeBackend, tool, TOKEN, type FakeBackendServer } from './fake-backend';

const ROOT = path.join(__dirname, '../../..');

async function activated(settings: Record<string, unknown> = {}) {
  fake.reset();
  for (const [k, v] of Object.entries(settings)) fake.settings.set(k, v);
  const context = fakeContext(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-storage-')));
  const api = await activate(context as unknown as vscode.ExtensionContext);
  return { api, context };
}

const errorLines = () => fake.channels.flatMap((c) => c.lines).filter((l) => l.level === 'error').map((l) => l.message);

describe('extension: what a failed or impossible run says', function () {
  this.timeout(20_000);
  let backend: FakeBackendServer;
  beforeEach(async () => {
    backend = await startFakeBackend();
  });
  afterEach(async () => {
    await deactivate();
    await backend.close();
  });

  async function serverMode() {
    const a = await activated({ 'productOs.server.url': backend.url });
    await a.context.secrets.store('productOs.server.token', TOKEN);
    return a;
  }

  it('a failed run writes its error to the Output channel, so "Show Backend Log" shows it', async () => {
    backend.tools = [tool('ops.gpu_report', 'docker', { type: 'object', properties: {} })];
    backend.outcome = 'fail';
    backend.error = { code: 'worker_failed', message: 'the worker exited with code 3' };
    await serverMode();
    fake.quickPickAnswers.push([]);
    fake.messageAnswers.push('Show Backend Log');
    await fake.commands.get('productOs.gpuReport')!();
    assert.ok(errorLines().some((l) => /ops\.gpu_report: run \S+ failed: worker_failed: the worker exited with code 3/.test(l)), `error lines: ${errorLines().join(' | ')}`);
    assert.deepEqual(fake.messages.at(-1)?.items, ['Show Run', 'Show Backend Log']);
  });

  it('log triage without its folder names productOs.logs.folder and offers Choose Folder, Create Folder, Open Settings', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'po-logs-')), 'logs');
    await activated({ 'productOs.logs.folder': dir });
    fake.messageAnswers.push('Create Folder');
    await fake.commands.get('productOs.triageLogs')!();
    const offer = fake.messages[0];
    assert.match(offer.message, /productOs\.logs\.folder setting/);
    assert.doesNotMatch(offer.message, /PRODUCT_OS_LOGS/);
    assert.deepEqual(offer.items, ['Choose Folder…', 'Create Folder', 'Open Settings']);
    assert.ok(fs.statSync(dir).isDirectory(), 'Create Folder made it');
    assert.match(fake.messages[1].message, /Created .*run Triage Logs again/);

    fs.rmSync(dir, { recursive: true });
    fake.messageAnswers.push('Open Settings');
    await fake.commands.get('productOs.triageLogs')!();
    assert.ok(fake.executed.some((e) => e.id === 'workbench.action.openSettings' && e.args[0] === 'productOs.logs.folder'));
  });

  it('in server mode, a run that finds no logs folder says to set PRODUCT_OS_LOGS where that backend runs', async () => {
    backend.tools = [tool('ops.log_triage', 'docker', { type: 'object', properties: {} })];
    backend.outcome = 'fail';
    backend.error = { code: 'not_configured', message: 'the logs folder /srv/logs does not exist', details: { logsDir: '/srv/logs' } };
    await serverMode();
    fake.quickPickAnswers.push([]);
    await fake.commands.get('productOs.triageLogs')!();
    const said = fake.messages.at(-1);
    assert.match(said?.message ?? '', /no logs folder \/srv\/logs\. Set PRODUCT_OS_LOGS where that backend runs/);
    assert.ok(errorLines().some((l) => /not_configured/.test(l)));
  });
});

describe('extension: the Triage Logs result', () => {
  it('says that lines already seen are skipped on a re-run', () => {
    const first = { files_scanned: 1, lines: 40, templates: [1, 2], new_templates: 2, spikes: 0, since_run_id: null, window: { since: null } };
    assert.equal(triageSummary(first), '40 lines in 1 files: 2 templates, 2 new, 0 spiking');
    const again = { files_scanned: 1, lines: 0, templates: [], new_templates: 0, spikes: 0, since_run_id: 'r1', window: { since: '2026-01-01T10:00:00Z' } };
    assert.match(triageSummary(again), /^No new log lines since the last triage \(.+\): lines already seen are skipped/);
    const more = { ...again, lines: 5, templates: [1] };
    assert.match(triageSummary(more), /^5 lines in 1 files: 1 templates, 0 new, 0 spiking\. Only lines after the last triage \(.+\) were read; lines already seen are skipped\.$/);
  });
});

describe('extension: the service map container allowlist from the editor', function () {
  this.timeout(20_000);
  afterEach(async () => deactivate());

  it('the setting reaches the bundled backend as PRODUCT_OS_SERVICE_MAP_CONTAINERS', () => {
    const s = readSettings((k) => (k === 'serviceMap.containers' ? ['web', ' db ', 3] : undefined));
    assert.deepEqual(s.serviceMapContainers, ['web', 'db']);
    assert.equal(backendEnv({}, s, 'token-0123456789abcdef', '/w').PRODUCT_OS_SERVICE_MAP_CONTAINERS, 'web,db');
  });

  it('Choose Service Map Containers… picks from Docker\'s containers and saves the setting; an editor action offers it', async () => {
    fake.reset();
    const services = { settings: () => readSettings((k) => (k === 'serviceMap.containers' ? ['gone'] : undefined)) } as unknown as Services;
    const updates: Array<{ key: string; value: unknown }> = [];
    const config = vscode.workspace.getConfiguration('productOs');
    const original = vscode.workspace.getConfiguration;
    (vscode.workspace as { getConfiguration: unknown }).getConfiguration = () => ({ ...config, update: async (key: string, value: unknown) => void updates.push({ key, value }) });
    try {
      fake.quickPickAnswers.push((items: Array<{ label: string; picked: boolean }>) => {
        assert.deepEqual(items.map((i) => [i.label, i.picked]), [['web', false], ['db', false], ['gone', true]]);
        return items.filter((i) => i.label !== 'gone');
      });
      await chooseServiceMapContainers(services, async () => [
        { name: 'web', image: 'nginx', status: 'Up 2 hours' },
        { name: 'db', image: 'postgres', status: 'Up 2 hours' },
      ]);
    } finally {
      (vscode.workspace as { getConfiguration: unknown }).getConfiguration = original;
    }
    assert.deepEqual(updates, [{ key: 'serviceMap.containers', value: ['web', 'db'] }]);
    assert.match(fake.messages.at(-1)?.message ?? '', /look at web, db/);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(manifest.contributes.menus['editor/title'].some((m: { command: string; when: string }) => m.command === 'productOs.chooseServiceMapContainers' && /productOs\.serviceMap/.test(m.when)));
    assert.ok(manifest.contributes.configuration.properties['productOs.serviceMap.containers']);
  });
});
