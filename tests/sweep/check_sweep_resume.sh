#!/bin/bash
# Fault tolerance: a sweep killed with SIGKILL midway and rerun with --resume ends with rows
# identical to an uninterrupted run, and recomputes none of the candidates finished before
# the kill (their rows, wall-clock included, come back unchanged).
set -eu
. "$CS_SOURCE_DIR/tests/sweep/prepare.sh" sweep_resume
"$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/full.h5" >/dev/null
"$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/out.h5" >/dev/null 2>&1 &
pid=$!
done_rows=0
for _ in $(seq 1 600); do
    if [ -f "$tmp/out.h5" ]; then
        done_rows=$("$CIMSWEEP" info "$tmp/out.h5" --json 2>/dev/null | "$CS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["candidates_done"])' 2>/dev/null || echo 0)
        [ "$done_rows" -ge 6 ] && break
    fi
    sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null || true
before=$("$CIMSWEEP" info "$tmp/out.h5" --json | "$CS_PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["candidates_done"], d["candidates_total"])')
read -r n_before n_total <<<"$before"
echo "killed with $n_before of $n_total candidates done"
[ "$n_before" -ge 6 ] && [ "$n_before" -lt "$n_total" ] || { echo "FAIL: the kill did not land midway"; exit 1; }
cp "$tmp/out.h5" "$tmp/before.h5"
"$CIMSWEEP" sweep -c "$tmp/small.cfg" -o "$tmp/out.h5" --resume >/dev/null 2>"$tmp/resume.err"
grep -q "$n_before done already" "$tmp/resume.err" || { echo "FAIL: resume did not start from $n_before"; cat "$tmp/resume.err"; exit 1; }
cmp_results "$tmp/full.h5" "$tmp/out.h5"
"$CS_PYTHON" - "$tmp/before.h5" "$tmp/out.h5" "$n_total" <<'PY'
import sys, h5py
a = {r["index"]: r for r in h5py.File(sys.argv[1], "r")["sweep/candidates"][()]}
b = {r["index"]: r for r in h5py.File(sys.argv[2], "r")["sweep/candidates"][()]}
changed = [i for i in a if a[i].tobytes() != b[i].tobytes()]
assert not changed, "finished candidates were recomputed: %s" % changed
recomputed = len(b) - len(a)
assert len(b) == int(sys.argv[3]), "%d rows, expected %s" % (len(b), sys.argv[3])
print("kept %d finished rows untouched; computed the other %d" % (len(a), recomputed))
PY
