import type { CompiledTool, Registry } from '../../registry/loader';
import type { StoredRun } from '../store/runs';
import type { LogLevel, ProgressEventData } from '../../contracts/rest';
import type { Db, Transaction } from '../store/db';
import type { Config } from '../config';
import type { LlmProvider } from '../llm/provider';

/** What an executor may do while it runs a tool. */
export interface ExecutionContext {
  run: StoredRun;
  tool: CompiledTool;
  /** Aborted on cancel, timeout or shutdown; `signal.reason` says which. */
  signal: AbortSignal;
  db: Db;
  config: Config;
  registry: Registry;
  progress(p: ProgressEventData): Promise<void>;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): Promise<void>;
  /** Token counts only: there is no parameter for prompt or completion text, by design. */
  recordLlmUsage(model: string, promptTokens: number, completionTokens: number): Promise<void>;
  /**
   * The configured local model, metered for this run: every `generate` records its token
   * counts against the run. Throws `not_configured` (naming the setting) when no local model
   * is configured.
   */
  llm(): Promise<LlmProvider>;
  /**
   * Runs `fn` in the transaction that also records this run as succeeded, with what `fn`
   * returns as its output (validated against the outputSchema inside the transaction). A
   * handler that writes does so only through `tx`, and returns what `commit` returns: the
   * effect and the run's end are then one commit, so crash recovery can never see one without
   * the other. If `fn` throws, the output is invalid, or the run was cancelled or timed out
   * meanwhile, everything rolls back. Once per run. `log` and `progress` called inside `fn`
   * are written in the same transaction.
   */
  commit<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

export type Availability = { available: true } | { available: false; code: 'not_implemented' | 'not_configured'; reason: string };

export interface Executor {
  availability(tool: CompiledTool): Availability;
  execute(ctx: ExecutionContext): Promise<unknown>;
}

export type AbortReason = 'cancel' | 'timeout' | 'shutdown';
