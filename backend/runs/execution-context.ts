import type { CompiledTool, Registry } from '../../registry/loader';
import type { ExecutionContext } from '../executors/executor';
import type { Db, Queryable, Transaction } from '../store/db';
import { appendRunEvent, type StoredRun } from '../store/runs';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { RunEvent } from '../../contracts/rest';
import type { LlmProvider } from '../llm/provider';
import { metered } from '../llm/metered';
import { insertLlmUsage } from '../store/llm-usage';
import { ProductOsError } from '../errors';

/**
 * How a run's effect is committed together with its end (ExecutionContext.commit): the engine
 * opens the transaction, runs the handler's `fn` in it and writes the run's success there.
 */
export type CommitRunner = <T>(fn: (tx: Transaction) => Promise<T>, scope: TxScope) => Promise<T>;

/**
 * The transaction a run's `commit` has open, if any. Log and progress lines written meanwhile
 * go through it (on PGlite the database is one connection: a write beside the open
 * transaction would wait for it for ever) and are published only once it has committed.
 */
export class TxScope {
  tx: Transaction | null = null;
  pending: RunEvent[] = [];
}

/**
 * What an executor is handed for one run: progress and log lines become run events (log lines
 * masked in redacted debug mode, and copied to the logs), LLM use is recorded as token counts.
 */
export function executionContext(
  deps: { db: Db; config: Config; registry: Registry; logger: Logger; llm?: () => Promise<LlmProvider> },
  run: StoredRun,
  tool: CompiledTool,
  signal: AbortSignal,
  publish: (e: RunEvent) => void,
  commit: CommitRunner,
): ExecutionContext {
  const { db, config, registry, logger } = deps;
  const scope = new TxScope();
  const writer = (): Queryable => scope.tx ?? db;
  const emit = (e: RunEvent): void => {
    if (scope.tx) scope.pending.push(e);
    else publish(e);
  };
  return {
    run,
    tool,
    signal,
    db,
    config,
    registry,
    progress: async (p) => emit(await appendRunEvent(writer(), run.id, 'progress', logger.scrubValue(p))),
    log: async (level, message, fields = {}) => {
      const clean = logger.scrub(message, fields);
      emit(await appendRunEvent(writer(), run.id, 'log', { level, message: clean.message, ...clean.fields }));
      // The backend log is written beside the run, not in its transaction: not awaited while
      // one is open (on PGlite it waits for that transaction to end).
      const logged = logger.write(level, tool.name, message, { ...fields, runId: run.id });
      if (!scope.tx) await logged;
    },
    recordLlmUsage: async (model, promptTokens, completionTokens) => {
      await insertLlmUsage(writer(), run.id, { provider: 'unknown', model, promptTokens, completionTokens, durationMs: 0 });
    },
    commit: (fn) => commit(fn, scope),
    llm: async () => {
      if (!deps.llm) throw new ProductOsError('not_configured', 'no local model is configured: set PRODUCT_OS_LLM_URL (Ollama or an OpenAI-compatible server on this machine) or PRODUCT_OS_LLM_MODEL (a GGUF file)');
      // Each call's usage row (provider, model, token counts, duration) and nothing of its text.
      return metered(await deps.llm(), (u) => insertLlmUsage(writer(), run.id, u));
    },
  };
}
