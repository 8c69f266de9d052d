#!/usr/bin/env bash
# `npm start`: installs, builds, fills the data folder with a demo board and brand profile,
# and serves the backend on 127.0.0.1 (REST at /api, MCP at /mcp).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
npm run build
node dist/cli.js demo
exec node dist/cli.js serve "$@"
