#!/usr/bin/env bash
# A throw-away one-node Slurm cluster on 127.0.0.1 (slurmctld + slurmd, munge auth), for running
# `pdsim plan --emit slurm` job arrays in CI and tests. Usage:
#   adapters/slurm/one-node.sh STATE_DIR COMMAND [ARGS...]
# starts the cluster with its config and state under STATE_DIR, runs COMMAND with SLURM_CONF
# exported (e.g. `sbatch --wait job.sh`), stops the daemons it started and exits with COMMAND's
# status. Needs root and Debian's slurmctld, slurmd, slurm-client and munge. The recipe and its
# pitfalls: /work/shared/reference/slurm-one-node.md (verified on Slurm 22.05, munge 0.5.15).
set -euo pipefail
state=$(mkdir -p "$1" && cd "$1" && pwd)
shift
for c in slurmctld slurmd sbatch scontrol sinfo munged; do
  command -v "$c" >/dev/null || { echo "one-node.sh: $c not found (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 3; }
done
host=$(hostname -s)
# Pitfall 2: slurmctld resolves its own short hostname.
getent hosts "$host" >/dev/null || echo "127.0.0.1 $host" >>/etc/hosts
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
# Pitfall 1: munged runs as the munge user, with /run/munge and a 0600 key. Reuse a running one.
if ! (munge -n </dev/null | unmunge >/dev/null 2>&1); then
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then runuser -u munge -- mungekey --create >/dev/null 2>&1 || runuser -u munge -- mungekey -c; fi
  chown munge:munge /etc/munge/munge.key && chmod 0600 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do (munge -n </dev/null | unmunge >/dev/null 2>&1) && break; sleep 0.1; done
fi
# Free ports: ctld, slurmd, and an srun range, away from the usual 6817/6818.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.85 }' /proc/meminfo)   # pitfall 3
mkdir -p "$state/state/ctld" "$state/state/d" "$state/run" "$state/log"
cat >"$state/slurm.conf" <<CONF
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SrunPortRange=$((port + 2))-$((port + 40))
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$state/state/ctld
SlurmdSpoolDir=$state/state/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$state/slurm.conf"
slurmctld -D -f "$SLURM_CONF" >"$state/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$state/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  if scontrol ping >/dev/null 2>&1 && sinfo -h -o %t 2>/dev/null | grep -q idle; then break; fi
  sleep 0.2
done
sinfo -h -o %t | grep -q idle || { echo "one-node.sh: node not idle; logs in $state/log" >&2; tail -5 "$state/log/slurmctld.log" >&2 || true; exit 4; }
set +e
"$@"
rc=$?
set -e
exit $rc
