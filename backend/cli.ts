import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { createBackend, VERSION, type Backend } from './main';
import { ConfigError, type Overrides } from './config';
import { remoteToken } from './remote-token';
import { RegistryError } from '../registry/loader';
import { ProductOsError } from './errors';
import { seedDemo } from './demo';
import type { Run } from '../contracts/rest';
import { TERMINAL_STATUSES } from '../contracts/rest';
import { runMcpStdio } from './mcp/stdio';
import { formatReadyLine } from '../contracts/ready-line';

const USAGE = `product-os ${VERSION}

  product-os serve [--host 127.0.0.1] [--port 7331] [--data DIR] [--role all|executor]
  product-os call <tool> --input '<json>' [--data DIR] [--idempotency-key K] [--correlation-id C]
  product-os demo [--data DIR]
  product-os mcp --stdio [--data DIR]

Environment: PRODUCT_OS_URL and PRODUCT_OS_TOKEN make 'call' and 'mcp' use a running backend;
see GET /config/validate for every setting.`;

/** Exit codes: 0 ok, 1 the run did not succeed, 2 bad usage or input, 3 awaiting approval. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'call':
      return call(rest);
    case 'demo':
      return demo(rest);
    case 'mcp':
      return mcp(rest);
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function dataOverride(data: string | undefined): Overrides {
  return data === undefined ? {} : { dataDir: path.resolve(data) };
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' }, role: { type: 'string' } });
  const overrides: Overrides = { ...dataOverride(values.data) };
  if (values.host !== undefined) overrides.host = values.host;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
    overrides.port = Number(values.port);
  }
  if (values.role !== undefined) {
    if (values.role !== 'all' && values.role !== 'executor') throw new UsageError(`--role must be all or executor, got "${values.role}"`);
    overrides.role = values.role;
  }
  // Signals are taken from the start: a supervisor may stop us right after the ready line.
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  const backend = await createBackend({ overrides });
  const url = await backend.listen();
  process.stdout.write(formatReadyLine({ event: 'ready', url, mcp: `${url}/mcp`, pid: process.pid, dataDir: backend.config.dataDir, store: backend.db.kind }));
  await stopped;
  await backend.close();
  return 0;
}

async function call(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { input: { type: 'string' }, data: { type: 'string' }, 'idempotency-key': { type: 'string' }, 'correlation-id': { type: 'string' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('call needs exactly one tool name: product-os call <tool> --input \'<json>\'');
  let input: unknown = {};
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`--input is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('--input must be a JSON object');
  const request = { tool: positionals[0], input: input as Record<string, unknown>, idempotencyKey: values['idempotency-key'], correlationId: values['correlation-id'] };
  const run = process.env.PRODUCT_OS_URL ? await callRemote(process.env.PRODUCT_OS_URL, values.data, request) : await callEmbedded(values.data, request);
  return report(run);
}

async function callEmbedded(data: string | undefined, request: { tool: string; input: Record<string, unknown>; idempotencyKey?: string; correlationId?: string }): Promise<Run> {
  const backend = await createBackend({ overrides: { ...dataOverride(data), port: 0 }, stderr: quietStderr });
  try {
    const { run } = await backend.engine.submit({ ...request, caller: 'cli' });
    if (run.status === 'awaiting_approval') return run;
    return await backend.engine.waitForTerminal(run.id);
  } finally {
    await backend.close();
  }
}

async function callRemote(base: string, data: string | undefined, request: object): Promise<Run> {
  const token = remoteToken(data);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-product-os-caller': 'cli' };
  const api = async (method: string, p: string, body?: object): Promise<Run> => {
    let res: Response;
    let json: Run & { error?: { code: string; message: string; details?: unknown } };
    try {
      res = await fetch(new URL(p, base), { method, headers, body: body ? JSON.stringify(body) : undefined });
      json = (await res.json()) as typeof json;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ProductOsError('not_configured', `no Product OS backend answers at PRODUCT_OS_URL=${base} (${cause})`);
    }
    if (!res.ok) throw new ProductOsError((json.error?.code ?? 'internal') as never, json.error?.message ?? `HTTP ${res.status}`, json.error?.details);
    return json;
  };
  let run = await api('POST', '/api/runs', request);
  for (let delay = 50; !TERMINAL_STATUSES.has(run.status) && run.status !== 'awaiting_approval'; delay = Math.min(delay * 2, 500)) {
    await new Promise((r) => setTimeout(r, delay));
    run = await api('GET', `/api/runs/${run.id}`);
  }
  return run;
}

function report(run: Run): number {
  if (run.status === 'succeeded') {
    process.stdout.write(`${JSON.stringify(run.output, null, 2)}\n`);
    return 0;
  }
  if (run.status === 'awaiting_approval') {
    process.stderr.write(`run ${run.id} is awaiting approval: approve it in the Runs panel or with POST /api/runs/${run.id}/approve\n`);
    process.stdout.write(`${JSON.stringify({ runId: run.id, status: run.status })}\n`);
    return 3;
  }
  process.stderr.write(`run ${run.id} ${run.status}: ${run.error ? `${run.error.code}: ${run.error.message}` : ''}\n`);
  process.stdout.write(`${JSON.stringify({ runId: run.id, status: run.status, error: run.error ?? null })}\n`);
  return 1;
}

async function demo(args: string[]): Promise<number> {
  const { values } = parse(args, { data: { type: 'string' } });
  const backend: Backend = await createBackend({ overrides: { ...dataOverride(values.data), port: 0 }, stderr: quietStderr });
  try {
    const result = await seedDemo(backend);
    process.stdout.write(`${JSON.stringify({ event: 'demo', dataDir: backend.config.dataDir, ...result })}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}

async function mcp(args: string[]): Promise<number> {
  const { values } = parse(args, { stdio: { type: 'boolean' }, data: { type: 'string' } });
  if (!values.stdio) throw new UsageError('mcp needs --stdio (the HTTP endpoint is /mcp on `product-os serve`)');
  await runMcpStdio({ overrides: dataOverride(values.data), stderr: quietStderr });
  return 0;
}

/** One-shot commands keep stdout for their result; only warnings and errors reach stderr. */
function quietStderr(line: string): void {
  if (/"level":"(warn|error)"/.test(line)) process.stderr.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`product-os: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError || err instanceof RegistryError || err instanceof ProductOsError) process.stderr.write(`product-os: ${err.message}\n`);
    else process.stderr.write(`product-os: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(err instanceof ProductOsError && err.code !== 'invalid_input' && err.code !== 'unknown_tool' ? 1 : 2);
  },
);
