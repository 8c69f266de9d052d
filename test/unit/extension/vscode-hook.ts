/**
 * Makes `require('vscode')` resolve to ./vscode-fake.ts in unit tests. Import it first in a
 * test file that loads extension modules which import `vscode`.
 */
import Module from 'node:module';
import * as path from 'node:path';

const fakePath = path.join(__dirname, 'vscode-fake.ts');
const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = mod._resolveFilename;
if (!(original as { productOsHooked?: boolean }).productOsHooked) {
  const hooked = function (this: unknown, request: string, ...rest: unknown[]) {
    if (request === 'vscode') return fakePath;
    return original.call(this, request, ...rest);
  };
  (hooked as { productOsHooked?: boolean }).productOsHooked = true;
  mod._resolveFilename = hooked;
}
