import type { JSONSchema7 } from './json-schema';

export type Risk = 'low' | 'medium' | 'high';
export type ToolModule = 'code' | 'brain' | 'analytics' | 'marketing' | 'ops' | 'cards' | 'events' | 'system';

export type ExecutorSpec =
  | { kind: 'local'; handler: string }
  | {
      kind: 'docker';
      image: string;
      task: string;
      network: 'none' | 'llm';
      resources: { memory_mb: number; cpus: number; pids: number };
    }
  | { kind: 'http'; url: string; path: string; fallback?: 'local' };

/** One entry of `tool-registry.yaml`, as the meta-schema guarantees it. */
export interface ToolSpec {
  title: string;
  description: string;
  module: ToolModule;
  risk: Risk;
  idempotent: boolean;
  timeout_seconds: number;
  max_attempts?: number;
  executor: ExecutorSpec;
  inputSchema: JSONSchema7;
  outputSchema: JSONSchema7;
}

export interface RegistryFile {
  version: 1;
  tools: Record<string, ToolSpec>;
}
