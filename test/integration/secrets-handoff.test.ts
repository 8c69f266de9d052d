/**
 * The editor's secrets reach a real `product-os serve --secrets-stdin` process the way the
 * extension starts it (extension/backend/process.ts writes the hand-off line on stdin): the
 * backend knows them by name, and the value is in no argv, environment or file.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchProcess, type RunningProcess } from '../../extension/backend/process';
import { formatHandoff } from '../../contracts/secrets-handoff';
import { request, tempDir } from '../helpers/backend';

describe('editor secrets handed to serve --secrets-stdin', function () {
  this.timeout(120_000);
  let proc: RunningProcess | undefined;
  after(async () => proc?.stop(5000));

  it('the backend reports them by name; the value is in no argv, environment or data file', async () => {
    const value = `handoff-canary-${Date.now().toString(36)}-Qw3`;
    const dataDir = tempDir();
    const token = 'test-token-0123456789abcdef';
    const stderr: string[] = [];
    proc = await launchProcess(
      {
        command: process.execPath,
        args: ['--import', 'tsx', path.join(__dirname, '..', '..', 'backend', 'cli.ts'), 'serve', '--port', '0', '--data', dataDir, '--secrets-stdin'],
        env: { ...process.env, PRODUCT_OS_TOKEN: token, PRODUCT_OS_STORE: 'pglite' },
        readyTimeoutMs: 90_000,
        stdin: formatHandoff({ PUBLISH_TOKEN: value }),
      },
      (command, args, options) => spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] }),
      (_level, text) => stderr.push(text),
    );
    const report = (await request(proc.ready.url, token, 'GET', '/config/validate')).body;
    const secrets = report.settings.find((s: { name: string }) => s.name === 'secrets');
    assert.equal(secrets.value, 'editor://PUBLISH_TOKEN');
    assert.ok(!JSON.stringify(report).includes(value));
    const pid = proc.pid!;
    // What other processes of this user could read: the command line and the environment.
    for (const f of ['cmdline', 'environ']) assert.ok(!fs.readFileSync(`/proc/${pid}/${f}`).toString('latin1').includes(value), `value in /proc/<pid>/${f}`);
    await proc.stop(10_000);
    proc = undefined;
    assert.ok(!stderr.join('\n').includes(value));
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of files(dataDir)) assert.ok(!fs.readFileSync(file).toString('latin1').includes(value), `value in ${file}`);
  });

  it('a malformed hand-off stops the backend with a reason that does not echo the value', async () => {
    const stderr: string[] = [];
    await assert.rejects(
      launchProcess(
        {
          command: process.execPath,
          args: ['--import', 'tsx', path.join(__dirname, '..', '..', 'backend', 'cli.ts'), 'serve', '--port', '0', '--data', tempDir(), '--secrets-stdin'],
          env: { ...process.env, PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_STORE: 'pglite' },
          readyTimeoutMs: 60_000,
          stdin: '{"secrets":{"A":["leaky-canary-value"]}}\n',
        },
        (command, args, options) => spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] }),
        (_level, text) => stderr.push(text),
      ),
      (e: Error) => /exited/.test(e.message) && /not a string/.test(stderr.join(' ')) && !stderr.join(' ').includes('leaky-canary-value'),
    );
  });
});
