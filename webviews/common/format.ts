/** Formatting shared by the panels (pure). */
import type { RunStatus } from '../../contracts/rest';

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDuration(startIso: string | null | undefined, endIso: string | null | undefined, now = Date.now()): string {
  if (!startIso) return '—';
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return '—';
  const ms = Math.max(0, end - start);
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

export function formatJson(value: unknown): string {
  if (value === undefined) return '—';
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** The codicon and theme colour class of a run status. */
export function statusLook(status: RunStatus): { icon: string; tone: string; label: string } {
  switch (status) {
    case 'queued':
      return { icon: 'clock', tone: 'muted', label: 'Queued' };
    case 'awaiting_approval':
      return { icon: 'shield', tone: 'warn', label: 'Awaiting approval' };
    case 'dispatching':
      return { icon: 'loading', tone: 'info', label: 'Dispatching' };
    case 'running':
      return { icon: 'sync', tone: 'info', label: 'Running' };
    case 'succeeded':
      return { icon: 'pass', tone: 'ok', label: 'Succeeded' };
    case 'failed':
      return { icon: 'error', tone: 'error', label: 'Failed' };
    case 'cancelled':
      return { icon: 'circle-slash', tone: 'muted', label: 'Cancelled' };
    case 'timed_out':
      return { icon: 'watch', tone: 'error', label: 'Timed out' };
  }
}
