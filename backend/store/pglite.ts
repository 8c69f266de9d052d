import * as path from 'node:path';
import * as fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Transaction } from './db';
import { makePrivate } from '../private-files';

/**
 * Postgres' defaults (128 MB of shared buffers, all touched in WASM memory) sized down for one
 * user: measured on an existing folder, 312 MB resident with the defaults, 169 MB with these.
 */
const SMALL_SERVER = ['shared_buffers=16MB', 'wal_buffers=1MB', 'work_mem=2MB', 'maintenance_work_mem=16MB', 'temp_buffers=2MB'];

/** Embedded Postgres in the data directory (the fallback where embedded-postgres.ts cannot run). One process at a time: see data-dir-lock.ts. */
export async function openPglite(dataDir: string, why?: string): Promise<Db> {
  const dir = path.join(dataDir, 'pgdata');
  // Every run's input is in here: private to this user whoever made the folder (0700/0600).
  makePrivate(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pg = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...SMALL_SERVER.flatMap((s) => ['-c', s])] });
  return {
    kind: 'pglite',
    exclusive: true,
    description: `embedded PGlite in ${dir}${why ? ` (${why})` : ''}`,
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
