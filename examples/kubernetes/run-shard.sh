#!/usr/bin/env bash
# Entry point of the Indexed Job in sweep-job.yaml: shard $JOB_COMPLETION_INDEX of $SHARDS.
set -euo pipefail
sweep="${1:?usage: run-shard.sh SWEEP.yaml RESULTS_DIR}"
out="${2:?usage: run-shard.sh SWEEP.yaml RESULTS_DIR}"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec ./lrbs sweep run "$sweep" --shard "${JOB_COMPLETION_INDEX:?set by Kubernetes for Indexed Jobs}/${SHARDS:?}" \
  --workers "${WORKERS:-2}" --out "$out"
