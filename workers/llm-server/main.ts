import { LlamaCppEngine } from '../../backend/llm/llama-cpp';
import { llmServer } from './server';

/**
 * Entry of the LLM worker container: `node /app/llm-server.js --model /models/<file>.gguf
 * --threads N [--context N] [--port 8080]`. Loads the model before it reports ready on stdout
 * (one JSON line), serves until SIGTERM.
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const modelPath = arg('model');
  const threads = Number(arg('threads'));
  if (!modelPath || !Number.isInteger(threads) || threads < 1) throw new Error('usage: --model <file.gguf> --threads <n> [--context <n>] [--port <n>]');
  const engine = new LlamaCppEngine({ modelPath, threads, contextSize: arg('context') ? Number(arg('context')) : undefined, gpu: false });
  await engine.open();
  const server = llmServer(engine, modelPath.split('/').pop() ?? modelPath);
  const port = Number(arg('port') ?? 8080);
  server.listen(port, '0.0.0.0', () => process.stdout.write(`${JSON.stringify({ type: 'ready', port })}\n`));
  const stop = () => {
    server.close();
    engine.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ type: 'error', message: err.message.split('\n')[0].slice(0, 300) })}\n`);
  process.exit(1);
});
