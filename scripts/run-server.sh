#!/usr/bin/env bash
# Sets up (packages + build) and runs a one-machine shoal cluster with its embedded store:
# `shoal server` plus a `shoal agent` that registers this machine as a node and runs its pods.
# State lives in ${SHOAL_DATA_DIR:-/var/lib/shoal}; kubectl uses $SHOAL_DATA_DIR/admin.kubeconfig.
# The agent declares ${SHOAL_FAKE_GPUS:-8} fake GPUs (set SHOAL_FAKE_GPUS= to ask nvidia-smi).
# Ctrl-C (or SIGTERM) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
DATA_DIR="${SHOAL_DATA_DIR:-/var/lib/shoal}"
NODE="${SHOAL_NODE_NAME:-$(hostname)}"
FAKE_GPUS="${SHOAL_FAKE_GPUS-8}"
mkdir -p "$DATA_DIR"
rm -f "$DATA_DIR/admin.kubeconfig"  # written again once the server listens
./build/shoal server --data-dir "$DATA_DIR" --example-nodes "${SHOAL_EXAMPLE_NODES:-0}" "$@" &
SERVER=$!
AGENT=
stop() {
  trap - EXIT INT TERM
  [ -n "$AGENT" ] && kill -TERM "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
  kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  exit 0
}
trap stop EXIT INT TERM
for _ in $(seq 1 300); do
  [ -f "$DATA_DIR/admin.kubeconfig" ] && break
  kill -0 "$SERVER" 2>/dev/null || { echo "shoal: the server did not start" >&2; exit 1; }
  sleep 0.1
done
GPU_ARGS=()
[ -n "$FAKE_GPUS" ] && GPU_ARGS=(--fake-gpus "$FAKE_GPUS")
./build/shoal agent --kubeconfig "$DATA_DIR/admin.kubeconfig" --node-name "$NODE" \
  --data-dir "$DATA_DIR/agent" "${GPU_ARGS[@]}" &
AGENT=$!
echo "shoal: server and agent (node $NODE) running; in another shell:"
echo "  export KUBECONFIG=$DATA_DIR/admin.kubeconfig"
wait "$SERVER"
