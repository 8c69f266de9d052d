import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { simpleGit } from 'simple-git';
import { ProductOsError } from '../../errors';

/** A ref resolved to its commit, in a repository git can read objects from. */
export interface ResolvedSource {
  gitDir: string;
  commit: string;
}

/** Bounds a fetch of a remote repository (a hung server must not hold a deploy forever). */
const FETCH_TIMEOUT_MS = 5 * 60_000;

/**
 * Resolves `ref` of `repo` to a commit. A local repository (a path or file:// URL) is read in
 * place: only its object store is used, never its working copy, so uncommitted edits cannot
 * leak into a deploy. A remote one is fetched into a bare cache under `cacheDir`.
 */
export async function resolveSource(repo: string, ref: string, cacheDir: string, signal: AbortSignal): Promise<ResolvedSource> {
  if (ref.startsWith('-')) throw new ProductOsError('invalid_input', `ref "${ref}" is not a git ref (it starts with "-")`);
  const local = localPath(repo);
  if (local !== null) {
    if (!fs.existsSync(local)) throw new ProductOsError('invalid_input', `repo ${repo} does not exist on this machine; give a git URL or the path of a local repository`);
    // One git process: the repository's object store and the commit (a deploy waits on this).
    let out: string[];
    try {
      out = (await simpleGit({ baseDir: local, abort: signal }).raw(['rev-parse', '--absolute-git-dir', '--verify', '--quiet', `${ref}^{commit}`])).trim().split('\n');
    } catch {
      throw new ProductOsError('invalid_input', `repo ${repo} is not a git repository`);
    }
    const [gitDir, commit] = out;
    if (!gitDir || !path.isAbsolute(gitDir)) throw new ProductOsError('invalid_input', `repo ${repo} is not a git repository`);
    if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) throw new ProductOsError('not_found', `ref "${ref}" does not exist in ${repo}; push it or give a branch, tag or commit that exists`);
    return { gitDir, commit };
  }
  const gitDir = path.join(cacheDir, createHash('sha256').update(repo).digest('hex').slice(0, 16) + '.git');
  if (!fs.existsSync(gitDir)) {
    fs.mkdirSync(gitDir, { recursive: true });
    await simpleGit({ baseDir: gitDir, abort: signal }).init(true);
  }
  const git = simpleGit({ baseDir: gitDir, abort: signal, timeout: { block: FETCH_TIMEOUT_MS } });
  try {
    await git.fetch(['--depth', '1', '--no-tags', repo, ref]);
  } catch (err) {
    if (signal.aborted) throw new ProductOsError('cancelled', 'the deploy was cancelled while fetching the repository');
    throw new ProductOsError('invalid_input', `could not fetch ref "${ref}" from ${repo}: ${firstLine((err as Error).message)}; check the URL, the ref and your git credentials`);
  }
  return { gitDir, commit: await commitOf(gitDir, 'FETCH_HEAD', repo, signal, ref) };
}

async function commitOf(gitDir: string, rev: string, repo: string, signal: AbortSignal, shown = rev): Promise<string> {
  // --quiet makes a missing ref exit 1 with no output, which simple-git does not count as an error: the empty answer is the signal.
  const commit = await simpleGit({ baseDir: gitDir, abort: signal })
    .raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])
    .then((out) => out.trim())
    .catch(() => '');
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new ProductOsError('not_found', `ref "${shown}" does not exist in ${repo}; push it or give a branch, tag or commit that exists`);
  return commit;
}

/**
 * The tree of `commit` under `subdir` as a tar stream: the clean checkout the image is built
 * from. git writes it from its objects; nothing touches a working copy or the disk.
 */
export function archive(src: ResolvedSource, subdir: string, signal: AbortSignal): Readable {
  const treeish = subdir === '.' || subdir === '' ? src.commit : `${src.commit}:${subdir.replace(/^\.\//, '').replace(/\/$/, '')}`;
  const child = spawn('git', ['--git-dir', src.gitDir, 'archive', '--format=tar', treeish], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  child.on('error', () => undefined);
  child.on('close', (code) => {
    if (code !== 0 && code !== null) child.stdout.destroy(new ProductOsError('invalid_input', `build_context "${subdir}" is not a folder at ${src.commit.slice(0, 12)}: ${firstLine(stderr)}`));
  });
  return child.stdout;
}

/** Whether `dir/file` exists at `commit` (a missing Dockerfile is said plainly, before any build). */
export async function hasFile(src: ResolvedSource, file: string): Promise<boolean> {
  try {
    await simpleGit({ baseDir: src.gitDir }).raw(['cat-file', '-e', `${src.commit}:${file}`]);
    return true;
  } catch {
    return false;
  }
}

function localPath(repo: string): string | null {
  if (repo.startsWith('file://')) return decodeURIComponent(new URL(repo).pathname);
  if (path.isAbsolute(repo)) return repo;
  return null;
}

function firstLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'no output';
}
