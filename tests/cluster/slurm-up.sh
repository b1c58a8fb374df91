#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the cluster tests: installs Debian's
# slurm-wlm and munge when missing, writes a configuration into DIR (state, spool, logs, pid
# files all under DIR), starts munged, slurmctld and slurmd as root, and waits until the node
# takes jobs. tests/cluster/slurm-down.sh DIR stops them and removes nothing but what it started.
# Usage: slurm-up.sh DIR   (then: export SLURM_CONF=DIR/slurm.conf)
set -euo pipefail
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
log() { printf '[slurm-up] %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "must run as root (slurmd starts jobs as their user)"; exit 1; }
missing=()
for p in slurm-wlm munge; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}" >&2
fi
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
node="$(hostname -s)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
# 8 CPUs declared on a 2-core machine (config_overrides): an array of 4 two-CPU tasks starts at
# once, as a real cluster's would, which is what the shared-folder tests need.
cat > "$dir/slurm.conf" <<CONF
ClusterName=lrbs-test
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
MinJobAge=3600
KillWait=30
NodeName=$node CPUs=8 RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
# munge: its own socket and pid under DIR, the package's key
munged --force --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed"
export SLURM_CONF="$dir/slurm.conf"
# slurm finds munge's socket through the auth plugin option
echo "AuthInfo=socket=$dir/munge/munge.socket" >> "$dir/slurm.conf"
slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf"
for _ in $(seq 1 180); do
  state="$(sinfo -h -n "$node" -o '%t' 2>/dev/null || true)"
  [[ "$state" == idle* ]] && { log "node $node idle; SLURM_CONF=$dir/slurm.conf"; exit 0; }
  sleep 1
done
log "the node did not become idle in 180 s (state '${state:-none}'); logs:"
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munge/munged.log" >&2 || true
exit 1
