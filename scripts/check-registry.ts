// Checks a registry file in full and writes its checked form beside it (`<file>.checked.json`),
// so that the backend that ships with it skips the check at every start, the first included.
// The build runs it on dist/tool-registry.yaml; an invalid registry fails the build here.
//
//   node --import tsx scripts/check-registry.ts dist/tool-registry.yaml
import { RegistryError, shippedCheckFile, writeShippedCheck } from '../registry/loader';

const file = process.argv[2];
if (!file) {
  console.error('usage: check-registry.ts <tool-registry.yaml>');
  process.exit(2);
}
try {
  writeShippedCheck(file);
  console.error(`check-registry: ${file} checked, wrote ${shippedCheckFile(file)}`);
} catch (err) {
  console.error(`check-registry: ${err instanceof RegistryError ? err.message : String(err)}`);
  process.exit(1);
}
