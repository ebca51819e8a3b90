#!/bin/bash
# slurm/ on a real Slurm (ctest label slurm). Brings up a single-node cluster (munged, slurmctld,
# slurmd from Debian; installed with apt-get when missing; started by hand and stopped by their
# recorded PIDs, also when the test fails), then, for a small sweep with a briefly trained
# model:
#   1. a direct `mpirun -np 2` run: the reference;
#   2. slurm/submit.sh -> sweep.sbatch (srun --mpi=pmix, 2 ranks): equal to the reference;
#   3. slurm/submit.sh --array 3 -> sens.sbatch, array.sbatch (3 shards), merge.sbatch
#      (afterok): equal to the reference;
#   4. sweep.sbatch again, sent SIGTERM (to the batch shell, as --signal=B:... does) once some
#      candidates are done: the job stops after the candidates in flight, requeues itself,
#      resumes, and its final file equals the reference;
#   5. an array of 2 shards whose task 1 gets SIGTERM on its ranks only (scancel of the steps,
#      not the batch shell): the task requeues itself all the same, the other task is not
#      touched, and the merged file equals the reference.
# "Equal" is compare_results.py: every dataset bit-identical but the wall_s and rank columns.
# Needs root (slurmd). Set CS_SLURM_KEEP=1 to keep the cluster directory (logs) afterwards.
set -euo pipefail
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}" "${CS_PYTHON:?}" "${MPIEXEC:?}"
if [ "$(id -u)" -ne 0 ]; then
    echo "check_slurm: needs root (slurmd runs jobs as root here); as a normal user run ctest -LE slurm" >&2
    exit 1
fi
T0=$(date +%s)
say() { echo "[check_slurm $(( $(date +%s) - T0 ))s] $*"; }
fail() { echo "[check_slurm] FAIL: $*" >&2; exit 1; }

HERE=$CS_SOURCE_DIR/tests/slurm
SUBMIT=$CS_SOURCE_DIR/slurm/submit.sh
tmp=$CS_TEST_TMP/slurm
rm -rf "$tmp" && mkdir -p "$tmp"
# A short path for the cluster: it holds munge's socket (unix socket paths are short).
export SLURM_LOCAL_DIR
SLURM_LOCAL_DIR=$(mktemp -d /tmp/cimsweep-slurm.XXXXXX)
export SLURM_CONF=$SLURM_LOCAL_DIR/etc/slurm.conf

cleanup() {
    local rc=$?
    set +e
    if [ $rc -ne 0 ]; then
        for f in "$tmp"/slurm-*.out "$SLURM_LOCAL_DIR"/log/slurmctld.log "$SLURM_LOCAL_DIR"/log/slurmd.log; do
            [ -s "$f" ] && { echo "----- tail $f"; tail -n 25 "$f"; }
        done
    fi
    local purge=1
    [ "${CS_SLURM_KEEP:-0}" = 1 ] && purge=0
    SLURM_LOCAL_PURGE=$purge bash "$HERE/slurm-local-down.sh" || rc=1
    [ $purge = 1 ] && rmdir "$SLURM_LOCAL_DIR" 2>/dev/null
    say "done (exit $rc)"
    exit $rc
}
trap cleanup EXIT

say "bringing up Slurm in $SLURM_LOCAL_DIR"
# 4 CPUs whatever the machine has: 2-rank jobs and array tasks fit side by side;
# cred_expire=5: a requeued job may start again after 5 s instead of 120 s
SLURM_LOCAL_CPUS=4 SLURM_LOCAL_CRED_EXPIRE=5 bash "$HERE/slurm-local-up.sh" >"$tmp/up.log" 2>&1 ||
    { cat "$tmp/up.log"; fail "slurm-local-up.sh"; }
say "cluster up: $(grep -o 'cluster ready.*)' "$tmp/up.log")"

