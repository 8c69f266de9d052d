// Bundles the backend CLI (and, as they arrive, the extension and webviews) with esbuild.
// The registry YAML travels next to the bundle, where the loader looks for it.
import { build } from 'esbuild';
import { cpSync, mkdirSync, chmodSync } from 'node:fs';

const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: { cli: 'backend/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  banner: { js: '#!/usr/bin/env node' },
  // PGlite loads its WASM and data files from its own package folder; pg's native binding is optional.
  external: ['@electric-sql/pglite', 'pg-native'],
  logLevel: 'warning',
});
cpSync('registry/tool-registry.yaml', 'dist/tool-registry.yaml');
chmodSync('dist/cli.js', 0o755);
