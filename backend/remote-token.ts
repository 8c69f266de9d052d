import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from './config';
import { ProductOsError } from './errors';

/**
 * The token for a backend at PRODUCT_OS_URL: PRODUCT_OS_TOKEN, else the one that backend keeps
 * in its data folder (`--data`, else the default folder), as on the same machine it usually is.
 */
export function remoteToken(data: string | undefined): string {
  if (process.env.PRODUCT_OS_TOKEN) return process.env.PRODUCT_OS_TOKEN;
  const file = path.join(data ? path.resolve(data) : loadConfig(process.env).dataDir, 'token');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new ProductOsError('not_configured', `PRODUCT_OS_URL is set but PRODUCT_OS_TOKEN is not, and there is no token file at ${file}`);
  }
}
