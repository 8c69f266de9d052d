/**
 * What a finished Run Card offers in the editor: "Open diff" (base → card branch, per file, in
 * the diff editor) and "Check out branch", through the Git extension's API. The API here is a
 * stand-in whose checkout runs real git on a real repository, as the Git extension's does.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fake } from './vscode-fake';
import { checkOutCardBranch, offerCardResult, openCardDiff, type CardRunResult } from '../../../extension/commands/card-branch';
import type { Run } from '../../../contracts/rest';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: 'pipe' }).trim();

/** A repository on main with a card branch that changed two files, as a committed Run Card leaves it. */
function cardRepo(): { repo: string; result: CardRunResult } {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-card-branch-'));
  const commit = (m: string) => git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', m);
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'README.md'), '# demo\n');
  git(repo, 'add', '-A');
  commit('initial');
  const base = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', '-b', 'card/PO-7');
  fs.writeFileSync(path.join(repo, 'README.md'), '# demo\nchanged\n');
  fs.writeFileSync(path.join(repo, 'NEW.md'), 'new\n');
  git(repo, 'add', '-A');
  commit('PO-7: a change');
  const sha = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'checkout', '-q', 'main');
  return { repo, result: { card_key: 'PO-7', status: 'completed', branch: 'card/PO-7', base_sha: base, commit_sha: sha, files_changed: ['NEW.md', 'README.md'] } };
}

/** The Git extension's API v1, as much as card-branch.ts uses, over a real repository. */
function gitApi(repo: string) {
  return {
    getAPI: () => ({
      repositories: [{ rootUri: vscode.Uri.file(repo), checkout: async (ref: string) => void git(repo, 'checkout', '-q', ref) }],
      toGitUri: (uri: vscode.Uri, ref: string) => vscode.Uri.parse(`git:${uri.fsPath}?${ref}`),
    }),
  };
}

describe('extension: Open diff and Check out branch after Run Card', () => {
  let repo: string;
  let result: CardRunResult;
  beforeEach(() => {
    fake.reset();
    ({ repo, result } = cardRepo());
    fake.extensionExports.set('vscode.git', gitApi(repo));
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('Open diff shows the picked file from the run\'s base to the card branch in the diff editor', async () => {
    fake.quickPickAnswers.push('README.md');
    await openCardDiff(result);
    assert.deepEqual(fake.quickPicks[0]?.items, ['NEW.md', 'README.md'], 'several files: the user picks one');
    const diff = fake.executed.find((e) => e.id === 'vscode.diff');
    assert.ok(diff, 'the diff editor was opened');
    assert.deepEqual(diff.args.slice(0, 2).map(String), [`git:${repo}/README.md?${result.base_sha}`, `git:${repo}/README.md?card/PO-7`]);
    // What those two git: documents hold, read as the Git extension would.
    assert.equal(git(repo, 'show', `${result.base_sha}:README.md`), '# demo');
    assert.equal(git(repo, 'show', 'card/PO-7:README.md'), '# demo\nchanged');
  });

  it('Check out branch moves the working copy to the card branch', async () => {
    await checkOutCardBranch(result);
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'card/PO-7');
    assert.equal(fs.readFileSync(path.join(repo, 'NEW.md'), 'utf8'), 'new\n');
    assert.match(fake.messages.at(-1)!.message, /Checked out card\/PO-7/);
  });

  it('a checkout git refuses (local changes in the way) is shown as a failure, and HEAD stays', async () => {
    fs.writeFileSync(path.join(repo, 'README.md'), 'my own edit\n');
    await checkOutCardBranch(result);
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(fake.messages.at(-1)?.level, 'error', JSON.stringify(fake.messages));
    assert.equal(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'), 'my own edit\n');
  });

  it('the result notification offers Open diff and Check out branch only for a run that committed', async () => {
    const run = (output: CardRunResult) => ({ id: 'r1', output }) as unknown as Run;
    fake.messageAnswers.push('Check out branch');
    await offerCardResult(run(result), async () => undefined);
    assert.deepEqual(fake.messages[0]?.items, ['Open diff', 'Check out branch', 'Show Output']);
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'card/PO-7', 'picking it checks the branch out');
    fake.messages = [];
    await offerCardResult(run({ ...result, status: 'no_changes', commit_sha: undefined }), async () => undefined);
    assert.deepEqual(fake.messages[0]?.items, ['Show Output']);
  });

  it('without the Git extension it says where the branch is instead', async () => {
    fake.extensionExports.clear();
    await openCardDiff(result);
    assert.equal(fake.messages.at(-1)?.level, 'warning');
    assert.match(fake.messages.at(-1)!.message, /PRODUCT_OS_WORKSPACE/);
    assert.equal(fake.executed.some((e) => e.id === 'vscode.diff'), false);
  });
});
