import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { createBackend, VERSION, type Backend } from './main';
import { usePrivateUmask } from './private-files';
import { ConfigError, type Overrides } from './config';
import { RegistryError } from '../registry/loader';
import { ProductOsError } from './errors';
import { seedDemo } from './demo';
import { EVENTS_USAGE, parseFormat, parseOnError, runEventsImport } from './events-import-cli';
import type { Run, ToolInfo } from '../contracts/rest';
import { openTarget, type CallRequest, type CliTarget } from './cli-target';
import { didYouMean } from './did-you-mean';
import { runMcpStdio } from './mcp/stdio';
import { formatReadyLine, type ExecutorReadyLine, type ReadyLine } from '../contracts/ready-line';
import { executorRoutes } from './api/executor-server';
import { readBlueprintFile } from './blueprint/load-file';
import { formatChanges } from './blueprint/diff';
import type { ApplyBlueprintOutput } from '../contracts/blueprint';
import { readHandoff } from './secrets/handoff';
import { diagnostic } from './diagnostics';

const USAGE = `product-os ${VERSION}

  product-os serve [--host 127.0.0.1] [--port 7331] [--data DIR] [--role all|executor] [--secrets-stdin]
  product-os tools [--json] [--data DIR]
  product-os call <tool> --input '<json>' [--data DIR] [--idempotency-key K] [--correlation-id C]
  product-os call <tool> --help
  product-os approve <run-id> [--reason TEXT] [--data DIR]
  product-os deny <run-id> [--reason TEXT] [--data DIR]
  product-os blueprint apply [--dry-run] [--data DIR] FILE
  product-os demo [--data DIR]
  product-os events import FILE [--on-error stop|skip] [--format csv|jsonl|parquet] [--data DIR]
  product-os mcp --stdio [--data DIR]

Environment: PRODUCT_OS_URL and PRODUCT_OS_TOKEN make 'tools', 'call', 'approve', 'deny' and
'mcp' use a running backend; see GET /config/validate for every setting.`;

const CALL_USAGE = `product-os call <tool> --input '<json>' [--data DIR] [--idempotency-key K] [--correlation-id C]

  Runs one tool and prints its output as JSON. Exit codes: 0 succeeded, 1 the run did not
  succeed, 2 bad usage or input, 3 waiting for approval (then: product-os approve <run-id>).
  'product-os tools' lists the tools; 'product-os call <tool> --help' shows one tool's input.`;

/** Exit codes: 0 ok, 1 the run did not succeed, 2 bad usage or input, 3 awaiting approval. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'call':
      return call(rest);
    case 'tools':
      return tools(rest);
    case 'approve':
    case 'deny':
      return decide(command, rest);
    case 'blueprint':
      return blueprint(rest);
    case 'demo':
      return demo(rest);
    case 'events':
      return events(rest);
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
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' }, role: { type: 'string' }, 'secrets-stdin': { type: 'boolean' } });
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
  // This process is the backend: what it writes is the user's alone (issue 8, item 3).
  usePrivateUmask();
  // Signals are taken from the start: a supervisor may stop us right after the ready line.
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  // The editor's stored secrets arrive as the first stdin line, never in argv, env or a file.
  const editorSecrets = values['secrets-stdin'] ? await readHandoff(process.stdin, 10_000) : undefined;
  const backend = await createBackend({ overrides, editorSecrets });
  const url = await backend.listen();
  process.stdout.write(formatReadyLine(readyLine(backend, url)));
  await stopped;
  await backend.close();
  return 0;
}

/** What this backend serves: the editor API and /mcp, or (`--role executor`) only its executor routes. */
function readyLine(backend: Backend, url: string): ReadyLine | ExecutorReadyLine {
  const about = { pid: process.pid, dataDir: backend.config.dataDir, store: backend.db.kind };
  if (backend.config.role === 'executor') return { event: 'ready', role: 'executor', url, serves: executorRoutes(backend.registry), ...about };
  return { event: 'ready', url, mcp: `${url}/mcp`, ...about };
}

