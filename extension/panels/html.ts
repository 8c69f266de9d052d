/**
 * The HTML document of a panel: a strict Content-Security-Policy (scripts only with this
 * document's nonce, styles and fonts only from the extension's own webview resources, no
 * inline styles, no eval), the codicon stylesheet (with the id vscode-elements looks for), the
 * shared stylesheet and the panel's bundle. Pure, so tests and the browser harness use it too.
 */
import type { PanelKind } from '../../webviews/common/protocol';

export interface PanelHtmlOptions {
  kind: PanelKind;
  title: string;
  /** `webview.cspSource`: the origin the webview's resources come from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconsUri: string;
}

/** The bundle, stylesheet and codicon paths inside dist/webviews/. */
export const panelAssets = (kind: PanelKind) => ({ script: `${kind}.js`, style: 'common.css', codicons: 'codicons/codicon.css' });

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderPanelHtml(o: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error('the nonce must be at least 16 base64 characters');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.codiconsUri)}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>${attr(o.title)}</title>
</head>
<body data-panel="${attr(o.kind)}">
<div id="banner" role="status" aria-live="polite"></div>
<main id="app" aria-busy="true"></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
