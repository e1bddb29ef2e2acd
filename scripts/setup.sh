#!/usr/bin/env bash
# One-time (and idempotent) setup from a fresh clone: dependencies from the lock file, a nats-server
# binary, generated code and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1 && [ -z "${NATS_SERVER_BIN:-}" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: nats-server not found; installing Debian's package"
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  else
    echo "setup: nats-server is required (2.9 or newer, with JetStream)." >&2
    echo "       Install it from your package manager or https://github.com/nats-io/nats-server/releases," >&2
    echo "       or set NATS_SERVER_BIN to its path, or TTC_NATS_URL to an existing server." >&2
    exit 1
  fi
fi
echo "setup: $(nats-server --version 2>/dev/null || echo "nats-server at ${NATS_SERVER_BIN:-?}")"

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "setup: node_modules is up to date with package-lock.json"
else
  npm ci --no-audit --no-fund
fi
npx turbo run generate build
# The workspace bins (ttc, ttc-scheduler, …) point into dist/, which exists only after the build:
# link them now so `npx ttc` works.
npm rebuild --ignore-scripts >/dev/null
echo "setup: done. Start a local cluster with: npm start"
