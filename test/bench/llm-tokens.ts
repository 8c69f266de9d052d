import * as fs from 'node:fs';
import * as path from 'node:path';
import { envNumber, log, median, round, type BenchResult } from './bench';
import { ensureTinyGguf } from '../helpers/tiny-gguf';
import { ensureLlmWorkerImage } from '../helpers/llm-worker-image';
import { tempDir } from '../helpers/backend';
import { LlamaCppProvider } from '../../backend/llm/llama-cpp';
import { LlamaCppWorkerProvider } from '../../backend/llm/llm-worker';
import type { GenerateRequest, LlmProvider } from '../../backend/llm/provider';

/**
 * Generation speed through the LLM worker container (HTTP on the internal Docker network,
 * llama.cpp inside) against node-llama-cpp in this process: the same GGUF, prompt, thread
 * count and token budget, calls interleaved so both sides see the same machine. Tokens per
 * second = completion tokens ÷ wall time of the call (prompt evaluation included, on both
 * sides). Target: the worker keeps at least 90% of in-process speed.
 *
 * BENCH_LLM_GGUF=<file.gguf> measures a real model instead of the generated tiny one;
 * BENCH_LLM_THREADS (default 1), BENCH_LLM_TOKENS (default 512), BENCH_LLM_ROUNDS (default 5).
 */
export async function run(): Promise<BenchResult> {
  const threads = envNumber('BENCH_LLM_THREADS', 1);
  const maxTokens = envNumber('BENCH_LLM_TOKENS', 512);
  const rounds = envNumber('BENCH_LLM_ROUNDS', 5);
  const modelsDir = tempDir('product-os-bench-models-');
  fs.chmodSync(modelsDir, 0o755);
  let modelFile: string;
  if (process.env.BENCH_LLM_GGUF) {
    modelFile = path.basename(process.env.BENCH_LLM_GGUF);
    fs.linkSync(path.resolve(process.env.BENCH_LLM_GGUF), path.join(modelsDir, modelFile));
  } else {
    modelFile = path.basename(ensureTinyGguf(modelsDir));
  }
  log(`llm-tokens: ${modelFile}, ${threads} thread(s), ${maxTokens} tokens, ${rounds} rounds`);
  ensureLlmWorkerImage();
  const inProcess = new LlamaCppProvider({ modelPath: path.join(modelsDir, modelFile), threads, contextSize: 2048 });
  const worker = new LlamaCppWorkerProvider({ modelsDir, modelFile, threads, contextSize: 2048 });
  const req: GenerateRequest = {
    messages: [
      { role: 'system', content: 'You are a concise assistant for a solo founder.' },
      { role: 'user', content: 'Write the release notes for a version that adds a Kanban board, local models and a runs panel.' },
    ],
    maxTokens,
    temperature: 0,
    seed: 1,
  };
  const rate = async (p: LlmProvider): Promise<{ tps: number; tokens: number }> => {
    const t0 = performance.now();
    const out = await p.generate(req);
    const s = (performance.now() - t0) / 1000;
    return { tps: out.usage.completionTokens / s, tokens: out.usage.completionTokens };
  };
  try {
    const loadStart = performance.now();
    await inProcess.generate({ ...req, maxTokens: 4 });
    const inProcessLoadMs = performance.now() - loadStart;
    const workerStart = performance.now();
    await worker.generate({ ...req, maxTokens: 4 });
    const workerStartMs = performance.now() - workerStart;
    const a: number[] = [];
    const b: number[] = [];
    let tokens = 0;
    for (let i = 0; i < rounds; i++) {
      const w = await rate(worker);
      const l = await rate(inProcess);
      if (w.tokens !== l.tokens) throw new Error(`the two sides generated different token counts (${w.tokens} vs ${l.tokens}): not the same work`);
      tokens = w.tokens;
      a.push(w.tps);
      b.push(l.tps);
    }
    const ratio = median(a) / median(b);
    return {
      model: modelFile,
      threads,
      completion_tokens: tokens,
      rounds,
      worker_tokens_per_s: round(median(a), 1),
      in_process_tokens_per_s: round(median(b), 1),
      worker_start_ms: Math.round(workerStartMs),
      in_process_load_ms: Math.round(inProcessLoadMs),
      ratio: round(ratio, 3),
      target: '>=0.9',
      pass: ratio >= 0.9,
    };
  } finally {
    await worker.close();
    await inProcess.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
}
