/**
 * Reading a logs folder: which files, in which order, as lines.
 *
 * The worker gets the logs folder mounted read-only and a `path` inside it from the job.
 * Paths that leave the folder are refused here (the mount already confines the container;
 * this makes the refusal an error message rather than an empty result). Files are read as
 * streams, line by line, so a multi-gigabyte log fits in the worker's memory limit;
 * rotated `.gz` files are decompressed on the fly with the zlib that Node ships. Binary
 * files (a NUL byte near the start) are skipped, not mined.
 */

import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { LogSource } from './triage';

/** Longest line kept whole; longer ones are cut (a 50 MB single-line JSON dump is not a log line). */
const MAX_LINE = 64 * 1024;
/** Archives, images and binaries are skipped in a folder scan (a file named directly is still read). */
const SKIP_NAMES = /\.(?:zip|tar|tgz|bz2|xz|zst|7z|png|jpe?g|gif|pdf|sqlite|db|bin|so|o|class|jar)$/i;

export class PathOutsideLogsError extends Error {}

/** Resolves `relative` inside `root`, refusing anything that leaves it (.., absolute, symlinks out). */
export async function resolveInside(root: string, relative = '.'): Promise<string> {
  const base = await fs.realpath(root);
  const target = path.resolve(base, relative);
  const real = await fs.realpath(target).catch(() => target);
  if (real !== base && !real.startsWith(base + path.sep)) {
    throw new PathOutsideLogsError(`path "${relative}" is outside the logs folder`);
  }
  return real;
}

/**
 * The log files under `root/relative` (a file or a folder, searched recursively, hidden
 * entries skipped), as paths relative to `root`, oldest first so rotated files come before
 * the live one.
 */
export async function listLogFiles(root: string, relative = '.'): Promise<string[]> {
  const base = await fs.realpath(root);
  const start = await resolveInside(root, relative);
  const found: Array<{ rel: string; mtime: number }> = [];
  const visit = async (abs: string, named: boolean): Promise<void> => {
    // A symlink inside the folder may point out of it; such entries are skipped, not followed.
    // One that points nowhere (or an entry gone or unreadable mid-scan) is skipped too: it
    // must not fail the whole folder. Only the path the job names must exist.
    const real = await fs.realpath(abs).catch((err: NodeJS.ErrnoException) => {
      if (!named && (err.code === 'ENOENT' || err.code === 'ELOOP' || err.code === 'EACCES')) return undefined;
      throw err;
    });
    if (real === undefined) return;
    if (real !== base && !real.startsWith(base + path.sep)) return;
    const stat = await fs.stat(real);
    if (stat.isDirectory()) {
      const entries = await fs.readdir(abs);
      for (const e of entries.sort()) if (!e.startsWith('.')) await visit(path.join(abs, e), false);
      return;
    }
    if (!stat.isFile() || (!named && SKIP_NAMES.test(abs))) return;
    if (await looksBinary(abs)) return;
    found.push({ rel: path.relative(base, abs) || path.basename(abs), mtime: stat.mtimeMs });
  };
  await visit(start, true);
  return found.sort((a, b) => a.mtime - b.mtime || (a.rel < b.rel ? -1 : 1)).map((f) => f.rel);
}

/** A file's lines as an async iterable; gzip by magic number, not by name. */
export async function* readLines(file: string): AsyncGenerator<string> {
  const gz = await isGzip(file);
  const stream = createReadStream(file);
  const input = gz ? stream.pipe(createGunzip()) : stream;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  } finally {
    rl.close();
    stream.destroy();
  }
}

/** The files under `root/relative` as triage sources. */
export async function logSources(root: string, relative = '.'): Promise<LogSource[]> {
  const files = await listLogFiles(root, relative);
  return files.map((rel) => ({ file: rel, lines: readLines(path.join(root, rel)) }));
}

async function head(file: string, bytes: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function isGzip(file: string): Promise<boolean> {
  const b = await head(file, 2);
  return b.length === 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function looksBinary(file: string): Promise<boolean> {
  if (await isGzip(file)) return false;
  return (await head(file, 8192)).includes(0);
}
