#!/usr/bin/env bash
# Makes a real PostgreSQL available to the tests and prints its URL on stdout.
# Uses TEST_DATABASE_URL when it already answers; otherwise installs Debian's postgresql when
# it is missing (as root), and starts a private cluster on 127.0.0.1 that nothing else uses.
# Fails, saying why, when neither is possible: the PostgreSQL tests are never skipped.
set -euo pipefail

PORT="${PRODUCT_OS_TEST_PG_PORT:-54329}"
DIR="${PRODUCT_OS_TEST_PG_DIR:-/tmp/product-os-test-pg}"
log() { echo "ensure-postgres: $*" >&2; }

if [ -n "${TEST_DATABASE_URL:-}" ] && command -v psql >/dev/null && psql "$TEST_DATABASE_URL" -qtAc 'select 1' >/dev/null 2>&1; then
  echo "$TEST_DATABASE_URL"; exit 0
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL is not installed and this is not root: install Debian's postgresql or set TEST_DATABASE_URL"; exit 1
  fi
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

if [ ! -f "$DIR/PG_VERSION" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  as_owner "'$bin/initdb' -D '$DIR' -U postgres --auth=trust -E UTF8 >/dev/null"
fi
if ! as_owner "'$bin/pg_ctl' -D '$DIR' status" >/dev/null 2>&1; then
  as_owner "'$bin/pg_ctl' -D '$DIR' -w -t 60 -l '$DIR/server.log' -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >&2 \
    || { log "PostgreSQL did not start; its log:"; tail -20 "$DIR/server.log" >&2; exit 1; }
fi
url="postgres://postgres@127.0.0.1:$PORT/postgres"
for _ in $(seq 1 50); do
  if "$bin/psql" "$url" -qtAc 'select 1' >/dev/null 2>&1; then echo "$url"; exit 0; fi
  sleep 0.2
done
log "PostgreSQL at $url does not answer"; exit 1
