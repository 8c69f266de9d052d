/** What every benchmark returns; the runner adds `bench` and prints it as one JSON line. */
export interface BenchResult {
  /** ours ÷ reference, for the figure the target is about. */
  ratio: number;
  /** Human-readable target, e.g. ">=0.8". */
  target: string;
  pass: boolean;
  [figure: string]: unknown;
}

/** Nearest-rank percentile of an ascending-sorted sample (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds to `digits` decimals, for readable JSON. */
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A positive number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}

export const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
