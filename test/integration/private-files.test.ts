import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { request, startBackend, tempDir, until } from '../helpers/backend';
import { notPrivate } from '../../backend/private-files';

const ROOT = path.join(__dirname, '..', '..');

/** A folder made 0755 by someone else, with a world-writable leftover in it. */
function openFolder(): string {
  const dir = path.join(tempDir(), 'data');
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'old'));
  fs.chmodSync(path.join(dir, 'old'), 0o777);
  fs.writeFileSync(path.join(dir, 'old', 'left-over.json'), '{}');
  fs.chmodSync(path.join(dir, 'old', 'left-over.json'), 0o666);
  return dir;
}

/**
 * Everything the backend writes is private to the user (issue 8, item 3), whoever created
 * the data folder: `mkdir -m755 D; product-os serve --data D` used to leave PGlite's files
 * world-writable (0666) and its folders 0755, run inputs included.
 */
describe('the data folder is private to the user', function () {
  this.timeout(90_000);

  it('start-up makes a 0755 folder and what is in it 0700/0600', async () => {
    const dir = openFolder();
    const t = await startBackend({ dataDir: dir });
    try {
      assert.deepEqual(notPrivate(dir), []);
    } finally {
      await t.close();
    }
  });

  it('`product-os serve` keeps what it writes later private too, under a permissive umask', async () => {
    const dir = openFolder();
    const token = 'private-files-token-0123456789';
    // umask 000: what a careless service manager may give; nothing written may be 0666.
    const child = spawn('/bin/sh', ['-c', `umask 000 && exec "${process.execPath}" --import tsx backend/cli.ts serve --port 0 --data "${dir}"`], {
      cwd: ROOT,
      env: { ...process.env, PRODUCT_OS_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ready line within 60 s')), 60_000);
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          const m = /"url":"([^"]+)"/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const run = await request(url, token, 'POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'private', patch: { name: 'Secret Co' } } });
      await until(async () => (await request(url, token, 'GET', `/api/runs/${run.body.id}`)).body.status === 'succeeded', 'the write');
      assert.deepEqual(notPrivate(dir), []);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    assert.deepEqual(notPrivate(dir), [], 'after shutdown');
  });
});
