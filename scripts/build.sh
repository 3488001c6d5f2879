#!/usr/bin/env bash
# Configures and builds one CMake preset, installing missing Debian
# packages first. Usage: scripts/build.sh [PRESET [TARGET...]] (default: preset "default", all targets;
# the presets: default, asan, tsan, fuzz).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
preset=${1:-default}
shift || true
targets=()
for target in "$@"; do targets+=(--target "$target"); done
"$root/scripts/install-deps.sh" >&2
cd "$root"
# ccache keys on paths relative to the checkout, so fresh clones in other folders share the cache.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1
cmake --preset "$preset" >&2
cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}" >&2
