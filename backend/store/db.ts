import * as fs from 'node:fs';
import * as path from 'node:path';
// Imported up front, not with import(): openDb must spawn the embedded server (initdb on a new
// folder) before it returns, so that the caller's synchronous work after it (the registry check,
// about half a second on a new folder) overlaps the server's start instead of delaying it — an
// import() resolves only once that synchronous work has finished.
import { embeddedPostgresUnavailable, openEmbeddedPostgres } from './embedded-postgres';

/**
 * The one database interface the backend talks to. Two implementations share the same SQL:
 * PGlite (Postgres compiled to WASM, the embedded default) and a real PostgreSQL through `pg`.
 * Everything is `$n` parameters; JSON goes in as text cast with `::jsonb` so both drivers agree.
 */
export interface Db {
  /** The SQL engine's behaviour (several connections and SKIP LOCKED on postgres, one on pglite). */
  readonly kind: 'pglite' | 'postgres';
  /**
   * True when no other backend can use this store (the embedded ones: the data-folder lock
   * says so): every run owner and container session but this backend's own is then dead, with
   * no heartbeat to wait for. False for DATABASE_URL, which several backends may share.
   */
  readonly exclusive: boolean;
  /** What serves it, for people: `embedded PostgreSQL in …`, `PostgreSQL (DATABASE_URL)`, `embedded PGlite in … (why)`. */
  readonly description: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type Queryable = Pick<Db, 'query'>;
export type Transaction = Pick<Db, 'query' | 'exec'>;

/**
 * The store for this backend: DATABASE_URL when set; otherwise the embedded default in the data
 * folder — a PostgreSQL server run from the bundled binaries (see embedded-postgres.ts for why),
 * or PGlite where those cannot run, where the user chose it, or where the folder already holds a
 * PGlite database (its data stays where it is).
 */
export async function openDb(opts: { databaseUrl?: string; dataDir: string; store?: 'auto' | 'postgres' | 'pglite' }): Promise<Db> {
  if (opts.databaseUrl) {
    const { openPostgres } = await import('./postgres');
    return openPostgres(opts.databaseUrl);
  }
  const store = opts.store ?? 'auto';
  const pgliteFolder = fs.existsSync(path.join(opts.dataDir, 'pgdata')) && !fs.existsSync(path.join(opts.dataDir, 'postgres'));
  const unavailable = store === 'pglite' ? 'PRODUCT_OS_STORE=pglite' : pgliteFolder ? 'this data folder holds a PGlite database' : embeddedPostgresUnavailable(opts.dataDir);
  if (!unavailable) return openEmbeddedPostgres(opts.dataDir);
  if (store === 'postgres') throw new Error(`PRODUCT_OS_STORE=postgres, but the embedded PostgreSQL cannot run: ${unavailable}`);
  // Never an empty PGlite in place of a database the folder already holds.
  if (store === 'auto' && fs.existsSync(path.join(opts.dataDir, 'postgres', 'PG_VERSION'))) {
    throw new Error(`${opts.dataDir} holds an embedded PostgreSQL database, but the server cannot run now: ${unavailable}`);
  }
  const { openPglite } = await import('./pglite');
  return openPglite(opts.dataDir, unavailable);
}
