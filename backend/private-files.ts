import * as fs from 'node:fs';
import * as path from 'node:path';

/** Past this many entries the walk stops: a data folder is never that big, a mistaken one (/) is. */
const MAX_ENTRIES = 200_000;

/**
 * For a process that is the backend (`product-os serve`, `mcp --stdio`): whatever it writes
 * from now on is private (files 0600, folders 0700) unless it says otherwise (the worker
 * output folders are given to the worker user explicitly). Not for an embedding process
 * (tests, the editor's host), whose own files are none of the backend's business.
 */
export function usePrivateUmask(): void {
  process.umask(0o077);
}

/**
 * Makes the data folder private to this user, whoever created it and with whatever mode
 * (`mkdir -m755 D; product-os serve --data D` left PGlite's files world-readable): every
 * folder 0700, every file 0600. Run at start-up, before the store opens; with the folder
 * 0700 nothing in it can be reached by anyone else whatever is written later. Symbolic links
 * are not followed; an entry this user does not own (a worker's output) is left as it is.
 * Returns how many entries it tightened.
 */
export function makePrivate(dir: string): number {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let fixed = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0 && seen < MAX_ENTRIES) {
    const current = stack.pop()!;
    const st = fs.lstatSync(current, { throwIfNoEntry: false });
    seen++;
    if (!st || st.isSymbolicLink()) continue;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) {
      try {
        fs.chmodSync(current, want);
        fixed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      }
    }
    if (st.isDirectory()) {
      try {
        for (const name of fs.readdirSync(current)) stack.push(path.join(current, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      }
    }
  }
  return fixed;
}

/** Entries under `dir` that anyone but the owner can read, write or enter (for checks and tests). */
export function notPrivate(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  let seen = 0;
  while (stack.length > 0 && seen++ < MAX_ENTRIES) {
    const current = stack.pop()!;
    const st = fs.lstatSync(current, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if ((st.mode & 0o077) !== 0) out.push(`${current} (${(st.mode & 0o777).toString(8)})`);
    if (st.isDirectory()) for (const name of fs.readdirSync(current)) stack.push(path.join(current, name));
  }
  return out;
}
