/** Codicon and theme colour per run status (pure, so the mapping is tested without `vscode`). */
import type { RunStatus } from '../../contracts/rest';

export interface StatusIcon {
  codicon: string;
  color?: string;
}

export function runStatusIcon(status: RunStatus): StatusIcon {
  switch (status) {
    case 'queued':
      return { codicon: 'clock' };
    case 'awaiting_approval':
      return { codicon: 'shield', color: 'charts.yellow' };
    case 'dispatching':
      return { codicon: 'loading~spin' };
    case 'running':
      return { codicon: 'sync~spin', color: 'charts.blue' };
    case 'succeeded':
      return { codicon: 'pass', color: 'testing.iconPassed' };
    case 'failed':
      return { codicon: 'error', color: 'testing.iconFailed' };
    case 'cancelled':
      return { codicon: 'circle-slash', color: 'disabledForeground' };
    case 'timed_out':
      return { codicon: 'watch', color: 'testing.iconFailed' };
  }
}

/** "12 s ago", "3 min ago", "2 h ago": when a run started, for tree item descriptions. */
export function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
