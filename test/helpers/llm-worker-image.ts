import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Builds the LLM worker image if it is missing or stale (the build script skips an image with
 * the same content hash), under the shared workers lock. No Docker = a failed test, saying so.
 */
export function ensureLlmWorkerImage(): string {
  const root = path.resolve(__dirname, '../..');
  try {
    return execFileSync('flock', ['/tmp/workers.lock', process.execPath, path.join(root, 'scripts/build-llm-worker.mjs')], { cwd: root, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`the LLM worker image could not be built (needs a Docker engine: scripts/ensure-docker.sh): ${(e.stderr ?? e.message).trim()}`);
  }
}
