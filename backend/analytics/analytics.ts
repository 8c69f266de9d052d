import type { Config } from '../config';
import type { Warehouse } from './warehouse';

/** Opens the engine the settings choose. */
export type WarehouseOpener = (config: Config) => Promise<Warehouse>;

/**
 * The backend's one handle on its events warehouse, opened lazily on first use (most
 * sessions never touch analytics, and DuckDB takes its file lock only when it opens) and
 * closed with the backend. Only the backend process opens the DuckDB file: the CLI's
 * `events import` and `demo` go through a backend too.
 */
export class Analytics {
  private opening?: Promise<Warehouse>;
  private closed = false;

  constructor(
    private readonly config: Config,
    private readonly open: WarehouseOpener,
  ) {}

  warehouse(): Promise<Warehouse> {
    if (this.closed) return Promise.reject(new Error('the analytics warehouse is closed (the backend is stopping)'));
    if (!this.opening) {
      this.opening = this.open(this.config);
      // A failed open (locked file, bad settings) is retried on the next call, not cached.
      this.opening.catch(() => (this.opening = undefined));
    }
    return this.opening;
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    if (opening) await (await opening.catch(() => undefined))?.close();
  }
}
