#!/usr/bin/env bash
# Builds the Dockerfile with buildah (no Docker engine needed) and checks the image: every entrypoint
# starts from it and a query runs through a scheduler, worker and verifier each in its own container.
#
#   bash scripts/build-image.sh              # FROM node:22-bookworm-slim, pulled from a registry
#   STANDIN=1 bash scripts/build-image.sh    # no registry: a stand-in base made from this machine's node and npm
#   CHECK_ONLY=1 bash scripts/build-image.sh # check an image built before
#
# Needs root and buildah (Debian: apt-get install buildah); vfs storage and chroot isolation, which work
# where overlay mounts and OCI runtimes do not. The stand-in base carries this machine's node (20 here,
# not the 22 the published image uses): it exercises every step of the Dockerfile, not the Node version.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v buildah >/dev/null || { echo "buildah is not installed (Debian: apt-get install buildah)" >&2; exit 1; }
B=(buildah --storage-driver vfs)
VERSION=$(node -p 'require("./services/scheduler/package.json").version')
TAG=${TAG:-localhost/ttc:$VERSION}
BASE=node:22-bookworm-slim

if [ "${STANDIN:-0}" = 1 ]; then
  BASE=localhost/ttc-node-standin:latest
  if ! "${B[@]}" inspect "$BASE" >/dev/null 2>&1; then
    echo "building the stand-in base $BASE from this machine's node and npm"
    ctr=$("${B[@]}" from scratch)
    mnt=$("${B[@]}" mount "$ctr")
    progs=(/usr/bin/node /bin/sh /bin/dash /bin/rm /bin/ln /bin/mkdir /bin/cp /bin/mv /bin/chmod /bin/cat /bin/ls /usr/bin/env /usr/bin/uname /bin/sed /usr/bin/dirname)
    files=("${progs[@]}")
    # glibc whole (as a Debian slim base has it): native addons load more of it than the programs above.
    for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2 libutil.so.1 libanl.so.1 \
      libnss_files.so.2 libnss_dns.so.2 libstdc++.so.6 libgcc_s.so.1 libz.so.1; do
      if [ -e "/lib/x86_64-linux-gnu/$lib" ]; then files+=("/lib/x86_64-linux-gnu/$lib"); fi
    done
    for p in "${progs[@]}"; do files+=($(ldd "$p" 2>/dev/null | awk '/=>/ {print $3} /^[ \t]*\/lib/ {print $1}')); done
    for f in "${files[@]}"; do mkdir -p "$mnt$(dirname "$f")"; cp -L "$f" "$mnt$f"; done
    mkdir -p "$mnt/usr/lib/node_modules" "$mnt/usr/local/bin" "$mnt/tmp" "$mnt/etc/ssl" "$mnt/root"
    chmod 1777 "$mnt/tmp"
    cp -a /usr/lib/node_modules/npm "$mnt/usr/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/bin/npx"
    cp -aL /etc/ssl/certs "$mnt/etc/ssl/certs"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$mnt/etc/passwd"
    printf 'root:x:0:\n' >"$mnt/etc/group"
    # This machine's npm settings come along (a registry mirror, or the CA of a TLS-inspecting proxy).
    if [ -f /etc/npmrc ]; then cp /etc/npmrc "$mnt/etc/npmrc"; fi
    extra=()
    if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then extra=(--env "NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS"); fi
    "${B[@]}" config --env PATH=/usr/local/bin:/usr/bin:/bin --env HOME=/root "${extra[@]}" "$ctr"
    "${B[@]}" umount "$ctr"
    "${B[@]}" commit -q "$ctr" "$BASE" >/dev/null
    "${B[@]}" rm "$ctr" >/dev/null
  fi
fi

if [ "${CHECK_ONLY:-0}" != 1 ]; then
  echo "building $TAG on $BASE"
  "${B[@]}" bud --isolation chroot --pull=never --layers=false --build-arg NODE_IMAGE="$BASE" -t "$TAG" .
fi

echo "checking $TAG: entrypoints, then a query through three containers"
NATS_DIR=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
nats-server -js -sd "$NATS_DIR" -a 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
containers=()
cleanup() {
  for c in "${containers[@]}"; do "${B[@]}" rm "$c" >/dev/null 2>&1 || true; done
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$NATS_DIR"
}
trap cleanup EXIT
run() { # NAME [OPTION...] -- COMMAND... : runs in a fresh container of the image (host network: chroot isolation)
  local name=$1; shift
  local opts=()
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  local c; c=$("${B[@]}" from --pull=never --name "ttc-image-check-$name-$$" "$TAG")
  containers+=("$c")
  "${B[@]}" run --isolation chroot --env TTC_NATS_URL="nats://127.0.0.1:$PORT" --env TTC_NAMESPACE=img --env TTC_METRICS_PORT=0 "${opts[@]}" "$c" -- "$@"
}
c=$("${B[@]}" from --pull=never "$TAG"); containers+=("$c")
"${B[@]}" run --isolation chroot "$c" -- ttc --help >/dev/null
[ "$("${B[@]}" inspect --format '{{.OCIv1.Config.User}}' "$TAG")" = "10001:10001" ] || { echo "the image does not run as 10001" >&2; exit 1; }
GRPC=$((PORT + 1))
run scheduler --env TTC_GRPC_PORT="$GRPC" -- ttc-scheduler >/tmp/ttc-image-scheduler.log 2>&1 &
sleep 3
run verifier -- ttc-verifier >/tmp/ttc-image-verifier.log 2>&1 &
run worker --env TTC_WORKER_ID=image-worker -- ttc-worker >/tmp/ttc-image-worker.log 2>&1 &
for _ in $(seq 1 60); do
  if node packages/cli/dist/main.js solve --addr "127.0.0.1:$GRPC" --json --timeout-ms 5000 "sim puzzle 1" >/tmp/ttc-image-solve.json 2>/dev/null; then
    echo "a query answered through the image's scheduler, worker and verifier: $(node -p 'JSON.parse(require("fs").readFileSync("/tmp/ttc-image-solve.json")).answer')"
    exit 0
  fi
  sleep 1
done
echo "no answer through the image's services; logs in /tmp/ttc-image-*.log" >&2
exit 1
