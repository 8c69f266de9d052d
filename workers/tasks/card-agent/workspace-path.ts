import * as fs from 'node:fs';
import * as path from 'node:path';

/** A path the agent gave that would leave the workspace, or touch what it may not. */
export class PathRefused extends Error {}

const within = (child: string, root: string) => child === root || child.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * Resolves a path the model gave (relative to the root, or absolute under `alias`, the
 * root's name inside the worker) to a host path inside `root`, or refuses it. Both the path
 * as written (`..`) and as the filesystem resolves it (symlinks, followed from the deepest part
 * that exists) must stay under the root, so a link planted by a command cannot lead out.
 * `.git` is refused: the backend owns the repository metadata.
 */
export function resolveInWorkspace(root: string, given: string, alias = '/workspace'): string {
  if (given.includes('\0')) throw new PathRefused(`refused "${given}": it contains a NUL byte`);
  const realRoot = fs.realpathSync(root);
  const rel = path.posix.isAbsolute(given) ? (within(given, alias) ? path.posix.relative(alias, given) : null) : given;
  if (rel === null) throw new PathRefused(`refused "${given}": absolute paths must be under ${alias}`);
  const target = path.resolve(realRoot, rel);
  if (!within(target, realRoot)) throw new PathRefused(`refused "${given}": it leads outside ${alias}`);
  const parts = path.relative(realRoot, target).split(path.sep);
  if (parts[0] === '.git') throw new PathRefused(`refused "${given}": .git is managed by Product OS`);
  // The deepest existing ancestor (the target itself when it exists), with links followed.
  let probe = target;
  for (;;) {
    try {
      const real = fs.realpathSync(probe);
      if (!within(real, realRoot)) throw new PathRefused(`refused "${given}": it resolves (through a link) outside ${alias}`);
      break;
    } catch (err) {
      if (err instanceof PathRefused) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // A dangling link is as dangerous as one that resolves: check where it points.
      try {
        if (fs.lstatSync(probe).isSymbolicLink()) {
          const dest = path.resolve(path.dirname(probe), fs.readlinkSync(probe));
          if (!within(dest, realRoot)) throw new PathRefused(`refused "${given}": it resolves (through a link) outside ${alias}`);
        }
      } catch (e) {
        if (e instanceof PathRefused) throw e;
      }
      const up = path.dirname(probe);
      if (up === probe) break;
      probe = up;
    }
  }
  return target;
}

/** The path as the model should see it: relative to the root, `.` for the root. */
export function displayPath(root: string, abs: string): string {
  return path.relative(fs.realpathSync(root), abs) || '.';
}
