// Bundles the backend CLI, the editor extension (and, as they arrive, the webviews) with esbuild.
// Each entry of BUILDS is one bundle; add an entry to add a bundle. The registry YAML travels
// next to the CLI bundle, where the loader looks for it.
//
//   node scripts/build.mjs                 development (source maps)
//   node scripts/build.mjs --production    minified, no source maps (what `npm run package` ships)
import { build } from 'esbuild';
import { buildWebviews } from '../webviews/build.mjs';
import { cpSync, mkdirSync, chmodSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');

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
    external: ['@electric-sql/pglite', 'pg-native', '*.node', 'cpu-features', 'node-llama-cpp'],
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
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
