#!/bin/bash
# Crossbar benchmarks (label bench): the speed of map + energy on ResNet-50 (target <= 5 ms
# median on one core, reported, not enforced: shared machines vary) and the issue-6 report
# tables, whose Table 4 analog must reach >= 90 % packed + aligned utilization at 128x128.
set -u
fail() { echo "FAIL: $*"; exit 1; }
B=$CS_BUILD_DIR/tests
cd "$CS_SOURCE_DIR" || fail "no source dir"
for m in packed origin; do
    out=$("$B/bench_xbar" - 1 $m) || fail "bench_xbar $m: exit $?"
    echo "$out"
    echo "$out" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["reps"] >= 20' ||
        fail "bench_xbar $m: JSON"
done
"$B/bench_xbar_report" . 1 > "$CS_TEST_TMP/xbar_report.md" || fail "bench_xbar_report: exit $?"
cat "$CS_TEST_TMP/xbar_report.md"
/usr/bin/python3 - "$CS_TEST_TMP/xbar_report.md" <<'PYEOF' || fail "Table 4 analog below target"
import sys
rows = [l.split("|") for l in open(sys.argv[1]) if l.startswith("| 128x128 | packed + aligned")]
assert rows, "no packed + aligned rows"
best = max(float(r[4]) for r in rows)
assert best >= 90.0, best
PYEOF
echo ok
