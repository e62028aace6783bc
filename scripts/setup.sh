#!/usr/bin/env bash
# Installs every Debian 12 package shoal needs to build and test, then configures and builds
# build/shoal. Idempotent; run as root on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libyaml-dev libabsl-dev libcli11-dev libspdlog-dev libfmt-dev
  libjemalloc-dev libnghttp2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-kubernetes python3-pytest python3-yaml python3-h2 openssl curl ca-certificates
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
fi

BUILD_TYPE="${SHOAL_BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
cmake --build build -j2
