/** The panel kinds, apart from protocol.ts so the extension's activation path loads no schemas. */
export const PANEL_KINDS = ['kanban', 'brain', 'insights', 'runs', 'serviceMap'] as const;
export type PanelKind = (typeof PANEL_KINDS)[number];
