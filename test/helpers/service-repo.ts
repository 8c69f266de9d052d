import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The static busybox the test service runs (Debian's busybox-static): no base image to pull. */
export const BUSYBOX = '/usr/bin/busybox';

/** A Dockerfile for a tiny HTTP service: busybox httpd on $PORT, saying which revision it is. */
export const SERVICE_DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY www /www
CMD ["/bin/busybox", "sh", "-c", "echo serving $K_REVISION on $PORT; exec /bin/busybox httpd -f -v -p $PORT -h /www"]
`;

/** A git repository with the service at its first commit; `commit` adds more. Needs the static busybox. */
export class ServiceRepo {
  constructor(readonly dir: string) {
    if (!fs.existsSync(BUSYBOX)) throw new Error(`the test service needs a static busybox at ${BUSYBOX} (apt-get install busybox-static)`);
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(dir, 'busybox'));
    this.git('init', '-q', '-b', 'main');
    this.git('config', 'user.email', 'test@example.invalid');
    this.git('config', 'user.name', 'test');
  }

  /** Writes the files, commits them and returns the commit. */
  commit(files: Record<string, string>, message: string): string {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.dir, name)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, name), text);
    }
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' });
  }
}
