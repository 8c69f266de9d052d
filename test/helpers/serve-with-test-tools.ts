/**
 * `product-os serve` with the test tools wired in, as its own process (so tests can kill -9 it).
 * Usage: node --import tsx test/helpers/serve-with-test-tools.ts <dataDir>
 * Prints the same ready line as the real CLI.
 */
import { createBackend } from '../../backend/main';
import { TEST_HANDLERS } from './test-tools';

async function main() {
  const backend = await createBackend({ overrides: { dataDir: process.argv[2], port: 0 }, handlers: TEST_HANDLERS });
  const url = await backend.listen();
  process.stdout.write(`${JSON.stringify({ event: 'ready', url, mcp: `${url}/mcp` })}\n`);
  const stop = () => void backend.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
