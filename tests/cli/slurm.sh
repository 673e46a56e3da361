#!/bin/sh
# slurm.sh - `datavet slurm` without a cluster: fake sbatch/squeue/scontrol first on PATH record
# what datavet asks, the generated sbatch script is run by hand as array tasks would run it, and
# the merge must equal a single-process scan. (tests/slurm/slurm_test.sh uses a real Slurm.)
# Usage: sh tests/cli/slurm.sh BIN
[ $# -ge 1 ] || { echo "usage: sh tests/cli/slurm.sh BIN" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
MK=$(dirname "$BIN")/tools/datavet-mkdataset
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-slurmcli.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s why ] && sed 's/^/#   /' why | head -20; }
check() { name=$1; shift; : >why; if "$@" >>why 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "slurm-cli: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
[ -x "$MK" ] || { echo "SKIP: $MK not built"; finish; }

mkdir fake
cat >fake/sbatch <<EOF
#!/bin/sh
n=\$(cat '$T/fake/n' 2>/dev/null || echo 100); n=\$((n + 1)); echo \$n >'$T/fake/n'
for a in "\$@"; do printf '%s\n' "\$a"; done >'$T/fake/sbatch.'\$n
echo "\$n;cluster"
EOF
printf '#!/bin/sh\n[ -e %s/fake/sqfail ] && { echo "squeue: error: Unable to contact slurm controller" >&2; exit 1; }\ncat %s/fake/queue 2>/dev/null\n' "$T" "$T" >fake/squeue
printf '#!/bin/sh\necho "slurm_load_jobs error: Invalid job id specified" >&2\nexit 1\n' >fake/scontrol
chmod +x fake/sbatch fake/squeue fake/scontrol
: >fake/queue
PATH=$T/fake:$PATH
export PATH

"$MK" ds --items 50 --shards 5 >/dev/null || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 1 -o md5.dvl ds/lists/md5.txt || { bad "list"; finish; }
"$BIN" scan -q ds/wds -l md5.dvl --pdq-radius 20 -o single >/dev/null 2>&1

"$BIN" slurm submit ds/wds -l md5.dvl --pdq-radius=20 -o out -k 2 --partition p1 --time 5 \
    --mem 1G -- --account=acct >submit.out 2>submit.err
check "submit: exit 0, prints the job id" grep -qx 101 submit.out
check "submit: scan.params written by the check" test -s out/scan.params
"$BIN" slurm submit ds/wds -l md5.dvl -o dry -k 2 --dry-run >dry.out 2>dry.err
rc=$?
"$BIN" slurm submit ds/wds -l md5.dvl -o dry1 -k 8 --dry-run >dry1.out 2>dry1.err
check "submit --dry-run of one task says '1 task', not '1 tasks'" \
    grep -qx 'datavet slurm: 5 shards in 1 task of 8 (1 would be submitted: --dry-run printed the sbatch command)' dry1.err
"$BIN" slurm submit ds/wds -l nolist.dvl -o dry2 --dry-run >dry2.out 2>dry2.err
rc2=$?
check "submit --dry-run: prints sbatch, submits nothing, checks the lists, writes no scan.params" sh -c "
[ $rc -eq 0 ] && grep -q '^sbatch --parsable --array=0-2 ' dry.out && grep -q '(3 would be submitted: --dry-run' dry.err &&
[ ! -e dry/scan.params ] && [ ! -e fake/sbatch.102 ] &&
[ $rc2 -eq 2 ] && grep -q 'nolist.dvl: cannot open' dry2.err && grep -q 'nothing submitted' dry2.err"
# one argument per line in fake/sbatch.101
check "sbatch: --parsable --array=0-2" sh -c "head -2 fake/sbatch.101 | tr '\n' ' ' | grep -qx -- '--parsable --array=0-2 '"
check "sbatch: partition, time, mem, extra args" sh -c "grep -qx p1 fake/sbatch.101 && grep -qx 5 fake/sbatch.101 && grep -qx 1G fake/sbatch.101 && grep -qx -- --account=acct fake/sbatch.101"
check "sbatch: log pattern" grep -qx -- "--output=$T/out/slurm/logs/%A_%a.out" fake/sbatch.101
sed -n '/datavet-scan.sbatch$/,$p' fake/sbatch.101 | tail -n +2 >args
check "script arguments: K S DATAVET JOBS DATASET options" sh -c "tr '\n' ' ' <args | grep -qx -- '2 5 $BIN auto ds/wds -l md5.dvl --pdq-radius=20 -o out '"
"$BIN" slurm submit ds/wds -l md5.dvl -o out >/dev/null 2>again.err
check "submit into a submitted OUTDIR is refused" test $? -eq 2
# a dry run into it too: it rewrote the edited script, and (every shard done) the state
echo "# edited by hand" >>out/slurm/datavet-scan.sbatch
cp out/slurm/state state.before
"$BIN" slurm submit ds/wds -l md5.dvl -o out -k 3 --dry-run >again2.out 2>again2.err
rc=$?
check "submit --dry-run into a submitted OUTDIR is refused, script and state untouched" sh -c "
[ $rc -eq 2 ] && grep -q 'submitted before' again2.err && [ ! -s again2.out ] &&
tail -1 out/slurm/datavet-scan.sbatch | grep -qx '# edited by hand' && cmp state.before out/slurm/state"
"$BIN" slurm submit ds/wds -l md5.dvl -o out2 --shards 0-1 >/dev/null 2>&1
check "--shards is refused (the tasks choose)" test $? -eq 2
"$BIN" slurm submit ds/wds -l missing.dvl -o out3 >/dev/null 2>&1
rc=$?
check "a missing list fails at submit, nothing submitted" sh -c "test $rc -eq 2 && test ! -e fake/sbatch.102"

# run tasks 0 and 2 as Slurm would (task 1 "dies")
run_task() { (cd "$T" && SLURM_ARRAY_TASK_ID=$1 SLURM_ARRAY_JOB_ID=101 SLURM_CPUS_ON_NODE=1 \
    sh out/slurm/datavet-scan.sbatch $(cat args) >"task$1.log" 2>&1); }
run_task 0
check "task 0 exits 0 (findings are no failure)" test $? -eq 0
run_task 2
check "task 2 (last, 1 shard) scans shard 4" test -e out/shards/000004.done
check "task 0 scans shards 0-1 only" sh -c "test -e out/shards/000000.done -a -e out/shards/000001.done -a ! -e out/shards/000002.done"
"$BIN" slurm status out >st1 2>&1
rc=$?
check "status: exit 1, task 1 failed" sh -c "test $rc -eq 1 && grep -q 'shards: 3 done, 0 running, 0 pending, 2 failed, 0 missing' st1 && grep -q '^task 1	shards 2-3	failed' st1"
echo "101 1 RUNNING" >fake/queue
echo "999 1 RUNNING" >>fake/queue
"$BIN" slurm status out >st2 2>&1
check "status: a queued task is running" grep -q '^task 1	shards 2-3	running' st2
"$BIN" slurm resubmit out >rs1 2>&1
rc=$?
check "resubmit leaves a running task alone" sh -c "test $rc -eq 0 && test ! -e fake/sbatch.102"
# wait on a terminal: a line of shards done and tasks running, erased before its message;
# none on a pipe
"$BIN" slurm wait out --interval 1 --timeout 2 >wt1 2>wt1.err
if command -v script >/dev/null 2>&1; then
    script -qc "'$BIN' slurm wait out --interval 1 --timeout 2 2>&1 >/dev/null" /dev/null >wt2.tty
    check "wait: a progress line on a terminal (erased before its message), none on a pipe" sh -c "
    grep -q 'slurm wait: 3/5 shards done, 1 running, 0 pending' wt2.tty &&
    grep -q \"\$(printf '\\r\\033\\[K')datavet slurm wait: tasks still queued after 2 s\" wt2.tty &&
    ! grep -q 'slurm wait: [0-9]' wt1.err && grep -q 'tasks still queued after 2 s' wt1.err"
else
    echo "SKIP: script(1) not found; the terminal progress line of wait is not checked"
fi
# squeue failing (slurmctld down, a timeout): a queued task would look failed; status shows
# no such table, wait gives up after 5 polls, resubmit submits nothing; all exit 2
: >fake/sqfail
"$BIN" slurm status out >sqf1 2>sqf1.err
rc1=$?
"$BIN" slurm wait out --interval 1 >sqf2 2>sqf2.err
rc2=$?
"$BIN" slurm resubmit out >sqf3 2>sqf3.err
rc3=$?
check "squeue failing: status, wait and resubmit exit 2, nothing resubmitted" sh -c "
[ $rc1 -eq 2 ] && [ ! -s sqf1 ] && grep -q '3 of 5 shards done; which of the others' sqf1.err &&
[ $rc2 -eq 2 ] && grep -q 'squeue failed 5 times in a row' sqf2.err &&
[ $rc3 -eq 2 ] && grep -q 'nothing resubmitted' sqf3.err && [ ! -e fake/sbatch.102 ]"
rm fake/sqfail
: >fake/queue
"$BIN" slurm resubmit out --dry-run >rsd 2>rsd.err
rc=$?
check "resubmit --dry-run: prints index 1, says it submitted nothing" sh -c "
[ $rc -eq 0 ] && grep -q '^sbatch --parsable --array=1 ' rsd && ! grep -q 'slurm: resubmitted' rsd.err &&
grep -q 'slurm: 1 task would be resubmitted' rsd.err && cmp state.before out/slurm/state"
# a list rebuilt since submit: every resubmitted task would fail on it; resubmit checks the
# parameters as submit did (against scan.params) and submits nothing
cp md5.dvl md5.dvl.keep
"$BIN" list build -q --name known-md5 --version 2 -o md5.dvl ds/lists/md5.txt
"$BIN" slurm resubmit out >rsc 2>rsc.err
rc=$?
"$BIN" slurm resubmit out --no-check --dry-run >rsc2 2>rsc2.err
rc2=$?
mv md5.dvl.keep md5.dvl
check "resubmit: a list changed since submit is found here, nothing resubmitted" sh -c "
[ $rc -eq 2 ] && [ ! -s rsc ] && grep -q 'list_version' rsc.err &&
grep -q 'do not work here any more' rsc.err && [ ! -e fake/sbatch.102 ] &&
[ $rc2 -eq 0 ] && grep -q -- '--array=1 ' rsc2"
# from another directory: the check runs where submit ran (relative paths)
(cd / && "$BIN" slurm resubmit "$T/out") >rs2 2>rs2.err
check "resubmit: only index 1, same script and arguments" sh -c "grep -qx 102 rs2 && grep -qx -- --array=1 fake/sbatch.102 && sed -n '/datavet-scan.sbatch\$/,\$p' fake/sbatch.102 | tail -n +2 | cmp - args"
"$BIN" slurm resubmit out --max-retries 1 >rs3 2>rs3.err
rc=$?
check "resubmit: retries are bounded" sh -c "test $rc -eq 1 && grep -q 'failed 2 times' rs3.err && test ! -e fake/sbatch.103"
run_task 1
"$BIN" slurm status out >st3 2>&1
rc=$?
check "status: exit 0 when all done" sh -c "test $rc -eq 0 && grep -q 'shards: 5 done' st3"
"$BIN" merge -q out >/dev/null 2>&1
for f in matches.jsonl matches.parquet removal.txt report.html; do
    check "merged $f equals the single-process scan" cmp single/$f out/$f
done
check "state file is private" sh -c "test \"\$(stat -c %a out/slurm/state)\" = 600"

# a shard that cannot be read whole: 'scan --no-merge' exits 2 (incomplete), but the task that
# scanned it has done its work (every shard of its chunk has its done marker; a retry would
# read the shard no better): it exits 0, so Slurm does not call it failed, and the merge
# reports the scan incomplete. A task whose scan failed (no list on the node) still fails.
cp -r ds/wds bad && head -c 3000 ds/wds/00003.tar >bad/00003.tar
cp md5.dvl nodelist.dvl
"$BIN" slurm submit bad -l nodelist.dvl --output=outb -k 2 >/dev/null 2>&1
sed -n '/datavet-scan.sbatch$/,$p' "$(ls fake/sbatch.* | sort -t. -k2 -n | tail -1)" | tail -n +2 >args
"$BIN" scan -q bad -l nodelist.dvl -o outb-direct --shards 2-3 --no-merge >/dev/null 2>direct.err
rc=$?
(cd "$T" && SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=104 SLURM_CPUS_ON_NODE=1 \
    sh outb/slurm/datavet-scan.sbatch $(cat args) >taskb1.log 2>&1)
rc1=$?
check "a shard not read whole: scan --no-merge exits 2, the task that scanned it 0" sh -c "
[ $rc -eq 2 ] && grep -q '^  shard 3 (bad/00003.tar): 1 read error' direct.err &&
[ $rc1 -eq 0 ] && grep -q 'the scan is incomplete' taskb1.log &&
grep -q 'task 1: shards 2-3 done, not all read whole' taskb1.log"
rm nodelist.dvl
(cd "$T" && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=104 SLURM_CPUS_ON_NODE=1 \
    sh outb/slurm/datavet-scan.sbatch $(cat args) >taskb0.log 2>&1)
rc0=$?
cp md5.dvl nodelist.dvl
(cd "$T" && SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_JOB_ID=104 SLURM_CPUS_ON_NODE=1 \
    sh outb/slurm/datavet-scan.sbatch $(cat args) >taskb2.log 2>&1)
"$BIN" slurm status outb >stb 2>&1
(cd "$T" && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_JOB_ID=105 SLURM_CPUS_ON_NODE=1 \
    sh outb/slurm/datavet-scan.sbatch $(cat args) >taskb0r.log 2>&1)
"$BIN" merge -q outb >/dev/null 2>mergeb.err
rcm=$?
check "a task whose scan failed still fails; the merge says the scan is incomplete" sh -c "
[ $rc0 -eq 2 ] && ! grep -q 'not all read whole' taskb0.log && ! grep -q 'not all' taskb2.log &&
grep -q 'shards: 3 done, 0 running, 0 pending, 2 failed' stb &&
[ $rcm -eq 2 ] && grep -q 'the scan is incomplete' mergeb.err"

# the command --dry-run prints is one a shell takes back word for word (OUTDIR with a space,
# a quote and non-ASCII): run it, then submit for real, and sbatch gets the same arguments
O="dry 'q' \"d\" $(printf '\303\251')"
"$BIN" slurm submit ds/wds -l md5.dvl -o "$O" -k 2 --dry-run -- --comment='a b' >dryq.out 2>dryq.err
sh -c "$(cat dryq.out)" >/dev/null
n1=$(cat fake/n)
"$BIN" slurm submit ds/wds -l md5.dvl -o "$O" -k 2 -- --comment='a b' >/dev/null 2>&1
n2=$(cat fake/n)
check "submit --dry-run: the printed command, run by sh, is the submission" sh -c "
[ $n2 -eq $((n1 + 1)) ] && cmp fake/sbatch.$n1 fake/sbatch.$n2 && tail -1 fake/sbatch.$n1 | grep -qxF \"\$1\" &&
grep -qx -- '--comment=a b' fake/sbatch.$n1" sh "$O"

# sbatch --output is a file name pattern: a '%' in the working directory or OUTDIR is written
# '%%' (else Slurm expands it, the log directory does not exist and every task fails); a
# backslash cannot be written at all: refused before anything is made
mkdir 'p%a' 'b\s'
(cd 'p%a' && "$BIN" slurm submit ../ds/wds -l ../md5.dvl -o 'o%j' -k 5 >/dev/null 2>&1)
rc=$?
check "submit: a '%' of the log path is written '%%' for sbatch --output" sh -c "[ $rc -eq 0 ] &&
grep -qxF -- '--output=$T/p%%a/o%%j/slurm/logs/%A_%a.out' fake/sbatch.\$(cat fake/n)"
n1=$(cat fake/n)
(cd 'b\s' && "$BIN" slurm submit ../ds/wds -l ../md5.dvl -o o -k 5 >/dev/null 2>"$T/bs.err")
rc=$?
"$BIN" slurm submit ds/wds -l md5.dvl -o 'o\bs' -k 5 >/dev/null 2>>bs.err
rc2=$?
check "submit: a backslash in the log path is refused, nothing made or submitted" sh -c "
[ $rc -eq 2 ] && [ $rc2 -eq 2 ] && [ \$(grep -c 'holds a backslash' bs.err) -eq 2 ] &&
[ ! -e 'b\s/o' ] && [ ! -e 'o\bs' ] && [ \$(cat fake/n) -eq $n1 ]"
finish
