/**
 * The extension in a real VS Code: it activates, contributes its commands, starts the bundled
 * backend on first need (the editor's own binary as Node), runs a tool end to end, and restarts
 * the backend on request.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ProductOsExtensionApi } from '../../../extension/extension';
import type { Run, RunEvent, ToolInfo } from '../../../contracts/rest';

const ID = 'product-os.product-os';

describe('Product OS in VS Code', () => {
  let ext: ProductOsExtensionApi;

  before(async () => {
    const extension = vscode.extensions.getExtension<ProductOsExtensionApi>(ID);
    assert.ok(extension, `${ID} is installed`);
    ext = await extension.activate();
  });

  it('contributes every command', async () => {
    const manifest = vscode.extensions.getExtension(ID)!.packageJSON as { contributes: { commands: Array<{ command: string }> } };
    const all = new Set(await vscode.commands.getCommands(true));
    for (const c of manifest.contributes.commands) assert.ok(all.has(c.command), c.command);
  });

  it('starts the bundled backend on first need and calls a tool through it', async () => {
    assert.ok(['idle', 'ready'].includes(ext.state().kind));
    const conn = await ext.ensureReady();
    assert.match(conn.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const { tools } = await ext.api.request<{ tools: ToolInfo[] }>('GET', '/api/tools');
    assert.ok(tools.some((t) => t.name === 'system.ping'));
    const run = await ext.api.request<Run>('POST', '/api/runs', { tool: 'system.ping', input: { message: 'from VS Code' } });
    const final = await new Promise<string>((resolve) => {
      ext.api.onRunEvents(run.id, (e: RunEvent) => {
        const to = (e.data as { to?: string }).to;
        if (e.type === 'state' && to && ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(to)) resolve(to);
      });
    });
    assert.equal(final, 'succeeded');
  });

  it('validates the configuration and copies an MCP config without errors', async () => {
    await vscode.commands.executeCommand('productOs.validateConfiguration');
    const endpoint = await ext.api.mcpEndpoint();
    assert.match(endpoint.url, /\/mcp$/);
  });

  it('restarts the backend on request', async () => {
    const before = await ext.ensureReady();
    await vscode.commands.executeCommand('productOs.restartBackend');
    const after = await ext.ensureReady();
    assert.notEqual(after.token, before.token);
    assert.equal(ext.state().kind, 'ready');
  });

  it('opens the Kanban board panel', async () => {
    await vscode.commands.executeCommand('productOs.open.kanban');
    await new Promise((r) => setTimeout(r, 1000));
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('productOs.kanban')), 'a Kanban webview tab is open');
  });
});
