import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import { DockerExecutor } from '../../backend/executors/docker-executor';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { request, tempDir } from '../helpers/backend';
import { ensureDockerAndWorkerImage } from '../helpers/docker';
import { canaryMarker, findCanaries } from '../helpers/canary';
import { freshDatabase } from '../helpers/postgres';
import type { GenerateRequest } from '../../backend/llm/provider';

/**
 * Token counts only, on the Run Card path (real Docker worker, real PostgreSQL, verbose logs):
 * a file in the repository that the agent reads (read_file, and cat in the terminal), the
 * model's thoughts, a tool argument it writes and the agent's own prompt template are in no
 * pg_dump, table row, backend log line or data-folder file after the run. What the user gave
 * (the card) and what the run made (the summary, the commit) are kept, as artifacts.
 */
const FILE_MARKER = canaryMarker('cardfile');
const THOUGHT_MARKER = canaryMarker('thought');
const ARG_MARKER = canaryMarker('argument');
const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
const lastMessage = (req: GenerateRequest) => req.messages[req.messages.length - 1]!.content;

describe('canary: Run Card keeps nothing the model reads or writes (real Docker, real PostgreSQL)', function () {
  this.timeout(300_000);
  let backend: Backend;
  let db: { url: string; drop(): Promise<void> };
  let repo: string;
  let dataDir: string;
  const logs: string[] = [];
  const llm = new ScriptedLlm([]);

  before(async () => {
    ensureDockerAndWorkerImage();
    db = await freshDatabase();
    repo = tempDir('card-canary-repo-');
    dataDir = tempDir('card-canary-data-');
    git(repo, 'init', '-q', '-b', 'main');
    fs.mkdirSync(path.join(repo, 'notes'));
    fs.writeFileSync(path.join(repo, 'notes', 'private.md'), `Customer list draft. ${FILE_MARKER}\n`);
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'initial');
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_WORKSPACE: repo, DATABASE_URL: db.url, DEBUG_REDACTED_MODE: 'false' },
      overrides: { dataDir, port: 0 },
      executors: { docker: new DockerExecutor() },
      llm,
      stderr: (l) => logs.push(l),
    });
    await backend.listen();
  });

  after(async () => {
    await backend?.close();
    await db?.drop();
  });

  it('runs a card whose agent reads a marked file, thinks and writes marked text, and then finds no marker kept', async () => {
    const api = (method: string, p: string, body?: unknown) => request(backend.url!, backend.token, method, p, body);
    const wait = async (id: string) => (await api('GET', `/api/runs/${id}/wait?timeoutMs=120000`)).body;
    const created = await wait((await api('POST', '/api/runs', { tool: 'cards.create', input: { title: 'Summarise the notes', description: 'Write a summary of notes/private.md to SUMMARY.md.', lane: 'in_progress' } })).body.id);
    const key = created.output.card.key as string;
    llm['replies'].push(
      { json: { thought: `reading it ${THOUGHT_MARKER}`, tool: 'read_file', arguments: { path: 'notes/private.md' } } },
      (req: GenerateRequest) => {
        assert.ok(lastMessage(req).includes(FILE_MARKER), 'the agent was shown the file it read');
        return { json: { thought: THOUGHT_MARKER, tool: 'run_command', arguments: { command: 'cat notes/private.md' } } };
      },
      (req: GenerateRequest) => {
        assert.ok(lastMessage(req).includes(FILE_MARKER), 'the agent was shown the command output');
        return { json: { thought: THOUGHT_MARKER, tool: 'write_file', arguments: { path: 'SUMMARY.md', content: `A short list. ${ARG_MARKER}\n` } } };
      },
      { json: { done: true, summary: 'Wrote SUMMARY.md from the notes.' } },
    );
    const run = await wait((await api('POST', '/api/runs', { tool: 'cards.run', input: { card_key: key } })).body.id);
    assert.equal(run.status, 'succeeded', `${JSON.stringify(run.error)}\n${logs.filter((l) => l.includes(run.id)).join('\n')}`);
    assert.equal(run.output.status, 'completed');
    // What the model wrote into the repository is the user's artifact, on the card branch.
    assert.ok(git(repo, 'show', `card/${key}:SUMMARY.md`).includes(ARG_MARKER));
    assert.equal(llm.requests.length, 4);
    // The agent's own prompt template: its opening line is a marker too.
    const template = llm.requests[0]!.messages[0]!.content.split('\n')[0]!;
    assert.ok(template.length > 40, template);

    await backend.close();
    const dump = execFileSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const pg = await import('pg');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const found = await findCanaries([FILE_MARKER, THOUGHT_MARKER, ARG_MARKER, template], {
        db: { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows } as never,
        logs: [...logs, dump],
        folders: [dataDir],
      });
      assert.deepEqual(found, []);
    } finally {
      await client.end();
    }
    // The scan read real things: the step lines were logged (verbose), and the artifacts are stored.
    assert.ok(logs.some((l) => l.includes('step 3/40: write_file(path, content)')), 'the run logged its steps');
    assert.ok(dump.includes('Wrote SUMMARY.md from the notes.'), 'the summary (the run\'s result) is stored');
    assert.ok(dump.includes('Write a summary of notes/private.md'), 'the card (the user\'s input) is stored');
  });
});