async function call(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { input: { type: 'string' }, data: { type: 'string' }, 'idempotency-key': { type: 'string' }, 'correlation-id': { type: 'string' }, help: { type: 'boolean' } },
    true,
  );
  if (values.help && positionals.length === 0) {
    process.stdout.write(`${CALL_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('call needs exactly one tool name: product-os call <tool> --input \'<json>\' (product-os tools lists them)');
  let input: unknown = {};
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`--input is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError('--input must be a JSON object');
  const request: CallRequest = { tool: positionals[0], input: input as Record<string, unknown>, idempotencyKey: values['idempotency-key'], correlationId: values['correlation-id'] };
  return withTarget(values.data, async (target) => {
    const known = await target.tools();
    const tool = known.find((t) => t.name === request.tool);
    if (!tool) {
      const guess = didYouMean(request.tool, known.map((t) => t.name));
      throw new ProductOsError('unknown_tool', `no tool named "${request.tool}"${guess ? `; did you mean ${guess}?` : ''} ('product-os tools' lists them)`, { tool: request.tool });
    }
    if (values.help) {
      process.stdout.write(`${describeTool(tool)}\n`);
      return 0;
    }
    return report(await target.call(request));
  });
}

async function withTarget(data: string | undefined, fn: (target: CliTarget) => Promise<number>): Promise<number> {
  const target = await openTarget(data, quietStderr);
  try {
    return await fn(target);
  } finally {
    await target.close();
  }
}

async function tools(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, data: { type: 'string' } });
  return withTarget(values.data, async (target) => {
    const list = (await target.tools()).sort((a, b) => a.name.localeCompare(b.name));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(list.map(({ name, title, risk, available, unavailableReason }) => ({ name, title, risk, available, ...(unavailableReason ? { unavailableReason } : {}) })), null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...list.map((t) => t.name.length));
    for (const t of list) {
      const note = t.available ? '' : `  (cannot run here: ${t.unavailableReason ?? 'not available'})`;
      process.stdout.write(`${t.name.padEnd(width)}  ${t.risk.padEnd(6)}  ${t.title}${note}\n`);
    }
    return 0;
  });
}

