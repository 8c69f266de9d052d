import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProductOsError } from './errors';

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt
 * it. The lock file holds the owner's pid; a lock whose process is gone (kill -9) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'backend.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      // Our own pid too: a second backend in this process would open the same PGlite files.
      if (pid && isAlive(pid)) {
        throw new ProductOsError('data_dir_locked', `the data folder ${dataDir} is in use by another Product OS backend (pid ${pid}); point PRODUCT_OS_URL at it or use another --data folder`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new ProductOsError('data_dir_locked', `could not lock the data folder ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
