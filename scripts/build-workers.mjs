#!/usr/bin/env node
// Builds the worker image(s) locally from files on this host, with no registry pull:
// the host's Node binary and the shared libraries it links, the bundled worker runtime and a
// passwd entry for a non-root user, imported as one layer (`FROM scratch` in effect).
//
// Skipped when an image with the same name, tag and content-hash label exists already.
// Prints the image reference on stdout; progress on stderr. `--force` rebuilds anyway.
//
// Needs a Docker engine that answers (scripts/ensure-docker.sh starts one).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, buildIfChanged, bundleForNode, hostNodeFiles, runMain, sharedLibraries, userFiles } from './host-image.mjs';

const say = (m) => process.stderr.write(`build-workers: ${m}\n`);

const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'workers/images/worker/image.json'), 'utf8'));
const [uid, gid] = spec.user.split(':').map(Number);

/** Every file of the root filesystem: image path → host file, content or link. */
async function rootfsPlan() {
  const files = hostNodeFiles('/usr/local/bin/node');
  files.set('/app/worker.js', { content: await bundleForNode(spec.entry), mode: 0o644 });
  // Other entry points in the same image (the card agent's MCP servers, started by docker exec).
  for (const [target, entry] of Object.entries(spec.bundles ?? {})) files.set(target, { content: await bundleForNode(entry), mode: 0o644 });
  // A shell and the usual commands for the card agent's terminal: a static busybox and one link
  // per applet. Missing (no busybox-static): the image still builds, its terminal has no shell.
  if (spec.busybox) {
    if (fs.existsSync(spec.busybox) && sharedLibraries(spec.busybox).length === 0) {
      files.set('/bin/busybox', { from: fs.realpathSync(spec.busybox), mode: 0o755 });
      const applets = execFileSync(spec.busybox, ['--list'], { encoding: 'utf8', timeout: 30_000 }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
      for (const a of applets) files.set(`/bin/${a}`, { link: 'busybox' });
      files.set('/usr/bin/env', { link: '/bin/busybox' });
    } else {
      say(`no static busybox at ${spec.busybox} (Debian: apt-get install busybox-static): the card agent's terminal will have no shell`);
    }
  }
  for (const [p, f] of userFiles(spec.userName, uid, gid)) files.set(p, f);
  return files;
}

runMain(
  () =>
    buildIfChanged({
      spec,
      plan: rootfsPlan,
      dirs: [
        ['/tmp', 0o1777],
        ['/out', 0o755],
        ['/logs', 0o755],
        ['/workspace', 0o755],
      ],
      // Directories became 0755 whatever the umask: a layout change the files do not show.
      salts: ['layout 2: 0755 directories'],
      changes: [`USER ${spec.user}`, 'WORKDIR /tmp', 'ENV HOME=/tmp NODE_ENV=production', 'ENTRYPOINT ["/usr/local/bin/node", "/app/worker.js"]'],
      say,
      tmpPrefix: 'product-os-worker-rootfs-',
    }),
  say,
);
