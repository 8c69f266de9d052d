/**
 * Every editor window runs its own extension host, but they share one data folder (the
 * extension's global storage), and PGlite allows one backend per folder. The window that starts
 * the backend records it here (pid, url, token; readable only by this user); another window
 * attaches to it instead of failing on the folder lock. A record whose owner window is gone
 * (the editor crashed before it could stop its backend) names an orphan, which is stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SharedBackendRecord {
  pid: number;
  ownerPid: number;
  url: string;
  mcpUrl: string;
  token: string;
  startedAt: string;
}

export class SharedState {
  constructor(private readonly file: string) {}

  read(): SharedBackendRecord | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as Partial<SharedBackendRecord>;
      if (typeof v.pid === 'number' && typeof v.ownerPid === 'number' && typeof v.url === 'string' && typeof v.mcpUrl === 'string' && typeof v.token === 'string') {
        return { pid: v.pid, ownerPid: v.ownerPid, url: v.url, mcpUrl: v.mcpUrl, token: v.token, startedAt: String(v.startedAt ?? '') };
      }
    } catch {
      /* torn or foreign file: ignore it */
    }
    return undefined;
  }

  write(record: SharedBackendRecord): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /** Removes the record if it still names `pid` (a sibling may have written a newer one). */
  remove(pid: number): void {
    if (this.read()?.pid === pid) fs.rmSync(this.file, { force: true });
  }
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
