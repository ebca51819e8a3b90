#!/bin/bash
# Bad input to `cimsweep sweep`: an existing file without --resume, resume with a changed
# config, a results file from another model, a truncated file, a file that is no results
# file, an empty grid. Each exits 2 with a clear message and leaves the file as it was.
set -u
. "$CS_SOURCE_DIR/tests/sweep/prepare.sh" sweep_errors
fails=0
check() { # name substring file cmd...
    local name=$1 want=$2 file=$3
    shift 3
    local sum_before sum_after=""
    sum_before=$(md5sum <"$file" 2>/dev/null)
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    sum_after=$(md5sum <"$file" 2>/dev/null)
    if [ $rc -ne 2 ] || ! grep -qF -- "$want" "$tmp/err" || [ "$sum_before" != "$sum_after" ]; then
        echo "FAIL $name (exit $rc, file $([ "$sum_before" = "$sum_after" ] && echo intact || echo CHANGED))"
        cat "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok   $name: $(cat "$tmp/err")"
    fi
}
"$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/out.h5" --set 'sweep.cr=[0.5]' \
    --set sweep.dynamic.enable=false --set 'sweep.hap.ratios=[]' >/dev/null || exit 1
small=(-c "$tmp/small.cfg" -q --set 'sweep.cr=[0.5]' --set sweep.dynamic.enable=false --set 'sweep.hap.ratios=[]')
check exists_without_resume "exists; continue it with --resume" "$tmp/out.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/out.h5"
check changed_config "written by another run" "$tmp/out.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/out.h5" --resume --set sweep.dynamic.epsilon=0.3
"$CIMSWEEP" train -c "$tmp/small.cfg" -q -o "$tmp/model2.h5" --set train.seed=7 >/dev/null
check other_model "written for another model" "$tmp/out.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/out.h5" --resume --set "model.file=\"$tmp/model2.h5\""
head -c 20000 "$tmp/out.h5" >"$tmp/truncated.h5"
check truncated "truncated.h5: damaged or truncated HDF5 file" "$tmp/truncated.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/truncated.h5" --resume
check not_results "model.h5: not a cimsweep results file" "$tmp/model.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/model.h5" --resume
check empty_grid "the sweep defines no candidates" "$tmp/out.h5" \
    "$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/out.h5" --resume --set 'sweep.cr=[]' \
    --set sweep.dynamic.enable=false --set 'sweep.hap.ratios=[]'
check bad_shard "--shard 3/2: expected K/N" "$tmp/out.h5" \
    "$CIMSWEEP" sweep "${small[@]}" -o "$tmp/out.h5" --resume --shard 3/2
check merge_into_existing "exists; merge writes a new file" "$tmp/out.h5" \
    "$CIMSWEEP" merge "$tmp/out.h5" "$tmp/out.h5"
[ $fails -eq 0 ]
