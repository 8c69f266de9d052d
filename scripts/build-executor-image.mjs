#!/usr/bin/env node
// Stages the remote executor's Docker build context and (unless --stage-only) builds the image
// with the repository's Dockerfile:
//
//   dist/executor/app/cli.js               the CLI bundle (`npm run build` makes dist/cli.js first)
//   dist/executor/app/tool-registry.yaml   the registry it serves
//   dist/executor/app/node_modules/…       the packages the bundle leaves external, with their
//                                          dependencies (found by reading its require() calls)
//
//   node scripts/build-executor-image.mjs [--tag product-os/executor:dev] [--base IMAGE] [--local-base] [--stage-only] [--cli dist/cli.js]
//
// The Dockerfile's base is an ARG (BASE_IMAGE): Cloud Build uses Google's distroless Node image.
// `--local-base` builds a base here from this host's Node binary and the libraries it links,
// laid out like distroless (/nodejs/bin/node, user 65532), so the image builds with no pull.
// Prints the image reference on stdout; progress on stderr.
import { execFileSync, spawn } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const say = (m) => process.stderr.write(`build-executor-image: ${m}\n`);
const LOCAL_BASE = 'product-os/executor-base:local';
// The executor runs no in-process llama.cpp (its model is an endpoint on the private network):
// those packages (hundreds of MB of GPU builds) stay out of the image.
const LEFT_OUT = [/^node-llama-cpp$/, /^@node-llama-cpp\//, /^@reflink\//];

const context = path.join(root, 'dist', 'executor');
const app = path.join(context, 'app');

/** Bare package names the bundle require()s that Node does not provide. */
function externals(bundle) {
  const builtins = new Set(builtinModules);
  const names = new Set();
  for (const m of bundle.matchAll(/require\("([^".][^"]*)"\)/g)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtins.has(spec.split('/')[0])) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return [...names];
}

/** The package's folder, resolved the way Node would from `from`; null when it is not installed. */
function packageDir(name, from) {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    if (fs.existsSync(candidate)) return path.dirname(candidate);
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Copies `name` and everything it depends on (optional ones when installed) into app/node_modules. */
function copyPackage(name, from, copied) {
  if (LEFT_OUT.some((r) => r.test(name))) return;
  const dir = packageDir(name, from);
  if (!dir || copied.has(dir)) return;
  copied.add(dir);
  const rel = path.relative(root, dir);
  fs.cpSync(dir, path.join(app, rel), { recursive: true, dereference: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) copyPackage(dep, dir, copied);
}

function stageApp() {
  const cli = path.resolve(option('--cli', path.join(root, 'dist', 'cli.js')));
  if (!fs.existsSync(cli)) throw new Error(`${path.relative(root, cli)} is missing: run \`npm run build\` first`);
  fs.rmSync(context, { recursive: true, force: true });
  fs.mkdirSync(app, { recursive: true });
  fs.copyFileSync(cli, path.join(app, 'cli.js'));
  fs.copyFileSync(path.join(root, 'registry', 'tool-registry.yaml'), path.join(app, 'tool-registry.yaml'));
  const bundle = fs.readFileSync(cli, 'utf8');
  const copied = new Set();
  const missing = [];
  for (const name of externals(bundle)) {
    if (!packageDir(name, root)) missing.push(name);
    copyPackage(name, root, copied);
  }
  // Optional at run time (loaded in try/catch by their users): pg-native, cpu-features.
  say(`staged ${path.relative(root, app)} with ${copied.size} packages${missing.length ? ` (not installed, optional: ${missing.join(', ')})` : ''}`);
}

function docker(argv, opts = {}) {
  return execFileSync('docker', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, ...opts });
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

/** A distroless-shaped base from this host's Node: /nodejs/bin/node, its libraries, user nonroot (65532). */
async function buildLocalBase() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-executor-base-'));
  try {
    fs.chmodSync(dir, 0o755);
    const put = (p, from, content, mode) => {
      const dest = path.join(dir, p);
      fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
      if (content !== undefined) fs.writeFileSync(dest, content);
      else fs.copyFileSync(from, dest);
      fs.chmodSync(dest, mode);
    };
    const node = fs.realpathSync(process.execPath);
    put('nodejs/bin/node', node, undefined, 0o755);
    for (const lib of sharedLibraries(node)) put(lib.slice(1), fs.realpathSync(lib), undefined, 0o755);
    put('etc/passwd', null, 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n', 0o644);
    put('etc/group', null, 'root:x:0:\nnonroot:x:65532:\n', 0o644);
    fs.mkdirSync(path.join(dir, 'tmp'), { mode: 0o1777 });
    fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
    fs.mkdirSync(path.join(dir, 'home', 'nonroot'), { recursive: true });
    fs.chownSync?.(path.join(dir, 'home', 'nonroot'), 65532, 65532);
    await new Promise((resolve, reject) => {
      const tar = spawn('tar', ['--sort=name', '--numeric-owner', '--mtime=@0', '-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const imp = spawn('docker', ['import', '--change', 'USER 65532:65532', '--change', 'ENTRYPOINT ["/nodejs/bin/node"]', '-', LOCAL_BASE], { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      tar.stderr.on('data', (d) => (err += d));
      imp.stderr.on('data', (d) => (err += d));
      tar.stdout.pipe(imp.stdin);
      const timer = setTimeout(() => {
        tar.kill('SIGKILL');
        imp.kill('SIGKILL');
      }, 300_000);
      imp.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`docker import of the local base failed: ${err.trim()}`));
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  say(`built ${LOCAL_BASE} from this host's Node ${process.version}`);
  return LOCAL_BASE;
}

async function main() {
  stageApp();
  if (flag('--stage-only')) return;
  try {
    docker(['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
  } catch {
    throw new Error('the Docker engine does not answer: run scripts/ensure-docker.sh');
  }
  const tag = option('--tag', 'product-os/executor:dev');
  const base = flag('--local-base') ? await buildLocalBase() : option('--base', undefined);
  const t0 = Date.now();
  docker(['build', '--pull=false', ...(base ? ['--build-arg', `BASE_IMAGE=${base}`] : []), '-f', path.join(root, 'Dockerfile'), '-t', tag, context]);
  say(`built ${tag} in ${Date.now() - t0} ms`);
  process.stdout.write(`${tag}\n`);
}

main().catch((err) => {
  say(err.stderr ? `${err.message}\n${err.stderr}` : err.message);
  process.exit(1);
});
