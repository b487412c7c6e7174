#!/usr/bin/env bash
# Builds (if needed) and runs the whole test suite against the model mirror.
# Tests read real clips, photos and models from ../shared by path.
set -euo pipefail
cd "$(dirname "$0")/.."
export VEIL_MODEL_DIR="${VEIL_MODEL_DIR:-$PWD/../shared/models}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd build && ctest --output-on-failure -j"$(nproc)" "$@"
cd .. && scripts/test_python.sh
