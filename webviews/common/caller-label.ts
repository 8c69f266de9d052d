/**
 * Who started a run or wrote a version, in the user's words rather than the audit log's
 * caller id (`api:vscode`, `cli:demo`, `mcp:cursor`). Pure: the Runs and Company Brain panels
 * and the editor's Runs view all say it the same way.
 */
export function callerLabel(caller: string | null | undefined): string {
  if (!caller) return 'unknown';
  const [kind, ...rest] = caller.split(':');
  const name = rest.join(':');
  if (caller === 'api:vscode' || caller === 'vscode') return 'you, in the editor';
  if (caller === 'cli' || caller === 'api:cli') return 'you, from the command line';
  if (caller === 'cli:demo' || caller === 'demo' || caller === 'api:demo') return 'the demo data (product-os demo)';
  if (caller === 'system') return 'Product OS (recovering after a restart)';
  if (caller === 'api') return 'a program using the API';
  if (kind === 'mcp') return name ? `${name} (an agent, over MCP)` : 'an agent, over MCP';
  if (kind === 'api' && name) return `${name} (through the API)`;
  return caller;
}
