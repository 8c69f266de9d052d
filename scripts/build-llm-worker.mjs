#!/usr/bin/env node
// Builds the LLM worker image (workers/images/llm/image.json) from files on this host, with no
// registry pull, like scripts/build-workers.mjs: the host's Node and the libraries it links,
// node-llama-cpp with the packages it needs and its prebuilt linux-x64 CPU binaries (and the
// libraries those link), the bundled server (workers/llm-server/), a passwd entry for a
// non-root user; imported as one layer. The model is not in the image: it is mounted
// read-only from the models folder when the backend starts the container.
//
// Skipped when an image with the same content hash exists. Prints the image reference on
// stdout, progress on stderr. `--force` rebuilds anyway.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const say = (m) => process.stderr.write(`build-llm-worker: ${m}\n`);

const spec = JSON.parse(fs.readFileSync(path.join(root, 'workers/images/llm/image.json'), 'utf8'));
const ref = `${spec.name}:${spec.tag}`;
const [uid, gid] = spec.user.split(':').map(Number);
/** The prebuilt binaries this image carries (CPU; a GPU image would add its own package). */
const BINARY_PACKAGES = ['@node-llama-cpp/linux-x64'];
/** Parts of node-llama-cpp only a source build needs (build: 'never' is what the server asks). */
const SKIP_IN_LLAMA = new Set(['addon', 'cmake', 'gitRelease.bundle', 'patches', 'profiles', 'toolchains', 'xpack', 'CMakeLists.txt']);

function docker(args, opts = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...opts });
}

function sharedLibraries(binary) {
  let out;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8' });
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

/** Where `name` resolves from package folder `from` (Node's lookup: nested, then parents). */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (dir === path.dirname(dir)) return null;
  }
}

/** node-llama-cpp and every package it depends on (not its optional builds for other platforms). */
function packageClosure() {
  const seen = new Map();
  const queue = [...['node-llama-cpp', ...BINARY_PACKAGES].map((n) => [n, root])];
  while (queue.length > 0) {
    const [name, from] = queue.shift();
    const dir = resolvePackage(name, from);
    if (!dir) {
      if (name === 'node-llama-cpp' || BINARY_PACKAGES.includes(name)) throw new Error(`${name} is not installed (npm ci)`);
      continue;
    }
    if (seen.has(dir)) continue;
    seen.set(dir, name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push([dep, dir]);
  }
  return seen;
}

function walk(dir, visit) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, visit);
    else if (entry.isFile()) visit(p);
  }
}

async function bundleServer() {
  const result = await build({
    entryPoints: [path.join(root, spec.entry)],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
    // Loaded with import() from /app/node_modules at run time (an ES module with native binaries).
    external: ['node-llama-cpp'],
  });
  return Buffer.from(result.outputFiles[0].contents);
}

async function rootfsPlan() {
  const node = fs.realpathSync(process.execPath);
  const files = new Map();
  files.set('/usr/local/bin/node', { from: node, mode: 0o755 });
  const libs = new Set(sharedLibraries(node));
  const modules = path.join(root, 'node_modules');
  for (const [dir] of packageClosure()) {
    const rel = path.relative(modules, dir);
    if (rel.startsWith('..')) throw new Error(`${dir} is outside node_modules`);
    walk(dir, (file) => {
      const inPkg = path.relative(dir, file);
      if (rel === 'node-llama-cpp') {
        const [top, second] = inPkg.split(path.sep);
        if (top === 'llama' && SKIP_IN_LLAMA.has(second)) return;
        if (top === 'node_modules') return; // its nested packages come through the closure
      } else if (inPkg.split(path.sep)[0] === 'node_modules') return;
      const binary = /\.(node|so)$/.test(file);
      if (binary) for (const l of sharedLibraries(file)) if (!l.startsWith(modules)) libs.add(l);
      files.set(`/app/node_modules/${rel}/${inPkg}`, { from: file, mode: binary ? 0o755 : 0o644 });
    });
  }
  for (const lib of libs) files.set(lib, { from: fs.realpathSync(lib), mode: 0o755 });
  files.set('/app/llm-server.js', { content: await bundleServer(), mode: 0o644 });
  files.set('/etc/passwd', { content: Buffer.from(`root:x:0:0:root:/root:/sbin/nologin\n${spec.userName}:x:${uid}:${gid}:${spec.userName}:/tmp:/sbin/nologin\n`), mode: 0o644 });
  files.set('/etc/group', { content: Buffer.from(`root:x:0:\n${spec.userName}:x:${gid}:\n`), mode: 0o644 });
  return files;
}

const DIRS = [
  ['/tmp', 0o1777],
  ['/models', 0o755],
];

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function fileHash(file) {
  return sha256(fs.readFileSync(file));
}

function contentHash(files) {
  const h = createHash('sha256');
  h.update(JSON.stringify(spec));
  h.update(JSON.stringify(DIRS));
  for (const [p, f] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${p}\0${f.mode}\0${f.content ? sha256(f.content) : fileHash(f.from)}\n`);
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-llm-rootfs-'));
  fs.chmodSync(dir, 0o755);
  for (const [p, f] of files) {
    const dest = path.join(dir, p);
    mkdirs(dir, path.dirname(p));
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

function importImage(dir, hash) {
  const changes = [
    `USER ${spec.user}`,
    'WORKDIR /tmp',
    'ENV HOME=/tmp NODE_ENV=production',
    `EXPOSE ${spec.port}/tcp`,
    'ENTRYPOINT ["/usr/local/bin/node", "/app/llm-server.js"]',
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
  say(`built ${ref} (${hash}, ${files.size} files) in ${Date.now() - t0} ms`);
  process.stdout.write(`${ref}\n`);
}

main().catch((err) => {
  say(err.message);
  process.exit(1);
});
