#!/usr/bin/env bash
# Simulator traces against the spec (spec/trace-format.md, tla/TraceDynamo.tla).
#
# usage: scripts/check-sim-traces.sh DYNAMO_BINARY [--fresh COUNT OUT_DIR]
#   Without --fresh: every committed tla/traces/sim_seed<S>.ndjson must be exactly what
#   `dynamo simulate --seed S` writes today (so the traces TLC accepted are the current code's).
#   To regenerate after a deliberate change: the command printed on a mismatch.
#   --fresh COUNT OUT_DIR: writes COUNT traces from new random seeds (printed) into OUT_DIR and
#   checks them: the format always, TLC too when TLA2TOOLS_JAR is set.
# Exit: 0 ok; 1 a mismatch or a rejected trace; 2 usage.
set -euo pipefail
dynamo=${1:?usage: check-sim-traces.sh DYNAMO_BINARY [--fresh COUNT]}
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
# The shape every committed simulator trace uses (small enough for TLC).
shape=(--faults --nodes 4 --keys 2 --clients 2 --ops 60)

if [ "${2:-}" = "--fresh" ]; then
  count=${3:?--fresh needs a count}
  out=${4:?--fresh needs an output directory}
  rm -rf "$out" && mkdir -p "$out"
  for _ in $(seq "$count"); do
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    echo "fresh trace: seed $seed (rerun: dynamo simulate --seed $seed ${shape[*]} --trace FILE)"
    "$dynamo" simulate --seed "$seed" "${shape[@]}" --trace "$out/sim_seed$seed.ndjson" >/dev/null
  done
  "$repo_root/scripts/check-trace.sh" --format-only "$out"
  if [ -n "${TLA2TOOLS_JAR:-}" ] && [ -f "${TLA2TOOLS_JAR}" ]; then
    "$repo_root/scripts/check-trace.sh" --build-dir "$out/tlc" "$out"
  else
    echo "TLC part skipped: TLA2TOOLS_JAR not set (the format check ran)"
  fi
  exit 0
fi

status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for committed in "$repo_root"/tla/traces/sim_seed*.ndjson; do
  name=$(basename "$committed")
  seed=${name#sim_seed}
  seed=${seed%.ndjson}
  "$dynamo" simulate --seed "$seed" "${shape[@]}" --trace "$tmp/$name" >/dev/null
  if cmp -s "$committed" "$tmp/$name"; then
    echo "current: $name"
  else
    echo "STALE: $name differs from what the simulator writes now; if the change is deliberate, rerun"
    echo "  dynamo simulate --seed $seed ${shape[*]} --trace tla/traces/$name"
    echo "  and TLA2TOOLS_JAR=... scripts/check-trace.sh tla/traces"
    status=1
  fi
done
exit $status
