#!/usr/bin/env bash
# Runs every test of the project, as CI does: installs missing Debian packages, then for each stage
# builds a CMake preset and runs its CTest suites.
#   default  GCC build: unit, property, conformance, mutation check, TLA+ models (skipped without
#            TLA2TOOLS_JAR), the end-to-end tests (real node processes on loopback, and a partition
#            between network namespaces when run as root), libFuzzer-free
#   asan     the unit, property (250 cases each), conformance and end-to-end suites under ASan + UBSan
#   tsan     the end-to-end suites (real nodes, the CLI, the workload, the load tool) and the unit tests
#            that run threads (label threads: the client library, the HTTP server) under ThreadSanitizer
#   fuzz     clang + libFuzzer: a bounded smoke run of every fuzzer over its corpus
# Usage: scripts/test.sh [STAGE...]   (no stage: all four, in that order)
# Each stage has a time budget (seconds; override with DYNAMO_BUDGET_<STAGE>=...; 2400/1500/900/1000,
# so the four stay inside CI's 90 minutes with cold caches, which take about 22/13/11/6): a stage that
# runs past it fails, so CI stays inside its limit. Property tests print the seed they use.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(default asan tsan fuzz)

if [[ -z "${TLA2TOOLS_JAR:-}" && -f "$root/../shared/tools/tla2tools.jar" ]]; then
  export TLA2TOOLS_JAR="$root/../shared/tools/tla2tools.jar"
fi
echo "test.sh: stages: ${stages[*]}; TLA2TOOLS_JAR=${TLA2TOOLS_JAR:-<unset: TLA+ models will be SKIPPED>}"
"$root/scripts/install-deps.sh"

declare -A budget=([default]=${DYNAMO_BUDGET_DEFAULT:-2400} [asan]=${DYNAMO_BUDGET_ASAN:-1500}
                   [tsan]=${DYNAMO_BUDGET_TSAN:-900} [fuzz]=${DYNAMO_BUDGET_FUZZ:-1000})
declare -A selection=([default]="" [asan]="-LE 'mutation|tla|slow'" [tsan]="-L 'e2e|threads'" [fuzz]="-L fuzz")
# The tsan stage builds only what its tests run (the rest has no threads of its own).
declare -A targets=([default]="" [asan]="" [tsan]="dynamo history_workload dynamo_load client_tests http_server_tests" [fuzz]="")
# Under the sanitizers each property runs 250 cases (they hunt memory errors, and run ~10x slower);
# the default stage runs the full 1,000. A seed is still drawn and printed unless RC_PARAMS has one.
# Under TSan a race is reported in the process's output (a node's log, which the e2e harness scans)
# and makes it exit 66, which every e2e test checks.
declare -A environment=([default]="" [asan]="RC_PARAMS='max_success=250 ${RC_PARAMS:-}' LSAN_OPTIONS='suppressions=$root/scripts/lsan.supp:print_suppressions=0'"
                        [tsan]="TSAN_OPTIONS='second_deadlock_stack=1 suppressions=$root/scripts/tsan.supp'" [fuzz]="")
# After a stage: the seed every property test drew, and the TLC results, read from CTest's log
# (passing tests' output is not shown otherwise), so a CI log always says what ran.
report() {
  local log="build/$1/Testing/Temporary/LastTest.log"
  [[ -f "$log" ]] || return 0
  echo "--- stage $1: property seeds (rerun one: RC_PARAMS=\"seed=N\" build/$1/proptests/proptests --gtest_filter=NAME)"
  awk '/^[0-9]+\/[0-9]+ Testing: /{name=$3} /RC_PARAMS="[^"]*seed=/{match($0,/seed=[0-9]+/); print "  " name, substr($0,RSTART,RLENGTH)}' "$log"
  if grep -q '^simulator counts' "$log"; then
    echo "--- stage $1: what the simulator properties exercised (build/$1/proptests/sim_proptests)"
    grep -E '^simulator counts|^R=1 W=1 N=3|^mutation-check: [0-9]' "$log" | sed 's/^/  /'
  fi
  if grep -q '^TRACE \|^fresh trace' "$log"; then
    echo "--- stage $1: traces replayed by TLC"
    grep -E '^fresh trace|^[a-z_0-9]+\.ndjson +(accept|reject)' "$log" | sed 's/^/  /'
  fi
  if grep -q 'history_workload: seed' "$log"; then
    echo "--- stage $1: end-to-end runs (real processes; the history checker's verdicts)"
    grep -E 'history_workload: seed|^writes: |^hints kept|checked alone|"verdict"|"acknowledged"|"unknown"' "$log" |
      sed 's/.*\(history_workload: seed\)/\1/; s/^/  /'
  fi
  if grep -q '^MODEL ' "$log"; then
    echo "--- stage $1: TLC models"
    sed -n '/^MODEL /,/^check-tla:/p' "$log" | sed 's/^/  /'
  fi
}
summary=()
failed=0
for stage in "${stages[@]}"; do
  [[ -n "${budget[$stage]:-}" ]] || { echo "test.sh: unknown stage '$stage' (default, asan, tsan, fuzz)" >&2; exit 2; }
  start=$(date +%s)
  echo "=== stage $stage: build (budget ${budget[$stage]} s for build and tests)"
  # shellcheck disable=SC2086
  if timeout --foreground "${budget[$stage]}" bash -c "
        '$root/scripts/build.sh' '$stage' ${targets[$stage]} &&
        env ${environment[$stage]} ctest --test-dir 'build/$stage' --output-on-failure -j 2 ${selection[$stage]}"; then
    result=passed
  else
    result="FAILED (exit $?; 124 means over budget)"
    failed=1
  fi
  report "$stage"
  summary+=("stage $stage: $result in $(( $(date +%s) - start )) s")
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit $failed
