#!/usr/bin/env bash
# Checks implementation traces (spec/trace-format.md) against tla/Dynamo.tla.
#
# usage: scripts/check-trace.sh [--format-only] [--expect-reject] [--build-dir DIR] TRACE|DIR...
#   TRACE|DIR        NDJSON trace files; a directory stands for its *.ndjson files.
#   --format-only    only the format check (spec/reference/trace_check.py: every line parses, names
#                    a known action, has its fields with the right types, ids and epochs consistent,
#                    every message acted on was sent before). Needs python3, no Java.
#   --expect-reject  every trace must be rejected by TLC (default: a trace whose file name contains
#                    "_altered" must be rejected, every other trace accepted).
#   --build-dir DIR  where TLC's state and generated configs go (default: build/tlc-trace); nothing
#                    is written into tla/.
# After the format check (always; a malformed trace fails whatever the expectation), each trace is
# checked by TLC with tla/TraceDynamo.tla when TLA2TOOLS_JAR names tla2tools.jar; without it the
# script prints "SKIPPED: TLA2TOOLS_JAR not set" and exits 77 (CTest SKIP_RETURN_CODE).
# Exit: 0 every trace as expected; 1 a malformed trace or an unexpected verdict; 2 usage; 77 skipped.
set -euo pipefail

format_only=0
expect_reject=0
build_dir=""
inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --format-only) format_only=1 ;;
    --expect-reject) expect_reject=1 ;;
    --build-dir) shift; [ $# -gt 0 ] || { echo "check-trace: --build-dir needs a directory" >&2; exit 2; }; build_dir="$1" ;;
    --build-dir=*) build_dir="${1#--build-dir=}" ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "check-trace: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) inputs+=("$1") ;;
  esac
  shift
done
[ "${#inputs[@]}" -gt 0 ] || { echo "check-trace: no trace given (see --help)" >&2; exit 2; }

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
tla_dir="$repo_root/tla"

traces=()
for x in "${inputs[@]}"; do
  if [ -d "$x" ]; then
    while IFS= read -r f; do traces+=("$f"); done < <(find "$x" -maxdepth 1 -name '*.ndjson' -type f | LC_ALL=C sort)
  elif [ -f "$x" ]; then
    traces+=("$x")
  else
    echo "check-trace: no such file or directory: $x" >&2; exit 2
  fi
done
[ "${#traces[@]}" -gt 0 ] || { echo "check-trace: no *.ndjson trace in ${inputs[*]}" >&2; exit 1; }

command -v python3 >/dev/null || { echo "check-trace: python3 not found" >&2; exit 1; }
if ! python3 "$repo_root/spec/reference/trace_check.py" "${traces[@]}"; then
  echo "check-trace: malformed trace(s); see above" >&2
  exit 1
fi
[ "$format_only" -eq 0 ] || exit 0

if [ -z "${TLA2TOOLS_JAR:-}" ] || [ ! -f "${TLA2TOOLS_JAR}" ]; then
  echo "SKIPPED: TLA2TOOLS_JAR not set"
  exit 77
fi
command -v java >/dev/null || { echo "check-trace: java not found; install Java 17 (scripts/install-deps.sh)" >&2; exit 1; }

build_dir="${build_dir:-build/tlc-trace}"
mkdir -p "$build_dir"
build_dir="$(cd "$build_dir" && pwd)"

printf '%-40s %-9s %-12s %7s %8s  %s\n' TRACE EXPECTED RESULT STATES SECONDS VERDICT
failures=0
for trace in "${traces[@]}"; do
  abs="$(cd "$(dirname "$trace")" && pwd)/$(basename "$trace")"
  case "$abs" in *'"'*|*'\'*) echo "check-trace: cannot pass a path with quotes or backslashes to TLC: $abs" >&2; exit 2 ;; esac
  name="$(basename "$trace" .ndjson)"
  expected=accept
  if [ "$expect_reject" -eq 1 ] || [[ "$name" == *_altered* ]]; then expected=reject; fi
  meta="$build_dir/$name"
  cfg="$build_dir/$name.cfg"
  log="$build_dir/$name.log"
  rm -rf "$meta"
  # The committed config, with TraceFile pointing at this trace.
  sed "s|^    TraceFile = .*|    TraceFile = \"$abs\"|" "$tla_dir/TraceDynamo.cfg" >"$cfg"
  start=$(date +%s.%N)
  (cd "$tla_dir" && java -XX:+UseParallelGC -cp "$TLA2TOOLS_JAR" tlc2.TLC -workers 1 \
      -metadir "$meta" -noGenerateSpecTE -config "$cfg" TraceDynamo.tla) >"$log" 2>&1 || true
  end=$(date +%s.%N)
  if grep -q 'TRACE ACCEPTED' "$log" && grep -q '^Model checking completed. No error has been found.' "$log"; then
    result=accept
  elif grep -q 'TRACE REJECTED' "$log"; then
    result=reject
  elif inv="$(sed -n 's/^Error: Invariant \([A-Za-z0-9_]*\) is violated.*/\1/p' "$log" | head -1)" && [ -n "$inv" ]; then
    result="violates:$inv"
  else
    result=error
  fi
  states="$(sed -n 's/.* \([0-9][0-9]*\) distinct states found.*/\1/p' "$log" | tail -1)"
  seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  if [ "$result" = "$expected" ]; then verdict=ok; else verdict="MISMATCH (log: $log)"; failures=$((failures + 1)); fi
  printf '%-40s %-9s %-12s %7s %8s  %s\n' "$(basename "$trace")" "$expected" "$result" "${states:-?}" "$seconds" "$verdict"
  # Why a trace was rejected, or what TLC said, one line each.
  sed -n 's/^"\(TRACE REJECTED.*\)"$/    \1/p' "$log" | sed 's/\\"/"/g' | cut -c1-400
  if [ "$result" = error ] || [[ "$result" == violates:* ]]; then grep -m3 '^Error' "$log" | sed 's/^/    /'; fi
done

if [ "$failures" -ne 0 ]; then
  echo "check-trace: $failures trace(s) did not give the expected verdict" >&2
  exit 1
fi
echo "check-trace: all ${#traces[@]} trace(s) gave the expected verdict"
