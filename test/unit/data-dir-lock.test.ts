import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockDataDir, processStart } from '../../backend/data-dir-lock';

describe('data folder lock', () => {
  let dir: string;
  let other: ChildProcess;
  const lockFile = () => path.join(dir, 'backend.lock');
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'po-lock-'));
    // A live process that is not a Product OS backend and never locked anything.
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  });
  afterEach(() => {
    other.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a folder held by a live backend (this very process) and releases it on unlock', () => {
    const unlock = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), /in use by another Product OS backend \(pid \d+\)/);
    unlock();
    assert.equal(fs.existsSync(lockFile()), false);
    lockDataDir(dir)();
  });

  it('takes over a lock whose pid now belongs to an unrelated live process', () => {
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, start: '1' }));
    const unlock = lockDataDir(dir);
    assert.equal(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid, process.pid);
    unlock();
  });

  it('takes over an older pid-only lock written before that live process started', () => {
    fs.writeFileSync(lockFile(), String(other.pid));
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(lockFile(), hourAgo, hourAgo);
    lockDataDir(dir)();
  });

  it('honours a lock naming a live process with its own start time', () => {
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: other.pid, start: processStart(other.pid!) }));
    assert.throws(() => lockDataDir(dir), new RegExp(`pid ${other.pid}`));
  });

  it('takes over a lock whose process is gone, and one that cannot be read', () => {
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: 2 ** 22 + 7, start: '5' }));
    lockDataDir(dir)();
    fs.writeFileSync(lockFile(), 'not a lock');
    lockDataDir(dir)();
  });
});
