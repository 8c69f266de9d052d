import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { filesystemServer } from '../../workers/tasks/card-agent/fs-server';
import { terminalServer } from '../../workers/tasks/card-agent/terminal-server';

async function connect(server: Server): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(b);
  return client;
}

const text = (r: any): string => r.content.map((c: any) => c.text).join('\n');

describe('card sandbox servers (filesystem and terminal MCP)', () => {
  let root: string;
  let outside: string;
  let fsc: Client;
  let term: Client;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'card-ws-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'card-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside secret');
    fs.writeFileSync(path.join(root, 'README.md'), 'hello\n');
    fs.mkdirSync(path.join(root, '.git'));
    fs.writeFileSync(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fsc = await connect(filesystemServer(root));
    term = await connect(terminalServer(root));
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('reads, writes, edits, lists and deletes under the workspace, relative or under /workspace', async () => {
    assert.equal(text(await fsc.callTool({ name: 'read_file', arguments: { path: 'README.md' } })), 'hello\n');
    await fsc.callTool({ name: 'write_file', arguments: { path: '/workspace/src/a.txt', content: 'one two' } });
    assert.equal(fs.readFileSync(path.join(root, 'src/a.txt'), 'utf8'), 'one two');
    await fsc.callTool({ name: 'edit_file', arguments: { path: 'src/a.txt', old_text: 'two', new_text: 'three' } });
    assert.equal(fs.readFileSync(path.join(root, 'src/a.txt'), 'utf8'), 'one three');
    const listing = text(await fsc.callTool({ name: 'list_directory', arguments: {} }));
    assert.deepEqual(listing.split('\n'), ['README.md', 'src/'], 'the .git folder is not listed');
    await fsc.callTool({ name: 'delete_file', arguments: { path: 'src/a.txt' } });
    assert.equal(fs.existsSync(path.join(root, 'src/a.txt')), false);
  });

  it('refuses every path that escapes /workspace, and touches nothing', async () => {
    fs.symlinkSync(outside, path.join(root, 'link-out'));
    fs.symlinkSync(path.join(outside, 'nothing-yet'), path.join(root, 'dangling'));
    const attempts: Array<[string, Record<string, unknown>, RegExp]> = [
      ['read_file', { path: '../' + path.basename(outside) + '/secret.txt' }, /outside \/workspace/],
      ['read_file', { path: path.join(outside, 'secret.txt') }, /absolute paths must be under \/workspace/],
      ['read_file', { path: '/workspace/../etc/passwd' }, /outside \/workspace|absolute paths/],
      ['read_file', { path: 'link-out/secret.txt' }, /through a link/],
      ['write_file', { path: 'link-out/planted.txt', content: 'x' }, /through a link/],
      ['write_file', { path: 'dangling', content: 'x' }, /through a link/],
      ['write_file', { path: '.git/hooks/pre-commit', content: 'x' }, /\.git is managed/],
      ['delete_file', { path: 'link-out/secret.txt' }, /through a link/],
      ['list_directory', { path: 'link-out' }, /through a link/],
    ];
    for (const [name, args, why] of attempts) {
      const r: any = await fsc.callTool({ name, arguments: args });
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} was not refused`);
      assert.match(text(r), why, `${name} ${JSON.stringify(args)}: ${text(r)}`);
    }
    assert.deepEqual(fs.readdirSync(outside).sort(), ['secret.txt'], 'nothing was written outside');
    assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'outside secret');
    assert.equal(fs.existsSync(path.join(root, '.git/hooks')), false);
  });

  it('refuses bad arguments naming the field', async () => {
    const r: any = await fsc.callTool({ name: 'write_file', arguments: { path: 'x.txt' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /bad arguments for write_file: .*content/);
  });

  it('runs a command in the workspace and reports its exit code and output', async () => {
    const r: any = await term.callTool({ name: 'run_command', arguments: { command: 'pwd; echo out; echo err >&2; exit 3' } });
    assert.equal(r.structuredContent.exit_code, 3);
    assert.equal(r.structuredContent.stdout, `${fs.realpathSync(root)}\nout\n`);
    assert.equal(r.structuredContent.stderr, 'err\n');
    assert.equal(r.isError, true);
  });

  it('kills a command at its time limit, with its children', async () => {
    const marker = path.join(root, 'child-survived');
    const t0 = Date.now();
    const r: any = await term.callTool({ name: 'run_command', arguments: { command: `(sleep 3; touch ${marker}) & sleep 30`, timeout_seconds: 1 } });
    const took = Date.now() - t0;
    assert.equal(r.structuredContent.timed_out, true);
    assert.equal(r.structuredContent.exit_code, null);
    assert.match(text(r), /timed out after \d+ ms/);
    assert.ok(took < 2500, `the limit was 1 s, the call took ${took} ms`);
    await new Promise((res) => setTimeout(res, 3500));
    assert.equal(fs.existsSync(marker), false, 'a background child outlived the time limit');
  });

  it('refuses a time limit above the contract maximum', async () => {
    const r: any = await term.callTool({ name: 'run_command', arguments: { command: 'true', timeout_seconds: 601 } });
    assert.equal(r.isError, true);
    assert.match(text(r), /timeout_seconds/);
  });
});
