#!/usr/bin/env bash
# slurm-local-up.sh -- bring up a throw-away single-node Slurm cluster
# (munged + slurmctld + slurmd) on this host, without systemd. Used by tests/slurm/check_slurm.sh
# (ctest label slurm); also handy by hand to try slurm/*.sbatch (see slurm/README.md).
#
# Tested on Debian 12 (bookworm): slurm-wlm 22.05.8, munge 0.5.15, Open MPI 4.1.4.
# Must run as root (slurmd has to be root; SlurmUser=root keeps it simple).
#
# What it does:
#   1. installs munge + Slurm from apt if the binaries are missing
#   2. writes a munge key, slurm.conf and all state/spool/log dirs under $SLURM_LOCAL_DIR
#   3. starts munged, slurmctld, slurmd as daemons, records their PIDs in $SLURM_LOCAL_DIR/pids/
#   4. waits until `sinfo` reports the node idle, then prints how to use it
# Stop with slurm-local-down.sh (kills exactly the PIDs recorded here).
#
# Afterwards:   source "$SLURM_LOCAL_DIR/env.sh"   (exports SLURM_CONF; every Slurm command needs it,
#               without it they try a DNS SRV lookup for a config server and fail)
#               sbatch job.sh ...   (see slurm-smoke-test.sh for a fast wait-for-job loop;
#               `sbatch --wait` only polls after 2 s, 10 s, 42 s, ...)
#
# Knobs (environment variables):
#   SLURM_LOCAL_DIR          working dir, wiped on each up     [/tmp/slurm-local]
#   SLURM_LOCAL_NODENAME     NodeName of the single node        [$(hostname -s)]
#   SLURM_LOCAL_CPUS         CPUs advertised to Slurm           [$(nproc)]  (may exceed real cores)
#   SLURM_LOCAL_CTLD_PORT    slurmctld TCP port                 [6817, or the first free pair
#   SLURM_LOCAL_SLURMD_PORT  slurmd TCP port                    [6818   6817+2i/6818+2i]  (daemons
#                                                                listen on 0.0.0.0, clients use 127.0.0.1)
#   SLURM_LOCAL_MPI_DEFAULT  MpiDefault (none|pmix|pmi2)        [none]
#   SLURM_LOCAL_DEBUG        SlurmctldDebug/SlurmdDebug level   [info]
#   SLURM_LOCAL_CRED_EXPIRE  AuthInfo cred_expire: also how long a requeued job waits before it
#                            may start again (seconds, at least 5)   [120]
#   SLURM_LOCAL_TIMEOUT      seconds to wait for each daemon    [60]
#   SLURM_LOCAL_INSTALL      1 = apt-get install if missing     [1]
#   SLURM_LOCAL_PACKAGES     packages to install                [slurmctld slurmd slurm-client munge]
#   SLURM_LOCAL_KEEP_ON_FAIL 1 = leave daemons running on error [0]
set -Eeuo pipefail

T_START=$(date +%s.%N)
DIR=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-}
SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
MPI_DEFAULT=${SLURM_LOCAL_MPI_DEFAULT:-none}
DEBUG_LEVEL=${SLURM_LOCAL_DEBUG:-info}
CRED_EXPIRE=${SLURM_LOCAL_CRED_EXPIRE:-120}
INSTALL=${SLURM_LOCAL_INSTALL:-1}
PACKAGES=${SLURM_LOCAL_PACKAGES:-slurmctld slurmd slurm-client munge}
KEEP_ON_FAIL=${SLURM_LOCAL_KEEP_ON_FAIL:-0}
MARKER=.slurm-local-dir

