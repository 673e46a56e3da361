#!/usr/bin/env bash
# slurm_test.sh - `datavet slurm` on a real single-node Slurm (tests/slurm/cluster.sh): an array
# job of 2 shards per task over a 10-shard webdataset, one task killed half-way (scancel), status,
# resubmit, merge, and the merged outputs byte-identical to a single-process scan.
# Usage: bash tests/slurm/slurm_test.sh BIN [SHARED]      (make test-slurm; needs root)
set -u
[ $# -ge 1 ] || { echo "usage: $0 BIN [SHARED]" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
SHARED=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/cluster.sh
MK=$(dirname "$BIN")/tools/datavet-mkdataset
PY=/usr/bin/python3
export LC_ALL=C

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s "$T/why" ] && sed 's/^/#   /' "$T/why" | head -30; }
check() { name=$1; shift; : >"$T/why"; if "$@" >>"$T/why" 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "slurm: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

[ -x "$BIN" ] || { echo "slurm_test: $BIN is not executable" >&2; exit 2; }
[ -x "$MK" ] || { echo "SKIP: slurm test: $MK not built"; exit 0; }
[ -x "$PY" ] || { echo "SKIP: slurm test: $PY missing"; exit 0; }
if [ "$(id -u)" != 0 ]; then echo "SKIP: slurm test: needs root (runs munged, slurmctld, slurmd)"; exit 0; fi

T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-slurm-test.XXXXXX") || exit 2
chmod 0755 "$T"
export DATAVET_SLURM_DIR=$T/cluster
cleanup() { "$CLUSTER" stop; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 2

t0=$(date +%s.%N)
if ! "$CLUSTER" start; then
    echo "SKIP: slurm test: the test cluster did not start (see above)"
    exit 0
fi
echo "# cluster up in $($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)") s"
eval "$("$CLUSTER" env)"

PHOTOS=
if [ -n "$SHARED" ] && [ -d "$SHARED/photos/dev" ]; then PHOTOS="--photos $SHARED/photos/dev"
else echo "note: ../shared/photos absent: synthetic images only"; fi
# shellcheck disable=SC2086
"$MK" ds $PHOTOS --items 200 --shards 10 >/dev/null || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 1 -o md5.dvl ds/lists/md5.txt &&
    "$BIN" list build -q --name known-pdq --version 1 -o pdq.dvl ds/lists/pdq.txt &&
    "$BIN" list build -q --name known-url --version 1 -t url -o url.dvl ds/lists/url.txt ||
    { bad "build lists"; finish; }
L="-l md5.dvl -l pdq.dvl -l url.dvl --dihedral"

# the reference: one process
# shellcheck disable=SC2086
"$BIN" scan -q ds/wds $L -o single -j 2 >/dev/null 2>single.err
check "single-process scan: exit 1 (findings)" test $? -eq 1

# The task of shards 2-3 runs through this wrapper (--datavet): on its first attempt it scans
# shard 2, then starts shard 3 and freezes it (SIGSTOP) so that the scancel below lands mid-task
# whatever the machine's speed. Later attempts and all other tasks run datavet unchanged.
cat >slowdv <<EOF
#!/bin/sh
REAL='$BIN'
case " \$* " in *" --shards 2-3 "*) ;; *) exec "\$REAL" "\$@" ;; esac
[ -e '$T/stopped' ] && exec "\$REAL" "\$@"
args() { for a in "\$@"; do [ "\$a" = 2-3 ] && a=\$R; printf '%s\n' "\$a"; done; }
R=2-2; IFS='
'; set -f
"\$REAL" \$(args "\$@") || [ \$? -eq 1 ] || exit 2
R=3-3
"\$REAL" \$(args "\$@") &
kill -STOP \$!
touch '$T/stopped'
wait
EOF
chmod 0755 slowdv

