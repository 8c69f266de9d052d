import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import type { LocalHandler } from '../../backend/executors/local';
import { ProductOsError } from '../../backend/errors';
import { tempDir } from './backend';

const obj = (properties: object, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });

/** Tools that exist only in tests: slow, flaky, wrong output, chatty. */
const TEST_TOOLS = {
  'test.sleep': {
    title: 'Sleep',
    description: 'Waits ms milliseconds (not idempotent).',
    module: 'system',
    risk: 'low',
    idempotent: false,
    timeout_seconds: 2,
    executor: { kind: 'local', handler: 'test.sleep' },
    inputSchema: obj({ ms: { type: 'integer', minimum: 0 } }, ['ms']),
    outputSchema: obj({ slept: { type: 'integer' } }, ['slept']),
  },
  'test.sleep_idempotent': {
    title: 'Sleep (idempotent)',
    description: 'Waits ms milliseconds; safe to re-run.',
    module: 'system',
    risk: 'low',
    idempotent: true,
    timeout_seconds: 30,
    executor: { kind: 'local', handler: 'test.sleep' },
    inputSchema: obj({ ms: { type: 'integer', minimum: 0 } }, ['ms']),
    outputSchema: obj({ slept: { type: 'integer' } }, ['slept']),
  },
  'test.flaky': {
    title: 'Flaky',
    description: 'Fails with a retryable error the first `failures` attempts.',
    module: 'system',
    risk: 'low',
    idempotent: true,
    timeout_seconds: 10,
    max_attempts: 3,
    executor: { kind: 'local', handler: 'test.flaky' },
    inputSchema: obj({ failures: { type: 'integer' }, retryable: { type: 'boolean' } }, ['failures', 'retryable']),
    outputSchema: obj({ attempt: { type: 'integer' } }, ['attempt']),
  },
  'test.bad_output': {
    title: 'Bad output',
    description: 'Returns output that breaks its schema.',
    module: 'system',
    risk: 'low',
    idempotent: true,
    timeout_seconds: 10,
    executor: { kind: 'local', handler: 'test.bad_output' },
    inputSchema: obj({}),
    outputSchema: obj({ count: { type: 'integer' } }, ['count']),
  },
  'test.chatty': {
    title: 'Chatty',
    description: 'Reports progress and log lines, then waits.',
    module: 'system',
    risk: 'low',
    idempotent: true,
    timeout_seconds: 10,
    executor: { kind: 'local', handler: 'test.chatty' },
    inputSchema: obj({ lines: { type: 'integer' }, ms: { type: 'integer' } }, ['lines', 'ms']),
    outputSchema: obj({ lines: { type: 'integer' } }, ['lines']),
  },
};

/** The real registry plus the test tools, as a temp file for PRODUCT_OS_REGISTRY. */
export function testRegistryFile(): string {
  const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  Object.assign(doc.tools, TEST_TOOLS);
  const file = path.join(tempDir('product-os-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** Executions seen by test.sleep, for asserting that a run was (not) re-run. */
export const executions: string[] = [];

export const TEST_HANDLERS = new Map<string, LocalHandler>([
  [
    'test.sleep',
    async (input: { ms: number }, ctx) => {
      executions.push(ctx.run.id);
      await sleep(input.ms, ctx.signal);
      return { slept: input.ms };
    },
  ],
  [
    'test.flaky',
    async (input: { failures: number; retryable: boolean }, ctx) => {
      if (ctx.run.attempt <= input.failures) throw new ProductOsError('executor_failed', `flaky failure on attempt ${ctx.run.attempt}`, undefined, { retryable: input.retryable });
      return { attempt: ctx.run.attempt };
    },
  ],
  ['test.bad_output', async () => ({ count: 'many' })],
  [
    'test.chatty',
    async (input: { lines: number; ms: number }, ctx) => {
      for (let i = 1; i <= input.lines; i++) {
        await ctx.progress({ progress: i, total: input.lines, message: `step ${i}` });
        await ctx.log('info', `line ${i} from user bob@example.com`);
        await sleep(input.ms, ctx.signal);
      }
      return { lines: input.lines };
    },
  ],
]);
