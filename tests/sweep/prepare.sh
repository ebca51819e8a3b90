# shellcheck shell=bash
# Sourced by the sweep tests: a scratch directory $tmp with small.cfg and a trained model.
# Usage: . prepare.sh NAME
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}"
tmp=$CS_TEST_TMP/$1
rm -rf "$tmp" && mkdir -p "$tmp"
sed "s|@DIR@|$tmp|g" "$CS_SOURCE_DIR/tests/sweep/small.cfg.in" >"$tmp/small.cfg"
"$CIMSWEEP" train -c "$tmp/small.cfg" -q >/dev/null
cmp_results() { "${CS_PYTHON:?}" "$CS_SOURCE_DIR/tests/sweep/compare_results.py" "$@"; }
