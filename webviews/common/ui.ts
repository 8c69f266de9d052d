/** Pieces every panel shows: the message banner, status badges, JSON blocks, "what is missing". */
import type { Run, ToolInfo } from '../../contracts/rest';
import { h, icon, replace, type Child } from './dom';
import { formatJson, statusLook } from './format';
import { RequestError } from './client';

export type Level = 'info' | 'warning' | 'error';

let bannerTimer: ReturnType<typeof setTimeout> | undefined;

/** Shows a message at the top of the panel (errors stay until dismissed; others fade after 8 s). */
export function showBanner(level: Level, message: string, ...extra: Child[]): void {
  const banner = document.getElementById('banner');
  if (!banner) return;
  clearTimeout(bannerTimer);
  const iconName = level === 'error' ? 'error' : level === 'warning' ? 'warning' : 'info';
  replace(
    banner,
    h(
      'div',
      { class: `banner banner-${level}`, attrs: { role: level === 'error' ? 'alert' : 'status' } },
      icon(iconName),
      h('span', { class: 'banner-text' }, message),
      ...extra,
      h('button', { class: 'icon-button', attrs: { type: 'button', 'aria-label': 'Dismiss', title: 'Dismiss' }, on: { click: () => clearBanner() } }, icon('close')),
    ),
  );
  if (level !== 'error') bannerTimer = setTimeout(clearBanner, 8000);
}

export function clearBanner(): void {
  const banner = document.getElementById('banner');
  if (banner) replace(banner);
}

/** A readable sentence for a failed request (not_implemented says which part is missing). */
export function describeError(err: unknown): string {
  if (err instanceof RequestError) {
    if (err.code === 'not_implemented') return `Not available yet: ${err.message}`;
    if (err.code === 'not_configured') return `Not configured: ${err.message}`;
    const violations = (err.details as { violations?: Array<{ message: string }> } | undefined)?.violations;
    if (Array.isArray(violations) && violations.length > 0 && !err.message.includes(violations[0].message)) return `${err.message}: ${violations.map((v) => v.message).join('; ')}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function statusBadge(run: Pick<Run, 'status'>): HTMLElement {
  const look = statusLook(run.status);
  return h('span', { class: `status status-${look.tone}`, attrs: { title: look.label } }, icon(look.icon + (run.status === 'running' || run.status === 'dispatching' ? ' codicon-modifier-spin' : '')), h('span', null, look.label));
}

export function jsonBlock(value: unknown, label: string): HTMLElement {
  return h('pre', { class: 'json', attrs: { 'aria-label': label, tabindex: 0 } }, formatJson(value));
}

/** A clear notice of tools that this backend cannot run yet, and why. */
export function missingTools(tools: ToolInfo[], intro: string): HTMLElement | null {
  const missing = tools.filter((t) => !t.available);
  if (missing.length === 0) return null;
  return h(
    'section',
    { class: 'missing', attrs: { 'aria-label': 'What is missing' } },
    h('h2', null, icon('warning'), ' ', intro),
    h(
      'ul',
      null,
      missing.map((t) => h('li', null, h('code', null, t.name), ` — ${t.title}: `, h('span', { class: 'muted' }, t.unavailableReason ?? 'not available'))),
    ),
  );
}

export function emptyState(iconName: string, text: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, icon(iconName), h('p', null, text), ...extra);
}
