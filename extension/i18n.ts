/**
 * Message formatting for modules that must not import `vscode` (so they stay unit-testable):
 * they take a `Translate` function; the extension passes `vscode.l10n.t`, tests the plain
 * `format` below. Placeholders are `{0}`, `{1}`, … as in `vscode.l10n.t`.
 */
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

export const format: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
