import * as http from 'node:http';
import type { LlamaCppEngine } from '../../backend/llm/llama-cpp';
import type { ChatMessage } from '../../backend/llm/provider';
import type { JsonSchema } from '../../contracts/json-schema';

/**
 * The LLM worker's HTTP face: the part of the OpenAI chat-completions API the backend's
 * OpenAiCompatibleProvider uses (`POST /v1/chat/completions`, not streamed, `usage`,
 * `response_format: json_schema` as a llama.cpp grammar) and `GET /health`. It logs nothing of
 * a request: not the messages, not the answer, and no access log at all.
 */
const MAX_BODY = 8 * 1024 * 1024;

export function llmServer(engine: LlamaCppEngine, modelName: string): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') {
      engine.open().then(
        () => send(200, { ok: true, model: modelName }),
        (err: Error) => send(503, { ok: false, error: { message: err.message.split('\n')[0].slice(0, 200) } }),
      );
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(404, { error: { message: 'not found: POST /v1/chat/completions or GET /health' } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(413, { error: { message: `request body over ${MAX_BODY} bytes` } });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      let body: { messages?: unknown; max_tokens?: unknown; temperature?: unknown; seed?: unknown; response_format?: { type?: string; json_schema?: { schema?: unknown } } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { error: { message: 'the body is not JSON' } });
      }
      const messages = parseMessages(body.messages);
      if (!messages) return send(400, { error: { message: 'messages must be a non-empty array of {role: system|user|assistant, content: string}' } });
      const schema = body.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
      if (schema !== undefined && (typeof schema !== 'object' || schema === null)) return send(400, { error: { message: 'response_format.json_schema.schema must be an object' } });
      const aborted = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) aborted.abort();
      });
      engine
        .complete({
          messages,
          schema: schema as JsonSchema | undefined,
          maxTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
          temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
          seed: typeof body.seed === 'number' ? body.seed : undefined,
          signal: aborted.signal,
        })
        .then(
          (out) =>
            send(200, {
              object: 'chat.completion',
              model: modelName,
              choices: [{ index: 0, message: { role: 'assistant', content: out.text }, finish_reason: out.stoppedAtLimit ? 'length' : 'stop' }],
              usage: { prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens, total_tokens: out.promptTokens + out.completionTokens },
            }),
          (err: Error) => {
            if (!res.headersSent && !aborted.signal.aborted) send(500, { error: { message: err.message.split('\n')[0].slice(0, 200) } });
          },
        );
    });
  });
}

function parseMessages(v: unknown): ChatMessage[] | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > 1000) return null;
  const out: ChatMessage[] = [];
  for (const m of v) {
    if (!m || typeof m !== 'object') return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if ((role !== 'system' && role !== 'user' && role !== 'assistant') || typeof content !== 'string') return null;
    out.push({ role, content });
  }
  return out;
}
