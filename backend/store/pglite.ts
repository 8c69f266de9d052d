import * as path from 'node:path';
import * as fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Transaction } from './db';

/** Embedded Postgres in the data directory. One process at a time: see data-dir-lock.ts. */
export async function openPglite(dataDir: string): Promise<Db> {
  const dir = path.join(dataDir, 'pgdata');
  fs.mkdirSync(dir, { recursive: true });
  const pg = await PGlite.create(dir);
  return {
    kind: 'pglite',
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pg.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    transaction<T>(fn: (tx: Transaction) => Promise<T>) {
      return pg.transaction(async (tx) =>
        fn({
          query: async <R>(sql: string, params: unknown[] = []) => (await tx.query(sql, params)).rows as R[],
          exec: async (sql: string) => void (await tx.exec(sql)),
        }),
      );
    },
    async close() {
      await pg.close();
    },
  };
}
