import * as fs from 'node:fs';
import * as path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ProductOsError } from '../errors';
import { WORKER_UID } from '../../contracts/worker-protocol';

/** Who the agent's commits are by: it is plain in `git log` which commits an agent made. */
const AGENT_IDENTITY = { name: 'Product OS card agent', email: 'card-agent@product-os.invalid' };
const GIT_TIMEOUT_MS = 120_000;
const ZERO_SHA = '0000000000000000000000000000000000000000';

/**
 * A card run's own checkout of the workspace repository: a detached git worktree in the data
 * folder, never the user's working copy. The card branch itself moves only at the very end
 * (`publish`, one compare-and-swap update-ref), so a cancelled or failed run leaves it exactly
 * as it was.
 *
 * The worker can write anything in the worktree, its `.git` file included; so the backend never
 * lets git discover the repository from there: every command here names the worktree's
 * administrative folder (GIT_DIR, read before the worker starts) and the work tree explicitly.
 * A planted `.git` cannot point git at hooks or config of the agent's choosing.
 */
export class CardWorktree {
  private constructor(
    readonly repoRoot: string,
    readonly path: string,
    /** `<repo>/.git/worktrees/<name>`: HEAD and index of this worktree; refs and objects are the repo's. */
    private readonly adminDir: string,
    readonly branch: string,
    /** The commit the worktree starts at (the branch's tip, or the repository's HEAD for a new branch). */
    readonly baseSha: string,
    /** The branch's tip when the run started; null when the run creates the branch. */
    readonly branchSha: string | null,
  ) {}

  /** Opens the repository at `workspace`, checks the branch, and adds the worktree at `dir`. */
  static async create(workspace: string, dir: string, branch: string): Promise<CardWorktree> {
    if (!fs.existsSync(workspace)) throw notARepo(workspace, 'the folder does not exist');
    const git = simpleGit({ baseDir: workspace, timeout: { block: GIT_TIMEOUT_MS } });
    let root: string;
    try {
      root = (await git.revparse(['--show-toplevel'])).trim();
    } catch (err) {
      throw notARepo(workspace, (err as Error).message.split('\n')[0] ?? 'not a git repository');
    }
    try {
      await git.raw(['check-ref-format', '--branch', branch]);
    } catch {
      throw new ProductOsError('invalid_input', `"${branch}" is not a valid git branch name`, { violations: [{ pointer: '/branch', rule: 'pattern', message: `/branch "${branch}" is not a valid git branch name` }] });
    }
    const head = await revOrNull(git, 'HEAD^{commit}');
    const branchSha = await revOrNull(git, `refs/heads/${branch}^{commit}`);
    if (!head && !branchSha) throw new ProductOsError('invalid_state', `the repository at ${root} has no commit yet: commit something before running a card on it`);
    await refuseCheckedOut(git, branch);
    const base = (branchSha ?? head)!;
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    await git.raw(['worktree', 'add', '--detach', dir, base]);
    const gitFile = fs.readFileSync(path.join(dir, '.git'), 'utf8');
    const m = /^gitdir:\s*(.+)\s*$/m.exec(gitFile);
    if (!m) throw new ProductOsError('internal', `git worktree add left no gitdir in ${dir}/.git`);
    const adminDir = path.resolve(dir, m[1]!.trim());
    handToWorker(dir);
    return new CardWorktree(root, dir, adminDir, branch, base, branchSha);
  }

