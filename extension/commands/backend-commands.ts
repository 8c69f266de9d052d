/** Restart Backend, Validate Configuration, Copy MCP Server Config, Set Server Token…. */
import * as vscode from 'vscode';
import type { ConfigReport } from '../../contracts/rest';
import type { Services } from '../services';
import { defaultFlavor, mcpConfigText, type McpConfigFlavor } from '../mcp/mcp-config';
import { isServerMode, SERVER_TOKEN_SECRET, validateSettings } from '../settings';
import { showFailure } from '../ui';

const t = vscode.l10n.t;

export async function restartBackend(s: Services): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('Restarting the Product OS backend…') }, async () => {
    try {
      const conn = await s.restart();
      void vscode.window.showInformationMessage(t('Product OS backend is ready at {0}.', conn.url));
    } catch (err) {
      await showFailure(err, t('Restart Backend'));
    }
  });
}

export async function copyMcpConfig(s: Services): Promise<void> {
  let endpoint: { url: string; token: string };
  try {
    endpoint = await s.api.mcpEndpoint();
  } catch (err) {
    return showFailure(err, t('Copy MCP Server Config'));
  }
  const preferred = defaultFlavor(vscode.env.appName);
  const items: Array<{ label: string; description: string; flavor: McpConfigFlavor }> = [
    { label: t('VS Code (.vscode/mcp.json)'), description: '"servers"', flavor: 'vscode' },
    { label: t('Cursor, Claude Desktop, Cline (mcp.json)'), description: '"mcpServers"', flavor: 'mcpServers' },
  ];
  items.sort((a, b) => (a.flavor === preferred ? -1 : b.flavor === preferred ? 1 : 0));
  const picked = await vscode.window.showQuickPick(items, { title: t('Copy MCP Server Config'), placeHolder: t('Which client is it for?') });
  if (!picked) return;
  await vscode.env.clipboard.writeText(mcpConfigText(endpoint, picked.flavor));
  const note = isServerMode(s.settings())
    ? t('MCP server config copied: it contains the bearer token, so keep it out of version control.')
    : t('MCP server config copied. It contains the bearer token, so keep it out of version control; the bundled backend gets a new port and token when it restarts (for a stable entry, run `product-os serve` and use server mode).');
  await vscode.window.showInformationMessage(note);
}

export async function setServerToken(s: Services): Promise<void> {
  const token = await vscode.window.showInputBox({
    title: t('Product OS server token'),
    prompt: t('The bearer token of the backend at productOs.server.url; kept in the editor\'s secret storage. Empty removes it.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.length > 0 && v.trim().length < 16 ? t('the token must be at least 16 characters') : undefined),
  });
  if (token === undefined) return;
  if (token.trim()) await s.context.secrets.store(SERVER_TOKEN_SECRET, token.trim());
  else await s.context.secrets.delete(SERVER_TOKEN_SECRET);
  if (isServerMode(s.settings())) await s.reconfigure();
  await vscode.window.showInformationMessage(token.trim() ? t('Server token saved.') : t('Server token removed.'));
}

/** The extension's settings and the backend's own report, in the log, with a one-line summary. */
export async function validateConfiguration(s: Services): Promise<void> {
  const local = validateSettings(s.settings(), t);
  s.log.info('Validate Configuration:');
  for (const p of local) s.log.warn(`  ${p.setting}: ${p.message}`);
  let report: ConfigReport | undefined;
  try {
    report = await s.api.call('validateConfig', {});
  } catch (err) {
    s.log.error(`  backend: ${(err as Error).message}`);
    s.log.show(true);
    return showFailure(err, t('Validate Configuration'));
  }
  for (const r of report.settings) {
    const line = `  ${r.name}: ${r.status}, ${r.message}${r.value !== undefined ? ` (${r.value})` : ''}`;
    if (r.status === 'invalid') s.log.error(line);
    else s.log.info(line);
  }
  const invalid = report.settings.filter((r) => r.status === 'invalid');
  const showLog = t('Show Backend Log');
  if (local.length === 0 && invalid.length === 0) {
    const pick = await vscode.window.showInformationMessage(t('Configuration is valid ({0} backend settings checked).', report.settings.length), showLog);
    if (pick === showLog) s.log.show(true);
    return;
  }
  const problems = [...local.map((p) => `${p.setting} ${p.message}`), ...invalid.map((r) => r.message)];
  const pick = await vscode.window.showErrorMessage(t('Configuration problems: {0}', problems.join('; ')), showLog);
  if (pick === showLog) s.log.show(true);
}
