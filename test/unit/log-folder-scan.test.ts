import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listLogFiles } from '../../workers/tasks/log-triage/sources';

describe('log triage folder scan', () => {
  it('skips a dangling symlink instead of failing the whole folder; a named path that is missing still fails', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'log-scan-'));
    try {
      fs.writeFileSync(path.join(root, 'app.log'), 'Jun 14 10:00:00 h app[1]: Started job 1\n');
      fs.symlinkSync(path.join(root, 'rotated-away.log'), path.join(root, 'dangling.log'));
      fs.mkdirSync(path.join(root, 'nested'));
      fs.symlinkSync(path.join(root, 'loop-b'), path.join(root, 'nested', 'loop-a'));
      fs.symlinkSync(path.join(root, 'nested', 'loop-a'), path.join(root, 'loop-b'));
      assert.deepEqual(await listLogFiles(root), ['app.log']);
      await assert.rejects(listLogFiles(root, 'missing.log'), /ENOENT/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
