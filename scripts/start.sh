#!/usr/bin/env bash
# `npm start`: installs, builds, and opens a real editor with the extension and a demo workspace
# (demo board and brand profile): a local VS Code, VSCodium or Cursor when one is installed, else
# code-server on 127.0.0.1, printing its URL (scripts/editor.ts; `npm start -- --help`-style
# options are listed there).
#
# `npm run serve` (start.sh --serve): the backend alone, as before: the demo board and brand
# profile in the default data folder, served on 127.0.0.1 (REST at /api, MCP at /mcp); further
# arguments go to `product-os serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/.bin ] || npm ci --no-audit --no-fund

if [ "${1:-}" = "--serve" ]; then
  shift
  npm run build
  node dist/cli.js demo
  exec node dist/cli.js serve "$@"
fi

npm run build
exec node --import tsx scripts/editor.ts "$@"
