import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { request, tempDir } from '../helpers/backend';
import { CLI, spawnServe, type ServeProcess } from '../helpers/serve-process';

const exec = promisify(execFile);

/** Runs the built CLI; resolves with its exit code and output instead of throwing. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, PRODUCT_OS_URL: '', ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('product-os CLI', function () {
  this.timeout(60_000);

  it('demo fills a data folder once; call runs tools against it; exit codes say what happened', async () => {
    const data = tempDir();
    const demo = await cli(['demo', '--data', data]);
    assert.equal(demo.code, 0, demo.stderr);
    assert.deepEqual(JSON.parse(demo.stdout), { event: 'demo', dataDir: data, cards: 7, brand: 'created' });
    assert.equal(JSON.parse((await cli(['demo', '--data', data])).stdout).brand, 'kept', 'a second demo changes nothing');
    const stat = fs.statSync(path.join(data, 'token'));
    assert.equal(stat.mode & 0o777, 0o600, 'the generated token is private');

    const ping = await cli(['call', 'system.ping', '--input', '{"message":"hi"}', '--data', data]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(JSON.parse(ping.stdout).message, 'hi');

    const brand = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"default"}', '--data', data]);
    assert.equal(JSON.parse(brand.stdout).brand.name, 'Lumen Notes');

    const bad = await cli(['call', 'system.ping', '--input', '{"mesage":"hi"}', '--data', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown field \/mesage/);

    const notJson = await cli(['call', 'system.ping', '--input', '{oops', '--data', data]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /--input is not valid JSON/);

    const missing = await cli(['call', 'brand.get_profile', '--input', '{"profile_id":"nobody"}', '--data', data]);
    assert.equal(missing.code, 1, 'a failed run exits 1');
    assert.match(missing.stderr, /no brand profile "nobody"/);

    const waiting = await cli(['call', 'brand.update_profile', '--input', '{"profile_id":"default","patch":{"name":"X"}}', '--data', data], { PRODUCT_OS_MEDIUM_RISK: 'approval' });
    assert.equal(waiting.code, 3, 'a run waiting for approval exits 3');
    assert.equal(JSON.parse(waiting.stdout).status, 'awaiting_approval');

    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.match((await cli(['serve', '--port', 'x'])).stderr, /--port must be 0\.\.65535/);
  });

  describe('serve', () => {
    let proc: ServeProcess;
    const token = 'cli-test-token-0123456789';
    const data = tempDir();
    before(async () => {
      proc = await spawnServe(['--data', data], { PRODUCT_OS_TOKEN: token });
    });
    after(async () => {
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0, 'SIGTERM shuts down cleanly');
      assert.equal(fs.existsSync(path.join(data, 'backend.lock')), false, 'and releases the data folder');
    });

    it('prints a ready line and listens on 127.0.0.1 only', async () => {
      assert.match(proc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await request(proc.url, token, 'GET', '/health')).body.status, 'ok');
    });

    it('refuses a second backend on the same data folder, naming the one that has it', async () => {
      const second = await cli(['call', 'system.ping', '--data', data]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`in use by another Product OS backend \\(pid ${proc.child.pid}\\)`));
    });

    it('call uses PRODUCT_OS_URL when set, with the token it is given', async () => {
      const ok = await cli(['call', 'system.ping', '--input', '{"message":"remote"}'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: token });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).message, 'remote');
      const runs = await request(proc.url, token, 'GET', '/api/runs?tool=system.ping');
      assert.equal(runs.body.runs[0].caller, 'api:cli');

      const wrong = await cli(['call', 'system.ping'], { PRODUCT_OS_URL: proc.url, PRODUCT_OS_TOKEN: 'not-the-token-at-all' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /wrong bearer token/);
    });
  });
});
