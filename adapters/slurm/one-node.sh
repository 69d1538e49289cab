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
if ! (munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1); then
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then runuser -u munge -- mungekey --create >/dev/null 2>&1 || runuser -u munge -- mungekey -c; fi
  chown munge:munge /etc/munge/munge.key && chmod 0600 /etc/munge/munge.key
  # --force: a munged killed with its container leaves its socket behind ("Connection refused").
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 300); do (munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1) && break; sleep 0.1; done
  (munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1) || {
    echo "one-node.sh: munged did not start within 30 s" >&2
    tail -5 /var/log/munge/munged.log >&2 2>/dev/null || true
    exit 5
  }
fi
# Ports: ctld, slurmd and an srun range, all 41 checked free, below the kernel's ephemeral range
# (other tests' servers bind port 0 and land there: once slurmd's port+1 was taken that way).
free_ports() {
  python3 - <<'PY' 2>/dev/null || echo $((10000 + RANDOM % 20000))
import random, socket
lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
for _ in range(200):
    base = random.randrange(10000, max(10001, lo - 64))
    socks = []
    try:
        for p in range(base, base + 41):
            s = socket.socket(); s.bind(('127.0.0.1', p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.85 }' /proc/meminfo)   # pitfall 3
write_conf() {
  local port=$1
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
}
export SLURM_CONF="$state/slurm.conf"
alive() { kill -0 "$1" 2>/dev/null; }
# Starts both daemons and waits for the node to be idle: 0 when it is, 1 when a daemon exited
# (e.g. a port taken after the check: the caller retries on fresh ports), 2 on a timeout.
# Up in ~0.5 s on a quiet machine; a CI machine running the other tests on both cores is slower,
# so it waits up to 120 s.
start_cluster() {
  rm -rf "$state/state" "$state/run" "$state/log"
  mkdir -p "$state/state/ctld" "$state/state/d" "$state/run" "$state/log"
  write_conf "$(free_ports)"
  slurmctld -D -f "$SLURM_CONF" >"$state/log/slurmctld.out" 2>&1 &
  ctld=$!
  slurmd -D -f "$SLURM_CONF" >"$state/log/slurmd.out" 2>&1 &
  d=$!
  pids+=("$ctld" "$d")
  for i in $(seq 600); do
    if scontrol ping >/dev/null 2>&1 && sinfo -h -o %t 2>/dev/null | grep -q idle; then return 0; fi
    alive "$ctld" || { echo "one-node.sh: slurmctld exited" >&2; return 1; }
    alive "$d" || { echo "one-node.sh: slurmd exited" >&2; return 1; }
    # A node that registered before the controller was ready can sit in DOWN; ReturnToService=2
    # normally clears it, a resume makes sure.
    if [ $((i % 50)) = 0 ] && sinfo -h -o %t 2>/dev/null | grep -qE 'down|drain'; then
      scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
    fi
    sleep 0.2
  done
  return 2
}
show_logs() {
  echo "one-node.sh: node not idle (state: $(sinfo -h -o %t 2>/dev/null | tr '\n' ' ')); logs in $state/log" >&2
  for f in slurmctld.log slurmctld.out slurmd.log slurmd.out; do
    [ -s "$state/log/$f" ] && { echo "--- $f" >&2; tail -8 "$state/log/$f" >&2; }
  done
}
up=1
for attempt in 1 2 3; do
  set +e
  start_cluster
  up=$?
  set -e
  [ "$up" = 0 ] && break
  show_logs
  cleanup
  pids=()
  [ "$up" = 2 ] && break
  echo "one-node.sh: retrying on fresh ports (attempt $((attempt + 1)) of 3)" >&2
done
[ "$up" = 0 ] || exit 4
set +e
"$@"
rc=$?
set -e
exit $rc
