#!/usr/bin/env bash
# slurm-local-down.sh -- stop the single-node Slurm cluster started by slurm-local-up.sh
# (tests/slurm/; used by check_slurm.sh).
#
# Kills exactly the PIDs recorded in $SLURM_LOCAL_DIR/pids/{slurmd,slurmctld,munged}.pid
# (after checking /proc/PID/comm still names that daemon, so a recycled PID is never hit),
# in the order slurmd -> slurmctld -> munged: SIGTERM, wait, SIGKILL after a timeout.
# Before that it cancels all jobs of this cluster, and afterwards it kills any slurmstepd / job
# process left behind by *this* cluster (identified by SLURM_CONF=<our conf> in its environment).
# Never uses pkill/killall.
#
# Knobs:
#   SLURM_LOCAL_DIR           same dir as given to slurm-local-up.sh   [/tmp/slurm-local]
#   SLURM_LOCAL_STOP_TIMEOUT  seconds to wait per daemon before SIGKILL [20]
#   SLURM_LOCAL_CANCEL_JOBS   1 = scancel all jobs first                 [1]
#   SLURM_LOCAL_PURGE         1 = delete $SLURM_LOCAL_DIR afterwards     [0]  (default keeps logs)
# Exit status: 0 = everything recorded is stopped (or nothing was running), 1 = something survived.
set -uo pipefail

DIR=${SLURM_LOCAL_DIR:-/tmp/slurm-local}
STOP_TIMEOUT=${SLURM_LOCAL_STOP_TIMEOUT:-20}
CANCEL_JOBS=${SLURM_LOCAL_CANCEL_JOBS:-1}
PURGE=${SLURM_LOCAL_PURGE:-0}
CONF=$DIR/etc/slurm.conf
MARKER=.slurm-local-dir
T0=$(date +%s.%N)

log() { printf '[slurm-local-down %5.1fs] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "[slurm-local-down] ERROR: must run as root" >&2; exit 1; }
if [ ! -d "$DIR/pids" ]; then
    log "no $DIR/pids: nothing to stop"
    exit 0
fi

pid_of()   { tr -dc '0-9' 2>/dev/null < "$DIR/pids/$1.pid"; }
alive_as() {   # pid comm : running (not zombie) process with that comm
    [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
    local st; st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
stop_pid() {   # pid name
    local pid=$1 name=$2 end
    kill -TERM "$pid" 2>/dev/null || true
    end=$(( $(date +%s) + STOP_TIMEOUT ))
    while alive_as "$pid" "$name" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
    if alive_as "$pid" "$name"; then
        log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    ! alive_as "$pid" "$name"
}

export SLURM_CONF=$CONF
failed=0

# 1. cancel jobs while the controller is still there
ctld_pid=$(pid_of slurmctld)
if [ "$CANCEL_JOBS" = 1 ] && alive_as "$ctld_pid" slurmctld && [ -r "$CONF" ]; then
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        log "cancelling jobs: $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
        end=$(( $(date +%s) + STOP_TIMEOUT ))
        while [ -n "$(timeout 10 squeue -h -o %A 2>/dev/null)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.5; done
        [ -z "$(timeout 10 squeue -h -o %A 2>/dev/null)" ] || log "warning: jobs still listed after ${STOP_TIMEOUT}s"
    fi
fi

# 2. daemons, in reverse start order
for name in slurmd slurmctld munged; do
    [ -e "$DIR/pids/$name.pid" ] || continue
    pid=$(pid_of "$name")
    if alive_as "$pid" "$name"; then
        if stop_pid "$pid" "$name"; then log "stopped $name (pid $pid)"
        else log "ERROR: could not stop $name (pid $pid)"; failed=1; continue; fi
    elif [ -n "$pid" ] && [ -e "/proc/$pid" ]; then
        log "pid $pid is now '$(cat /proc/$pid/comm 2>/dev/null)', not $name: not touching it"
    else
        log "$name (pid ${pid:-?}) was not running"
    fi
    rm -f "$DIR/pids/$name.pid"
done

# 3. leftovers of this cluster: slurmstepd and job processes survive slurmd if jobs were still
#    running (e.g. SLURM_LOCAL_CANCEL_JOBS=0 or scancel failed). They are recognised by
#    SLURM_CONF=<this cluster's slurm.conf> in their environment (slurmstepd inherits it from
#    slurmd; job processes from sbatch/srun) plus, for job processes, SLURM_JOB_ID.
#    Our own process and its ancestors are never touched.
protect=" "; a=$$
while [ -n "$a" ] && [ "$a" -gt 1 ] 2>/dev/null; do protect+="$a "; a=$(awk '/^PPid:/{print $2}' "/proc/$a/status" 2>/dev/null); done
strays=()
for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ "$protect" == *" $pid "* ]] && continue
    env=$(tr '\0' '\n' 2>/dev/null < "$p/environ") || continue
    grep -qxF "SLURM_CONF=$CONF" <<<"$env" || continue
    comm=$(cat "$p/comm" 2>/dev/null) || continue
    if [ "$comm" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
        alive_as "$pid" "$comm" && strays+=("$pid:$comm")
    fi
done
if [ ${#strays[@]} -gt 0 ]; then
    log "leftover processes of this cluster: ${strays[*]}"
    for e in "${strays[@]}"; do kill -TERM "${e%%:*}" 2>/dev/null || true; done
    end=$(( $(date +%s) + 3 ))
    while [ "$(date +%s)" -lt "$end" ]; do
        n=0; for e in "${strays[@]}"; do alive_as "${e%%:*}" "${e#*:}" && n=$((n+1)); done
        [ $n -eq 0 ] && break; sleep 0.2
    done
    for e in "${strays[@]}"; do alive_as "${e%%:*}" "${e#*:}" && kill -KILL "${e%%:*}" 2>/dev/null; done
    sleep 0.5
    for e in "${strays[@]}"; do
        if alive_as "${e%%:*}" "${e#*:}"; then log "ERROR: could not stop ${e#*:} (pid ${e%%:*})"; failed=1
        else log "stopped leftover ${e#*:} (pid ${e%%:*})"; fi
    done
fi

if [ "$PURGE" = 1 ] && [ $failed -eq 0 ] && [ -e "$DIR/$MARKER" ]; then
    rm -rf "$DIR" && log "removed $DIR"
fi
[ $failed -eq 0 ] && log "down" || log "down with errors"
exit $failed
