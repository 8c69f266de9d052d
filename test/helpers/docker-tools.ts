import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import { tempDir } from './backend';
import type { CompiledTool } from '../../registry/loader';
import type { Config } from '../../backend/config';
import { defaultMounts, type MountRequest } from '../../backend/executors/docker-mounts';

const obj = (properties: object, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const docker = (task: string, resources = { memory_mb: 128, cpus: 0.5, pids: 32 }, image = 'product-os/worker') => ({
  kind: 'docker',
  image,
  task,
  network: 'none',
  resources,
});
const tool = (title: string, description: string, executor: object, timeout_seconds: number, inputSchema: object, outputSchema: object) => ({
  title,
  description,
  module: 'system',
  risk: 'low',
  idempotent: false,
  timeout_seconds,
  executor,
  inputSchema,
  outputSchema,
});

const ECHO_IN = obj({ message: { type: 'string' }, n: { type: 'integer' } }, ['message']);
const SLEEP_IN = obj({ ms: { type: 'integer', minimum: 0 } }, ['ms']);
const SLEPT = obj({ slept: { type: 'integer' } }, ['slept']);

/** Tools that exist only in the Docker worker tests: each runs a test task of the worker image. */
export const DOCKER_TEST_TOOLS = {
  'test.docker_echo': tool('Docker echo', 'Returns its input from a worker.', docker('echo'), 30, ECHO_IN, ECHO_IN),
  'test.docker_echo_big': tool('Docker echo (other limits)', 'Returns its input from a worker with other limits.', docker('echo', { memory_mb: 192, cpus: 1, pids: 48 }), 30, ECHO_IN, ECHO_IN),
  'test.docker_sleep': tool('Docker sleep', 'Sleeps in a worker.', docker('sleep'), 60, SLEEP_IN, SLEPT),
  'test.docker_sleep_short': tool('Docker sleep (2 s limit)', 'Sleeps in a worker, with a 2 s timeout.', docker('sleep'), 2, SLEEP_IN, SLEPT),
  'test.docker_hardening': tool('Docker hardening probe', 'Sleeps in a worker that has a read-only mount and an output folder.', docker('sleep'), 60, SLEEP_IN, SLEPT),
  'test.docker_allocate': tool(
    'Docker allocate',
    'Allocates memory in a worker limited to 64 MiB.',
    docker('allocate', { memory_mb: 64, cpus: 1, pids: 32 }),
    60,
    obj({ mb: { type: 'integer', minimum: 0 } }, ['mb']),
    obj({ allocated_mb: { type: 'integer' } }, ['allocated_mb']),
  ),
  'test.docker_log_lines': tool(
    'Docker log lines',
    'Prints log lines from a worker, some time apart.',
    docker('log_lines'),
    60,
    obj({ lines: { type: 'integer', minimum: 0 }, ms: { type: 'integer', minimum: 0 } }, ['lines']),
    obj({ lines: { type: 'integer' } }, ['lines']),
  ),
  'test.docker_forbidden': tool('Docker forbidden image', 'Names an image that is not allowlisted.', docker('echo', undefined, 'evil/miner:latest'), 30, ECHO_IN, ECHO_IN),
  'test.docker_llm_net': tool('Docker sleep on the LLM network', 'Sleeps in a worker on the internal LLM network.', { ...docker('sleep'), network: 'llm' }, 60, SLEEP_IN, SLEPT),
  'test.docker_gpu': tool('Docker GPU image', 'Names an image that needs a GPU.', docker('echo', undefined, 'product-os/test-gpu:1'), 30, ECHO_IN, ECHO_IN),
  'test.docker_extra': tool('Docker extra image', 'Names an image allowlisted in the store.', docker('echo', undefined, 'product-os/test-extra:1'), 30, ECHO_IN, ECHO_IN),
};

/** The real registry plus the Docker test tools, as a temp file for PRODUCT_OS_REGISTRY. */
export function dockerRegistryFile(): string {
  const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  Object.assign(doc.tools, DOCKER_TEST_TOOLS);
  const file = path.join(tempDir('product-os-docker-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}

/** The executor's mount policy in the tests: the hardening probe also gets `dir` read-only at /data. */
export function mountsForTests(dir: string): (tool: CompiledTool, config: Config) => MountRequest[] {
  return (tool, config) => (tool.name === 'test.docker_hardening' ? [{ source: dir, target: '/data' }] : defaultMounts(tool, config));
}
