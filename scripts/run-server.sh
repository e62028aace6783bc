#!/usr/bin/env bash
# Sets up (packages + build) and runs a one-machine shoal cluster with its embedded store.
# State lives in ${SHOAL_DATA_DIR:-/var/lib/shoal}; kubectl uses $SHOAL_DATA_DIR/admin.kubeconfig.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
DATA_DIR="${SHOAL_DATA_DIR:-/var/lib/shoal}"
echo "shoal: starting the server; in another shell: export KUBECONFIG=$DATA_DIR/admin.kubeconfig"
exec ./build/shoal server --data-dir "$DATA_DIR" --example-nodes "${SHOAL_EXAMPLE_NODES:-3}" "$@"
