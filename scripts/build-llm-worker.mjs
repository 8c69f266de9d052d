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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, buildIfChanged, bundleForNode, hostNodeFiles, runMain, sharedLibraries, userFiles } from './host-image.mjs';

const say = (m) => process.stderr.write(`build-llm-worker: ${m}\n`);

const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'workers/images/llm/image.json'), 'utf8'));
const [uid, gid] = spec.user.split(':').map(Number);
/** The prebuilt binaries this image carries (CPU; a GPU image would add its own package). */
const BINARY_PACKAGES = ['@node-llama-cpp/linux-x64'];
/** Parts of node-llama-cpp only a source build needs (build: 'never' is what the server asks). */
const SKIP_IN_LLAMA = new Set(['addon', 'cmake', 'gitRelease.bundle', 'patches', 'profiles', 'toolchains', 'xpack', 'CMakeLists.txt']);

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
  const queue = [...['node-llama-cpp', ...BINARY_PACKAGES].map((n) => [n, ROOT])];
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

async function rootfsPlan() {
  const files = hostNodeFiles('/usr/local/bin/node');
  // The libraries node-llama-cpp's binaries link, outside node_modules (Node's own are in files already).
  const libs = new Set();
  const modules = path.join(ROOT, 'node_modules');
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
  // node-llama-cpp is loaded with import() from /app/node_modules at run time (an ES module with native binaries).
  files.set('/app/llm-server.js', { content: await bundleForNode(spec.entry, { external: ['node-llama-cpp'] }), mode: 0o644 });
  for (const [p, f] of userFiles(spec.userName, uid, gid)) files.set(p, f);
  return files;
}

runMain(
  () =>
    buildIfChanged({
      spec,
      plan: rootfsPlan,
      dirs: [
        ['/tmp', 0o1777],
        ['/models', 0o755],
      ],
      changes: [`USER ${spec.user}`, 'WORKDIR /tmp', 'ENV HOME=/tmp NODE_ENV=production', `EXPOSE ${spec.port}/tcp`, 'ENTRYPOINT ["/usr/local/bin/node", "/app/llm-server.js"]'],
      say,
      tmpPrefix: 'product-os-llm-rootfs-',
    }),
  say,
);
