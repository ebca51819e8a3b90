#!/bin/bash
# Benchmark (label bench): the quickstart's candidate phase on 1 and 2 ranks (sensitivity
# from the cache, so only the candidates are timed), and the speed-up.
set -eu
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}" "${MPIEXEC:?}"
cd "$CS_SOURCE_DIR"
tmp=$CS_TEST_TMP/bench_sweep
rm -rf "$tmp" && mkdir -p "$tmp"
set_cache=(--set "output.cache_dir=\"$tmp/cache\"")
"$CIMSWEEP" sens -c jobs/quickstart.cfg -q "${set_cache[@]}" >/dev/null
for p in 1 2; do
    "$MPIEXEC" -np $p "$CIMSWEEP" sweep -c jobs/quickstart.cfg "${set_cache[@]}" -o "$tmp/r$p.h5" "$@" \
        2>&1 >/dev/null | grep "candidate phase" | tee "$tmp/phase$p.txt"
done
t1=$(sed 's/.*phase: \([0-9.]*\) s.*/\1/' "$tmp/phase1.txt")
t2=$(sed 's/.*phase: \([0-9.]*\) s.*/\1/' "$tmp/phase2.txt")
echo "candidate phase: 1 rank $t1 s, 2 ranks $t2 s, speed-up $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')"
