import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AgentToolbox, AgentToolInfo } from './agent-loop';
import { ProductOsError } from '../errors';

/** Above the terminal's own longest time limit (600 s), so the server's limit is the one that acts. */
const CALL_TIMEOUT_MS = 620_000;

/**
 * The sandbox's MCP servers (filesystem, terminal) as one toolbox for the agent loop. A tool
 * name served twice is a bug in the image, refused at once.
 */
export async function mcpToolbox(clients: readonly Client[]): Promise<AgentToolbox> {
  const owner = new Map<string, Client>();
  const infos: AgentToolInfo[] = [];
  for (const client of clients) {
    const { tools } = await client.listTools();
    for (const t of tools) {
      if (owner.has(t.name)) throw new ProductOsError('internal', `two sandbox servers both offer the tool ${t.name}`);
      owner.set(t.name, client);
      infos.push({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> });
    }
  }
  return {
    tools: async () => infos,
    call: async (name, args, signal) => {
      const client = owner.get(name);
      if (!client) return { text: `no tool "${name}"`, isError: true };
      const r = (await client.callTool({ name, arguments: args }, undefined, { signal, timeout: CALL_TIMEOUT_MS })) as CallToolResult;
      const text = (r.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      return { text, isError: r.isError === true };
    },
  };
}