/** One tool's help: what it does, its risk, and its input fields from the input schema. */
function describeTool(tool: ToolInfo): string {
  const schema = tool.inputSchema as { properties?: Record<string, { type?: unknown; description?: string }>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(
    ([name, p]) => `  ${name}${required.has(name) ? '' : '?'}  ${Array.isArray(p.type) ? p.type.join('|') : String(p.type ?? 'any')}${p.description ? `  ${p.description}` : ''}`,
  );
  const example = Object.fromEntries([...required].map((k) => [k, '…']));
  return [
    `${tool.name}: ${tool.title} (${tool.risk} risk)${tool.available ? '' : ` — cannot run here: ${tool.unavailableReason ?? 'not available'}`}`,
    tool.description,
    '',
    fields.length ? `input (? = optional):\n${fields.join('\n')}` : 'input: {}',
    '',
    `product-os call ${tool.name} --input '${JSON.stringify(example)}'`,
  ].join('\n');
}

async function decide(decision: 'approve' | 'deny', args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { reason: { type: 'string' }, data: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError(`${decision} needs exactly one run id: product-os ${decision} <run-id> [--reason TEXT]`);
  return withTarget(values.data, async (target) => {
    const run = await target.decide(positionals[0], decision, values.reason);
    if (decision === 'deny') {
      process.stdout.write(`${JSON.stringify({ runId: run.id, status: run.status, denied: true })}\n`);
      return 0;
    }
    return report(run);
  });
}

function report(run: Run): number {
  if (run.status === 'succeeded') {
    process.stdout.write(`${JSON.stringify(run.output, null, 2)}\n`);
    return 0;
  }
  if (run.status === 'awaiting_approval') {
    process.stderr.write(diagnostic(`run ${run.id} is awaiting approval: approve it in the Runs panel, or with product-os approve ${run.id} (deny: product-os deny ${run.id})\n`));
    process.stdout.write(`${JSON.stringify({ runId: run.id, status: run.status })}\n`);
    return 3;
  }
  process.stderr.write(diagnostic(`run ${run.id} ${run.status}: ${run.error ? `${run.error.code}: ${run.error.message}` : ''}\n`));
  process.stdout.write(`${JSON.stringify({ runId: run.id, status: run.status, error: run.error ?? null })}\n`);
  return 1;
}

/**
 * `blueprint apply [--dry-run] FILE`: the file checked here first (errors name line and JSON
 * pointer), the plan printed (infra.plan_blueprint), then — unless --dry-run, and only when
 * something differs — infra.apply_blueprint, whose result says what was applied.
 */
async function blueprint(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' }, data: { type: 'string' } }, true);
  if (positionals[0] !== 'apply' || positionals.length !== 2) throw new UsageError('usage: product-os blueprint apply [--dry-run] FILE');
  const file = positionals[1];
  const bp = readBlueprintFile(file);
  const source = path.basename(file);
  return withTarget(values.data, async (target) => {
    const plan = await target.call({ tool: 'infra.plan_blueprint', input: { blueprint: bp, source } });
    if (plan.status !== 'succeeded') return report(plan);
    const planned = plan.output as ApplyBlueprintOutput;
    process.stdout.write(`${describePlan(planned)}\n`);
    const pending = planned.changes.some((c) => c.action !== 'unchanged');
    if (values['dry-run'] || !pending) {
      process.stdout.write(values['dry-run'] ? 'dry run: nothing applied\n' : 'nothing to change\n');
      return 0;
    }
    const run = await target.call({ tool: 'infra.apply_blueprint', input: { blueprint: bp, source } });
    if (run.status !== 'succeeded') return report(run);
    process.stdout.write(`applied (run ${run.id}):\n${formatChanges((run.output as ApplyBlueprintOutput).changes.filter((c) => c.action !== 'unchanged'))}\n`);
    return 0;
  });
}

function describePlan(plan: ApplyBlueprintOutput): string {
  const counts = (a: string) => plan.changes.filter((c) => c.action === a).length;
  return [
    `blueprint on the ${plan.target} target: ${counts('create')} to create, ${counts('update')} to update, ${counts('unchanged')} unchanged`,
    formatChanges(plan.changes),
    ...(plan.unmanaged.length ? [`not in the blueprint (left as they are): ${plan.unmanaged.join(', ')}`] : []),
  ].join('\n');
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

async function events(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === 'help') {
    process.stdout.write(`${EVENTS_USAGE}\n`);
    return 0;
  }
  if (sub !== 'import') throw new UsageError(`events needs a subcommand: ${EVENTS_USAGE.split('\n')[0]}`);
  const { values, positionals } = parse(rest, { 'on-error': { type: 'string' }, format: { type: 'string' }, data: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError(`events import needs exactly one file: ${EVENTS_USAGE.split('\n')[0]}`);
  const onError = parseOnError(values['on-error']);
  const format = parseFormat(values.format);
  // Ctrl-C stops the import with nothing stored (the rows were only staged).
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const backend: Backend = await createBackend({ overrides: { ...dataOverride(values.data), port: 0 }, stderr: quietStderr });
  try {
    const report = await runEventsImport(backend, positionals[0], { onError, format, signal: abort.signal, stderr: (l) => process.stderr.write(diagnostic(`${l}\n`)) });
    process.stdout.write(`${JSON.stringify({ event: 'import', ...report })}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
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
    if (err instanceof UsageError) process.stderr.write(diagnostic(`product-os: ${err.message}\n\n${USAGE}\n`));
    else if (err instanceof ConfigError || err instanceof RegistryError || err instanceof ProductOsError) process.stderr.write(diagnostic(`product-os: ${err.message}\n`));
    else process.stderr.write(`product-os: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(err instanceof ProductOsError && err.code !== 'invalid_input' && err.code !== 'unknown_tool' ? 1 : 2);
  },
);
