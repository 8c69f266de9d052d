import type { CompiledTool, Registry } from '../../registry/loader';
import type { StoredRun } from '../store/runs';
import type { LogLevel, ProgressEventData } from '../api/protocol';
import type { Db } from '../store/db';
import type { Config } from '../config';

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
}

export type Availability = { available: true } | { available: false; code: 'not_implemented' | 'not_configured'; reason: string };

export interface Executor {
  availability(tool: CompiledTool): Availability;
  execute(ctx: ExecutionContext): Promise<unknown>;
}

export type AbortReason = 'cancel' | 'timeout' | 'shutdown';
