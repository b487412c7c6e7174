#!/usr/bin/env bash
# Configures build-asan/: Veil, its CLI, its tests and its libFuzzer targets,
# all built by clang with AddressSanitizer, LeakSanitizer and UBSan. One
# build serves scripts/test_sanitized.sh and scripts/fuzz.sh: as two builds
# (gcc for the tests, clang for the fuzz targets) they took half of CI's
# time. Line tables are all the debug information a sanitizer's report
# needs (file and line of each frame); full debug information made a 260 MB
# test binary that was slow to compile and link.
set -euo pipefail
cd "$(dirname "$0")/.."
# A build-asan/ made by another compiler (gcc, before) cannot be reconfigured
# for clang in place.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
flags="-O2 -gline-tables-only -DNDEBUG"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" \
  -DVEIL_SANITIZE=ON -DVEIL_FUZZ=ON -DVEIL_SHARED=OFF -DVEIL_BUILD_BENCH=OFF >/dev/null
