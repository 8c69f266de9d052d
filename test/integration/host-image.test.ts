/**
 * scripts/host-image.mjs, the one module the image build scripts share (build-workers,
 * build-llm-worker, build-executor-image): staging a plan with its modes and links, the
 * content hash that decides whether an image is rebuilt, and the skip itself against the real
 * Docker engine.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dockerCli } from '../helpers/docker';

type PlanEntry = { from?: string; content?: Buffer; link?: string; mode?: number };
type Plan = Map<string, PlanEntry>;
interface HostImage {
  HASH_LABEL: string;
  stage(files: Plan, dirs: Array<[string, number]>, prefix?: string): string;
  contentHash(spec: unknown, dirs: Array<[string, number]>, files: Plan, salts?: string[]): string;
  sharedLibraries(binary: string): string[];
  userFiles(userName: string, uid: number, gid: number, home?: string): Plan;
  requireDocker(hint?: string): void;
  buildIfChanged(o: {
    ref: string;
    spec: { name: string; tag: string };
    plan: () => Promise<Plan>;
    dirs: Array<[string, number]>;
    salts?: string[];
    changes: string[];
    force?: boolean;
    say: (m: string) => void;
    tmpPrefix?: string;
    print?: (line: string) => void;
  }): Promise<{ hash: string; built: boolean }>;
}

const MODULE = path.join(__dirname, '..', '..', 'scripts', 'host-image.mjs');
// An ES module (the scripts run on plain Node): loaded by URL, typed by the interface above.
const load = (): Promise<HostImage> => import(pathToFileURL(MODULE).href) as Promise<HostImage>;

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;

describe('scripts/host-image.mjs (what the image build scripts share)', function () {
  this.timeout(120_000);
  let lib: HostImage;
  before(async () => {
    lib = await load();
  });

  it('stages a plan as the image will hold it: file modes, links, and 0755 folders whatever the umask', () => {
    const plan: Plan = new Map([
      ['/app/run.js', { content: Buffer.from('console.log(1)'), mode: 0o644 }],
      ['/bin/tool', { from: __filename, mode: 0o755 }],
      ['/bin/alias', { link: 'tool' }],
    ]);
    const old = process.umask(0o077);
    let dir = '';
    try {
      dir = lib.stage(plan, [['/tmp', 0o1777], ['/data/deep', 0o755]], 'host-image-test-');
    } finally {
      process.umask(old);
    }
    try {
      assert.equal(modeOf(dir), 0o755, 'the image root can be entered by its user');
      assert.equal(fs.readFileSync(path.join(dir, 'app/run.js'), 'utf8'), 'console.log(1)');
      assert.equal(modeOf(path.join(dir, 'app/run.js')), 0o644);
      assert.equal(modeOf(path.join(dir, 'bin/tool')), 0o755);
      assert.equal(fs.readlinkSync(path.join(dir, 'bin/alias')), 'tool');
      for (const d of ['app', 'bin', 'data', 'data/deep']) assert.equal(modeOf(path.join(dir, d)), 0o755, d);
      assert.equal(modeOf(path.join(dir, 'tmp')), 0o1777);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes a plan the same whatever order it was made in, and differently when anything in it changes', () => {
    const spec = { name: 'x', tag: '1' };
    const dirs: Array<[string, number]> = [['/tmp', 0o1777]];
    const a: Plan = new Map([
      ['/a', { content: Buffer.from('A'), mode: 0o644 }],
      ['/b', { link: 'a' }],
      ['/node', { from: __filename, mode: 0o755 }],
    ]);
    const base = lib.contentHash(spec, dirs, a);
    assert.match(base, /^[0-9a-f]{32}$/);
    assert.equal(lib.contentHash(spec, dirs, new Map([...a].reverse())), base);
    const changed = (p: Plan) => assert.notEqual(lib.contentHash(spec, dirs, p), base);
    changed(new Map([...a, ['/a', { content: Buffer.from('B'), mode: 0o644 }]]));
    changed(new Map([...a, ['/a', { content: Buffer.from('A'), mode: 0o755 }]]));
    changed(new Map([...a, ['/b', { link: 'node' }]]));
    assert.notEqual(lib.contentHash({ ...spec, tag: '2' }, dirs, a), base);
    assert.notEqual(lib.contentHash(spec, [['/tmp', 0o755]], a), base);
    assert.notEqual(lib.contentHash(spec, dirs, a, ['layout 2']), base);
  });

  it("lists the libraries this host's Node links as absolute paths, and writes a passwd naming its user", () => {
    for (const l of lib.sharedLibraries(process.execPath)) assert.ok(path.isAbsolute(l) && fs.existsSync(l), l);
    const users = lib.userFiles('worker', 10001, 10002);
    assert.equal(users.get('/etc/passwd')!.content!.toString(), 'root:x:0:0:root:/root:/sbin/nologin\nworker:x:10001:10002:worker:/tmp:/sbin/nologin\n');
    assert.equal(users.get('/etc/group')!.content!.toString(), 'root:x:0:\nworker:x:10002:\n');
  });

  it('says plainly when no Docker engine answers', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.throws(() => lib.requireDocker(), /the Docker engine does not answer: run scripts\/ensure-docker\.sh/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('builds an image once, labelled with its hash; the same plan again is up to date and not imported; a change rebuilds', async () => {
    const ref = `product-os/host-image-test:${process.pid}`;
    let content = 'one';
    let planned = 0;
    const build = (force = false) => {
      const said: string[] = [];
      const printed: string[] = [];
      return lib
        .buildIfChanged({
          ref,
          spec: { name: 'product-os/host-image-test', tag: String(process.pid) },
          plan: async () => {
            planned++;
            return new Map([['/hello.txt', { content: Buffer.from(content), mode: 0o644 }]]);
          },
          dirs: [['/tmp', 0o1777]],
          changes: ['WORKDIR /tmp'],
          force,
          say: (m) => said.push(m),
          print: (l) => printed.push(l),
        })
        .then((r) => ({ ...r, said, printed }));
    };
    try {
      const first = await build();
      assert.equal(first.built, true, first.said.join('\n'));
      assert.deepEqual(first.printed, [`${ref}\n`]);
      const labels = JSON.parse(dockerCli(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref])) as Record<string, string>;
      assert.equal(labels[lib.HASH_LABEL], first.hash);
      const created = dockerCli(['image', 'inspect', '--format', '{{.Id}}', ref]).trim();

      const again = await build();
      assert.equal(again.built, false);
      assert.equal(again.hash, first.hash);
      assert.match(again.said.join('\n'), /is up to date/);
      assert.deepEqual(again.printed, [`${ref}\n`], 'the reference is printed either way');
      assert.equal(dockerCli(['image', 'inspect', '--format', '{{.Id}}', ref]).trim(), created, 'not imported again');

      assert.equal((await build(true)).built, true, '--force rebuilds');
      content = 'two';
      const changed = await build();
      assert.equal(changed.built, true);
      assert.notEqual(changed.hash, first.hash);
      assert.equal(planned, 4);
    } finally {
      try {
        dockerCli(['rmi', '-f', ref]);
      } catch {
        /* not built */
      }
    }
  });
});