# ---- helpers
wait_gone() {   # "id,id,..." timeout_s : until no job of the list is queued or running
    local end=$(( $(date +%s) + $2 ))
    while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "jobs $1 still queued or running after $2 s: $(squeue -h -j "$1" -o '%i %T %r' | tr '\n' ';')"
        sleep 0.3
    done
}
job_ok() {      # id : every record (every array task) COMPLETED with exit code 0:0
    local info
    info=$(scontrol show job "$1") || fail "scontrol show job $1"
    grep -o 'JobState=[A-Z_]*' <<<"$info" | grep -qv 'JobState=COMPLETED' &&
        fail "job $1 did not complete: $(grep -o 'JobState=[A-Z_]*' <<<"$info" | sort | uniq -c | tr '\n' ' ')"
    grep -o ' ExitCode=[0-9:]*' <<<"$info" | grep -qv ' ExitCode=0:0' && fail "job $1: non-zero exit code"
    return 0
}
job_field() { scontrol show job "$1" | grep -o " $2=[^ ]*" | head -n 1 | cut -d= -f2; }
id_of() { awk -v r="$1" '$1 == r { print $2 }' "$2"; }
cmp_results() { "$CS_PYTHON" "$CS_SOURCE_DIR/tests/sweep/compare_results.py" "$@"; }
done_count() { { "$CIMSWEEP" info "$1" --json 2>/dev/null || true; } | sed -n 's/.*"candidates_done":\([0-9]*\).*/\1/p'; }

# ---- the sweep: a ResNet-20 of width 1/4 on the synthetic set, trained for 3 s so that top-1
# varies between candidates; 3 methods x 2 alignments x 11 CRs + dynamic + HAP = 105 candidates
cd "$tmp"
cat >small.cfg <<EOF
model = { file = "$tmp/model.h5"; arch = "resnet20"; width = 0.25; };
train = { epochs = 20; batch = 64; lr = 0.1; threads = 1; };
data = { kind = "synthetic"; synthetic = { size = 12; train = 512; test = 256; }; };
sensitivity = { calib_samples = 64; batch = 32; min_probes = 3; max_probes = 12; tol = 1e-2; };
fim = { samples = 64; batch = 32; };
quant = { act_calib_samples = 64; };
sweep = {
  cr = { from = 0.0; to = 1.0; steps = 11; };
  methods = ["hutchinson", "activation", "magnitude"];
  align = ["none", "down"];
  dynamic = { max_steps = 6; epsilon = 0.2; };
  hap = { ratios = [0.3, 0.5]; };
};
output = { file = "$tmp/out.h5"; cache_dir = "$tmp/cache"; };
EOF
"$CIMSWEEP" train -c small.cfg -q >/dev/null
"$MPIEXEC" -np 2 --oversubscribe "$CIMSWEEP" sweep -c small.cfg -q -o direct.h5 >/dev/null
total=$(done_count direct.h5)
say "direct mpirun -np 2 run: $total candidates"
"$CS_PYTHON" - direct.h5 <<'PY'
import sys, h5py, numpy as np
c = h5py.File(sys.argv[1], "r")["sweep/candidates"][()]
assert len(np.unique(c["top1"])) >= 5 and len(np.unique(c["energy_j"])) >= 10, "rows hardly vary"
PY

# ---- 2. one MPI job (sweep.sbatch); a cold cache, so it computes the sensitivities itself
rm -rf cache
"$SUBMIT" -n 2 -t 10 -o "$tmp/sbatch.h5" small.cfg >ids-sweep 2>submit-sweep.err || { cat submit-sweep.err; fail "submit.sh"; }
J=$(id_of sweep ids-sweep)
[ -n "$J" ] || fail "submit.sh printed no sweep job id: $(cat ids-sweep)"
wait_gone "$J" 240
job_ok "$J"
grep -q 'sweep finished' "slurm-cimsweep-$J.out" || fail "sweep.sbatch log lacks 'sweep finished'"
cmp_results direct.h5 sbatch.h5
say "sweep.sbatch (job $J, srun --mpi=pmix, 2 ranks) equals the direct run"

# ---- 3. job array of 3 shards + merge; cold cache again: the sens job fills it first
rm -rf cache
"$SUBMIT" --array 3 -n 2 -t 10 -o "$tmp/array.h5" small.cfg >ids-array 2>submit-array.err || { cat submit-array.err; fail "submit.sh"; }
S=$(id_of sens ids-array) A=$(id_of array ids-array) M=$(id_of merge ids-array)
[ -n "$S" ] && [ -n "$A" ] && [ -n "$M" ] || fail "submit.sh --array printed: $(cat ids-array)"
wait_gone "$S,$A,$M" 240
job_ok "$S"
job_ok "$A"
job_ok "$M"
[ "$(ls array.shards)" = "$(printf 'shard-0-of-3.h5\nshard-1-of-3.h5\nshard-2-of-3.h5')" ] ||
    fail "shard files: $(ls array.shards | tr '\n' ' ')"
