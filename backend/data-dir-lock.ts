import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProductOsError } from './errors';

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt
 * it. The lock file names its owner: `{"pid":…,"start":…}`, the start being the process's
 * start time as the kernel counts it. A lock is honoured only while that very process is
 * alive; a lock whose process is gone (kill -9), or whose pid now belongs to a process
 * started later (the pid was reused after a reboot or a long uptime), is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'backend.lock');
  const mine = JSON.stringify({ pid: process.pid, start: processStart(process.pid) });
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written whole beside the lock, then linked into place: a reader never sees a half-written
    // lock, and the link fails if another process got there first.
    const temp = `${file}.${process.pid}`;
    fs.writeFileSync(temp, mine, { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(temp, { force: true });
    }
    const owner = readOwner(file);
    if (owner && ownerIsAlive(owner)) {
      throw new ProductOsError('data_dir_locked', `the data folder ${dataDir} is in use by another Product OS backend (pid ${owner.pid}); point PRODUCT_OS_URL at it or use another --data folder`);
    }
    fs.rmSync(file, { force: true });
  }
  throw new ProductOsError('data_dir_locked', `could not lock the data folder ${dataDir}`);
}

interface LockOwner {
  pid: number;
  /** The kernel's start time of the owner (Linux); absent in older locks and elsewhere. */
  start?: string;
  /** When the lock was written, for older locks that hold only a pid. */
  writtenMs: number;
}

function readOwner(file: string): LockOwner | undefined {
  let text: string;
  let writtenMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    writtenMs = fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text.trim())) return { pid: Number(text.trim()), writtenMs };
  try {
    const v = JSON.parse(text) as { pid?: unknown; start?: unknown };
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return { pid: v.pid, start: typeof v.start === 'string' ? v.start : undefined, writtenMs };
  } catch {
    return undefined;
  }
}

/** Our own pid counts too: a second backend in this process would open the same PGlite files. */
function ownerIsAlive(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  const start = processStart(owner.pid);
  if (start === undefined) return true; // no /proc: the pid alone is all we can go by
  if (owner.start !== undefined) return owner.start === start;
  // An older lock (a pid only): a process that started after the lock was written cannot be
  // the one that wrote it.
  const startedMs = processStartMs(start);
  return startedMs === undefined || startedMs <= owner.writtenMs + 1000;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started (Linux). */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Start ticks as wall-clock milliseconds: boot time (/proc/stat btime) + ticks / USER_HZ (100 on Linux). */
function processStartMs(start: string): number | undefined {
  try {
    const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (!btime) return undefined;
    return Number(btime[1]) * 1000 + Number(start) * 10;
  } catch {
    return undefined;
  }
}
