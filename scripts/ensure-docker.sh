#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the worker tests and `npm run workers:build`.
#
# - As root, with apt-get: Debian's busybox-static when /bin/busybox is missing (the card
#   agent's shell in the worker image).
# - `docker info` works already: done.
# - Otherwise, as root: install Debian's docker.io when dockerd is missing, start
#   `dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none` in the
#   background (log: $PRODUCT_OS_DOCKERD_LOG, default /var/log/product-os-dockerd.log) and wait,
#   bounded, until `docker info` answers. Those flags keep containers off every outside
#   network and work without overlayfs or iptables.
# - Otherwise: fail, saying what is missing.
#
# Idempotent and safe to run concurrently (one flock). Prints nothing on stdout except, when it
# had to start the engine, `DOCKER_HOST=unix:///var/run/docker.sock`; everything else on stderr.
set -euo pipefail

WAIT_S=${PRODUCT_OS_DOCKER_WAIT_S:-60}
LOG=${PRODUCT_OS_DOCKERD_LOG:-/var/log/product-os-dockerd.log}
SOCK=/var/run/docker.sock

say() { echo "ensure-docker: $*" >&2; }
answers() { timeout 10 docker info >/dev/null 2>&1; }

# The card agent's terminal runs busybox sh inside the worker image (build-workers.mjs copies
# /bin/busybox in): as root, install Debian's static build when it is missing.
if [ ! -x /bin/busybox ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing busybox-static (apt-get) for the card agent's terminal"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends busybox-static >&2 \
    || say "could not install busybox-static: the worker image will have no shell for the card agent"
fi

if command -v docker >/dev/null 2>&1 && answers; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  if ! command -v docker >/dev/null 2>&1; then
    say "no docker client on PATH and not root: install docker.io (apt-get install -y docker.io) and start dockerd, or set DOCKER_HOST"
  else
    why=$(timeout 10 docker info 2>&1 | grep -m1 -iE 'cannot|error|permission' | cut -c1-200 || true)
    hint="start dockerd (as root: this script) or set DOCKER_HOST"
    case "$why" in *"permission denied"*) hint="add this user to the docker group, or run as root" ;; esac
    say "the Docker engine does not answer (${why:-no answer}) and this is not root, so it cannot be started here: $hint"
  fi
  exit 1
fi

# One starter at a time: a second caller waits for the first, then finds the engine up.
exec 9>/var/lock/product-os-ensure-docker.lock
if ! timeout "$((WAIT_S + 300))" flock 9; then say "timed out waiting for another ensure-docker"; exit 1; fi
if command -v docker >/dev/null 2>&1 && answers; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  say "installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >&2 || { say "apt-get update failed"; exit 1; }
  timeout 600 apt-get install -y -qq --no-install-recommends docker.io >&2 || { say "apt-get install docker.io failed"; exit 1; }
fi
command -v dockerd >/dev/null 2>&1 || { say "dockerd is still missing after installing docker.io"; exit 1; }

if ! pgrep -x dockerd >/dev/null 2>&1; then
  # A stale pid file or socket from a killed engine would stop the new one.
  rm -f /var/run/docker.pid
  [ -S "$SOCK" ] && rm -f "$SOCK"
  pgrep -x containerd >/dev/null 2>&1 || rm -f /var/run/docker/containerd/containerd.pid 2>/dev/null || true
  say "starting dockerd (log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  # setsid + nohup: the engine outlives this script and the test run that called it.
  setsid nohup dockerd --storage-driver=vfs --iptables=false --ip-masq=false --bridge=none \
    --host="unix://$SOCK" >>"$LOG" 2>&1 </dev/null &
fi

deadline=$((SECONDS + WAIT_S))
until answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "dockerd did not answer within ${WAIT_S}s; last lines of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd exited; last lines of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "DOCKER_HOST=unix://$SOCK"
