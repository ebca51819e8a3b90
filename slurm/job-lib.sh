# shellcheck shell=bash
# Sourced by slurm/sweep.sbatch, slurm/array.sbatch, slurm/sens.sbatch and slurm/merge.sbatch
# (not run on its own).
#
# cs_job_init            checks the environment, finds the program ($CIMSWEEP), sets MPI variables
# cs_sweep LAUNCH ARGS.. runs `LAUNCH sweep ARGS --json` (LAUNCH: a function that starts
#                        $CIMSWEEP "$@" with srun or mpirun) and requeues the job when the sweep
#                        stopped before its end, so that the next attempt continues (--resume).
#                        Returns 0 (finished, or stopped and requeued) or the failure's status.
# cs_run_stoppable CMD.. runs CMD in the background and waits for it; when the batch shell gets
#                        SIGTERM, SIGUSR1 or SIGINT (sbatch --signal=B:USR1@GRACE shortly before
#                        the time limit, `scancel --signal=TERM --batch`, preemption), it forwards
#                        SIGTERM to the cimsweep ranks (every step of this job, and ranks that
#                        mpirun started inside the batch step), waits until they have finished
#                        the candidates in flight and written the results file, and returns
#                        CMD's status.
# cs_requeue             scontrol requeue of this job (or array task).
#
# How a stop is recognised: `cimsweep sweep --json` prints its JSON object (the Pareto front)
# only when every candidate is done; after a SIGTERM it exits 0 with nothing on stdout. That
# holds however the signal reached the ranks (through this script, or `scancel --signal=TERM`
# of the job's steps, which the batch shell never sees).

CS_STOPPED=0

# This job as scancel / scontrol name it: JOBID, or ARRAYJOBID_TASK for an array task (one of
# the tasks has the array's own id as its JOBID, and `scancel ARRAYJOBID` means every task).
cs_self() {
    if [ -n "${SLURM_ARRAY_JOB_ID:-}" ]; then echo "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
    else echo "$SLURM_JOB_ID"; fi
}

cs_log() { printf '[%s %s] %s\n' "${SLURM_JOB_NAME:-cimsweep-job}" "$(date '+%F %T')" "$*" >&2; }
cs_die() { cs_log "ERROR: $*"; exit 2; }

cs_job_init() {
    [ -n "${SLURM_JOB_ID:-}" ] || cs_die "not inside a Slurm job (submit with sbatch or slurm/submit.sh)"
    CIMSWEEP=${CIMSWEEP:-$CIMSWEEP_HOME/build/cimsweep}
    [ -x "$CIMSWEEP" ] || cs_die "$CIMSWEEP is not an executable; build it (cmake -B build && cmake --build build) or set CIMSWEEP"
    # Open MPI refuses root unless told (containers, test clusters); one BLAS thread per rank.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
    cs_log "job $SLURM_JOB_ID${SLURM_ARRAY_TASK_ID:+ (array $SLURM_ARRAY_JOB_ID task $SLURM_ARRAY_TASK_ID)}, attempt $(( ${SLURM_RESTART_COUNT:-0} + 1 )), ${SLURM_NTASKS:-1} task(s) on ${SLURM_JOB_NODELIST:-?}, in $PWD"
}

# Every process below pid $1 (from the ppid column of ps).
cs_descendants() {
    ps -e -o pid= -o ppid= 2>/dev/null | awk -v root="$1" '
        { parent[$1] = $2 }
        END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q];
                                  if (q == root && p != root) print p } }'
}

cs_forward_stop() {
    local sig=$1 p name
    cs_log "got SIG$sig: asking cimsweep to stop after the candidates in flight (the results file stays complete)"
    # ranks started by srun: every job step of this job (never the batch step itself)
    scancel --signal=TERM "$(cs_self)" 2>/dev/null || true
    # ranks started by mpirun (or a plain run) inside the batch step: SIGTERM to cimsweep only;
    # mpirun itself would answer SIGTERM by killing its ranks a few seconds later
    name=$(basename "$CIMSWEEP")
    name=${name:0:15}   # /proc/PID/comm holds at most 15 characters
    for p in $(cs_descendants $$); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$name" ] && kill -TERM "$p" 2>/dev/null
    done
    return 0
}

cs_on_signal() {
    CS_STOPPED=1
    CS_SIGNALLED=1
    cs_forward_stop "$1"
}

cs_run_stoppable() {
    local child rc
    CS_SIGNALLED=0
    trap 'cs_on_signal TERM' TERM
    trap 'cs_on_signal USR1' USR1
    trap 'cs_on_signal INT' INT
    "$@" &
    child=$!
    rc=0
    wait "$child" || rc=$?
    # `wait` returns early when a trapped signal arrives: wait again until the child has exited
    while [ "$CS_SIGNALLED" = 1 ]; do
        CS_SIGNALLED=0
        rc=0
        wait "$child" || rc=$?
    done
    trap - TERM USR1 INT
    return "$rc"
}

cs_requeue() {
    local id
    id=$(cs_self)
    cs_log "requeueing $id: the next attempt continues with --resume"
    scontrol requeue "$id" || { cs_log "scontrol requeue $id failed; submit the same command again to continue"; return 1; }
}

cs_sweep() {
    local launch=$1 json rc
    shift
    json=${TMPDIR:-/tmp}/cimsweep-sweep-$SLURM_JOB_ID-$$.json
    cs_run_stoppable "$launch" sweep --json "$@" >"$json"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        rm -f "$json"
        cs_log "sweep failed (exit $rc)"
        return "$rc"
    fi
    if [ ! -s "$json" ]; then
        rm -f "$json"
        if [ "$CS_STOPPED" = 1 ]; then cs_log "the sweep stopped as asked, before its end"
        else cs_log "the sweep stopped before its end (a signal reached its ranks directly)"; fi
        cs_requeue || return 1
        return 0
    fi
    cs_log "sweep finished; Pareto front (JSON):"
    cat "$json"
    echo
    rm -f "$json"
    return 0
}
