/**
 * The text "Copy MCP Server Config" puts on the clipboard: a ready entry for an MCP client's
 * configuration, pointing at the backend's /mcp endpoint with its bearer token. Pure.
 */

export type McpConfigFlavor = 'vscode' | 'mcpServers';

export interface McpEndpoint {
  url: string;
  token: string;
}

export const MCP_SERVER_NAME = 'product-os';

/**
 * - `vscode`: `.vscode/mcp.json` / the `mcp` setting (`servers`, with `type: "http"`);
 * - `mcpServers`: Cursor (`.cursor/mcp.json`), Claude Desktop, Cline and most other clients.
 */
export function mcpConfig(endpoint: McpEndpoint, flavor: McpConfigFlavor, name = MCP_SERVER_NAME): Record<string, unknown> {
  const headers = { Authorization: `Bearer ${endpoint.token}` };
  if (flavor === 'vscode') return { servers: { [name]: { type: 'http', url: endpoint.url, headers } } };
  return { mcpServers: { [name]: { url: endpoint.url, headers } } };
}

export function mcpConfigText(endpoint: McpEndpoint, flavor: McpConfigFlavor, name = MCP_SERVER_NAME): string {
  return `${JSON.stringify(mcpConfig(endpoint, flavor, name), null, 2)}\n`;
}

/** The flavor that fits the editor we run in (Cursor reads `mcpServers`). */
export function defaultFlavor(appName: string): McpConfigFlavor {
  return /cursor/i.test(appName) ? 'mcpServers' : 'vscode';
}
