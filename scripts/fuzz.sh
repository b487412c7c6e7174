#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside data (src/*_fuzz.cpp)
# with libFuzzer, AddressSanitizer and UBSan, built by clang into build-asan/
# beside the sanitized test suite (scripts/configure_sanitized.sh).
#
#   scripts/fuzz.sh                  a smoke run: each target replays its seed corpus and
#                                    runs 2,000 mutations (what .ci/run does)
#   scripts/fuzz.sh --seconds 600    each target for 10 minutes; prints executions per target
#   scripts/fuzz.sh --seconds 60 sidecar_fuzz   one target
#
# Seeds are made from real files (../shared, the repository's test data) by
# scripts/fuzz_seeds.py into build-asan/fuzz/seeds/; what a run adds goes
# to build-asan/fuzz/corpus/, and a crash to build-asan/fuzz/crashes/ (turn
# each into a regression test). Exits non-zero when any target crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${VEIL_SHARED_DIR:-$PWD/../shared}"
seconds=0
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(sidecar_fuzz annotations_fuzz manifest_fuzz job_fuzz s3_xml_fuzz image_source_fuzz video_source_fuzz)
((${#targets[@]})) || targets=("${all[@]}")

scripts/configure_sanitized.sh
cmake --build build-asan -j"$(nproc)" --target "${targets[@]}"
work=build-asan/fuzz

[ -d "$work/seeds" ] || /usr/bin/python3 scripts/fuzz_seeds.py "$shared" "$work/seeds"
mkdir -p "$work/crashes"
# ASan's leak check stays on; libraries Veil does not build are suppressed
# as in the test suite.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  if ((seconds > 0)); then limit=(-max_total_time="$seconds"); else limit=(-runs=2000); fi
  log="$work/$t.log"
  if build-asan/"$t" "$work/corpus/$t" "$work/seeds/$t" "${limit[@]}" -timeout=20 -rss_limit_mb=3072 \
      -max_len=262144 -artifact_prefix="$work/crashes/$t-" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $t: $runs executions, no crash"
  else
    echo "fuzz: $t: FAILED (log: $log)"
    tail -40 "$log"
    status=1
  fi
done
exit $status