log()  { printf '[slurm-local-up %6.1fs] %s\n' "$(elapsed)" "$*"; }
die()  { printf '[slurm-local-up] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# ---------------------------------------------------------------- preflight
[ "$(id -u)" -eq 0 ] || die "must run as root (slurmd needs root; this setup uses SlurmUser=root)"
case "$DIR" in /*) ;; *) die "SLURM_LOCAL_DIR must be an absolute path (got '$DIR')";; esac
[ "$DIR" != / ] || die "SLURM_LOCAL_DIR must not be /"

# slurmctld only accepts to be the controller if SlurmctldHost == short hostname.
HOST_SHORT=$(hostname -s 2>/dev/null || uname -n)
HOST_SHORT=${HOST_SHORT%%.*}
[ -n "$HOST_SHORT" ] || die "cannot determine the short hostname"
NODE=${SLURM_LOCAL_NODENAME:-$HOST_SHORT}
CPUS=${SLURM_LOCAL_CPUS:-$(nproc)}
MEM_MB=$(awk '/^MemTotal:/{printf "%d", $2/1024}' /proc/meminfo)
[[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || die "SLURM_LOCAL_CPUS must be a positive integer (got '$CPUS')"
[[ "$CRED_EXPIRE" =~ ^[0-9]+$ ]] && [ "$CRED_EXPIRE" -ge 5 ] || die "SLURM_LOCAL_CRED_EXPIRE must be an integer >= 5 (got '$CRED_EXPIRE')"

# ---------------------------------------------------------------- helpers
pid_alive_as() {  # pid expected_comm : running (not zombie) process with that comm
    local pid=$1 comm=$2 st
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
wait_until() {    # timeout description command...   (polls every 0.2 s; command rc 99 = give up now)
    local t=$1 what=$2; shift 2
    local end=$(( $(date +%s) + t )) rc
    while :; do
        rc=0; "$@" >/dev/null 2>&1 || rc=$?
        [ $rc -ne 0 ] || return 0
        [ $rc -ne 99 ] || { log "gave up waiting for: $what (daemon exited)"; return 1; }
        [ "$(date +%s)" -lt "$end" ] || { log "timed out after ${t}s waiting for: $what"; return 1; }
        sleep 0.2
    done
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
read_pidfile() {  # file timeout -> echo pid
    local f=$1 end=$(( $(date +%s) + $2 ))
    while [ ! -s "$f" ]; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.1; done
    tr -dc '0-9' < "$f"
}
STARTED=()        # "name:pid" of daemons started by this run, for cleanup on failure
created_policy=0  # 1 while we hold a temporary /usr/sbin/policy-rc.d
cleanup_on_fail() {
    local rc=$?
    trap - ERR EXIT
    [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -ne 0 ] || exit 0
    echo "[slurm-local-up] FAILED (rc=$rc) after $(elapsed)s" >&2
    for f in munged.log slurmctld.log slurmd.log munged.stdout slurmctld.stdout slurmd.stdout; do
        [ -s "$DIR/log/$f" ] && { echo "----- tail $DIR/log/$f" >&2; tail -n 15 "$DIR/log/$f" >&2; }
    done
    if [ "$KEEP_ON_FAIL" = 1 ]; then echo "[slurm-local-up] SLURM_LOCAL_KEEP_ON_FAIL=1: leaving daemons running" >&2; exit $rc; fi
    local i entry name pid
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do
        entry=${STARTED[$i]}; name=${entry%%:*}; pid=${entry##*:}
        if pid_alive_as "$pid" "$name"; then
            echo "[slurm-local-up] stopping $name (pid $pid)" >&2
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do pid_alive_as "$pid" "$name" || break; sleep 0.2; done
            pid_alive_as "$pid" "$name" && kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/pids/$name.pid"
    done
    exit $rc
}
trap cleanup_on_fail EXIT

# ---------------------------------------------------------------- install
need_cmds=(munged munge unmunge slurmctld slurmd sbatch srun sinfo squeue scontrol scancel)
missing=()
for c in "${need_cmds[@]}"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$INSTALL" = 1 ] || die "missing commands: ${missing[*]} (set SLURM_LOCAL_INSTALL=1 or install: $PACKAGES)"
    command -v apt-get >/dev/null || die "missing commands: ${missing[*]} and no apt-get to install them"
    log "installing: $PACKAGES (missing: ${missing[*]})"
    # Keep dpkg from auto-starting the distro's munge/slurm services (no systemd here anyway).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created_policy=1
    fi
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q \
            install --no-install-recommends $PACKAGES
    }
    rc=0
    apt_install > "/tmp/slurm-local-apt.$$.log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        log "apt-get install failed (rc=$rc); running apt-get update and retrying"
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >> "/tmp/slurm-local-apt.$$.log" 2>&1 || true
        rc=0; apt_install >> "/tmp/slurm-local-apt.$$.log" 2>&1 || rc=$?
    fi
    [ $created_policy = 1 ] && { rm -f /usr/sbin/policy-rc.d; created_policy=0; }
    if [ $rc -ne 0 ]; then tail -20 "/tmp/slurm-local-apt.$$.log" >&2; die "apt-get install failed; full log: /tmp/slurm-local-apt.$$.log"; fi
    rm -f "/tmp/slurm-local-apt.$$.log"
    for c in "${need_cmds[@]}"; do command -v "$c" >/dev/null 2>&1 || die "still missing after install: $c"; done
    log "install done"
fi
SLURM_VERSION=$(slurmctld -V 2>/dev/null | awk '{print $2}')
MUNGE_VERSION=$(munged -V 2>/dev/null | awk '{print $1}')

# ---------------------------------------------------------------- existing instance?
if [ -d "$DIR/pids" ]; then
    alive=0
    for n in munged slurmctld slurmd; do
        pid_alive_as "$(cat "$DIR/pids/$n.pid" 2>/dev/null || true)" "$n" && alive=$((alive+1))
    done
    if [ $alive -gt 0 ]; then
        if [ $alive -eq 3 ] && SLURM_CONF="$DIR/etc/slurm.conf" timeout 15 sinfo -h -N -n "$NODE" -o %T 2>/dev/null | grep -qx idle; then
            trap - EXIT
            log "already up (all 3 daemons alive, node $NODE idle); nothing to do"
            echo "export SLURM_CONF=$DIR/etc/slurm.conf"
            exit 0
        fi
        trap - EXIT
        die "$alive daemon(s) from a previous run in $DIR are still alive but the cluster is not healthy; run slurm-local-down.sh first"
    fi
fi
if [ -e "$DIR" ]; then
    if [ -e "$DIR/$MARKER" ]; then
        rm -rf "$DIR"
    elif [ -d "$DIR" ] && [ -z "$(ls -A "$DIR")" ]; then
        rmdir "$DIR"
    else
        trap - EXIT
        die "$DIR exists and was not created by this script; refusing to wipe it (choose another SLURM_LOCAL_DIR)"
    fi
fi

# Ports: the ones asked for, else the first free pair from 6817/6818 on (another cluster of
# this kind, e.g. a test run of another checkout, may hold the default ones).
if [ -z "$CTLD_PORT" ] && [ -z "$SLURMD_PORT" ]; then
    for (( p = 6817; p < 6917; p += 2 )); do
        port_in_use "$p" || port_in_use "$((p + 1))" || { CTLD_PORT=$p; SLURMD_PORT=$((p + 1)); break; }
    done
    [ -n "$CTLD_PORT" ] || { trap - EXIT; die "no free TCP port pair in 6817-6916; set SLURM_LOCAL_CTLD_PORT/SLURM_LOCAL_SLURMD_PORT"; }
fi
CTLD_PORT=${CTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}
for p in "$CTLD_PORT" "$SLURMD_PORT"; do
    if port_in_use "$p"; then trap - EXIT; die "TCP port $p on 127.0.0.1 is already in use (another slurmctld/slurmd?). Set SLURM_LOCAL_CTLD_PORT/SLURM_LOCAL_SLURMD_PORT."; fi
done

# ---------------------------------------------------------------- layout
# munged is picky: key dir must not be group/world accessible, the socket dir must be
# world-executable, and every parent dir must not be group/world writable without sticky bit.
umask 022
mkdir -p "$DIR"/{etc,munge,run,state,spool,log,pids}
touch "$DIR/$MARKER"
chmod 755 "$DIR" "$DIR/run"
chmod 700 "$DIR/munge" "$DIR/state"
dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$DIR/munge/munge.key"          # owned by root == the user munged runs as
MUNGE_SOCKET=$DIR/run/munge.socket.2
CONF=$DIR/etc/slurm.conf

cat > "$CONF" <<EOF
# Generated by slurm-local-up.sh on $(date -u +%FT%TZ) for slurm $SLURM_VERSION
ClusterName=local
SlurmctldHost=${HOST_SHORT}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=$CRED_EXPIRE
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=$DEBUG_LEVEL
SlurmdDebug=$DEBUG_LEVEL
# no cgroups, no accounting daemon
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SwitchType=switch/none
MpiDefault=$MPI_DEFAULT
MailProg=/bin/true
# scheduling: every hardware thread is a CPU, memory is not a consumable resource; short
# scheduler intervals so that a requeued job starts soon after its cred_expire wait
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
DependencyParameters=kill_invalid_depend
# timers
InactiveLimit=0
KillWait=5
MinJobAge=3600
Waittime=0
SlurmdTimeout=300
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$HOST_SHORT CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat > "$DIR/env.sh" <<EOF
export SLURM_CONF=$CONF
EOF
export SLURM_CONF=$CONF   # also inherited by the daemons (slurm-local-down.sh uses it to find stray slurmstepd)
log "config written: $CONF (node $NODE, CPUs=$CPUS, RealMemory=${MEM_MB}M, ports $CTLD_PORT/$SLURMD_PORT)"

# ---------------------------------------------------------------- munged
munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" \
       --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" \
       --seed-file="$DIR/munge/munged.seed" \
       </dev/null >>"$DIR/log/munged.stdout" 2>&1 \
    || die "munged failed to start (see $DIR/log/munged.log)"
pid=$(read_pidfile "$DIR/run/munged.pid" "$TIMEOUT") || die "munged wrote no pid file"
echo "$pid" > "$DIR/pids/munged.pid"; STARTED+=("munged:$pid")
munge_ok() { pid_alive_as "$pid" munged || return 99; munge -S "$MUNGE_SOCKET" -n </dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null; }
wait_until "$TIMEOUT" "munge credential round trip" munge_ok || die "munged is not answering on $MUNGE_SOCKET"
log "munged up (pid $pid)"

# ---------------------------------------------------------------- slurmctld
slurmctld -f "$CONF" </dev/null >>"$DIR/log/slurmctld.stdout" 2>&1 || die "slurmctld failed to start"
pid=$(read_pidfile "$DIR/run/slurmctld.pid" "$TIMEOUT") || die "slurmctld wrote no pid file"
echo "$pid" > "$DIR/pids/slurmctld.pid"; STARTED+=("slurmctld:$pid")
ctld_up() { pid_alive_as "$pid" slurmctld || return 99; timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; }
wait_until "$TIMEOUT" "slurmctld to answer 'scontrol ping'" ctld_up || die "slurmctld did not come up (see $DIR/log/slurmctld.log)"
log "slurmctld up (pid $pid)"

# ---------------------------------------------------------------- slurmd
slurmd -f "$CONF" -N "$NODE" </dev/null >>"$DIR/log/slurmd.stdout" 2>&1 || die "slurmd failed to start"
pid=$(read_pidfile "$DIR/run/slurmd.pid" "$TIMEOUT") || die "slurmd wrote no pid file"
echo "$pid" > "$DIR/pids/slurmd.pid"; STARTED+=("slurmd:$pid")
node_state() { timeout 10 sinfo -h -N -n "$NODE" -o %T 2>/dev/null; }
node_idle() { pid_alive_as "$pid" slurmd || return 99; [ "$(node_state)" = idle ]; }
if ! wait_until "$TIMEOUT" "node $NODE to become idle in sinfo" node_idle; then
    pid_alive_as "$pid" slurmd || log "slurmd (pid $pid) has exited"
    log "node state: '$(node_state || true)'; reason: $(timeout 10 sinfo -h -N -n "$NODE" -o %E 2>/dev/null || true)"
    die "node $NODE did not become idle (see $DIR/log/slurmd.log)"
fi
log "slurmd up (pid $pid); node $NODE idle"

trap - EXIT
sinfo
log "cluster ready in $(elapsed)s (slurm $SLURM_VERSION, $MUNGE_VERSION). Use:  source $DIR/env.sh   (or: export SLURM_CONF=$CONF)"
log "stop with: SLURM_LOCAL_DIR=$DIR $(dirname "$0")/slurm-local-down.sh"
