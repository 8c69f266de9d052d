/**
 * Makes the backend's MCP endpoint known to the editor's agent, without a hard dependency on
 * either API: VS Code ≥ 1.101 through `lm.registerMcpServerDefinitionProvider` (the server is
 * resolved, and the backend started, only when the editor starts the MCP server), and Cursor
 * through `vscode.cursor.mcp.registerServer` once a backend is ready. In restricted mode no
 * server is offered: agents could start workers or deploys through it.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import type { Connection } from '../backend/types';
import { MCP_SERVER_NAME } from './mcp-config';

export const MCP_PROVIDER_ID = 'productOs.mcp';

interface McpHttpServerDefinition {
  label: string;
  uri: vscode.Uri;
  headers: Record<string, string>;
  version?: string;
}
type McpHttpServerDefinitionCtor = new (label: string, uri: vscode.Uri, headers?: Record<string, string>, version?: string) => McpHttpServerDefinition;
interface McpProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpHttpServerDefinition[]>;
  resolveMcpServerDefinition?(server: McpHttpServerDefinition, token: vscode.CancellationToken): vscode.ProviderResult<McpHttpServerDefinition>;
}
interface LmWithMcp {
  registerMcpServerDefinitionProvider(id: string, provider: McpProvider): vscode.Disposable;
}
interface CursorMcp {
  registerServer(config: { name: string; server: { url: string; headers?: Record<string, string> } }): void;
  unregisterServer(name: string): void;
}

/** The optional APIs, looked up at run time (undefined where the editor lacks them). */
export function detectMcpApis(api: unknown = vscode): { lm?: LmWithMcp; ctor?: McpHttpServerDefinitionCtor; cursor?: CursorMcp } {
  const v = api as { lm?: Partial<LmWithMcp>; McpHttpServerDefinition?: McpHttpServerDefinitionCtor; cursor?: { mcp?: Partial<CursorMcp> } };
  const lm = typeof v.lm?.registerMcpServerDefinitionProvider === 'function' && typeof v.McpHttpServerDefinition === 'function' ? (v.lm as LmWithMcp) : undefined;
  const cursor = typeof v.cursor?.mcp?.registerServer === 'function' && typeof v.cursor.mcp.unregisterServer === 'function' ? (v.cursor.mcp as CursorMcp) : undefined;
  return { lm, ctor: lm ? v.McpHttpServerDefinition : undefined, cursor };
}

export function registerMcp(context: vscode.ExtensionContext, s: Services, apis = detectMcpApis()): void {
  if (!s.settings().registerMcp) return;
  const version = String((context.extension?.packageJSON as { version?: string } | undefined)?.version ?? '');
  const auth = (c: { token: string }) => ({ Authorization: `Bearer ${c.token}` });
  let last: Connection | undefined;

  if (apis.lm && apis.ctor) {
    const Ctor = apis.ctor;
    const changed = new vscode.EventEmitter<void>();
    context.subscriptions.push(
      changed,
      apis.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
        onDidChangeMcpServerDefinitions: changed.event,
        provideMcpServerDefinitions: () => (s.isTrusted() ? [new Ctor('Product OS', vscode.Uri.parse(last?.mcpUrl ?? 'http://127.0.0.1/mcp'), {}, version)] : []),
        resolveMcpServerDefinition: async (server) => {
          const endpoint = await s.api.mcpEndpoint();
          server.uri = vscode.Uri.parse(endpoint.url);
          server.headers = auth(endpoint);
          return server;
        },
      }),
      s.onDidChangeState((st) => {
        if (st.kind === 'ready' && (st.connection.mcpUrl !== last?.mcpUrl || st.connection.token !== last?.token)) {
          const hadOne = last !== undefined;
          last = st.connection;
          if (hadOne) changed.fire();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    );
  }

  if (apis.cursor) {
    const cursor = apis.cursor;
    let registered: Connection | undefined;
    const unregister = () => {
      if (!registered) return;
      registered = undefined;
      try {
        cursor.unregisterServer(MCP_SERVER_NAME);
      } catch (err) {
        s.log.warn(`Cursor MCP unregister: ${(err as Error).message}`);
      }
    };
    const sync = () => {
      const st = s.state();
      if (st.kind !== 'ready' || !s.isTrusted()) return unregister();
      if (registered && registered.mcpUrl === st.connection.mcpUrl && registered.token === st.connection.token) return;
      try {
        cursor.registerServer({ name: MCP_SERVER_NAME, server: { url: st.connection.mcpUrl, headers: auth(st.connection) } });
        registered = st.connection;
        s.log.info(`registered the MCP server "${MCP_SERVER_NAME}" with Cursor`);
      } catch (err) {
        s.log.warn(`Cursor MCP register: ${(err as Error).message}`);
      }
    };
    context.subscriptions.push(
      s.onDidChangeState((st) => {
        if (st.kind === 'ready' || st.kind === 'failed' || st.kind === 'stopped') sync();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(sync),
      { dispose: unregister },
    );
    sync();
  }
}
