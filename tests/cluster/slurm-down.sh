#!/usr/bin/env bash
# Stops what tests/cluster/slurm-up.sh DIR started (slurmd, slurmctld, munged), by their pid files.
set -uo pipefail
dir="$1"
for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null
done
for _ in $(seq 1 20); do
  alive=0
  for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
  done
  ((alive)) || exit 0
  sleep 0.5
done
for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
  [[ -f "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null
done
exit 0
