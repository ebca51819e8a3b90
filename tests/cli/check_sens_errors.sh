#!/bin/bash
# Bad input to `cimsweep sens`: a sens file from another model, a calibration set larger
# than the data set, zero probes. Each exits 2 with a clear one-line message. The cache is
# reused on a second run and --no-cache recomputes.
set -u
: "${CIMSWEEP:?}" "${CS_TEST_TMP:?}"
tmp=$CS_TEST_TMP/sens_errors
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0
check() { # name want_rc want_substring cmd...
    local name=$1 rc_want=$2 want=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne "$rc_want" ] || ! grep -qF -- "$want" "$tmp/err" "$tmp/out"; then
        echo "FAIL $name (exit $rc)"; cat "$tmp/err"; fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
base() {
    cat <<CFG
model = { file = ""; arch = "tiny"; width = $1; };
data = { kind = "synthetic"; synthetic = { size = 8; train = 128; }; };
sensitivity = { calib_samples = 32; batch = 16; min_probes = 3; max_probes = 8; };
output = { cache_dir = "$tmp/cache"; };
CFG
}
base 1.0 >"$tmp/a.cfg"
base 2.0 >"$tmp/b.cfg"
check first_run 0 "hutchinson" "$CIMSWEEP" sens -c "$tmp/a.cfg" -o "$tmp/a.h5"
check cached_run 0 "reusing" "$CIMSWEEP" sens -c "$tmp/a.cfg"
check no_cache 0 "hutchinson" "$CIMSWEEP" sens -c "$tmp/a.cfg" --no-cache
# `info` on the sens file: the table, and the same layer traces as `sens --json` (from a.h5)
check info_sens 0 "cimsweep sensitivity of the model" "$CIMSWEEP" info "$tmp/a.h5"
"$CIMSWEEP" info --json "$tmp/a.h5" >"$tmp/info.json"
"$CIMSWEEP" sens -c "$tmp/a.cfg" --sens "$tmp/a.h5" --json >"$tmp/sens.json" 2>/dev/null
if ! "${CS_PYTHON:?}" -c 'import json,sys; a,b=(json.load(open(f))["layers"] for f in sys.argv[1:]); assert a==b and len(a)==3, (a,b)' "$tmp/info.json" "$tmp/sens.json"; then
    echo "FAIL info_sens_json"; fails=$((fails + 1))
fi
if grep -q reusing "$tmp/err"; then echo "FAIL no_cache reused the cache"; fails=$((fails + 1)); fi
check other_model 2 "computed for another model" "$CIMSWEEP" sens -c "$tmp/b.cfg" --sens "$tmp/a.h5"
check other_settings 2 "computed with other sensitivity or data settings" \
    "$CIMSWEEP" sens -c "$tmp/a.cfg" --sens "$tmp/a.h5" --set sensitivity.seed=9
check calib_too_large 2 "sensitivity.calib_samples = 500 exceeds the 128 images" \
    "$CIMSWEEP" sens -c "$tmp/a.cfg" --set sensitivity.calib_samples=500
check zero_probes 2 "sensitivity.max_probes: expected an integer in [1, 1000000], got 0" \
    "$CIMSWEEP" sens -c "$tmp/a.cfg" --set sensitivity.max_probes=0
echo "not a sensitivity file" >"$tmp/junk.h5"
check junk_file 2 "junk.h5: not an HDF5 file" "$CIMSWEEP" sens -c "$tmp/a.cfg" --sens "$tmp/junk.h5"
check missing_model 2 "nope.h5: cannot open" "$CIMSWEEP" sens -c "$tmp/a.cfg" --set model.file=nope.h5
[ $fails -eq 0 ]
