#!/usr/bin/env node
// Builds the worker image(s) locally from files on this host, with no registry pull:
// the host's Node binary and the shared libraries it links, the bundled worker runtime and a
// passwd entry for a non-root user, imported as one layer (`FROM scratch` in effect).
//
// Skipped when an image with the same name, tag and content-hash label exists already.
// Prints the image reference on stdout; progress on stderr. `--force` rebuilds anyway.
//
// Needs a Docker engine that answers (scripts/ensure-docker.sh starts one).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const say = (m) => process.stderr.write(`build-workers: ${m}\n`);

const spec = JSON.parse(fs.readFileSync(path.join(root, 'workers/images/worker/image.json'), 'utf8'));
const ref = `${spec.name}:${spec.tag}`;
const [uid, gid] = spec.user.split(':').map(Number);

function docker(args, opts = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...opts });
}

/** The shared libraries a binary links, as absolute paths (the loader included). */
function sharedLibraries(binary) {
  let out;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (/not a dynamic executable/.test(String(err.stdout ?? '') + String(err.stderr ?? ''))) return [];
    throw new Error(`ldd ${binary} failed: ${err.message}`);
  }
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

async function bundleRuntime(entry = spec.entry) {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function fileHash(file) {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Every file of the root filesystem: image path → host file or content. */
async function rootfsPlan() {
  const node = fs.realpathSync(process.execPath);
  const files = new Map();
  files.set('/usr/local/bin/node', { from: node, mode: 0o755 });
  for (const lib of sharedLibraries(node)) files.set(lib, { from: fs.realpathSync(lib), mode: 0o755 });
  files.set('/app/worker.js', { content: await bundleRuntime(), mode: 0o644 });
  // Other entry points in the same image (the card agent's MCP servers, started by docker exec).
  for (const [target, entry] of Object.entries(spec.bundles ?? {})) files.set(target, { content: await bundleRuntime(entry), mode: 0o644 });
  // A shell and the usual commands for the card agent's terminal: a static busybox and one link
  // per applet. Missing (no busybox-static): the image still builds, its terminal has no shell.
  if (spec.busybox) {
    if (fs.existsSync(spec.busybox) && sharedLibraries(spec.busybox).length === 0) {
      files.set('/bin/busybox', { from: fs.realpathSync(spec.busybox), mode: 0o755 });
      const applets = execFileSync(spec.busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
      for (const a of applets) files.set(`/bin/${a}`, { link: 'busybox' });
      files.set('/usr/bin/env', { link: '/bin/busybox' });
    } else {
      say(`no static busybox at ${spec.busybox} (Debian: apt-get install busybox-static): the card agent's terminal will have no shell`);
    }
  }
  files.set('/etc/passwd', { content: Buffer.from(`root:x:0:0:root:/root:/sbin/nologin\n${spec.userName}:x:${uid}:${gid}:${spec.userName}:/tmp:/sbin/nologin\n`), mode: 0o644 });
  files.set('/etc/group', { content: Buffer.from(`root:x:0:\n${spec.userName}:x:${gid}:\n`), mode: 0o644 });
  return files;
}

const DIRS = [
  ['/tmp', 0o1777],
  ['/out', 0o755],
  ['/logs', 0o755],
  ['/workspace', 0o755],
];

function contentHash(files) {
  const h = createHash('sha256');
  h.update(JSON.stringify(spec));
  h.update(JSON.stringify(DIRS));
  h.update('layout 2: 0755 directories');
  for (const [p, f] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${p}\0${f.mode ?? 'link'}\0${f.link ? `-> ${f.link}` : f.content ? sha256(f.content) : fileHash(f.from)}\n`);
  }
  return h.digest('hex').slice(0, 32);
}

function existingHash() {
  try {
    const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]));
    return labels?.['product-os.content-hash'] ?? null;
  } catch {
    return null;
  }
}

/** mkdir -p under the staging root with 0755 directories, whatever the umask. */
function mkdirs(rootDir, rel) {
  let cur = rootDir;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    if (!fs.existsSync(cur)) {
      fs.mkdirSync(cur);
      fs.chmodSync(cur, 0o755);
    }
  }
}

function stage(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-worker-rootfs-'));
  fs.chmodSync(dir, 0o755); // the image's `/`: mkdtemp makes it 0700, which the worker user could not enter
  for (const [p, f] of files) {
    const dest = path.join(dir, p);
    mkdirs(dir, path.dirname(p));
    if (f.link) {
      fs.symlinkSync(f.link, dest);
      continue;
    }
    if (f.content) fs.writeFileSync(dest, f.content);
    else fs.copyFileSync(f.from, dest);
    fs.chmodSync(dest, f.mode);
  }
  for (const [d, mode] of DIRS) {
    mkdirs(dir, d);
    fs.chmodSync(path.join(dir, d), mode);
  }
  return dir;
}

/** `tar c rootfs | docker import --change …`: one layer, root-owned, reproducible. */
function importImage(dir, hash) {
  const changes = [
    `USER ${spec.user}`,
    'WORKDIR /tmp',
    'ENV HOME=/tmp NODE_ENV=production',
    'ENTRYPOINT ["/usr/local/bin/node", "/app/worker.js"]',
    `LABEL product-os.content-hash=${hash} product-os.image=${spec.name} org.opencontainers.image.version=${spec.tag}`,
  ];
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', ref], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (d) => (err += d));
    imp.stderr.on('data', (d) => (err += d));
    tar.stdout.pipe(imp.stdin);
    const timer = setTimeout(() => {
      tar.kill('SIGKILL');
      imp.kill('SIGKILL');
    }, 300_000);
    let tarCode = null;
    tar.on('close', (c) => (tarCode = c));
    imp.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && tarCode === 0) resolve();
      else reject(new Error(`docker import failed (tar ${tarCode}, import ${code}): ${err.trim()}`));
    });
  });
}

async function main() {
  try {
    docker(['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch {
    throw new Error('the Docker engine does not answer: run scripts/ensure-docker.sh (as root it installs and starts one)');
  }
  const files = await rootfsPlan();
  const hash = contentHash(files);
  if (!force && existingHash() === hash) {
    say(`${ref} is up to date (${hash})`);
    process.stdout.write(`${ref}\n`);
    return;
  }
  const t0 = Date.now();
  const dir = stage(files);
  try {
    await importImage(dir, hash);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  say(`built ${ref} (${hash}) in ${Date.now() - t0} ms`);
  process.stdout.write(`${ref}\n`);
}

main().catch((err) => {
  say(err.message);
  process.exit(1);
});
