#!/usr/bin/env bash
# Sets up (packages + build) and runs every test: unit tests and end-to-end tests that drive
# the built binary with the real kubectl and the Python kubernetes client.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
command -v kubectl >/dev/null || { echo "error: kubectl (v1.32) is required for the e2e tests" >&2; exit 1; }
cd build
ctest --output-on-failure -j2 "$@"
