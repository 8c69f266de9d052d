/**
 * The panel kinds, apart from webview-messages.ts so the extension's activation path loads no
 * schemas (TypeBox and the message schemas load when a panel first opens).
 */
export const PANEL_KINDS = ['kanban', 'brain', 'insights', 'runs', 'serviceMap'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];
