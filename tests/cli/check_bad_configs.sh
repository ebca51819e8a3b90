#!/bin/bash
# Every malformed config in tests/configs/bad (and a few made here: binary garbage, a
# directory, a missing file, an unreadable file, a file too large) makes `cimsweep info -c`
# exit 2 with one line on stderr that names file:line and what was expected. Under the
# sanitizer build this also proves that none of them crashes.
set -u
: "${CIMSWEEP:?}" "${CS_SOURCE_DIR:?}" "${CS_TEST_TMP:?}"
bad=$CS_SOURCE_DIR/tests/configs/bad
tmp=$CS_TEST_TMP/bad_configs
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0 n=0

# expect_fail NAME WANT_SUBSTRING CMD...
expect_fail() {
    local name=$1 want=$2
    shift 2
    n=$((n + 1))
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? lines
    lines=$(wc -l <"$tmp/err")
    if [ $rc -ne 2 ]; then
        echo "FAIL $name: exit $rc, expected 2"; cat "$tmp/err"; fails=$((fails + 1)); return
    fi
    if [ "$lines" -ne 1 ]; then
        echo "FAIL $name: $lines lines on stderr, expected 1"; cat "$tmp/err"; fails=$((fails + 1)); return
    fi
    if ! grep -qF -- "$want" "$tmp/err"; then
        echo "FAIL $name: message lacks '$want'"; cat "$tmp/err"; fails=$((fails + 1)); return
    fi
    if [ -s "$tmp/out" ]; then
        echo "FAIL $name: wrote to stdout"; fails=$((fails + 1)); return
    fi
    echo "ok   $name: $(cat "$tmp/err")"
}

while IFS=$'\t' read -r file want; do
    case "$file" in ''|'#'*) continue ;; esac
    expect_fail "$file" "$want" "$CIMSWEEP" info -c "$bad/$file"
done <"$bad/expect.txt"

# made here
head -c 300 /dev/urandom >"$tmp/garbage.cfg"
printf '\x7fELF\x02\x01\x01\x00\x00\x00' >"$tmp/elf.cfg"
printf 'sensitivity = {\n  tol = 1e-3;\x01\n};\n' >"$tmp/control.cfg"
mkdir -p "$tmp/a-directory.cfg"
mkfifo "$tmp/fifo.cfg"
head -c 5000000 /dev/zero | tr '\0' '#' >"$tmp/huge.cfg"
printf 'sensitivity = { max_probes = 5; };\n' >"$tmp/unreadable.cfg"
chmod 000 "$tmp/unreadable.cfg"
expect_fail garbage "garbage.cfg:" "$CIMSWEEP" info -c "$tmp/garbage.cfg"
expect_fail elf_binary "elf.cfg:1: not a text file" "$CIMSWEEP" info -c "$tmp/elf.cfg"
expect_fail control_byte "control.cfg:2: not a text file (control byte 0x01" "$CIMSWEEP" info -c "$tmp/control.cfg"
expect_fail directory "a-directory.cfg: is a directory" "$CIMSWEEP" info -c "$tmp/a-directory.cfg"
expect_fail missing_file "nope.cfg: cannot open: No such file" "$CIMSWEEP" info -c "$tmp/nope.cfg"
expect_fail fifo "fifo.cfg: not a regular file" "$CIMSWEEP" info -c "$tmp/fifo.cfg"
expect_fail huge_file "huge.cfg: 5000000 bytes, larger than" "$CIMSWEEP" info -c "$tmp/huge.cfg"
if [ "$(id -u)" -ne 0 ]; then
    expect_fail unreadable "unreadable.cfg: cannot open: Permission denied" "$CIMSWEEP" info -c "$tmp/unreadable.cfg"
else
    echo "skip unreadable: root reads files whatever their mode (the FIFO and missing-file cases stand in)"
fi

# --set and usage errors
good=$tmp/good.cfg
printf 'sensitivity = { max_probes = 50; };\n' >"$good"
expect_fail set_unknown "--set sensitivity.max_prob=3: unknown key sensitivity.max_prob (did you mean sensitivity.max_probes?)" "$CIMSWEEP" info -c "$good" --set sensitivity.max_prob=3
expect_fail set_range "--set sensitivity.min_probes=90: sensitivity.min_probes: sensitivity.min_probes = 90 exceeds" "$CIMSWEEP" info -c "$good" --set sensitivity.min_probes=90
expect_fail set_syntax "--set sensitivity.tol=abc: cannot read the value" "$CIMSWEEP" info -c "$good" --set sensitivity.tol=abc
expect_fail set_no_equals "--set sensitivity.tol: expected KEY=VALUE" "$CIMSWEEP" info -c "$good" --set sensitivity.tol
expect_fail unknown_command "unknown command 'frobnicate'" "$CIMSWEEP" frobnicate
expect_fail unknown_option "unknown option '--frob'" "$CIMSWEEP" info --frob
expect_fail missing_value "option '-c' needs a value" "$CIMSWEEP" info -c
expect_fail no_config "missing -c CFG" "$CIMSWEEP" eval

chmod 644 "$tmp/unreadable.cfg"
echo "$((n - fails))/$n bad inputs rejected as expected"
[ $fails -eq 0 ]
