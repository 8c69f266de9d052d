import { Pool, types } from 'pg';
import type { Db, Transaction } from './db';

// int8 (bigint ids, counts) as JS numbers, like PGlite returns them; ids stay far below 2^53.
types.setTypeParser(20, (v) => Number(v));

export async function openPostgres(databaseUrl: string, description = 'PostgreSQL (DATABASE_URL)', exclusive = false, connections = 10): Promise<Db> {
  const pool = new Pool({ connectionString: databaseUrl, max: connections });
  // An idle connection the server drops (restart, failover, admin) must not crash the backend:
  // the pool replaces it on the next query, which then fails or succeeds on its own.
  // pool.end() returns before its connections have finished closing: a server stopped right
  // after (the embedded store's) ends them, which is no news once the store is closing.
  let closing = false;
  pool.on('error', (err) => closing || process.stderr.write(`${JSON.stringify({ level: 'warn', source: 'store', message: `PostgreSQL dropped an idle connection: ${err.message}` })}\n`));
  // Fail at start-up with the server's own message rather than on the first request.
  const probe = await pool.connect();
  probe.release();
  return {
    kind: 'postgres',
    description,
    exclusive,
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
          exec: async (sql: string) => void (await client.query(sql)),
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      closing = true;
      await pool.end();
    },
  };
}
