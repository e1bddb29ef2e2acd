#!/usr/bin/env bash
# One-time (and idempotent) setup from a fresh clone: dependencies from the lock file, the binaries the
# tests run for real (nats-server, prometheus), generated code and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# Every cluster runs on NATS JetStream (`npm start` too); NATS_SERVER_BIN may point at a binary elsewhere.
if ! command -v nats-server >/dev/null 2>&1 && [ -z "${NATS_SERVER_BIN:-}" ]; then missing+=(nats-server); fi
# The metrics end-to-end test checks the services' numbers through a real Prometheus.
if ! command -v prometheus >/dev/null 2>&1; then missing+=(prometheus); fi
# The load generator's report test opens its HTML report in headless Chromium (CHROMIUM_BIN may point at one elsewhere).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_BIN:-}" ]; then missing+=(chromium); fi
# The gRPC security tests make a throw-away PKI with openssl.
if ! command -v openssl >/dev/null 2>&1; then missing+=(openssl); fi
# The NATS partition test puts a node in a network namespace with `ip` (skipped with its reason where that is refused).
if ! command -v ip >/dev/null 2>&1; then missing+=(iproute2); fi
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: ${missing[*]} not found; installing Debian's packages"
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    # No recommends: Debian's prometheus would bring node-exporter and friends, which no test needs.
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    for m in "${missing[@]}"; do
      case $m in
        nats-server)
          echo "setup: nats-server is required (2.9 or newer, with JetStream)." >&2
          echo "       Install it from your package manager or https://github.com/nats-io/nats-server/releases," >&2
          echo "       or set NATS_SERVER_BIN to its path, or TTC_NATS_URL to an existing server." >&2
          ;;
        prometheus)
          echo "setup: prometheus is required by the metrics end-to-end test." >&2
          echo "       Install it from your package manager or https://prometheus.io/download/." >&2
          ;;
        openssl)
          echo "setup: openssl is required by the gRPC TLS tests (they make their own certificates)." >&2
          ;;
        chromium)
          echo "setup: chromium is required by the load generator's report test (headless)." >&2
          echo "       Install it from your package manager, or set CHROMIUM_BIN to a Chromium or Chrome binary." >&2
          ;;
        iproute2)
          echo "setup: iproute2 (ip) is optional: without it the NATS partition test is skipped." >&2
          continue
          ;;
      esac
      required_missing=1
    done
    if [ -n "${required_missing:-}" ]; then exit 1; fi
  fi
fi
echo "setup: $(nats-server --version 2>/dev/null || echo "nats-server at ${NATS_SERVER_BIN:-?}")"
echo "setup: $(prometheus --version 2>&1 | head -n 1)"
echo "setup: $("${CHROMIUM_BIN:-chromium}" --version 2>/dev/null || echo "chromium at ${CHROMIUM_BIN:-?}")"

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
