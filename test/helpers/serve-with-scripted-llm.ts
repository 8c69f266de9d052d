/**
 * Test only: `product-os serve` whose local model is a ScriptedLlm, as its own process, for the
 * editor end-to-end test of Run Card (the editor is pointed at it with productOs.server.url).
 * The replies come from the JSON file named by PRODUCT_OS_TEST_LLM_SCRIPT (an array of values,
 * each one model answer); the production backend has no such setting.
 * Usage: PRODUCT_OS_TEST_LLM_SCRIPT=replies.json node --import tsx test/helpers/serve-with-scripted-llm.ts <dataDir>
 * Prints the ready line (with the token) on stdout.
 */
import * as fs from 'node:fs';
import { createBackend } from '../../backend/main';
import { ScriptedLlm } from './scripted-llm';

async function main() {
  const script = process.env.PRODUCT_OS_TEST_LLM_SCRIPT;
  if (!script) throw new Error('PRODUCT_OS_TEST_LLM_SCRIPT must name a JSON file of model replies');
  const replies = (JSON.parse(fs.readFileSync(script, 'utf8')) as unknown[]).map((json) => ({ json }));
  const backend = await createBackend({ overrides: { dataDir: process.argv[2], port: 0 }, llm: new ScriptedLlm(replies) });
  const url = await backend.listen();
  process.stdout.write(`${JSON.stringify({ event: 'ready', url, token: backend.token, pid: process.pid })}\n`);
  const stop = () => void backend.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
