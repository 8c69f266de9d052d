/**
 * DEBUG_REDACTED_MODE on the extension's own log path (the "Product OS" Output channel), with
 * the PII samples the backend's redaction test uses: on by default, every line the extension
 * writes is masked; off (the editor's environment or productOs.backend.environment), verbatim.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fake, fakeContext } from './vscode-fake';
import { activate, deactivate } from '../../../extension/extension';
import { redactedLog, redactionOn } from '../../../extension/redacted-log';
import { startFakeBackend, tool, TOKEN, type FakeBackendServer } from './fake-backend';

const ROOT = path.join(__dirname, '../../..');
const SAMPLES = {
  email: 'alice.founder@example.com',
  key: 'sk-live0123456789abcdefABCDEF',
  ipv4: '203.0.113.77',
  home: 'alicejones',
  container: '4f9a1c2b3d5e',
};
const TEXT = `user ${SAMPLES.email} key ${SAMPLES.key} from ${SAMPLES.ipv4} file /home/${SAMPLES.home}/app container ${SAMPLES.container}`;
const leaks = (text: string) => Object.entries(SAMPLES).filter(([, v]) => text.includes(v)).map(([k]) => k);

describe('extension: redacted debug mode on its Output channel', function () {
  this.timeout(20_000);

  it('DEBUG_REDACTED_MODE reads as the backend reads it: on unless set to something else than 1/true/yes/on', () => {
    for (const v of [undefined, '', '1', 'true', 'YES', 'on']) assert.equal(redactionOn({ DEBUG_REDACTED_MODE: v }), true, String(v));
    for (const v of ['false', '0', 'no', 'off']) assert.equal(redactionOn({ DEBUG_REDACTED_MODE: v }), false, v);
  });

  it('masks every way of writing a line (levels, Error objects, append) while on, and nothing when off', () => {
    fake.reset();
    let on = true;
    const log = redactedLog(vscode.window.createOutputChannel('t', { log: true }) as vscode.LogOutputChannel, () => on);
    const write = () => {
      log.info(TEXT);
      log.warn(TEXT, { nested: [TEXT] });
      log.error(new Error(TEXT));
      log.appendLine(TEXT);
      log.debug(TEXT);
    };
    write();
    const lines = () => fake.channels[0]!.lines.map((l) => l.message).join('\n');
    assert.equal(fake.channels[0]!.lines.length, 5);
    assert.deepEqual(leaks(lines()), []);
    assert.match(lines(), /\[redacted-email\]/);
    fake.channels[0]!.lines.length = 0;
    on = false;
    write();
    assert.deepEqual(leaks(lines()).sort(), Object.keys(SAMPLES).sort());
    assert.equal(log.name, 't', 'everything else is the channel\'s own');
  });

  describe('through the extension', () => {
    let backend: FakeBackendServer;
    beforeEach(async () => {
      backend = await startFakeBackend();
      backend.tools = [tool('ops.gpu_report', 'docker', { type: 'object', properties: {} })];
      backend.outcome = 'fail';
      backend.error = { code: 'worker_failed', message: `the worker failed: ${TEXT}` };
    });
    afterEach(async () => {
      await deactivate();
      await backend.close();
    });

    async function failedRunLog(environment: Record<string, string>): Promise<string> {
      fake.reset();
      fake.settings.set('productOs.server.url', backend.url);
      fake.settings.set('productOs.backend.environment', environment);
      const context = fakeContext(ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-ext-storage-')));
      await activate(context as unknown as vscode.ExtensionContext);
      await context.secrets.store('productOs.server.token', TOKEN);
      fake.quickPickAnswers.push([]);
      await fake.commands.get('productOs.gpuReport')!();
      const text = fake.channels.flatMap((c) => c.lines).map((l) => l.message).join('\n');
      assert.match(text, /ops\.gpu_report: run \S+ failed: worker_failed: the worker failed/, text);
      return text;
    }

    it('on by default: a failed run\'s error reaches the Output channel masked', async () => {
      assert.deepEqual(leaks(await failedRunLog({})), []);
    });

    it('off in productOs.backend.environment: verbatim, for isolated debugging', async () => {
      assert.deepEqual(leaks(await failedRunLog({ DEBUG_REDACTED_MODE: 'false' })).sort(), Object.keys(SAMPLES).sort());
    });
  });
});