# shellcheck disable=SC2086
JOB=$("$BIN" slurm submit ds/wds $L -o cl -k 2 -j 1 --datavet "$T/slowdv" --time 10 2>submit.err)
check "submit prints the job id" test -n "$JOB" -a "$JOB" -gt 0
check "the sbatch script is in OUTDIR, runnable" test -x cl/slurm/datavet-scan.sbatch
check "state records 5 tasks of 2 shards" grep -qx "tasks	5" cl/slurm/state

# wait for the frozen task, then cancel that one array index
for _ in $(seq 300); do [ -e stopped ] && break; sleep 0.2; done
check "task 1 reached shard 3" test -e stopped
scancel "${JOB}_1"
"$BIN" slurm wait cl --interval 1 --timeout 180 >wait1.out 2>&1
check "wait: exit 1 with a shard missing" test $? -eq 1
"$BIN" slurm status cl >status1.out 2>&1
check "status: exit 1" test $? -eq 1
check "status: 9 done, 1 failed" grep -q "shards: 9 done, 0 running, 0 pending, 1 failed, 0 missing" status1.out
check "status: task 1 failed, shard 3 not done" grep -Eq "^task 1	shards 2-3	failed.*not done: 3$" status1.out
check "shard 2 of the killed task is done" test -e cl/shards/000002.done
"$BIN" merge -q cl >merge1.out 2>&1
check "merge refuses while a shard is missing" test $? -ne 0
check "merge names shard 3" grep -q 3 merge1.out

JOB2=$("$BIN" slurm resubmit cl 2>resubmit.err)
check "resubmit prints a new job id" test -n "$JOB2" -a "$JOB2" != "$JOB"
check "resubmit: only index 1" grep -qx "job	$JOB2 1" cl/slurm/state
"$BIN" slurm wait cl --interval 1 --timeout 180 >wait2.out 2>&1
check "wait: exit 0, all done" test $? -eq 0
"$BIN" slurm status cl >status2.out 2>&1
check "status: exit 0 after the resubmit" test $? -eq 0
check "status: 10 done" grep -q "shards: 10 done" status2.out
"$BIN" slurm resubmit cl >resubmit2.out 2>resubmit2.err
check "resubmit with nothing left: exit 0, no job" test $? -eq 0 -a ! -s resubmit2.out
check "task logs exist" test -s "cl/slurm/logs/${JOB}_0.out" -a -s "cl/slurm/logs/${JOB2}_1.out"

"$BIN" merge -q cl >merge2.out 2>&1
check "merge: exit 1 (findings)" test $? -eq 1
for f in matches.parquet matches.jsonl removal.txt report.html errors.jsonl; do
    check "merged $f equals the single-process scan" cmp single/$f cl/$f
done
check "summary.json equal apart from timing" $PY -c "
import json
a = json.load(open('single/summary.json')); b = json.load(open('cl/summary.json'))
a.pop('timing', None); b.pop('timing', None)
assert a == b, [k for k in set(a) | set(b) if a.get(k) != b.get(k)]"
check "findings were found at all" test -s cl/matches.jsonl

# a '%' in the working directory and OUTDIR: sbatch --output is a file name pattern, so the
# log path must reach Slurm as '%%' (else the log directory does not exist, and every task
# fails with signal 53 and no log)
mkdir 'w%a' && cd 'w%a' || { bad "mkdir w%a"; finish; }
"$BIN" slurm submit ../ds/wds -l ../md5.dvl -o 'o%j' -k 5 -j 1 --time 10 >/dev/null 2>submit3.err
check "submit from a directory named with '%'" test $? -eq 0
"$BIN" slurm wait 'o%j' --interval 1 --timeout 180 >wait3.out 2>&1
check "its tasks ran: wait exit 0, all 10 shards done" grep -q "shards: 10 done" wait3.out
check "its logs are in OUTDIR/slurm/logs" sh -c 'ls o%j/slurm/logs/*_1.out'
cd "$T" || exit 2
finish
