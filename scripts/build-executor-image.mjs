#!/usr/bin/env node
// Stages the remote executor's Docker build context and (unless --stage-only) builds the image
// with the repository's Dockerfile:
//
//   dist/executor/app/cli.js               the CLI bundle (`npm run build` makes dist/cli.js first)
//   dist/executor/app/google-cloud.js      the bundles it loads on first use, from beside it
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
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT as root, docker, hostNodeFiles, importImage, requireDocker, runMain, stage, userFiles } from './host-image.mjs';

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
  // Its checked form, which the build leaves beside the CLI (used only while it matches the text).
  const checked = path.join(path.dirname(cli), 'tool-registry.yaml.checked.json');
  if (fs.existsSync(checked)) fs.copyFileSync(checked, path.join(app, 'tool-registry.yaml.checked.json'));
  let bundle = fs.readFileSync(cli, 'utf8');
  // The bundles the CLI loads on first use from its own folder (dist/google-cloud.js) go beside it.
  for (const chunk of new Set([...bundle.matchAll(/require\("\.\/([\w.-]+\.js)"\)/g)].map((m) => m[1]))) {
    fs.copyFileSync(path.join(path.dirname(cli), chunk), path.join(app, chunk));
    bundle += fs.readFileSync(path.join(app, chunk), 'utf8');
  }
  const copied = new Set();
  const missing = [];
  for (const name of externals(bundle)) {
    if (!packageDir(name, root)) missing.push(name);
    copyPackage(name, root, copied);
  }
  // Optional at run time (loaded in try/catch by their users): pg-native, cpu-features.
  say(`staged ${path.relative(root, app)} with ${copied.size} packages${missing.length ? ` (not installed, optional: ${missing.join(', ')})` : ''}`);
}

/** A distroless-shaped base from this host's Node: /nodejs/bin/node, its libraries, user nonroot (65532). */
async function buildLocalBase() {
  const files = hostNodeFiles('/nodejs/bin/node');
  for (const [p, f] of userFiles('nonroot', 65532, 65532, '/home/nonroot')) files.set(p, f);
  const dir = stage(files, [['/tmp', 0o1777], ['/home/nonroot', 0o755]], 'product-os-executor-base-');
  try {
    // Its home belongs to its user, as in distroless (so the owners go into the layer as they are).
    fs.chownSync(path.join(dir, 'home', 'nonroot'), 65532, 65532);
    await importImage(dir, LOCAL_BASE, ['USER 65532:65532', 'ENTRYPOINT ["/nodejs/bin/node"]'], { keepOwners: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  say(`built ${LOCAL_BASE} from this host's Node ${process.version}`);
  return LOCAL_BASE;
}

async function main() {
  stageApp();
  if (flag('--stage-only')) return;
  requireDocker();
  const tag = option('--tag', 'product-os/executor:dev');
  const base = flag('--local-base') ? await buildLocalBase() : option('--base', undefined);
  const t0 = Date.now();
  docker(['build', '--pull=false', ...(base ? ['--build-arg', `BASE_IMAGE=${base}`] : []), '-f', path.join(root, 'Dockerfile'), '-t', tag, context], { timeout: 600_000 });
  say(`built ${tag} in ${Date.now() - t0} ms`);
  process.stdout.write(`${tag}\n`);
}

runMain(main, say);
