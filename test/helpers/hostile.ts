import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TestBackend } from './backend';

/** One seed for the hostile suites: a failure prints it, and HOSTILE_SEED=<n> repeats the run. */
export const HOSTILE_SEED = Number(process.env.HOSTILE_SEED ?? 20261130);

/** Values at the edges of what JSON text can say and the store can hold. */
const HOSTILE_LEAVES = [
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890',
  '"\\ud800"',
  '"x\\udc00y"',
  '"a\\u0000b"',
  '"\\u202e\\ufeff"',
  'null',
  '""',
  '-0',
  '{}',
  '[]',
];

const HOSTILE_KEYS = ['"__proto__"', '"constructor"', '"prototype"', '"\\ud800"', '"toString"', '"hasOwnProperty"', '""', '"name"', '"patch"', '"profile_id"'];

/**
 * JSON *text* (so that 1e400, lone surrogates and duplicate or prototype keys survive, which
 * JSON.stringify would rewrite), built from ordinary values, hostile leaves and keys, deep
 * nesting, objects with thousands of unknown fields, and a few broken texts.
 */
export const hostileJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(...HOSTILE_LEAVES),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(fc.oneof(fc.string({ maxLength: 12 }).map((k) => JSON.stringify(k)), fc.constantFrom(...HOSTILE_KEYS)), tie('value')), { maxLength: 5 })
    .map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`),
})).value;

/** The shapes the trial used: nesting thousands deep, 10,000 fields, truncated text. */
export const extremeJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 60, max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 60, max: 3000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 100, max: 10_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"f${i}":1`).join(',')}}`),
  hostileJsonText.map((t) => t.slice(0, Math.max(1, Math.floor(t.length / 2)))),
);

/** Rows a refused request must not have added to. */
export async function writtenRows(t: TestBackend): Promise<string> {
  const rows = await t.backend.db.query<{ runs: number; history: number; cards: number }>(
    'SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM brand_profile_history) AS history, (SELECT count(*)::int FROM cards) AS cards',
  );
  return JSON.stringify(rows[0]);
}

/** The documented REST error shape, bounded, with no stack frames or driver text in it. */
export function assertRestError(status: number, body: unknown, what: string): void {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  // 501/503 only as the documented answer of a tool not implemented or not configured here.
  const unavailable = (status === 501 && e?.code === 'not_implemented') || (status === 503 && e?.code === 'not_configured');
  assert.ok((status >= 400 && status < 500) || unavailable, `${what}: status ${status} ${JSON.stringify(body).slice(0, 300)}`);
  assert.ok(e && typeof e.code === 'string' && typeof e.message === 'string', `${what}: not {error:{code,message}}: ${String(JSON.stringify(body)).slice(0, 300)}`);
  assertNoInternals(JSON.stringify(body), what);
}

export function assertNoInternals(text: string, what: string): void {
  assert.ok(text.length < 16 * 1024, `${what}: error body of ${text.length} bytes`);
  assert.doesNotMatch(text, /\n\s+at |\bat [\w.<>]+ \(.*:\d+:\d+\)|FST_ERR|ZodError|"expected":|invalid input syntax|invalid byte sequence|Unicode escape values/, `${what}: internals in ${text.slice(0, 300)}`);
}

/** POST /mcp with raw text; the JSON-RPC messages of the answer, whether JSON or an SSE stream. */
export async function mcpPost(t: TestBackend, body: string, session?: string): Promise<{ status: number; messages: any[]; session?: string }> {
  const res = await fetch(new URL('/mcp', t.url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(session ? { 'mcp-session-id': session } : {}),
    },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  const messages: any[] = [];
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    for (const line of text.split('\n')) if (line.startsWith('data: ') && line.length > 6) messages.push(JSON.parse(line.slice(6)));
  } else if (text) {
    const v = JSON.parse(text);
    messages.push(...(Array.isArray(v) ? v : [v]));
  }
  return { status: res.status, messages, session: res.headers.get('mcp-session-id') ?? undefined };
}

export const MCP_INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hostile', version: '0' } },
});

/** An initialized MCP session, for raw requests. */
export async function mcpSession(t: TestBackend): Promise<string> {
  const init = await mcpPost(t, MCP_INIT);
  assert.ok(init.session, `initialize: ${init.status} ${JSON.stringify(init.messages)}`);
  await mcpPost(t, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), init.session);
  return init.session!;
}
