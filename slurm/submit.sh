#!/bin/bash
# Submit a cimsweep sweep to Slurm, as one MPI job or as a job array of shards plus a merge job,
# and print the job ids. See slurm/README.md.
#
# usage: slurm/submit.sh [options] CFG [-- cimsweep sweep options...]
#
#   (default)        one MPI job: slurm/sweep.sbatch             prints: sweep JOBID
#   --array N        N shards:    slurm/sens.sbatch (the sensitivities, once), then
#                                 slurm/array.sbatch tasks 0..N-1 (afterok), then
#                                 slurm/merge.sbatch (afterok)    prints: sens JOBID
#                                                                         array JOBID
#                                                                         merge JOBID
# options:
#   -o FILE          results file                         [output.file of the config]
#   -n, --ntasks P   MPI ranks of the sweep job and the sensitivity job          [4]
#   --task-ntasks P  MPI ranks of each array task                                [1]
#   -t, --time T     time limit of each job (sbatch --time)                      [24:00:00]
#   --grace S        stop and requeue S seconds before the time limit            [300]
#                    (at least one candidate's time plus a results-file write)
#   -p, --partition P / -A, --account A      passed to sbatch
#   --sbatch ARG     another sbatch option for every job, e.g. --sbatch=--qos=long (repeatable)
#   --no-sens        (array) skip the sensitivity job: the cache is known to be warm
#   --dry-run        print the sbatch commands instead of submitting
#   -h, --help       this text
# Options after `--` go to `cimsweep sweep` (e.g. --set sweep.hap.ratios=[0.5]); its --set
# options also go to the sensitivity job and to the config check.
#
# Run it from the directory the config's relative paths start from (the project root for
# jobs/*.cfg): the jobs run there. The program is $CIMSWEEP, else build/cimsweep of this
# project. Exit status: 0 submitted, 1 sbatch failed, 2 bad usage or config.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prog=submit.sh
die() { echo "$prog: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

array=0 out="" ntasks=4 task_ntasks=1 time_limit=24:00:00 grace=300 no_sens=0 dry=0
common=()
cfg=""
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --array) [ $# -ge 2 ] || die "--array needs a number"; array=$2; shift 2 ;;
        --array=*) array=${1#*=}; shift ;;
        -o) [ $# -ge 2 ] || die "-o needs a file"; out=$2; shift 2 ;;
        -n|--ntasks) [ $# -ge 2 ] || die "$1 needs a number"; ntasks=$2; shift 2 ;;
        --ntasks=*) ntasks=${1#*=}; shift ;;
        --task-ntasks) [ $# -ge 2 ] || die "$1 needs a number"; task_ntasks=$2; shift 2 ;;
        --task-ntasks=*) task_ntasks=${1#*=}; shift ;;
        -t|--time) [ $# -ge 2 ] || die "$1 needs a time"; time_limit=$2; shift 2 ;;
        --time=*) time_limit=${1#*=}; shift ;;
        --grace) [ $# -ge 2 ] || die "--grace needs seconds"; grace=$2; shift 2 ;;
        --grace=*) grace=${1#*=}; shift ;;
        -p|--partition) [ $# -ge 2 ] || die "$1 needs a name"; common+=(--partition "$2"); shift 2 ;;
        -A|--account) [ $# -ge 2 ] || die "$1 needs a name"; common+=(--account "$2"); shift 2 ;;
        --sbatch) [ $# -ge 2 ] || die "--sbatch needs an option"; common+=("$2"); shift 2 ;;
        --sbatch=*) common+=("${1#*=}"); shift ;;
        --no-sens) no_sens=1; shift ;;
        --dry-run) dry=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$cfg" ] || die "one config only (got $cfg and $1); cimsweep options go after --"
           cfg=$1; shift ;;
    esac
done
[ -n "$cfg" ] || { usage >&2; exit 2; }
[ -r "$cfg" ] || die "$cfg: no such config file"
for v in array ntasks task_ntasks grace; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer (got '${!v}')"
done
[ "$ntasks" -ge 1 ] && [ "$task_ntasks" -ge 1 ] || die "--ntasks and --task-ntasks must be at least 1"
[ "$array" -ne 1 ] || die "--array 1 is one shard: leave --array out for one job"

CIMSWEEP=${CIMSWEEP:-$TOP/build/cimsweep}
case $CIMSWEEP in /*) ;; *) CIMSWEEP=$PWD/$CIMSWEEP ;; esac
[ -x "$CIMSWEEP" ] || die "$CIMSWEEP is not an executable; build it (cmake -B build && cmake --build build) or set CIMSWEEP"
export CIMSWEEP CIMSWEEP_HOME=$TOP

# The --set options of the sweep options also shape the config the other jobs see.
sets=()
for (( i = 0; i < ${#extra[@]}; i++ )); do
    if [ "${extra[$i]}" = --set ] && [ $((i + 1)) -lt ${#extra[@]} ]; then
        sets+=(--set "${extra[$((i + 1))]}")
        i=$((i + 1))
    fi
done

# Check the config now rather than in a job hours later; read output.file from its canonical form.
canon=$("$CIMSWEEP" info -c "$cfg" "${sets[@]}" 2>&1) || { echo "$canon" >&2; die "$cfg: the config is not valid (cimsweep info -c)"; }
if [ -z "$out" ]; then
    out=$(awk '/^output = \{/ { o = 1 } o && /^  file = / { sub(/^  file = "/, ""); sub(/";$/, ""); print; exit }' <<<"$canon")
    [ -n "$out" ] || die "cannot read output.file of $cfg; give -o FILE"
fi

signal=(--signal "B:USR1@$grace")
submit() {   # role sbatch-arguments...
    local role=$1 id
    shift
    if [ "$dry" = 1 ]; then
        printf 'sbatch'; printf ' %q' "$@"; printf '\n'
        id="<$role>"
    else
        id=$(sbatch --parsable "$@") || { echo "$prog: sbatch failed for the $role job" >&2; exit 1; }
        id=${id%%;*}
    fi
    echo "$role $id"
    last_id=$id
}

if [ "$array" -eq 0 ]; then
    submit sweep "${common[@]}" --ntasks "$ntasks" --time "$time_limit" "${signal[@]}" \
        "$TOP/slurm/sweep.sbatch" "$cfg" -o "$out" "${extra[@]}"
    [ "$dry" = 1 ] || echo "$prog: results go to $out; log slurm-cimsweep-$last_id.out" >&2
    exit 0
fi

[ ! -e "$out" ] || die "$out exists; cimsweep merge will not overwrite it (remove it or give -o)"
shards=${out%.h5}.shards
dep=()
if [ "$no_sens" = 0 ]; then
    submit sens "${common[@]}" --ntasks "$ntasks" --time "$time_limit" \
        "$TOP/slurm/sens.sbatch" "$cfg" "${sets[@]}"
    dep=(--dependency "afterok:$last_id" --kill-on-invalid-dep=yes)
fi
submit array "${common[@]}" "${dep[@]}" --array "0-$((array - 1))" --ntasks "$task_ntasks" \
    --time "$time_limit" "${signal[@]}" "$TOP/slurm/array.sbatch" "$cfg" "$shards" "${extra[@]}"
submit merge "${common[@]}" --dependency "afterok:$last_id" --kill-on-invalid-dep=yes \
    "$TOP/slurm/merge.sbatch" "$out" "$shards" "$array"
[ "$dry" = 1 ] || echo "$prog: shards go to $shards/, the merged results to $out" >&2
