#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the tests, from Debian's slurm-wlm and munge:
#   cluster.sh start   installs them if missing, starts munged, slurmctld and slurmd (state under a folder of its own)
#                      unless a cluster already answers; prints "cluster=started" or "cluster=running" last
#   cluster.sh stop    stops the daemons this script started
# Needs root. The node offers the machine's cores and memory and no GPU: jobs ask for none (SBATCH_GRES=none).
set -euo pipefail
state=${DUCKEMBED_SLURM_STATE:-/var/tmp/duckembed-slurm}
fail() { echo "cluster: $*" >&2; exit 1; }

if [[ "${1:-}" == "stop" ]]; then
  for daemon in slurmd slurmctld; do
    pid=$(cat "$state/run/$daemon.pid" 2>/dev/null || true)
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  if [[ -f "$state/munged.started" ]]; then pkill -x munged 2>/dev/null || true; fi
  rm -f "$state/munged.started"
  exit 0
fi
[[ "${1:-}" == "start" ]] || fail "usage: cluster.sh start|stop"
# A node drained by an earlier run (a full disk, say) stays drained in the saved state; this throwaway cluster
# puts it back in service, as its operator would.
resume() { scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true; }
if sinfo -h -o %T 2>/dev/null | grep -q drain; then
  resume
  for _ in $(seq 20); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
fi
if sinfo -h -o %T 2>/dev/null | grep -q idle; then echo "cluster=running"; exit 0; fi
[[ $(id -u) -eq 0 ]] || fail "starting Slurm needs root"
export DEBIAN_FRONTEND=noninteractive
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  { apt-get install -y -qq slurm-wlm munge || { apt-get update -qq && apt-get install -y -qq slurm-wlm munge; }; } >&2 \
    || fail "apt-get could not install slurm-wlm and munge"
fi
mkdir -p "$state"/{state,spool,log,run} /etc/munge /var/lib/munge /var/log/munge /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 700 /etc/munge && chmod 400 /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
  su -s /bin/sh munge -c /usr/sbin/munged || fail "munged did not start"
  touch "$state/munged.started"
fi
host=$(hostname -s)
memory=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 - 1024))
mkdir -p /etc/slurm
cat >/etc/slurm/slurm.conf <<CONF
ClusterName=duckembed
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld || fail "slurmctld did not start: $(tail -3 "$state/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
slurmd || fail "slurmd did not start: $(tail -3 "$state/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
resume
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %T | grep -q idle || fail "the node did not become idle: $(sinfo 2>&1 | tr '\n' ' ')"
echo "cluster=started"
