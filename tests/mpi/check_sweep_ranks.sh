#!/bin/bash
# The sweep gives identical result rows for 1, 2 and 3 MPI ranks (all columns but wall-clock
# and rank), and a sweep split into two shards and merged equals the whole sweep.
set -eu
: "${MPIEXEC:?}"
. "$CS_SOURCE_DIR/tests/sweep/prepare.sh" sweep_ranks
for p in 1 2 3; do
    "$MPIEXEC" -np $p --oversubscribe "$CIMSWEEP" sweep -c "$tmp/small.cfg" -q -o "$tmp/p$p.h5" >/dev/null
done
cmp_results "$tmp/p1.h5" "$tmp/p2.h5"
cmp_results "$tmp/p1.h5" "$tmp/p3.h5"
"$MPIEXEC" -np 2 --oversubscribe "$CIMSWEEP" sweep -c "$tmp/small.cfg" -q --shard 0/2 -o "$tmp/s0.h5" >/dev/null
"$CIMSWEEP" sweep -c "$tmp/small.cfg" -q --shard 1/2 -o "$tmp/s1.h5" >/dev/null
"$CIMSWEEP" merge "$tmp/merged.h5" "$tmp/s0.h5" "$tmp/s1.h5"
cmp_results "$tmp/p1.h5" "$tmp/merged.h5"
# the rows are not all alike (the comparison would prove little otherwise)
"$CS_PYTHON" - "$tmp/p1.h5" <<'PY'
import sys, h5py, numpy as np
c = h5py.File(sys.argv[1], "r")["sweep/candidates"][()]
assert len(np.unique(np.round(c["top1"], 6))) >= 3, "top-1 hardly varies"
assert len(np.unique(c["energy_j"])) >= 5, "energy hardly varies"
print("rows vary: top-1 %.2f..%.2f, energy %.3g..%.3g J" % (c["top1"].min(), c["top1"].max(), c["energy_j"].min(), c["energy_j"].max()))
PY
