/**
 * A backend with the Docker executor and the Docker test tools, as its own process (so a test
 * can kill -9 it mid-job). Usage: node --import tsx test/helpers/docker-serve.ts <dataDir> [poolSize]
 * Prints the same ready line as `product-os serve`, plus its instance id.
 */
import { startDockerBackend } from './docker';
import { WORKER_IMAGE_REF } from '../../backend/executors/docker-images';

async function main() {
  const poolSize = Number(process.argv[3] ?? 0);
  const t = await startDockerBackend({ dataDir: process.argv[2], executor: { pool: { [WORKER_IMAGE_REF]: poolSize } } });
  await t.executor.poolReady(60_000);
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: t.url, token: t.token, instanceId: t.instanceId })}\n`);
  const stop = () => void t.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
