# common.sh - the start every CLI test script shares, sourced with TEST set to its name and
# the datavet binary as the script's first argument:
#     TEST=sign; . "$(dirname "$0")/common.sh"
# Sets BIN (absolute), MK (datavet-mkdataset beside it), PY (Debian's python3), LC_ALL=C,
# and a temporary folder T, removed at exit, as the working folder; defines ok, bad, check
# (name, then a command whose output explains a failure) and finish (the summary line, and
# the exit status); skips, visibly, when mkdataset or python3 is missing.

[ $# -ge 1 ] || { echo "usage: sh tests/cli/$TEST.sh BIN" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
MK=$(dirname "$BIN")/tools/datavet-mkdataset
PY=/usr/bin/python3
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-$TEST.XXXXXX") || exit 2
[ -n "${DV_KEEP_TMP:-}" ] || trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s why ] && sed 's/^/#   /' why | head -20; }
check() { name=$1; shift; : >why; if "$@" >>why 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "$TEST: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

[ -x "$MK" ] || { echo "SKIP: $MK not built"; finish; }
[ -x "$PY" ] || { echo "SKIP: $PY missing (the checks parse JSON with it)"; finish; }
