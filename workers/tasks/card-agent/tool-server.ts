import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** One tool of a sandbox server: its input schema (from contracts/tasks/card-agent.ts) and what it does. */
export interface SandboxTool {
  description: string;
  input: TSchema;
  run(args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult>;
}

/** A refusal or failure the model should read and act on (an observation), not a protocol error. */
export const toolError = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });
export const toolText = (text: string, structured?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text }],
  ...(structured ? { structuredContent: structured } : {}),
});

/**
 * An MCP server over a fixed table of tools, with the JSON Schemas of the contract as they are
 * (the low-level Server: the SDK's registerTool takes only Zod). Arguments are checked against
 * the schema before a tool runs; a bad call is an error result naming what was wrong.
 */
export function sandboxServer(name: string, tools: Record<string, SandboxTool>): Server {
  const server = new Server({ name, version: '0.1.0' }, { capabilities: { tools: { listChanged: false } } });
  const list: Tool[] = Object.entries(tools).map(([n, t]) => ({ name: n, description: t.description, inputSchema: t.input as unknown as Tool['inputSchema'] }));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: list }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const tool = Object.hasOwn(tools, req.params.name) ? tools[req.params.name] : undefined;
    if (!tool) return toolError(`no tool "${req.params.name}" (tools: ${Object.keys(tools).join(', ')})`);
    const args = req.params.arguments ?? {};
    const first = Value.Errors(tool.input, args).First();
    if (first) return toolError(`bad arguments for ${req.params.name}: ${first.path || '/'} ${first.message}`);
    try {
      return await tool.run(args, extra.signal);
    } catch (err) {
      return toolError(`${req.params.name} failed: ${(err as Error).message}`);
    }
  });
  return server;
}
