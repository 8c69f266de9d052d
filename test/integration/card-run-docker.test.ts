import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import { DockerExecutor } from '../../backend/executors/docker-executor';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { request, tempDir } from '../helpers/backend';
import { containersWithLabel, ensureDockerAndWorkerImage, inspectContainer } from '../helpers/docker';
import type { GenerateRequest } from '../../backend/llm/provider';
import type { CardContextFile, CardRunOutput } from '../../contracts/tasks/card-agent';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
const lastMessage = (req: GenerateRequest) => req.messages[req.messages.length - 1]!.content;

/** A repository with one commit on main, like a user's project. */
function makeRepo(): string {
  const repo = tempDir('card-repo-');
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'README.md'), '# demo\n');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'initial');
  return repo;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Run Card on real Docker and git (cards.run)', function () {
  this.timeout(240_000);
  let repo: string;
  let llm: ScriptedLlm;
  let backend: Backend;
  let url: string;
  const logs: string[] = [];
  const api = (method: string, p: string, body?: unknown) => request(url, backend.token, method, p, body);
  const runTool = async (tool: string, input: Record<string, unknown>) => {
    const r = await api('POST', '/api/runs', { tool, input });
    assert.ok(r.status === 201 || r.status === 202, JSON.stringify(r.body));
    return r.body as { id: string };
  };
  const waitRun = async (id: string) => (await api('GET', `/api/runs/${id}/wait?timeoutMs=120000`)).body;
  const newCard = async (title: string, description = '') => {
    const r = await waitRun((await runTool('cards.create', { title, description, lane: 'in_progress' })).id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    return r.output.card as { key: string; lane: string };
  };

  before(async () => {
    ensureDockerAndWorkerImage();
    repo = makeRepo();
    llm = new ScriptedLlm([]);
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_WORKSPACE: repo },
      overrides: { dataDir: tempDir('card-run-data-'), port: 0 },
      executors: { docker: new DockerExecutor() },
      llm,
      stderr: (l) => logs.push(l),
    });
    url = await backend.listen();
  });
  after(async () => {
    await backend?.close();
  });

  it('runs a card: a worker edits a worktree, the backend commits on card/<KEY>, writes context.json, adds the card event and moves the card to Review', async () => {
    const card = await newCard('Add a greeting', 'Create src/hello.txt saying hello.');
    let sandboxId = '';
    llm.requests.length = 0;
    llm['replies'].push(
      (req: GenerateRequest) => {
        assert.match(req.messages[1]!.content, new RegExp(`Card ${card.key}: Add a greeting`));
        assert.ok(req.schema, 'each step is generated under a schema');
        return { json: { thought: 'look around', tool: 'list_directory', arguments: {} } };
      },
      (req: GenerateRequest) => {
        assert.match(lastMessage(req), /Result of list_directory:\n\.gitignore\nREADME\.md/);
        // The sandbox as Docker has it: hardened, no network, the worktree its one writable mount.
        const ids = containersWithLabel('product-os.tool=cards.run');
        assert.equal(ids.length, 1, 'one worker for the run');
        sandboxId = ids[0]!;
        const c = inspectContainer(sandboxId);
        assert.equal(c.HostConfig.NetworkMode, 'none');
        assert.equal(c.HostConfig.ReadonlyRootfs, true);
        assert.deepEqual(c.HostConfig.CapDrop, ['ALL']);
        assert.deepEqual(c.Mounts.map((m: any) => [m.Destination, m.RW]), [['/workspace', true]]);
        assert.notEqual(fs.realpathSync(c.Mounts[0].Source), fs.realpathSync(repo), 'the user\'s working copy is never mounted');
        return { json: { tool: 'write_file', arguments: { path: 'src/hello.txt', content: 'hello from the agent\n' } } };
      },
      (req: GenerateRequest) => {
        assert.match(lastMessage(req), /wrote 21 bytes to src\/hello\.txt/);
        return { json: { tool: 'run_command', arguments: { command: 'wc -l < src/hello.txt > src/lines.txt && ls /sys/class/net && id -u' } } };
      },
      (req: GenerateRequest) => {
        const seen = lastMessage(req);
        assert.match(seen, /exit code 0/);
        assert.match(seen, /--- stdout ---\nlo\n10001\n/, `the terminal has only loopback and runs as the worker user: ${seen}`);
        return { json: { done: true, summary: 'Added src/hello.txt and a line count.' } };
      },
    );
    const started = await runTool('cards.run', { card_key: card.key });
    const run = await waitRun(started.id);
    assert.equal(run.status, 'succeeded', `${JSON.stringify(run.error)}\n${logs.filter((l) => l.includes(started.id)).join('\n')}`);
    const out = run.output as CardRunOutput;
    assert.equal(out.status, 'completed');
    assert.equal(out.branch, `card/${card.key}`);
    assert.deepEqual(out.files_changed, ['src/hello.txt', 'src/lines.txt']);
    assert.equal(out.steps, 4);
    assert.equal(out.card?.lane, 'review');

    // The branch: the agent's commit (naming the card), then the context commit.
    const branch = `card/${card.key}`;
    assert.equal(git(repo, 'rev-parse', `${branch}~1`), out.commit_sha);
    assert.equal(git(repo, 'rev-parse', `${branch}~2`), git(repo, 'rev-parse', 'main'));
    assert.match(git(repo, 'log', '-1', '--format=%s', out.commit_sha!), new RegExp(`^${card.key}: Add a greeting$`));
    assert.equal(git(repo, 'show', `${branch}:src/hello.txt`), 'hello from the agent');
    assert.equal(git(repo, 'show', `${branch}:src/lines.txt`), '1');
    const context = JSON.parse(git(repo, 'show', `${branch}:.productos/cards/${card.key}/context.json`)) as CardContextFile;
    assert.equal(context.commit_sha, out.commit_sha);
    assert.equal(context.summary, 'Added src/hello.txt and a line count.');
    assert.deepEqual(context.files_changed, out.files_changed);
    assert.deepEqual(context.tokens, out.tokens);
    assert.ok(out.tokens.prompt > 0 && out.tokens.completion > 0);

    // The user's working copy: untouched, still on main, and the run's worktree is gone.
    assert.equal(git(repo, 'status', '--porcelain'), '');
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.equal(git(repo, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length, 1);

    // The card: in Review, with the run's event; token counts recorded per model call.
    const history = (await api('GET', `/api/cards/${card.key}/history`)).body;
    const event = history.events.find((e: any) => e.type === 'agent_run');
    assert.ok(event, JSON.stringify(history.events));
    assert.equal(event.runId, started.id);
    assert.equal(event.data.commit, out.commit_sha);
    assert.equal((await api('GET', `/api/cards/${card.key}`)).body.card?.lane ?? (await api('GET', `/api/cards/${card.key}`)).body.lane, 'review');
    const usage = await backend.db.query<{ n: string }>('SELECT count(*)::text AS n FROM llm_usage WHERE run_id = $1', [started.id]);
    assert.equal(Number(usage[0]!.n), 4);

    // Live steps in the run's events, naming tools but never their argument values.
    const events = await backend.db.query<{ data: any }>(`SELECT data FROM run_events WHERE run_id = $1 AND type = 'log' ORDER BY id`, [started.id]);
    const lines = events.map((e) => e.data.message as string);
    assert.ok(lines.includes('step 2/40: write_file(path, content)'), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('hello from the agent')), 'a tool argument value reached the log');

    await waitFor('the worker to be removed', () => inspectContainer(sandboxId) === null);
  });

  it('pushes the card branch only when asked and a remote is configured', async () => {
    const card = await newCard('Ship it');
    const remote = tempDir('card-remote-');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    git(repo, 'remote', 'add', 'origin', remote);
    try {
      llm['replies'].push({ json: { tool: 'write_file', arguments: { path: 'shipped.txt', content: 'yes\n' } } }, { json: { done: true, summary: 'Shipped.' } });
      const run = await waitRun((await runTool('cards.run', { card_key: card.key, push: true })).id);
      assert.equal(run.status, 'succeeded', `${JSON.stringify(run.error)}\n${logs.filter((l) => l.includes(run.id)).join('\n')}`);
      assert.equal(run.output.pushed, true, run.output.push_error);
      assert.equal(execFileSync('git', ['-C', remote, 'rev-parse', `card/${card.key}`], { encoding: 'utf8' }).trim(), git(repo, 'rev-parse', `card/${card.key}`));
      // Not asked: nothing goes to the remote.
      const other = await newCard('Keep it local');
      llm['replies'].push({ json: { tool: 'write_file', arguments: { path: 'local.txt', content: 'yes\n' } } }, { json: { done: true, summary: 'Local.' } });
      const local = await waitRun((await runTool('cards.run', { card_key: other.key })).id);
      assert.equal(local.output.status, 'completed');
      assert.equal(local.output.pushed, undefined);
      assert.throws(() => execFileSync('git', ['-C', remote, 'rev-parse', '--verify', '--quiet', `card/${other.key}`], { stdio: 'pipe' }));
    } finally {
      git(repo, 'remote', 'remove', 'origin');
    }
  });

  it('cancel stops the worker and leaves the branch as it was', async () => {
    const card = await newCard('Long job');
    const branch = `card/${card.key}`;
    git(repo, 'branch', branch, 'main');
    const before = git(repo, 'rev-parse', branch);
    let commandStarted!: () => void;
    const started = new Promise<void>((r) => (commandStarted = r));
    llm['replies'].push(
      { json: { tool: 'write_file', arguments: { path: 'half-done.txt', content: 'x' } } },
      () => {
        setTimeout(commandStarted, 1500);
        return { json: { tool: 'run_command', arguments: { command: 'sleep 120', timeout_seconds: 300 } } };
      },
    );
    const run = await runTool('cards.run', { card_key: card.key });
    await started;
    const ids = containersWithLabel(`product-os.run=${run.id}`);
    assert.equal(ids.length, 1, 'the worker is there while the command runs');
    const cancel = await api('POST', `/api/runs/${run.id}/cancel`);
    assert.ok(cancel.status < 300, JSON.stringify(cancel.body));
    const ended = await waitRun(run.id);
    assert.equal(ended.status, 'cancelled');
    assert.equal(git(repo, 'rev-parse', branch), before, 'the branch did not move');
    assert.equal(git(repo, 'ls-tree', '-r', '--name-only', branch).includes('half-done.txt'), false);
    await waitFor('the worker to be removed', () => containersWithLabel(`product-os.run=${run.id}`).length === 0);
    await waitFor('the worktree to be deleted', () => !fs.existsSync(path.join(backend.config.dataDir, 'card-worktrees', run.id)));
    assert.equal((await api('GET', `/api/cards/${card.key}`)).body.lane ?? (await api('GET', `/api/cards/${card.key}`)).body.card?.lane, 'in_progress');
  });

  it('stops at the step limit: status failed, nothing committed, the card stays in its lane', async () => {
    const card = await newCard('Endless');
    llm['replies'].push({ json: { tool: 'write_file', arguments: { path: 'partial.txt', content: 'x' } } });
    const run = await waitRun((await runTool('cards.run', { card_key: card.key, max_steps: 1 })).id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.output.status, 'failed');
    assert.match(run.output.summary, /step limit of 1/);
    assert.throws(() => git(repo, 'rev-parse', '--verify', '--quiet', `card/${card.key}`), 'no branch was created');
    const history = (await api('GET', `/api/cards/${card.key}/history`)).body;
    assert.equal(history.events.find((e: any) => e.type === 'agent_run')?.data.status, 'failed');
  });

  it('refuses a card whose branch is checked out in the user\'s copy, naming it, before any worker starts', async () => {
    const card = await newCard('Busy branch');
    git(repo, 'checkout', '-q', '-b', `card/${card.key}`);
    try {
      const run = await waitRun((await runTool('cards.run', { card_key: card.key })).id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.code, 'invalid_state');
      assert.match(run.error.message, new RegExp(`card/${card.key} is checked out in`));
      assert.equal(containersWithLabel(`product-os.run=${run.id}`).length, 0);
    } finally {
      git(repo, 'checkout', '-q', 'main');
    }
  });
});