for k in 0 1 2; do   # the sens job ran first (afterok): every task read all 3 methods from the cache
    [ "$(grep -c '^\[sens\] [a-z]*: reusing' "slurm-cimsweep-shard-${A}_$k.out")" = 3 ] ||
        fail "array task $k did not read the sensitivities from the cache"
done
cmp_results direct.h5 array.h5
say "array (job $A, 3 shards after sens job $S) + merge (job $M) equals the direct run"

# ---- 4. SIGTERM midway: stop after the candidates in flight, requeue, resume
"$SUBMIT" -n 2 -t 10 -o "$tmp/requeue.h5" small.cfg >ids-requeue 2>submit-requeue.err || { cat submit-requeue.err; fail "submit.sh"; }
R=$(id_of sweep ids-requeue)
[ -n "$R" ] || fail "submit.sh printed no sweep job id: $(cat ids-requeue)"
end=$(( $(date +%s) + 120 ))
while :; do
    n=$(done_count requeue.h5)
    [ -n "$n" ] && [ "$n" -ge 10 ] && break
    [ -n "$(squeue -h -j "$R")" ] || fail "job $R ended before it was signalled"
    [ "$(date +%s)" -lt "$end" ] || fail "job $R: fewer than 10 candidates after 120 s"
    sleep 0.2
done
scancel --signal=TERM --batch "$R"
say "sent SIGTERM to job $R with $n of $total candidates done"
wait_gone "$R" 240
job_ok "$R"
log=slurm-cimsweep-$R.out
[ "$(job_field "$R" Restarts)" = 1 ] || fail "job $R restarted $(job_field "$R" Restarts) times, expected once"
stopped=$(sed -n 's/.*stopped by a signal after \([0-9]*\) of \([0-9]*\) candidates.*/\1 \2/p' "$log")
[ -n "$stopped" ] || fail "$log: no 'stopped by a signal' line"
read -r got all <<<"$stopped"
[ "$got" -lt "$all" ] || fail "the first attempt finished all $all candidates before the signal took effect"
grep -q "requeueing $R" "$log" || fail "$log: the job did not requeue itself"
grep -q "attempt 2" "$log" || fail "$log: no second attempt"
grep -q " $got done already" "$log" || fail "$log: the second attempt did not resume the $got finished candidates"
grep -q 'sweep finished' "$log" || fail "$log lacks 'sweep finished'"
cmp_results direct.h5 requeue.h5
say "SIGTERM after $got of $all candidates: stopped, requeued, resumed; the final file equals the direct run"

# ---- 5. SIGTERM to the ranks of one array task only (not its batch shell)
"$SUBMIT" --array 2 --no-sens -t 10 -o "$tmp/array2.h5" small.cfg >ids-array2 2>submit-array2.err ||
    { cat submit-array2.err; fail "submit.sh"; }
A=$(id_of array ids-array2) M=$(id_of merge ids-array2)
[ -n "$A" ] && [ -n "$M" ] || fail "submit.sh --array printed: $(cat ids-array2)"
end=$(( $(date +%s) + 120 ))
while :; do
    n=$(done_count array2.shards/shard-1-of-2.h5)
    [ -n "$n" ] && [ "$n" -ge 5 ] && break
    [ -n "$(squeue -h -j "${A}_1")" ] || fail "array task ${A}_1 ended before it was signalled"
    [ "$(date +%s)" -lt "$end" ] || fail "array task ${A}_1: fewer than 5 candidates after 120 s"
    sleep 0.2
done
scancel --signal=TERM "${A}_1"
say "sent SIGTERM to the steps of array task ${A}_1 ($n candidates of its shard done)"
wait_gone "$A,$M" 240
job_ok "$A"
job_ok "$M"
[ "$(job_field "${A}_1" Restarts)" = 1 ] || fail "array task ${A}_1 restarted $(job_field "${A}_1" Restarts) times, expected once"
[ "$(job_field "${A}_0" Restarts)" = 0 ] || fail "array task ${A}_0 was restarted too"
log=slurm-cimsweep-shard-${A}_1.out
grep -q 'stopped before its end (a signal reached its ranks directly)' "$log" || fail "$log: the stop was not recognised"
grep -q "requeueing ${A}_1" "$log" || fail "$log: the task did not requeue itself"
grep -q 'stopped' "slurm-cimsweep-shard-${A}_0.out" && fail "array task ${A}_0 was stopped too"
cmp_results direct.h5 array2.h5
say "array task ${A}_1 stopped by SIGTERM to its ranks: requeued, resumed; the merged file equals the direct run"
