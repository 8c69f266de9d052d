import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { compiledFunction } from '../../contracts/validator';
import { CancelRequest, EXECUTE_STREAM_TYPE, EXECUTOR_CANCEL_PATH, ExecuteRequest, UPSTREAM_LABELS, executorRunKey, type ExecuteResponse, type ExecuteStreamLine } from '../../contracts/executor-protocol';
import { TERMINAL_STATUSES, type Run, type RunEvent } from '../../contracts/rest';
import { RunEventFeed } from '../runs/run-event-feed';
import type { CompiledTool, Registry } from '../../registry/loader';
import { ProductOsError } from '../errors';
import { getRunByIdempotencyKey } from '../store/runs';
import type { ApiContext } from './context';
import { errorHandler, frameworkErrors, clientErrorHandler } from './error-handler';
import { registerJsonParser } from './json-body';
import type { IdTokenVerifier, Invoker } from './id-token-verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called this executor (set by the ID-token check). */
    invoker?: Invoker;
  }
}

/** How long past a tool's own timeout an execute request waits for its run before answering 503. */
const WAIT_SLACK_MS = 10_000;

/**
 * `product-os serve --role executor`: the registry's http tools on their `executor.path`, for
 * a control plane's http executor. Every request but /health needs a Google-signed ID token
 * for this executor's audience; there is no editor API (no /api, /mcp or token routes).
 *
 * A call becomes a run in this backend's own store, keyed by the control plane's (run id,
 * attempt): a retried request waits for that same run. Approval happened on the control plane,
 * so the run goes straight to the queue. A request whose caller goes away leaves its run
 * running, for the retry to pick up; the control plane cancels through EXECUTOR_CANCEL_PATH.
 */
