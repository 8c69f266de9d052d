// Building Docker images from this host's own files, with no registry pull: what
// scripts/build-workers.mjs, scripts/build-llm-worker.mjs and scripts/build-executor-image.mjs
// share. An image is a plan (image path → host file, content or link), staged in a temporary
// folder and imported as one layer (`tar | docker import`); its content hash, a label on the
// image, lets a build that would change nothing be skipped.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The label that carries an image's content hash. */
export const HASH_LABEL = 'product-os.content-hash';
/** How long one import may take before tar and docker are killed. */
const IMPORT_TIMEOUT_MS = 300_000;

/** The Docker CLI, its output as text; bounded in time (2 minutes unless `opts.timeout` says otherwise). */
export function docker(args, opts = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...opts });
}

/** Throws a clear error when no Docker engine answers. */
export function requireDocker(hint = 'run scripts/ensure-docker.sh (as root it installs and starts one)') {
  try {
    docker(['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch {
    throw new Error(`the Docker engine does not answer: ${hint}`);
  }
}

/** The shared libraries a binary links, as absolute paths (the loader included); [] for a static one. */
export function sharedLibraries(binary) {
  let out;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
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

/** This host's Node at `target` and every library it links, as plan entries. */
export function hostNodeFiles(target) {
  const node = fs.realpathSync(process.execPath);
  const files = new Map([[target, { from: node, mode: 0o755 }]]);
  for (const lib of sharedLibraries(node)) files.set(lib, { from: fs.realpathSync(lib), mode: 0o755 });
  return files;
}

/** /etc/passwd and /etc/group naming root and one non-root user. */
export function userFiles(userName, uid, gid, home = '/tmp') {
  return new Map([
    ['/etc/passwd', { content: Buffer.from(`root:x:0:0:root:/root:/sbin/nologin\n${userName}:x:${uid}:${gid}:${userName}:${home}:/sbin/nologin\n`), mode: 0o644 }],
    ['/etc/group', { content: Buffer.from(`root:x:0:\n${userName}:x:${gid}:\n`), mode: 0o644 }],
  ]);
}

/** One entry point bundled for this host's Node (CommonJS), as the file's content. */
export async function bundleForNode(entry, options = {}) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    ...options,
  });
  return Buffer.from(result.outputFiles[0].contents);
}

export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** A file's sha256, read in 1 MiB pieces (a model library can be hundreds of MB). */
export function fileHash(file) {
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

/**
 * What the image would hold, hashed: its spec, its directories, `salts` (a change of layout
 * that the files do not show) and every file's path, mode and content (or link target), in
 * path order. The same plan gives the same hash on every run.
 */
export function contentHash(spec, dirs, files, salts = []) {
  const h = createHash('sha256');
  h.update(JSON.stringify(spec));
  h.update(JSON.stringify(dirs));
  for (const s of salts) h.update(s);
  for (const [p, f] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`${p}\0${f.mode ?? 'link'}\0${f.link ? `-> ${f.link}` : f.content ? sha256(f.content) : fileHash(f.from)}\n`);
  }
  return h.digest('hex').slice(0, 32);
}

/** The content hash on the image `ref` there is now; null when there is none (or no label). */
export function existingHash(ref) {
  try {
    const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]));
    return labels?.[HASH_LABEL] ?? null;
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

/**
 * The plan written out under a new temporary folder (the caller removes it): files with their
 * modes, links as links, then `dirs` ([path, mode]) with their modes. The folder itself is 0755
 * (the image's `/`: mkdtemp makes it 0700, which a non-root user could not enter).
 */
export function stage(files, dirs, prefix = 'product-os-rootfs-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  for (const [p, f] of files) {
    const dest = path.join(dir, p);
    mkdirs(dir, path.dirname(p));
    if (f.link) {
      fs.symlinkSync(f.link, dest);
      continue;
    }
    if (f.content !== undefined) fs.writeFileSync(dest, f.content);
    else fs.copyFileSync(f.from, dest);
    fs.chmodSync(dest, f.mode);
  }
  for (const [d, mode] of dirs) {
    mkdirs(dir, d);
    fs.chmodSync(path.join(dir, d), mode);
  }
  return dir;
}

/**
 * `tar c dir | docker import --change …`: one layer, reproducible (sorted, mtime 0), owned by
 * root unless `keepOwners` (a base whose home folder belongs to its user).
 */
export function importImage(dir, ref, changes, { keepOwners = false } = {}) {
  const owners = keepOwners ? [] : ['--owner=0', '--group=0'];
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['--sort=name', ...owners, '--numeric-owner', '--mtime=@0', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const imp = spawn('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '-', ref], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (d) => (err += d));
    imp.stderr.on('data', (d) => (err += d));
    tar.stdout.pipe(imp.stdin);
    const timer = setTimeout(() => {
      tar.kill('SIGKILL');
      imp.kill('SIGKILL');
    }, IMPORT_TIMEOUT_MS);
    let tarCode = null;
    tar.on('close', (c) => (tarCode = c));
    imp.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && tarCode === 0) resolve();
      else reject(new Error(`docker import of ${ref} failed (tar ${tarCode}, import ${code}): ${err.trim()}`));
    });
  });
}

/**
 * Builds `ref` (the spec's name:tag) from the plan `plan()` makes unless an image with the same
 * content hash is there already (`force`, the script's --force, rebuilds anyway). `changes` are the image's Dockerfile-style settings; the
 * hash label is added to them. The engine is asked first, so a missing one is said before any
 * bundling. Prints the reference (on stdout unless `print` says otherwise), progress through
 * `say`; returns the hash and whether it built.
 */
export async function buildIfChanged({ spec, ref = `${spec.name}:${spec.tag}`, plan, dirs, salts = [], changes, force = process.argv.includes('--force'), say, tmpPrefix, print = (line) => process.stdout.write(line) }) {
  requireDocker();
  const files = await plan();
  const hash = contentHash(spec, dirs, files, salts);
  if (!force && existingHash(ref) === hash) {
    say(`${ref} is up to date (${hash})`);
    print(`${ref}\n`);
    return { hash, built: false };
  }
  const t0 = Date.now();
  const dir = stage(files, dirs, tmpPrefix);
  try {
    await importImage(dir, ref, [...changes, `LABEL ${HASH_LABEL}=${hash} product-os.image=${spec.name} org.opencontainers.image.version=${spec.tag}`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  say(`built ${ref} (${hash}, ${files.size} files) in ${Date.now() - t0} ms`);
  print(`${ref}\n`);
  return { hash, built: true };
}

/** The script's run: its error said in one line through `say`, exit status 1. */
export function runMain(main, say) {
  main().catch((err) => {
    say(err.stderr ? `${err.message}\n${err.stderr}` : err.message);
    process.exit(1);
  });
}
