#!/bin/bash
# cimsweep xbar: NeuroSim layer lists in, a table or one JSON object out; bad lists exit 2
# with "file:line: what was expected". Also checks the VGG-8 estimate against the DNN+NeuroSim
# V1.4 figures of notes/neurosim.md (every component within 1.5x).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$CS_TEST_TMP/xbar_cli
rm -rf "$T" && mkdir -p "$T" || fail "cannot create $T"
PY=/usr/bin/python3
V=$CS_SOURCE_DIR/tests/xbar/vgg8.csv
NS=$CS_SOURCE_DIR/configs/xbar/neurosim-v14-vgg8.cfg

# a good list, table output with the built-in (seed Table 1) hardware
"$CIMSWEEP" xbar --network "$V" > "$T/table.txt" 2> "$T/err" || fail "good list: exit $? $(cat "$T/err")"
grep -q "^energy per image:" "$T/table.txt" || fail "no energy line: $(cat "$T/table.txt")"
[ "$(grep -c '^L[0-9]' "$T/table.txt")" = 8 ] || fail "expected 8 layer rows"
[ -s "$T/err" ] && fail "stderr not empty: $(cat "$T/err")"

# --json: one object on stdout that parses; totals add up; NeuroSim side by side
for b in 8 4; do
    "$CIMSWEEP" xbar --network "$V" -c "$NS" --bits $b --json > "$T/vgg$b.json" ||
        fail "--json --bits $b: exit $?"
    $PY - "$T/vgg$b.json" $b <<'PYEOF' || fail "JSON check, $b-bit weights"
import json, sys
d = json.load(open(sys.argv[1]))
b = int(sys.argv[2])
assert d["bits"] == b and d["positions"] == "neurosim" and len(d["layers"]) == 8, d
parts = d["energy_adc_j"] + d["energy_accum_j"] + d["energy_other_j"]
assert abs(d["energy_j"] - parts) <= 1e-9 * d["energy_j"], (d["energy_j"], parts)
assert abs(sum(l["energy_j"] for l in d["layers"]) - d["energy_j"]) <= 1e-9 * d["energy_j"]
assert abs(sum(l["latency_s"] for l in d["layers"]) - d["latency_s"]) <= 1e-9 * d["latency_s"]
assert 0 < d["utilization"] <= 100
# DNN+NeuroSim V1.4 on VGG-8 (notes/neurosim.md): uJ and us per image
ns = {8: (26.75, 11.38, 3.25, 12.12, 1071.5), 4: (15.43, 5.67, 1.70, 8.06, 1029.0)}[b]
got = (d["energy_j"] * 1e6, d["energy_adc_j"] * 1e6, d["energy_accum_j"] * 1e6,
       d["energy_other_j"] * 1e6, d["latency_s"] * 1e6)
for name, g, r in zip(("total", "ADC", "accumulation", "other", "latency"), got, ns):
    assert r / 1.5 <= g <= r * 1.5, "%s: cimsweep %.3f vs NeuroSim %.3f" % (name, g, r)
PYEOF
done

# text and JSON agree; --set without -c; -c with --set
"$CIMSWEEP" xbar --network "$V" --json --set xbar.mapping=\"origin\" > "$T/origin.json" ||
    fail "--set without -c: exit $?"
"$CIMSWEEP" xbar --network "$V" --json > "$T/packed.json" || fail "default --json"
$PY - "$T/origin.json" "$T/packed.json" <<'PYEOF' || fail "origin vs packed"
import json, sys
o, p = (json.load(open(f)) for f in sys.argv[1:3])
assert o["mapping"] == "origin" and p["mapping"] == "packed"
assert p["crossbars"] <= o["crossbars"] and p["utilization"] >= o["utilization"]
PYEOF

# usage errors: exit 2
expect2() {
    local what=$1 pattern=$2
    shift 2
    "$CIMSWEEP" xbar "$@" > "$T/out" 2> "$T/err"
    local rc=$?
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$T/err"))"
    [ -s "$T/out" ] && fail "$what: stdout not empty"
    grep -q -- "$pattern" "$T/err" || fail "$what: message '$(cat "$T/err")' lacks '$pattern'"
}
expect2 "no --network" "missing --network" --json
expect2 "--bits 6" "no group for 6-bit" --network "$V" --bits 6
expect2 "--bits x" "expected an integer" --network "$V" --bits x
expect2 "bad --set" "xbar.rows" --network "$V" --set xbar.rows=1
expect2 "missing file" "$T/none.csv: cannot open" --network "$T/none.csv"
expect2 "directory" "$T: is a directory" --network "$T"

# bad lists: exit 2 with file:line: what was expected
bad() {
    local name=$1 content=$2 line=$3 what=$4
    printf "%b" "$content" > "$T/$name.csv"
    expect2 "$name" "$T/$name.csv:$line: .*$what" --network "$T/$name.csv"
}
bad columns "32,32,3,3,3,128,0,1\n32,32,128,3,3,128,1\n" 2 "expected 8 comma-separated integers"
bad too_many "32,32,3,3,3,128,0,1,9\n" 1 "got 9 fields"
bad non_number "32,32,3,3,3,128,0,1\n# comment\n16,16,x,3,3,256,0,1\n" 3 "field 3 (C): expected a positive integer"
bad float "32,32,3,3,3,12.5,0,1\n" 1 "field 6 (M): expected a positive integer"
bad zero "32,32,0,3,3,128,0,1\n" 1 "field 3 (C): expected an integer in \[1,"
bad negative "32,32,3,3,3,128,0,-1\n" 1 "field 8 (stride): expected an integer in \[1,"
bad empty_field "32,,3,3,3,128,0,1\n" 1 "field 2 (IFM_W): expected a positive integer"
bad kernel "32,32,3,3,3,16,0,1\n2,2,16,3,3,16,0,1\n" 2 "kernel no larger than the input map"
bad square "32,32,3,3,1,16,0,1\n" 1 "square kernel"
bad pool "32,32,3,3,3,16,2,1\n" 1 "pool): expected 0 or 1"
bad huge "32,32,3,3,3,99999999999999999999,0,1\n" 1 "field 6 (M): expected an integer"
bad empty "" 1 "got an empty file"
bad blank "\n  \n# only a comment\n" 3 "got no layer"

# CRLF line ends and spaces are accepted
printf "32, 32, 3, 3, 3, 16, 0, 1\r\n16,16,16,3,3,16,0,1\r\n" > "$T/crlf.csv"
"$CIMSWEEP" xbar --network "$T/crlf.csv" --json > "$T/crlf.json" || fail "CRLF list: exit $?"
$PY -c 'import json,sys; d=json.load(sys.stdin); assert len(d["layers"]) == 2' < "$T/crlf.json" ||
    fail "CRLF list: JSON"
echo "ok"