export async function buildExecutorApi(ctx: ApiContext, verifier: IdTokenVerifier): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: ctx.config.maxBodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    frameworkErrors: frameworkErrors(ctx.logger),
    clientErrorHandler,
    requestTimeout: 60_000,
  });
  app.setValidatorCompiler(({ schema }) => compiledFunction(schema));
  app.setErrorHandler(errorHandler(ctx.logger));
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]} on this executor` } }));
  registerJsonParser(app);

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.public === true && (req.method === 'GET' || req.method === 'HEAD')) return;
    try {
      req.invoker = await verifier.verify(req.headers.authorization);
    } catch (err) {
      reply.header('WWW-Authenticate', 'Bearer realm="product-os-executor", error="invalid_token"');
      throw err;
    }
  });

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok', role: 'executor', version: ctx.version }));

  for (const tool of servedTools(ctx.registry)) {
    const path = executePath(tool);
    app.post<{ Body: ExecuteRequest }>(path, { schema: { body: ExecuteRequest } }, async (req, reply) => {
      if (String(req.headers.accept ?? '').includes(EXECUTE_STREAM_TYPE)) return stream(ctx, tool, req, reply);
      const run = await execute(ctx, tool, req, reply.raw);
      if (!TERMINAL_STATUSES.has(run.status)) {
        // Still running past its timeout (a stalled store): the retry waits for the same run.
        return reply.status(503).send({ error: { code: 'unavailable', message: `run ${run.id} of ${tool.name} has not ended yet; try again`, retryable: true } });
      }
      return answerOf(run);
    });
  }

  app.post<{ Body: CancelRequest }>(EXECUTOR_CANCEL_PATH, { schema: { body: CancelRequest } }, async (req) => {
    const run = await getRunByIdempotencyKey(ctx.db, executorRunKey(req.body.runId, req.body.attempt));
    if (!run) throw new ProductOsError('not_found', `no run here for run ${req.body.runId} attempt ${req.body.attempt}`);
    if (TERMINAL_STATUSES.has(run.status)) return { executorRunId: run.id, status: run.status };
    const cancelled = await ctx.engine.cancel(run.id, callerOf(req));
    return { executorRunId: cancelled.id, status: cancelled.status };
  });

  await app.ready();
  return app;
}

/** The tools an executor serves: the registry's http tools. */
function servedTools(registry: Registry): CompiledTool[] {
  return [...registry.tools.values()].filter((t) => t.spec.executor.kind === 'http');
}

function executePath(tool: CompiledTool): string {
  return (tool.spec.executor as { path: string }).path;
}

/** What buildExecutorApi serves, as `METHOD /path` (its ready line names these). */
export function executorRoutes(registry: Registry): string[] {
  return ['GET /health', ...servedTools(registry).map((t) => `POST ${executePath(t)}`), `POST ${EXECUTOR_CANCEL_PATH}`];
}

function answerOf(run: Run): ExecuteResponse {
  return { executorRunId: run.id, status: run.status, ...(run.output !== undefined ? { output: run.output } : {}), ...(run.error ? { error: run.error } : {}) };
}

/**
 * The streamed answer: the run's progress and log events, from the run's first (or after the
 * request's afterEventId) and then as they are written, then its result. The store is
 * replayed, so nothing the run wrote before this request subscribed is lost: its first steps,
 * written while the run was being submitted, or the whole run when a retry finds it done.
 * Refusals (bad input, unknown tool) happen before the stream starts and keep their status
 * codes. A run still going at the deadline ends the stream without a result.
 */
async function stream(ctx: ApiContext, tool: CompiledTool, req: FastifyRequest<{ Body: ExecuteRequest }>, reply: FastifyReply): Promise<FastifyReply> {
  const run = await submit(ctx, tool, req);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': EXECUTE_STREAM_TYPE, 'cache-control': 'no-store' });
  const write = (line: ExecuteStreamLine) => res.writableEnded || res.write(`${JSON.stringify(line)}\n`);
  const feed = new RunEventFeed(ctx.bus, run.id, req.body.afterEventId ?? 0, (e) => {
    const line = streamLineOf(e);
    if (line) write(line);
  });
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  try {
    await feed.start((after) => ctx.engine.events(run.id, after));
    const done = await ctx.engine.waitFor(run.id, { until: 'terminal', timeoutMs: tool.spec.timeout_seconds * 1000 + WAIT_SLACK_MS, signal: gone.signal });
    if (TERMINAL_STATUSES.has(done.status)) write({ type: 'result', response: answerOf(done) });
  } finally {
    feed.close();
    res.end();
  }
  return reply;
}

/** A progress or log event as a stream line, tagged with its id for a retry to resume after; null for other events. */
function streamLineOf(e: RunEvent): ExecuteStreamLine | null {
  const d = e.data as Record<string, unknown>;
  if (e.type === 'progress' && typeof d.progress === 'number') {
    return { type: 'progress', eventId: e.id, progress: d.progress, ...(typeof d.total === 'number' ? { total: d.total } : {}), ...(typeof d.message === 'string' ? { message: d.message } : {}) };
  }
  if (e.type === 'log' && typeof d.message === 'string' && ['debug', 'info', 'warn', 'error'].includes(d.level as string)) {
    return { type: 'log', eventId: e.id, level: d.level as 'info', message: d.message };
  }
  return null;
}

async function submit(ctx: ApiContext, tool: CompiledTool, req: FastifyRequest<{ Body: ExecuteRequest }>): Promise<Run> {
  const body = req.body;
  const { run } = await ctx.engine.submit({
    tool: tool.name,
    input: body.input,
    caller: callerOf(req),
    idempotencyKey: executorRunKey(body.runId, body.attempt),
    correlationId: body.correlationId,
    labels: { [UPSTREAM_LABELS.runId]: body.runId, ...(body.idempotencyKey ? { [UPSTREAM_LABELS.idempotencyKey]: body.idempotencyKey } : {}) },
    preApproved: true,
  });
  return run;
}

async function execute(ctx: ApiContext, tool: CompiledTool, req: FastifyRequest<{ Body: ExecuteRequest }>, res: ServerResponse): Promise<Run> {
  const run = await submit(ctx, tool, req);
  // Stop waiting when the caller goes away; the run itself goes on (see above).
  const gone = new AbortController();
  // (The response's 'close' before it was written: the request's own 'close' only says its body was read.)
  res.once('close', () => gone.abort());
  return ctx.engine.waitFor(run.id, { until: 'terminal', timeoutMs: tool.spec.timeout_seconds * 1000 + WAIT_SLACK_MS, signal: gone.signal });
}

function callerOf(req: FastifyRequest): string {
  return `executor:${req.invoker?.email ?? req.invoker?.subject ?? 'unknown'}`.slice(0, 200);
}
