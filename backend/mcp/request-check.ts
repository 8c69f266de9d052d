import {
  CallToolRequestSchema,
  InitializeRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  ErrorCode,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';

/** Requests whose params the server reads, by method; others are answered by the SDK as it sees fit. */
const SCHEMAS = {
  'tools/call': CallToolRequestSchema,
  'tools/list': ListToolsRequestSchema,
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
} as const;

/** A JSON-RPC error response for one request. */
export interface RpcErrorResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

/**
 * The requests in a POST /mcp body whose params are malformed (`tools/call` without `name`,
 * `arguments` an array or a string), each as a -32602 error naming the field and what it must
 * be. The SDK would answer these with -32603 and its schema library's dump; checked here first
 * with the same schemas, so what is accepted does not change, only how a refusal reads.
 */
export function malformedRequests(body: unknown): RpcErrorResponse[] {
  const messages = Array.isArray(body) ? body : [body];
  const out: RpcErrorResponse[] = [];
  for (const m of messages as Array<Partial<JSONRPCMessage> & { method?: unknown; id?: unknown }>) {
    if (typeof m !== 'object' || m === null || typeof m.method !== 'string' || m.id === undefined) continue;
    const schema = SCHEMAS[m.method as keyof typeof SCHEMAS];
    if (!schema) continue;
    const parsed = schema.safeParse(m);
    if (parsed.success) continue;
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'request'}: ${plain(i.message)}`);
    const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
    out.push({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidParams, message: `Invalid params for ${m.method}: ${problems.join('; ')}` } });
  }
  return out;
}

/** Zod's "Invalid input: expected record, received array" as "expected an object, received array". */
function plain(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/\brecord\b/, 'an object').slice(0, 200);
}
