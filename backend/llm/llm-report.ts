import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SettingReport } from '../config';
import type { LlmConfig } from './llm-settings';
import { WORKER_UID } from '../../contracts/worker-protocol';

/**
 * What /config/validate says about the model setting beyond its syntax: whether the settings
 * together name a model that can run — an endpoint and a model name for a server, or a GGUF
 * file that is in the models folder (and readable by the worker's uid, for the container).
 * null when no model is configured and none is asked for.
 */
export function llmModelReport(c: LlmConfig): SettingReport | null {
  const base = { name: 'PRODUCT_OS_LLM_MODEL', required: false, ...(c.model ? { value: c.model } : {}) };
  const invalid = (message: string): SettingReport => ({ ...base, status: 'invalid', message });
  switch (c.provider) {
    case null:
      return null;
    case 'ollama':
    case 'openai-compatible':
      if (!c.url) return invalid(`PRODUCT_OS_LLM_PROVIDER is ${c.provider}, which needs PRODUCT_OS_LLM_URL (the server on this machine)`);
      if (!c.model) return invalid(`PRODUCT_OS_LLM_MODEL is not set: name the model the ${c.provider} server should run`);
      return { ...base, status: 'ok', message: `in use: ${c.model} on the ${c.provider} server at PRODUCT_OS_LLM_URL` };
    case 'llama.cpp':
    case 'llama.cpp-worker': {
      if (!c.model || !c.model.toLowerCase().endsWith('.gguf')) return invalid(`PRODUCT_OS_LLM_PROVIDER is ${c.provider}, which needs PRODUCT_OS_LLM_MODEL to name a .gguf file in the models folder (${c.modelsDir})`);
      const dir = path.resolve(c.modelsDir);
      const file = path.resolve(dir, c.model);
      if (path.relative(dir, file).startsWith('..')) return invalid(`PRODUCT_OS_LLM_MODEL must name a file inside the models folder (PRODUCT_OS_MODELS, ${dir})`);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) return invalid(`PRODUCT_OS_LLM_MODEL: ${path.relative(dir, file)} is not a file in the models folder (${dir}); put the GGUF there or set PRODUCT_OS_MODELS`);
      const where = c.provider === 'llama.cpp' ? 'in the backend process' : 'in the LLM worker container';
      if (c.provider === 'llama.cpp-worker' && !readableBy(st, 4)) return invalid(`${file} is not readable by the worker, which runs as uid ${WORKER_UID}: chmod o+r it (and o+rx its folder)`);
      return { ...base, status: 'ok', message: `in use: ${path.relative(dir, file)} (${Math.round(st.size / 1048576)} MiB) with llama.cpp ${where}, ${c.threads} thread${c.threads === 1 ? '' : 's'}, ${c.contextSize} tokens of context` };
    }
  }
}

function readableBy(st: fs.Stats, bit: number): boolean {
  const bits = st.uid === WORKER_UID ? (st.mode >> 6) & 7 : st.gid === WORKER_UID ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & bit) === bit;
}
