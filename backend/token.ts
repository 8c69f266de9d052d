import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makePrivate } from './private-files';

/**
 * The bearer token every request must carry: PRODUCT_OS_TOKEN when set, else one generated
 * once into the data folder, readable by this user only (0600).
 */
export function resolveToken(dataDir: string, configured?: string): { token: string; file?: string } {
  // The data folder (with PostgreSQL too it holds the token and the lock) is private to this user.
  makePrivate(dataDir);
  if (configured) return { token: configured };
  const file = path.join(dataDir, 'token');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, file };
  } catch {
    /* first start */
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { token, file };
}
