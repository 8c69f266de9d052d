// Bundles the backend CLI, the editor extension (and, as they arrive, the webviews) with esbuild.
// Each entry of BUILDS is one bundle; add an entry to add a bundle. The registry YAML travels
// next to the CLI bundle, where the loader looks for it.
//
//   node scripts/build.mjs                 development (source maps)
//   node scripts/build.mjs --production    minified, no source maps (what `npm run package` ships)
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { buildWebviews } from '../webviews/build.mjs';
import { cpSync, mkdirSync, chmodSync, existsSync, readFileSync } from 'node:fs';

const production = process.argv.includes('--production');

/**
 * The Google Cloud clients (about 6 of the CLI's 9.8 MB, used only by the Google Cloud side)
 * go to their own bundle, dist/google-cloud.js, which the CLI bundle require()s on first use:
 * V8 then compiles a third of the code at every start (measured: `--version` 0.63 -> 0.43 s,
 * the backend ready 0.2 s sooner). Every such package the project depends on is in it.
 */
const GOOGLE_CHUNK = 'google-cloud.js';
const googlePackages = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).dependencies).filter((name) => /^@google-cloud\/|^google-auth-library$/.test(name));

/** In the CLI bundle, an import of a Google package becomes a require of its entry in the chunk. */
const googleChunkPlugin = {
  name: 'google-cloud-chunk',
  setup(b) {
    const filter = new RegExp(`^(${googlePackages.map((n) => n.replace(/[/.-]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'google-cloud-chunk' }));
    b.onLoad({ filter: /.*/, namespace: 'google-cloud-chunk' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./${GOOGLE_CHUNK}`)})[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
    b.onResolve({ filter: new RegExp(`^\\./${GOOGLE_CHUNK.replace('.', '\\.')}$`), namespace: 'google-cloud-chunk' }, (args) => ({ path: args.path, external: true }));
  },
};

/** The chunk's entry: each package behind a getter, so that using one loads only that one. */
const googleChunkEntry = googlePackages.map((n) => `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => require(${JSON.stringify(n)}) });`).join('\n');

/** What the CLI bundle leaves to node_modules (see the cli entry below). */
const cliExternal = ['@electric-sql/pglite', 'pg-native', '*.node', 'cpu-features', 'node-llama-cpp'];

/** Options every bundle shares; an entry of BUILDS overrides what it needs. */
const common = {
  outdir: 'dist',
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

const BUILDS = [
  {
    name: 'cli',
    entryPoints: { cli: 'backend/cli.ts' },
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    // PGlite loads its WASM and data files from its own package folder; pg's native binding and
    // ssh2's native crypto (dockerode) are optional, loaded in try/catch, with pure-JS fallbacks.
    // node-llama-cpp (an ES module with top-level await and per-platform native builds) is
    // loaded with import() from node_modules when a local model is first used.
    external: cliExternal,
    plugins: [googleChunkPlugin],
  },
  {
    // Built with the CLI (same --only name): dist/google-cloud.js, see GOOGLE_CHUNK.
    name: 'cli',
    stdin: { contents: googleChunkEntry, resolveDir: '.', sourcefile: 'google-cloud-chunk.js', loader: 'js' },
    outfile: `dist/${GOOGLE_CHUNK}`,
    outdir: undefined,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: cliExternal,
  },
  {
    name: 'extension',
    entryPoints: { extension: 'extension/extension.ts' },
    platform: 'node',
    // The extension host's Node (VS Code 1.90 ships Node 20).
    target: 'node20',
    format: 'cjs',
    // `vscode` is the editor's own module; nothing else is left to node_modules at run time.
    external: ['vscode'],
    // Dynamic import() becomes a lazy require inside the bundle: command handlers and panels
    // are evaluated on first use, not at activation.
    mainFields: ['module', 'main'],
  },
];

mkdirSync('dist', { recursive: true });
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
await Promise.all(
  BUILDS.filter((b) => !only || only.includes(b.name)).map(({ name: _name, ...options }) => build({ ...common, ...options })),
);
if (!only || only.includes('webviews')) await buildWebviews({ production });
cpSync('registry/tool-registry.yaml', 'dist/tool-registry.yaml');
// Checked now, once, so that no start of the shipped backend checks it again (registry/loader.ts).
execFileSync(process.execPath, ['--import', 'tsx', 'scripts/check-registry.ts', 'dist/tool-registry.yaml'], { stdio: 'inherit' });
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