  /** git on this worktree, with the repository named explicitly (see the class comment). */
  private git(): SimpleGit {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      GIT_DIR: this.adminDir,
      GIT_WORK_TREE: this.path,
      GIT_AUTHOR_NAME: AGENT_IDENTITY.name,
      GIT_AUTHOR_EMAIL: AGENT_IDENTITY.email,
      GIT_COMMITTER_NAME: AGENT_IDENTITY.name,
      GIT_COMMITTER_EMAIL: AGENT_IDENTITY.email,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
    };
    // simple-git refuses GIT_* variables unless named: these are ours, set on purpose.
    const allowEnvironment = Object.keys(env).filter((k) => k.startsWith('GIT_'));
    return simpleGit({ baseDir: this.repoRoot, timeout: { block: GIT_TIMEOUT_MS }, allowEnvironment }).env(env);
  }

  /** Stages everything the agent changed (.gitignore honoured); the paths staged, sorted. */
  async stageAll(): Promise<string[]> {
    const git = this.git();
    await git.raw(['add', '-A', '--', '.']);
    const names = await git.raw(['diff', '--cached', '--name-only', '--no-renames', '-z', 'HEAD']);
    return names.split('\0').filter(Boolean).sort();
  }

  /** Commits what is staged (on the detached HEAD; the branch does not move yet). */
  async commit(message: string): Promise<string> {
    const git = this.git();
    await git.raw(['-c', 'commit.gpgsign=false', 'commit', '--no-verify', '-q', '-m', message]);
    return (await git.revparse(['HEAD'])).trim();
  }

  /**
   * Writes a file the backend owns (the context file) inside the worktree and stages it. The
   * worker may have planted links on the way; every folder is checked with lstat and the file
   * is opened without following a link, so the write cannot land outside the worktree.
   */
  async writeOwnFile(rel: string, content: string): Promise<void> {
    let dir = this.path;
    const parts = rel.split('/');
    for (const part of parts.slice(0, -1)) {
      dir = path.join(dir, part);
      let st: fs.Stats | null = null;
      try {
        st = fs.lstatSync(dir);
      } catch {
        fs.mkdirSync(dir);
      }
      if (st && !st.isDirectory()) throw new ProductOsError('executor_failed', `the agent left ${path.relative(this.path, dir)} as something other than a folder; the context file was not written`);
    }
    const file = path.join(dir, parts[parts.length - 1]!);
    try {
      if (fs.lstatSync(file).isSymbolicLink()) fs.unlinkSync(file);
    } catch {
      /* not there */
    }
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o644);
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
    await this.git().raw(['add', '--', rel]);
  }

  /**
   * Moves the card branch to `sha`, only if it is still where it was when the run began (else
   * the run fails, naming the branch: someone else moved it meanwhile), and only if it is not
   * checked out in a working copy now (moving it there would make that copy look changed).
   */
  async publish(sha: string): Promise<void> {
    const git = this.git();
    await refuseCheckedOut(git, this.branch);
    try {
      await git.raw(['update-ref', '-m', 'product-os: card run', `refs/heads/${this.branch}`, sha, this.branchSha ?? ZERO_SHA]);
    } catch (err) {
      throw new ProductOsError('conflict', `the branch ${this.branch} moved while the card ran; the run's commit ${sha.slice(0, 12)} was not put on it`, { branch: this.branch, cause: (err as Error).message.split('\n')[0] });
    }
  }

  /** Pushes the card branch when a remote is configured; says why not otherwise. */
  async push(): Promise<{ pushed: boolean; error?: string }> {
    // The user's own environment (ssh agent, credential helpers), but never a prompt.
    const keep = ['PATH', 'HOME', 'USER', 'LANG', 'SSH_AUTH_SOCK', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];
    const env = { ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])), GIT_TERMINAL_PROMPT: '0' };
    const git = simpleGit({ baseDir: this.repoRoot, timeout: { block: GIT_TIMEOUT_MS }, allowEnvironment: ['GIT_TERMINAL_PROMPT'] }).env(env);
    const remotes = (await git.getRemotes()).map((r) => r.name);
    if (remotes.length === 0) return { pushed: false, error: 'no git remote is configured' };
    const remote = remotes.includes('origin') ? 'origin' : remotes[0]!;
    try {
      await git.raw(['push', '--no-verify', remote, `refs/heads/${this.branch}:refs/heads/${this.branch}`]);
      return { pushed: true };
    } catch (err) {
      return { pushed: false, error: `git push ${remote} failed: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  /** Deletes the worktree folder and git's record of it; the branch and its commits stay. */
  async remove(): Promise<void> {
    fs.rmSync(this.path, { recursive: true, force: true });
    await simpleGit({ baseDir: this.repoRoot, timeout: { block: GIT_TIMEOUT_MS } })
      .raw(['worktree', 'prune'])
      .catch(() => undefined);
  }
}

function notARepo(workspace: string, why: string): ProductOsError {
  return new ProductOsError('not_configured', `cards.run needs a git repository: ${workspace} is not one (${why}). Open the repository as the workspace, or set PRODUCT_OS_WORKSPACE`, { workspace });
}

async function revOrNull(git: SimpleGit, rev: string): Promise<string | null> {
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', rev])).trim() || null;
  } catch {
    return null;
  }
}

async function refuseCheckedOut(git: SimpleGit, branch: string): Promise<void> {
  const list = await git.raw(['worktree', 'list', '--porcelain']);
  const blocks = list.split('\n\n');
  const holder = blocks.find((b) => b.split('\n').includes(`branch refs/heads/${branch}`));
  if (holder) {
    const where = /^worktree (.+)$/m.exec(holder)?.[1] ?? 'a working copy';
    throw new ProductOsError('invalid_state', `the branch ${branch} is checked out in ${where}: switch that copy to another branch first, so the card agent never changes files you have open`, { branch, worktree: where });
  }
}

/** The worker (uid 10001) must write the worktree: given to it when the backend is root, else opened up. */
function handToWorker(dir: string): void {
  const root = process.getuid?.() === 0;
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (root) fs.lchownSync(p, WORKER_UID, WORKER_UID);
    else if (!st.isSymbolicLink()) fs.chmodSync(p, st.mode | (st.isDirectory() ? 0o777 : 0o666));
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
}
