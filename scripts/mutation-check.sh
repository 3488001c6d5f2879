#!/usr/bin/env bash
# Mutation check: proves the property tests and conformance vectors can fail. For every mutant in
# proptests/mutants.txt, runs the listed checks against the core compiled with that mutation and
# requires each of them to FAIL (a property reported as failed by GoogleTest, or a conformance
# mismatch). Exits non-zero if any check passes against a mutant, naming it.
# Usage: scripts/mutation-check.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=${1:?build dir}
src=${2:?source dir}
seed=${MUTATION_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "mutation-check: RC_PARAMS=\"seed=$seed max_success=1000\" (set MUTATION_SEED=$seed to rerun)"
missed=0
caught=0
while read -r mutant checks; do
  [[ -z "$mutant" || "$mutant" == \#* ]] && continue
  lower=$(echo "$mutant" | tr 'A-Z' 'a-z')
  for check in $checks; do
    if [[ "$check" == conformance ]]; then
      out=$("$build/dynamo_mutant_$lower" conformance -q "$src"/spec/vectors/*.json 2>&1)
      rc=$?
      if [[ $rc -eq 1 ]]; then
        caught=$((caught + 1)); echo "caught   $mutant by conformance ($(echo "$out" | grep -c '^FAIL') cases)"
      else
        missed=$((missed + 1)); echo "MISSED   $mutant: conformance vectors exit $rc, expected 1 (mismatch)"
      fi
    else
      binary="$build/proptests_mutant_$lower"
      if [[ "$check" == sim:* ]]; then binary="$build/sim_proptests_mutant_$lower"; check="${check#sim:}"; fi
      out=$(RC_PARAMS="seed=$seed max_success=1000" "$binary" --gtest_filter="$check" 2>&1)
      rc=$?
      if [[ $rc -ne 0 ]] && grep -q '^\[  FAILED  \]' <<<"$out"; then
        caught=$((caught + 1)); echo "caught   $mutant by $check"
      else
        missed=$((missed + 1)); echo "MISSED   $mutant: $check exit $rc without a reported property failure"
        echo "$out" | tail -5
      fi
    fi
  done
done <"$src/proptests/mutants.txt"
echo "mutation-check: $caught checks caught their mutant, $missed missed"
[[ $missed -eq 0 && $caught -gt 0 ]]
