#!/usr/bin/env bash
# Model-checks tla/Dynamo.tla and tla/Membership.tla with TLC: runs every model below and compares
# each outcome with the expected one ("pass", or the exact name of the invariant or property that must
# be violated: the *_bug models must fail, a check that cannot fail proves nothing).
#
# usage: scripts/check-tla.sh [--all] [--only MODEL]... [BUILD_DIR]
#   BUILD_DIR  where TLC writes its state and counterexamples (default: build/tlc); nothing is
#              written into tla/ (-metadir, -noGenerateSpecTE).
#   --all      also run the models labelled "big" (run by hand; too slow for CI).
#   --only M   run only model M (repeatable; big models included when named).
# Needs TLA2TOOLS_JAR naming tla2tools.jar (TLC 2.20) and Java 17. Without it: prints
# "SKIPPED: TLA2TOOLS_JAR not set" and exits 77 (CTest SKIP_RETURN_CODE), never reporting a pass.
# Exit: 0 every outcome as expected; 1 a mismatch; 2 a usage error; 77 skipped.
set -euo pipefail

# model | expected outcome | label (ci: every CI run; big: with --all only)
# A model M.cfg is checked against the module named by M up to its first "_" (MCDynamo_Faults.cfg:
# MCDynamo.tla; MCMembership_EarlyReap_bug.cfg: MCMembership.tla).
# Figures (distinct states, seconds on 2 cores) are in tla/README.md.
MODELS=(
  "MCDynamo                         pass                ci"
  "MCDynamo_Faults                  pass                ci"
  "MCDynamo_Sloppy                  pass                ci"
  "MCDynamo_Liveness                pass                ci"
  "MCDynamo_RWOverlap_bug           QuorumOverlap       ci"
  "MCDynamo_BlindPut_bug            NoLostWrites        ci"
  "MCDynamo_BufferedCoordinator_bug NoLostWrites        ci"
  "MCDynamo_NoAntiEntropy_bug       temporal            ci"
  "MCMembership                     pass                ci"
  "MCMembership_EarlyRelease_bug    NoLostWrites        ci"
  "MCMembership_EarlyReap_bug       NoResurrection      ci"
  "MCDynamo_FaultsBig               pass                big"
  "MCDynamo_SloppyGet               pass                big"
  "MCDynamo_LivenessBig             pass                big"
)

run_all=0
only=()
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --all) run_all=1 ;;
    --only) shift; [ $# -gt 0 ] || { echo "check-tla: --only needs a model name" >&2; exit 2; }; only+=("$1") ;;
    --only=*) only+=("${1#--only=}") ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "check-tla: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$build_dir" ] || { echo "check-tla: one build directory only" >&2; exit 2; }; build_dir="$1" ;;
  esac
  shift
done

if [ -z "${TLA2TOOLS_JAR:-}" ] || [ ! -f "${TLA2TOOLS_JAR}" ]; then
  echo "SKIPPED: TLA2TOOLS_JAR not set"
  exit 77
fi
command -v java >/dev/null || { echo "check-tla: java not found; install Java 17 (scripts/install-deps.sh)" >&2; exit 1; }

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
tla_dir="$repo_root/tla"
build_dir="${build_dir:-build/tlc}"
mkdir -p "$build_dir"
build_dir="$(cd "$build_dir" && pwd)"

wanted() {  # model label
  if [ "${#only[@]}" -gt 0 ]; then
    local m; for m in "${only[@]}"; do [ "$m" = "$1" ] && return 0; done; return 1
  fi
  [ "$2" = ci ] || [ "$run_all" -eq 1 ]
}

# Reads TLC's output; prints "pass", the violated invariant/property, or "error".
outcome() {
  local log="$1"
  if grep -q '^Model checking completed. No error has been found.' "$log"; then echo pass; return; fi
  local inv
  inv="$(sed -n 's/^Error: Invariant \([A-Za-z0-9_]*\) is violated.*/\1/p' "$log" | head -1)"
  if [ -n "$inv" ]; then echo "$inv"; return; fi
  if grep -q '^Error: Temporal properties were violated' "$log"; then
    # TLC does not name the property; the liveness model checks Convergence and HintsDrained.
    echo temporal; return
  fi
  echo error
}

printf '%-34s %-14s %-14s %12s %9s  %s\n' MODEL EXPECTED RESULT DISTINCT SECONDS VERDICT
failures=0
ran=0
for line in "${MODELS[@]}"; do
  read -r model expected label <<<"$line"
  wanted "$model" "$label" || continue
  ran=$((ran + 1))
  meta="$build_dir/$model"
  log="$build_dir/$model.log"
  module="${model%%_*}.tla"
  rm -rf "$meta"
  start=$(date +%s.%N)
  (cd "$tla_dir" && java -XX:+UseParallelGC -cp "$TLA2TOOLS_JAR" tlc2.TLC -workers 2 \
      -metadir "$meta" -noGenerateSpecTE -config "$model.cfg" "$module") >"$log" 2>&1 || true
  end=$(date +%s.%N)
  result="$(outcome "$log")"
  distinct="$(sed -n 's/.* \([0-9][0-9]*\) distinct states found.*/\1/p' "$log" | tail -1)"
  seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  if [ "$result" = "$expected" ]; then verdict=ok; else verdict="MISMATCH (log: $log)"; failures=$((failures + 1)); fi
  printf '%-34s %-14s %-14s %12s %9s  %s\n' "$model" "$expected" "$result" "${distinct:-?}" "$seconds" "$verdict"
done

if [ "$ran" -eq 0 ]; then echo "check-tla: no model selected" >&2; exit 2; fi
if [ "$failures" -ne 0 ]; then
  echo "check-tla: $failures model(s) did not give the expected result" >&2
  exit 1
fi
echo "check-tla: all $ran model(s) gave the expected result"
