/**
 * The one database interface the backend talks to. Two implementations share the same SQL:
 * PGlite (Postgres compiled to WASM, the embedded default) and a real PostgreSQL through `pg`.
 * Everything is `$n` parameters; JSON goes in as text cast with `::jsonb` so both drivers agree.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type Queryable = Pick<Db, 'query'>;
export type Transaction = Pick<Db, 'query' | 'exec'>;

export async function openDb(opts: { databaseUrl?: string; dataDir: string }): Promise<Db> {
  if (opts.databaseUrl) {
    const { openPostgres } = await import('./postgres');
    return openPostgres(opts.databaseUrl);
  }
  const { openPglite } = await import('./pglite');
  return openPglite(opts.dataDir);
}
