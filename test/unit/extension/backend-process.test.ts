import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { launchProcess, LaunchError, type ChildLike, type LaunchSpec } from '../../../extension/backend/process';
import { LineSplitter, parseReadyLine, parseStderrLine } from '../../../extension/backend/ready-line';
import { FakeClock, flush } from './fakes';
import { formatReadyLine, ReadyLine } from '../../../contracts/ready-line';
import { compileSchema } from '../../../contracts/validator';

describe('extension: ready line', () => {
  const line = '{"event":"ready","url":"http://127.0.0.1:41234","mcp":"http://127.0.0.1:41234/mcp","pid":4242,"dataDir":"/d","store":"pglite"}';

  it('reads back what the backend prints, and what it prints is its contract', () => {
    const printed: ReadyLine = { event: 'ready', url: 'http://127.0.0.1:7331', mcp: 'http://127.0.0.1:7331/mcp', pid: 99, dataDir: '/data', store: 'postgres' };
    const text = formatReadyLine(printed);
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(compileSchema(ReadyLine)(JSON.parse(text)), []);
    assert.deepEqual(parseReadyLine(text), printed);
    assert.notDeepEqual(compileSchema(ReadyLine)({ ...printed, store: 'sqlite' }), []);
  });

  it('parses the backend ready line', () => {
    assert.deepEqual(parseReadyLine(line), { event: 'ready', url: 'http://127.0.0.1:41234', mcp: 'http://127.0.0.1:41234/mcp', pid: 4242, dataDir: '/d', store: 'pglite' });
    assert.deepEqual(parseReadyLine(`  ${line}\r`)?.url, 'http://127.0.0.1:41234');
  });

  it('derives the MCP url when it is missing and trims a trailing slash', () => {
    assert.equal(parseReadyLine('{"event":"ready","url":"http://127.0.0.1:1/"}')?.mcp, 'http://127.0.0.1:1/mcp');
  });

  it('ignores anything else', () => {
    for (const other of ['', 'listening', '{"event":"demo"}', '{"event":"ready"}', '{"event":"ready","url":"not a url"}', '{"event":"ready","url":"file:///x"}', '{"event":"ready","role":"executor","url":"http://127.0.0.1:1","serves":["GET /health"]}', '{"event":"ready",', '[1]', 'null']) {
      assert.equal(parseReadyLine(other), undefined, other);
    }
  });

  it('splits chunks into lines, keeping partial lines for the next chunk', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"event":'), []);
    assert.deepEqual(s.push('"ready"}\nsecond\r\nthi'), ['{"event":"ready"}', 'second']);
    assert.deepEqual(s.push('rd'), []);
    assert.deepEqual(s.flush(), ['third']);
    const capped = new LineSplitter(4);
    assert.deepEqual(capped.push('abcdefgh'), ['abcdefgh']);
  });

  it('reads stderr JSON log lines as level and text', () => {
    assert.deepEqual(parseStderrLine('{"ts":"t","level":"warn","source":"engine","message":"slow","runId":"r1"}'), { level: 'warn', text: '[engine] slow {"runId":"r1"}' });
    assert.deepEqual(parseStderrLine('{"level":"error","message":"boom"}'), { level: 'error', text: '[backend] boom' });
    assert.deepEqual(parseStderrLine('TypeError: x is not a function'), { level: 'warn', text: 'TypeError: x is not a function' });
  });
});

class FakeChild extends EventEmitter implements ChildLike {
  pid = 777;
  stdout = new PassThrough();
  stderr = new PassThrough();
  stdin = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  signals: string[] = [];
  /** Whether SIGTERM makes it exit (a hung process ignores it). */
  obeysSigterm = true;

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || this.obeysSigterm) setImmediate(() => this.exit(null, signal));
    return true;
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const spec: LaunchSpec = { command: '/usr/bin/node', args: ['dist/cli.js', 'serve'], env: { PRODUCT_OS_TOKEN: 't' }, readyTimeoutMs: 30_000 };

describe('extension: backend process layer (fake process)', () => {
  it('spawns with the given command, environment and arguments, and resolves at the ready line', async () => {
    const child = new FakeChild();
    let spawned: { command: string; args: string[]; env: NodeJS.ProcessEnv } | undefined;
    const logged: string[] = [];
    const p = launchProcess(spec, (command, args, { env }) => ((spawned = { command, args, env }), child), (level, text) => logged.push(`${level} ${text}`), new FakeClock());
    child.stderr.write('{"level":"info","source":"store","message":"migrated"}\n');
    child.stdout.write('{"event":"ready","url":"http://127.0.0.1:5555","mcp":"http://127.0.0.1:5555/mcp"}\n');
    const running = await p;
    assert.equal(running.ready.url, 'http://127.0.0.1:5555');
    assert.equal(running.pid, 777);
    assert.deepEqual(spawned, { command: '/usr/bin/node', args: ['dist/cli.js', 'serve'], env: { PRODUCT_OS_TOKEN: 't' } });
    assert.deepEqual(logged, ['info [store] migrated']);
  });

  it('rejects with the last stderr lines when the process exits before it is ready', async () => {
    const child = new FakeChild();
    const p = launchProcess(spec, () => child, () => {}, new FakeClock());
    child.stderr.write('product-os: the data folder /d is in use by another Product OS backend (pid 12)\n');
    await flush();
    child.exit(1);
    await assert.rejects(p, (e: unknown) => e instanceof LaunchError && /exited \(code 1\) before it was ready: product-os: the data folder \/d is in use/.test(e.message));
  });

  it('kills a process that prints no ready line in time', async () => {
    const clock = new FakeClock();
    const child = new FakeChild();
    const p = launchProcess(spec, () => child, () => {}, clock);
    const rejected = assert.rejects(p, /no ready line within 30 s/);
    await clock.advance(30_000);
    await rejected;
    assert.deepEqual(child.signals, ['SIGTERM']);
  });

  it('reports a spawn failure', async () => {
    const child = new FakeChild();
    const p = launchProcess(spec, () => child, () => {}, new FakeClock());
    child.emit('error', new Error('spawn /usr/bin/node ENOENT'));
    await assert.rejects(p, /could not start the backend \(\/usr\/bin\/node\): spawn \/usr\/bin\/node ENOENT/);
  });

  it('stops gracefully: closes stdin and sends SIGTERM', async () => {
    const child = new FakeChild();
    const p = launchProcess(spec, () => child, () => {}, new FakeClock());
    child.stdout.write('{"event":"ready","url":"http://127.0.0.1:1"}\n');
    const running = await p;
    const exit = await running.stop(3000);
    assert.deepEqual(child.signals, ['SIGTERM']);
    assert.equal(child.stdin.writableEnded, true);
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
    assert.deepEqual(await running.exited, exit);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const clock = new FakeClock();
    const child = new FakeChild();
    child.obeysSigterm = false;
    const logged: string[] = [];
    const p = launchProcess(spec, () => child, (l, t) => logged.push(`${l} ${t}`), clock);
    child.stdout.write('{"event":"ready","url":"http://127.0.0.1:1"}\n');
    const running = await p;
    const stopping = running.stop(3000);
    await clock.advance(2999);
    assert.deepEqual(child.signals, ['SIGTERM']);
    await clock.advance(1);
    assert.deepEqual(await stopping, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(child.signals, ['SIGTERM', 'SIGKILL']);
    assert.ok(logged.some((l) => /did not exit 3000 ms after SIGTERM/.test(l)));
  });
});
