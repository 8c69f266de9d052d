import * as path from 'node:path';
import type { GenerateRequest, GenerateResult, LlmProvider } from './provider';
import { parseSchemaOutput } from './schema-output';
import { grammarSchema } from './grammar-schema';
import { ProductOsError } from '../errors';
import type { JsonSchema } from '../../contracts/json-schema';

type NodeLlamaCpp = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;
type LlamaContext = Awaited<ReturnType<LlamaModel['createContext']>>;
type LlamaSequence = ReturnType<LlamaContext['getSequence']>;
type LlamaGrammar = Awaited<ReturnType<Llama['createGrammarForJsonSchema']>>;
type ChatHistoryItem = import('node-llama-cpp').ChatHistoryItem;

export interface LlamaCppOptions {
  /** The GGUF file. */
  modelPath: string;
  /**
   * Threads for evaluation, always explicit: the library's default (every core) was measured
   * hundreds of times slower on a small shared machine (32 tokens: 8 s against 21 ms).
   */
  threads: number;
  contextSize?: number;
  /** false (CPU, the default) or 'cuda' / 'vulkan' / 'auto' where a GPU and its build exist. */
  gpu?: false | 'auto' | 'cuda' | 'vulkan';
}

interface Opened {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaSequence;
}

/** What one completion produced: its text and what it cost. Held by no one after the call. */
export interface LlamaCompletion {
  text: string;
  promptTokens: number;
  completionTokens: number;
  stoppedAtLimit: boolean;
}

/**
 * node-llama-cpp with one model and one context sequence. Loaded on first use (a few hundred
 * ms for the library, then the model), calls taken one at a time (the sequence is the
 * model's working memory; each call starts from an empty one), closed with `close`.
 * Used in-process by LlamaCppProvider and inside the LLM worker container by its server.
 */
export class LlamaCppEngine {
  private opened?: Promise<Opened>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new WeakMap<object, Promise<LlamaGrammar>>();

  constructor(readonly opts: LlamaCppOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new Error('LlamaCppEngine: threads must be a positive integer');
  }

  get modelName(): string {
    return path.basename(this.opts.modelPath);
  }

  open(): Promise<Opened> {
    this.opened ??= (async () => {
      // node-llama-cpp is an ES module with top-level await: loaded with import(), on first use.
      const lib: NodeLlamaCpp = await import('node-llama-cpp');
      const llama = await lib.getLlama({
        gpu: this.opts.gpu ?? false,
        build: 'never',
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        maxThreads: this.opts.threads,
        logLevel: lib.LlamaLogLevel.error,
        // llama.cpp's own messages are about the library, but nothing of it is kept as a log.
        logger: () => undefined,
      });
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath: this.opts.modelPath });
      } catch (err) {
        await llama.dispose().catch(() => undefined);
        throw new ProductOsError('not_configured', `the GGUF model ${this.modelName} could not be loaded: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
      }
      try {
        const context = await model.createContext({ contextSize: Math.min(this.opts.contextSize ?? 4096, model.trainContextSize), sequences: 1, threads: this.opts.threads });
        return { lib, llama, model, context, sequence: context.getSequence() };
      } catch (err) {
        // The model is loaded (its weights in memory): a context that cannot be made must not keep it there.
        await llama.dispose().catch(() => undefined);
        throw new ProductOsError('not_configured', `no context of ${this.opts.contextSize ?? 4096} tokens could be made for ${this.modelName}: ${(err as Error).message.split('\n')[0].slice(0, 200)} (PRODUCT_OS_LLM_CONTEXT)`);
      }
    })();
    // Forget only this attempt: after a close and a new open, a late failure must not drop the new one.
    const attempt = this.opened;
    attempt.catch(() => {
      if (this.opened === attempt) this.opened = undefined;
    });
    return attempt;
  }

  private grammarFor(llama: Llama, schema: JsonSchema): Promise<LlamaGrammar> {
    let g = this.grammars.get(schema as object);
    if (!g) {
      // The library's grammar covers the JSON Schema subset it knows (small integer ranges are
      // spelled as enums for it); the result is checked with Ajv afterwards either way.
      g = llama.createGrammarForJsonSchema(grammarSchema(schema) as Parameters<Llama['createGrammarForJsonSchema']>[0]);
      this.grammars.set(schema as object, g);
    }
    return g;
  }

  /** One chat completion; calls wait for each other. */
  complete(req: Pick<GenerateRequest, 'messages' | 'schema' | 'maxTokens' | 'temperature' | 'seed' | 'signal'>): Promise<LlamaCompletion> {
    const run = this.queue.then(() => this.completeNow(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async completeNow(req: Pick<GenerateRequest, 'messages' | 'schema' | 'maxTokens' | 'temperature' | 'seed' | 'signal'>): Promise<LlamaCompletion> {
    req.signal?.throwIfAborted();
    const { lib, llama, sequence } = await this.open();
    const grammar = req.schema ? await this.grammarFor(llama, req.schema) : undefined;
    const chat = new lib.LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
    const before = sequence.tokenMeter.getState();
    try {
      const history: ChatHistoryItem[] = req.messages.map((m) =>
        m.role === 'assistant' ? { type: 'model', response: [m.content] } : m.role === 'system' ? { type: 'system', text: m.content } : { type: 'user', text: m.content },
      );
      history.push({ type: 'model', response: [] });
      const res = await chat.generateResponse(history, {
        grammar,
        maxTokens: req.maxTokens ?? 1024,
        temperature: req.temperature ?? 0,
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
        signal: req.signal,
        stopOnAbortSignal: false,
      });
      const used = sequence.tokenMeter.diff(before);
      return { text: res.response, promptTokens: used.usedInputTokens, completionTokens: used.usedOutputTokens, stoppedAtLimit: res.metadata.stopReason === 'maxTokens' };
    } catch (err) {
      if (req.signal?.aborted) throw new ProductOsError('cancelled', 'the model call was cancelled');
      throw new ProductOsError('executor_failed', `llama.cpp failed on ${this.modelName}: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
    } finally {
      chat.dispose({ disposeSequence: false });
      await sequence.clearHistory();
    }
  }

  async close(): Promise<void> {
    // Calls already queued finish first, on the model they were queued for. (Clearing `opened`
    // before they ran made the next of them load the model again, and that copy was never freed.)
    for (let q = this.queue; ; q = this.queue) {
      await q;
      if (q === this.queue) break;
    }
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    const o = await opened.catch(() => null);
    await o?.llama.dispose();
  }
}

/** llama.cpp in this process: the bench's reference and a choice where Docker is absent. */
export class LlamaCppProvider implements LlmProvider {
  readonly provider = 'llama.cpp';
  readonly engine: LlamaCppEngine;
  constructor(opts: LlamaCppOptions) {
    this.engine = new LlamaCppEngine(opts);
  }

  get model(): string {
    return this.engine.modelName;
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const out = await this.engine.complete(req);
    const usage = { provider: this.provider, model: this.model, promptTokens: out.promptTokens, completionTokens: out.completionTokens, durationMs: Math.round(performance.now() - started) };
    const json = req.schema ? parseSchemaOutput(out.text, req.schema, `llama.cpp model ${this.model}`, out.stoppedAtLimit, usage) : undefined;
    return { text: out.text, json, usage };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
