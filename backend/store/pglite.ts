import * as path from 'node:path';
import * as fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Transaction } from './db';
import { makePrivate } from '../private-files';

/** Embedded Postgres in the data directory. One process at a time: see data-dir-lock.ts. */
export async function openPglite(dataDir: string): Promise<Db> {
  const dir = path.join(dataDir, 'pgdata');
  // Every run's input is in here: private to this user whoever made the folder (0700/0600).
  makePrivate(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
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
