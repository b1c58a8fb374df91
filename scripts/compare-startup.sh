#!/usr/bin/env bash
# Start-up of this checkout beside another one (a worktree of an older commit, built with its own
# ./scripts/setup.sh), alternated round by round on the same machine: `train` to its first step
# and its peak memory for each dataset, and the short sweep as a whole command with 1 and 2
# workers. Prints the LRBS_TIMING lines and /usr/bin/time's "seconds and KB" per run.
#   usage: scripts/compare-startup.sh OLD_CHECKOUT [ROUNDS]
# (the README's "Start-up" table; `./lrbs bench --only startup` measures this checkout alone)
set -euo pipefail
new="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="$(cd "${1:?usage: scripts/compare-startup.sh OLD_CHECKOUT [ROUNDS]}" && pwd)"
rounds="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$new"
for ds in "fashion-mnist" "mnist" "boxes --model cnn-box"; do # this checkout with an empty decoded cache
  # shellcheck disable=SC2086
  LRBS_CACHE="$work/cold-cache" LRBS_TIMING=1 /usr/bin/time -f "new, cold cache, $ds: %e s %M KB" ./lrbs train --dataset $ds --epochs 1 --train-limit 64 --batch-size 32 --json 2>&1 >/dev/null |
    grep -E "^timing|KB$"
done
for round in $(seq "$rounds"); do
  for ds in "fashion-mnist" "mnist" "boxes --model cnn-box"; do
    for side in old new; do
      dir="$new"; [[ $side == old ]] && dir="$old"
      # shellcheck disable=SC2086
      LRBS_TIMING=1 /usr/bin/time -f "$side $ds: %e s %M KB" "$dir/lrbs" train --dataset $ds --epochs 1 --train-limit 64 --batch-size 32 --json 2>&1 >/dev/null |
        grep -E "^timing|KB$"
    done
  done
  for workers in 1 2; do
    for side in old new; do
      dir="$new"; [[ $side == old ]] && dir="$old"
      rm -rf "$work/sweep"
      /usr/bin/time -f "$side short sweep, $workers worker(s): %e s %M KB" "$dir/lrbs" sweep run examples/short-sweep.yaml --out "$work/sweep" --workers "$workers" 2>&1 >/dev/null | grep -E "KB$"
    done
  done
done
