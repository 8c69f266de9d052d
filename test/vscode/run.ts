/**
 * `npm run test:vscode`: the integration suite inside a real VS Code, through
 * @vscode/test-electron. Builds the extension, bundles the suite, downloads VS Code (or uses
 * VSCODE_EXECUTABLE), and runs it with only this extension on a scratch workspace.
 *
 *   VSCODE_EXECUTABLE=/path/to/code   use an installed VS Code instead of downloading one
 *   VSCODE_VERSION=1.101.0            the version to download (default: stable)
 *
 * Where VS Code cannot be downloaded (no network), it says so and exits 1; it is not part of
 * `npm test`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const root = path.join(__dirname, '..', '..');

async function main(): Promise<number> {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  const outDir = path.join(root, 'out', 'test-vscode');
  await build({
    entryPoints: { suite: path.join(__dirname, 'suite', 'index.ts') },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });

  let vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  if (!vscodeExecutablePath) {
    const version = process.env.VSCODE_VERSION ?? 'stable';
    try {
      vscodeExecutablePath = await downloadAndUnzipVSCode({ version, cachePath: path.join(root, 'out', 'vscode-test'), timeout: 60_000 });
    } catch (err) {
      process.stderr.write(
        [
          '',
          `test:vscode: could not download VS Code ${version}: ${(err as Error).message}`,
          'This suite needs a VS Code build. On a machine without network access, point it at an',
          'installed one:  VSCODE_EXECUTABLE=/path/to/code npm run test:vscode',
          '',
        ].join('\n'),
      );
      return 1;
    }
  }
  if (!fs.existsSync(vscodeExecutablePath)) {
    process.stderr.write(`test:vscode: VSCODE_EXECUTABLE ${vscodeExecutablePath} does not exist\n`);
    return 1;
  }

  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-vscode-ws-'));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-vscode-user-'));
  try {
    return await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(outDir, 'suite.js'),
      launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust', `--user-data-dir=${userData}`],
      extensionTestsEnv: { PRODUCT_OS_TEST_WORKSPACE: workspace },
    });
  } catch (err) {
    process.stderr.write(`test:vscode: VS Code exited with a failure: ${(err as Error).message}\n`);
    return 1;
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:vscode: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
