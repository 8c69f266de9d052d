// Bundles the webview panels with esbuild into dist/webviews/: one IIFE per panel
// (<kind>.js), the shared stylesheet (common.css) and the codicon font (codicons/).
// Called by scripts/build.mjs (`await buildWebviews({ production })`), or on its own:
//   node webviews/build.mjs [--production]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const PANELS = ['kanban', 'brain', 'insights', 'runs', 'serviceMap'];

export async function buildWebviews({ production = false, outdir = join(root, 'dist', 'webviews') } = {}) {
  // Start clean, so a production build carries no source maps left by a development one.
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'codicons'), { recursive: true });
  await build({
    entryPoints: Object.fromEntries(PANELS.map((p) => [p, join(root, 'webviews', p, 'main.ts')])),
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome114'],
    sourcemap: production ? false : 'linked',
    minify: production,
    legalComments: production ? 'linked' : 'inline',
    define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'webviews', 'common', 'styles.css'), join(outdir, 'common.css'));
  const codicons = join(root, 'node_modules', '@vscode', 'codicons', 'dist');
  copyFileSync(join(codicons, 'codicon.css'), join(outdir, 'codicons', 'codicon.css'));
  copyFileSync(join(codicons, 'codicon.ttf'), join(outdir, 'codicons', 'codicon.ttf'));
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildWebviews({ production: process.argv.includes('--production') });
}
