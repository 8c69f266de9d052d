/**
 * The card agent's sandbox servers, the entry point of /app/card-mcp.js in the worker image:
 * `node /app/card-mcp.js filesystem|terminal`, started by the backend with `docker exec` in the
 * card's worker and spoken to over that exec's stdin/stdout (MCP's stdio transport). Both
 * work on /workspace, the card's git worktree.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { WORKSPACE } from '../../../contracts/tasks/card-agent';
import { filesystemServer } from './fs-server';
import { terminalServer } from './terminal-server';

const which = process.argv[2];
const root = process.env.PRODUCT_OS_WORKSPACE_ROOT ?? WORKSPACE;
const server = which === 'filesystem' ? filesystemServer(root) : which === 'terminal' ? terminalServer(root, { env: { PATH: '/bin:/usr/local/bin', HOME: '/tmp', LANG: 'C.UTF-8' } }) : null;
if (!server) {
  process.stderr.write(`usage: card-mcp.js filesystem|terminal (got ${JSON.stringify(which)})\n`);
  process.exit(2);
}
const transport = new StdioServerTransport();
transport.onclose = () => process.exit(0);
process.stdin.once('end', () => process.exit(0));
server.connect(transport).catch((err: Error) => {
  process.stderr.write(`card-mcp: ${err.message}\n`);
  process.exit(1);
});
