/**
 * The Insights charts, drawn by Chart.js (tree-shaken to what they use) and coloured only from
 * VS Code's --vscode-charts-* theme variables; they recolour when the theme changes.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { Anomaly, AnomalyPoint } from '../../contracts/tools/analytics';
import type { FunnelRow } from './funnel';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, ScatterController, Filler, Tooltip, Legend);

export interface ThemeColors {
  foreground: string;
  lines: string;
  blue: string;
  red: string;
  orange: string;
  green: string;
  purple: string;
  font: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || getComputedStyle(document.body).getPropertyValue(name).trim();
}

export function themeColors(): ThemeColors {
  return {
    foreground: cssVar('--vscode-charts-foreground') || cssVar('--vscode-foreground'),
    lines: cssVar('--vscode-charts-lines') || cssVar('--vscode-panel-border'),
    blue: cssVar('--vscode-charts-blue'),
    red: cssVar('--vscode-charts-red'),
    orange: cssVar('--vscode-charts-orange'),
    green: cssVar('--vscode-charts-green'),
    purple: cssVar('--vscode-charts-purple'),
    font: cssVar('--vscode-font-family'),
  };
}

/** A colour with an alpha, from a theme colour (hex or rgb[a]). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i.exec(color);
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].replace(/./g, (c) => c + c) : hex[1];
    const n = parseInt(h, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(color);
  if (rgb) return `rgba(${rgb[1].trim()}, ${rgb[2].trim()}, ${rgb[3].trim()}, ${alpha})`;
  return color;
}

const reducedMotion = (): boolean => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

function baseOptions(c: ThemeColors) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: reducedMotion() ? (false as const) : { duration: 250 },
    color: c.foreground,
    font: { family: c.font },
    scales: {
      x: { ticks: { color: c.foreground }, grid: { color: withAlpha(c.lines, 0.25) }, border: { color: c.lines } },
      y: { ticks: { color: c.foreground }, grid: { color: withAlpha(c.lines, 0.25) }, border: { color: c.lines }, beginAtZero: true },
    },
    plugins: { legend: { labels: { color: c.foreground } } },
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

export class FunnelChart {
  readonly chart: Chart<'bar'>;
  private rows: FunnelRow[] = [];

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, this.config(themeColors()));
  }

  private config(c: ThemeColors): ChartConfiguration<'bar'> {
    return {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'Users', data: [], backgroundColor: withAlpha(c.blue, 0.7), borderColor: c.blue, borderWidth: 1 }] },
      options: {
        ...baseOptions(c),
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              afterLabel: (item) => {
                const r = this.rows[item.dataIndex];
                return r ? [`From previous step: ${pct(r.fromPrevious)}`, `Overall: ${pct(r.overall)}`] : [];
              },
            },
          },
        },
      },
    };
  }

  update(rows: FunnelRow[]): void {
    this.rows = rows;
    this.chart.data.labels = rows.map((r) => `${r.step}. ${r.event}`);
    this.chart.data.datasets[0].data = rows.map((r) => r.users);
    this.chart.update();
  }

  applyTheme(): void {
    const c = themeColors();
    const ds = this.chart.data.datasets[0];
    ds.backgroundColor = withAlpha(c.blue, 0.7);
    ds.borderColor = c.blue;
    Object.assign(this.chart.options, { ...baseOptions(c), plugins: this.chart.options.plugins });
    this.chart.update();
  }

  destroy(): void {
    this.chart.destroy();
  }
}

export class AnomalyChart {
  readonly chart: Chart<'line'>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, this.config(themeColors()));
  }

  private datasets(c: ThemeColors): ChartConfiguration<'line'>['data']['datasets'] {
    return [
      { label: 'Lower', data: [], borderColor: 'transparent', pointRadius: 0, fill: false },
      { label: 'Expected band', data: [], borderColor: 'transparent', backgroundColor: withAlpha(c.green, 0.15), pointRadius: 0, fill: '-1' },
      { label: 'Expected', data: [], borderColor: c.green, borderDash: [4, 4], pointRadius: 0, borderWidth: 1.5 },
      { label: 'Observed', data: [], borderColor: c.blue, backgroundColor: c.blue, pointRadius: 2, borderWidth: 2 },
      { label: 'Anomaly', data: [], borderColor: c.red, backgroundColor: c.red, pointRadius: 5, pointStyle: 'circle', showLine: false },
    ];
  }

  private config(c: ThemeColors): ChartConfiguration<'line'> {
    const o = baseOptions(c);
    return {
      type: 'line',
      data: { labels: [], datasets: this.datasets(c) },
      options: { ...o, scales: { ...o.scales, y: { ...o.scales.y, beginAtZero: false } }, plugins: { ...o.plugins, legend: { labels: { color: c.foreground, filter: (item) => item.text !== 'Lower' } } } },
    };
  }

  update(series: AnomalyPoint[], anomalies: Anomaly[]): void {
    const at = new Map(anomalies.map((a) => [a.t, a]));
    this.chart.data.labels = series.map((p) => p.t.slice(0, 10));
    const [lower, upper, expected, observed, marks] = this.chart.data.datasets;
    lower.data = series.map((p) => p.lower);
    upper.data = series.map((p) => p.upper);
    expected.data = series.map((p) => p.expected);
    observed.data = series.map((p) => p.value);
    marks.data = series.map((p) => (at.has(p.t) ? p.value : null));
    this.chart.update();
  }

  applyTheme(): void {
    const c = themeColors();
    const fresh = this.datasets(c);
    this.chart.data.datasets.forEach((ds, i) => Object.assign(ds, { ...fresh[i], data: ds.data }));
    this.chart.update();
  }

  destroy(): void {
    this.chart.destroy();
  }
}

/** Recolour charts when VS Code switches theme (it changes the body's class). */
export function onThemeChange(fn: () => void): () => void {
  const observer = new MutationObserver(() => fn());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return () => observer.disconnect();
}
