import type { CompiledTool, Registry } from '../../registry/loader';
import type { ExecutionContext } from '../executors/executor';
import type { Db } from '../store/db';
import { appendRunEvent, type StoredRun } from '../store/runs';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { RunEvent } from '../api/protocol';

/**
 * What an executor is handed for one run: progress and log lines become run events (log lines
 * masked in redacted debug mode, and copied to the logs), LLM use is recorded as token counts.
 */
export function executionContext(
  deps: { db: Db; config: Config; registry: Registry; logger: Logger },
  run: StoredRun,
  tool: CompiledTool,
  signal: AbortSignal,
  publish: (e: RunEvent) => void,
): ExecutionContext {
  const { db, config, registry, logger } = deps;
  return {
    run,
    tool,
    signal,
    db,
    config,
    registry,
    progress: async (p) => publish(await appendRunEvent(db, run.id, 'progress', p)),
    log: async (level, message, fields = {}) => {
      const clean = logger.scrub(message, fields);
      publish(await appendRunEvent(db, run.id, 'log', { level, message: clean.message, ...clean.fields }));
      await logger.write(level, tool.name, message, { ...fields, runId: run.id });
    },
    recordLlmUsage: async (model, promptTokens, completionTokens) => {
      await db.query('INSERT INTO llm_usage (run_id, model, prompt_tokens, completion_tokens) VALUES ($1, $2, $3, $4)', [run.id, model, promptTokens, completionTokens]);
    },
  };
}
