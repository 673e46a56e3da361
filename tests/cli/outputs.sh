#!/bin/sh
# outputs.sh - the -o FILE of the streaming commands (hash, fetch, match, inventory) is there
# whole or not at all: written beside under a temporary name and renamed into place at the
# end, so a run killed midway leaves FILE as it was (absent, or the earlier run's), never a
# file cut short that reads as complete; the walks pass over the earlier output they replace.
# Usage: sh tests/cli/outputs.sh BIN [FAILSYNC.so]

TEST=outputs
# (the second argument, an fsync shim, made absolute before common.sh moves to its folder)
case ${2:-} in '' | /*) FAILSYNC=${2:-} ;; *) FAILSYNC=$(pwd)/$2 ;; esac
# neighbors writes OUT/neighbors.jsonl and OUT/neighbors.parquet the same way, as one pair.
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"

"$MK" ds --items 24 --shards 1 >/dev/null || { bad "generate dataset"; finish; }
mkdir -p imgs && tar -xf ds/wds/00000.tar -C imgs --wildcards '*.jpg'

# killed(CMD...): CMD run with its standard input a FIFO held open (it blocks reading it once
# its output is open), killed with SIGKILL once its temporary output is there
killed() {
    rm -f in.fifo && mkfifo in.fifo || return 1
    exec 3<>in.fifo
    "$@" <in.fifo >/dev/null 2>&1 &
    kpid=$!
    i=0
    while ! ls out.* 2>/dev/null | grep -q '\.tmp\.'; do
        i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
    done
    kill -9 $kpid 2>/dev/null
    wait $kpid 2>/dev/null
    exec 3>&-
    rm -f in.fifo
}

rm -f out.tsv
killed "$BIN" hash - -o out.tsv
check "hash -o killed midway: no out.tsv (it was created empty, looking complete)" test ! -e out.tsv
"$BIN" hash -q imgs -o out.tsv
cp out.tsv old.tsv
killed "$BIN" hash - -o out.tsv
check "hash -o killed midway: the earlier out.tsv is as it was (it was emptied)" cmp old.tsv out.tsv
rm -f out.*.tmp.*
"$BIN" hash -q imgs -o out.tsv
check "hash -o: written whole, mode 0600, no temporary file left" sh -c "
cmp old.tsv out.tsv && [ -z \"\$(find out.tsv ! -perm 600)\" ] && ! ls | grep -q tmp"
# the output inside the folder hashed: neither it nor the earlier one it replaces is hashed
"$BIN" hash -q imgs -o imgs/h.tsv
"$BIN" hash -q imgs -o imgs/h.tsv
check "hash -o inside the folder walked, twice: the earlier output is not hashed" sh -c "
[ \$(grep -c . imgs/h.tsv) -eq \$(grep -c . out.tsv) ] && ! grep -q 'h\\.tsv' imgs/h.tsv"
rm imgs/h.tsv
# a link is followed: the file it names is replaced, the link stays
"$BIN" hash -q imgs -o old.tsv && ln -s old.tsv out-link.tsv
"$BIN" hash -q -a md5 imgs -o out-link.tsv
check "hash -o a link: the file it names is written, the link stays" sh -c "
[ -L out-link.tsv ] && head -1 old.tsv | grep -q '^path.status.format.width.height.md5.error$'"
"$BIN" hash -q imgs -o /dev/null
check "hash -o /dev/null: written in place" test $? -eq 0 -a -c /dev/null

rm -f out.tsv
killed "$BIN" fetch - -o out.tsv
check "fetch -o killed midway: no out.tsv" test ! -e out.tsv
rm -f out.*.tmp.* # (what SIGKILL leaves: a name that says it is not the output)

"$BIN" list build -q -o md5.dvl ds/lists/md5.txt
"$BIN" match -q old.tsv -l md5.dvl -o out.tsv
check "match -o: written whole, mode 0600, no temporary file left" sh -c "
[ -s out.tsv ] && [ -z \"\$(find out.tsv ! -perm 600)\" ] && ! ls | grep -q tmp"

# inventory: a second run with -a into a walked folder does not examine the first's output
mkdir -p inv && cp imgs/000000000.jpg inv/
"$BIN" inventory -q -a inv -l md5.dvl -o inv/out.jsonl >/dev/null 2>&1
cp inv/out.jsonl inv1.jsonl
"$BIN" inventory -q -a inv -l md5.dvl -o inv/out.jsonl >/dev/null 2>&1
check "inventory -o inside the path walked, twice: the earlier output is not examined" sh -c "
cmp inv1.jsonl inv/out.jsonl && ! grep -q out.jsonl inv/out.jsonl &&
[ -z \"\$(find inv/out.jsonl ! -perm 600)\" ] && ! ls inv | grep -q tmp"
# neighbors: a run stopped while it writes its results (here by the file size limit, as a
# full disk or a kill) leaves the earlier run's neighbors.jsonl and neighbors.parquet whole;
# they were opened in place, and what fitted under the limit stayed, cut short
printf '0 3\n' >ids.txt
nb() { "$BIN" neighbors -q --embeddings ds/laion --seed-ids ids.txt "$@" -o nb; }
nb -k 20 && cp nb/neighbors.jsonl nb20.jsonl
(ulimit -f 1; nb -k 20) 2>/dev/null
check "neighbors stopped writing neighbors.jsonl: the earlier one is whole" sh -c "
[ \$(wc -c <nb20.jsonl) -gt 1024 ] && cmp nb20.jsonl nb/neighbors.jsonl"
nb -k 1 && cp nb/neighbors.parquet nb1.parquet
(ulimit -f 1; nb -k 1) 2>/dev/null
check "neighbors stopped writing neighbors.parquet: the earlier one is whole" sh -c "
[ \$(wc -c <nb1.parquet) -gt 1024 ] && cmp nb1.parquet nb/neighbors.parquet"
rm -f nb/*.tmp*
nb -k 1
check "neighbors: outputs mode 0600, no temporary file left" sh -c "
cmp nb1.parquet nb/neighbors.parquet && [ -z \"\$(find nb -type f ! -perm 600)\" ] &&
[ \$(ls nb | wc -l) -eq 2 ]"
# links planted in an OUTDIR that exists (another user's folder, a shared scratch space) at the
# names its files are written under: each is replaced, never followed; the files they name
# keep their bytes and mode (they were truncated, written and made 0600)
victims() { for v in "$@"; do printf 'not yours\n' >"$v" && chmod 644 "$v"; done; }
intact() {
    for v in "$@"; do
        [ "$(cat "$v")" = "not yours" ] && [ -z "$(find "$v" ! -perm 644)" ] ||
            { echo "$v written through a link"; return 1; }
    done
}
victims v-rec v-done v-tar v-cdir v-key v-nbj v-nbp v-sb
mkdir -p pl/shards
ln -s "$T/v-rec" pl/shards/000000.rec.tmp
ln -s "$T/v-done" pl/shards/000000.done.tmp
"$BIN" scan -q ds/wds -l md5.dvl -o pl >/dev/null 2>pl.err
check "scan into an OUTDIR with links at its shards' temporary names: not followed" sh -c "
[ -s pl/matches.jsonl ] && [ -s pl/shards/000000.done ] && [ ! -L pl/shards/000000.done ]" &&
    check "scan: the files the links named are as they were" intact v-rec v-done
mkdir -p pls elsewhere && ln -s "$T/elsewhere" pls/shards
"$BIN" scan -q ds/wds -l md5.dvl -o pls >/dev/null 2>pls.err
rc=$?
check "scan into an OUTDIR whose shards/ is a link: refused (2), naming it, nothing written there" sh -c "
[ $rc -eq 2 ] && grep -q 'pls/shards: cannot create directory' pls.err && [ -z \"\$(ls elsewhere)\" ]"
"$BIN" scan -q ds/wds -l md5.dvl -o plc --clean plcc >/dev/null 2>&1
ln -sf "$T/v-tar" plcc/00000.tar
ln -s "$T/v-cdir" plc/clean.dir.tmp
"$BIN" merge -q plc --clean plcc >/dev/null 2>plc.err
check "merge --clean again with a link at a file of the copy: the link is replaced" sh -c "
[ -f plcc/00000.tar ] && [ ! -L plcc/00000.tar ] && [ -z \"\$(find plcc -type f ! -perm 600)\" ]" &&
    check "merge --clean: the files the links named are as they were" intact v-tar v-cdir
mkdir -p plnb
ln -s "$T/v-nbj" plnb/neighbors.jsonl
ln -s "$T/v-nbp" plnb/neighbors.parquet.tmp
"$BIN" neighbors -q --embeddings ds/laion --seed-ids ids.txt -k 1 -o plnb
check "neighbors into an OUTDIR with links at its outputs' names: replaced, not followed" sh -c "
[ -s plnb/neighbors.jsonl ] && [ ! -L plnb/neighbors.jsonl ] && [ -s plnb/neighbors.parquet ]" &&
    check "neighbors: the files the links named are as they were" intact v-nbj v-nbp
mkdir -p plsl/slurm
ln -s "$T/v-sb" plsl/slurm/datavet-scan.sbatch.tmp
"$BIN" slurm submit ds/wds -l md5.dvl -o plsl --dry-run >/dev/null 2>&1
check "slurm submit into an OUTDIR with a link at the script's temporary name: not followed" sh -c "
[ -s plsl/slurm/datavet-scan.sbatch ] && [ ! -L plsl/slurm/datavet-scan.sbatch ]" &&
    check "slurm submit: the file the link named is as it was" intact v-sb
# scan --clean / merge --clean killed (SIGKILL) at several points while the copy is written: no
# file under a name of the copy is cut short or differs from an uninterrupted run's (files
# may be missing, or be the whole file, never cut); each is written as NAME.datavet-tmp and
# renamed when whole. The run resumed removes those temporaries and writes the same copy.
"$MK" kds --items 2000 --shards 8 >/dev/null || bad "generate the larger dataset"
"$BIN" list build -q -o kmd5.dvl kds/lists/md5.txt
"$BIN" scan -q kds/wds -l kmd5.dvl -o kref --clean krefc -j 1 >/dev/null 2>&1
# killat.py DIR PREFIX DELAY CMD...: CMD killed DELAY seconds after a file whose name starts
# with PREFIX is made (or written) in DIR by it (under any name: the final one or another)
cat >killat.py <<'EOF2'
import os, signal, subprocess, sys, time
d, pre, delay, cmd = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
open('killat.mark', 'w').close()
t0 = os.stat('killat.mark').st_mtime_ns  # (the clock the file system stamps files with)
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seen = None
while p.poll() is None and seen is None:
    try:
        for top, _, fs in os.walk(d):
            for f in fs:
                if f.startswith(pre) and os.stat(os.path.join(top, f)).st_mtime_ns >= t0:
                    seen = time.monotonic()
    except OSError:
        pass
    time.sleep(0.0002)
while p.poll() is None and time.monotonic() - seen < delay:
    pass
if p.poll() is None:
    p.send_signal(signal.SIGKILL)
    print('killed')
p.wait()
EOF2
# same_or_absent COPY REF: every file of COPY under a final name is REF's file of that name
# (but the owner mark, .datavet-owner, which names each copy's OUTDIR: another in each)
same_or_absent() {
    (cd "$1" && find . -type f ! -name '*.datavet-tmp' ! -name .datavet-owner) | while read -r f; do
        cmp "$1/$f" "$2/$f" || { echo "$1/$f: not the uninterrupted run's"; exit 1; }
    done
}
# same_copy COPY REF: the same files, byte for byte, no temporary left
same_copy() {
    [ "$(cd "$1" && find . -type f | sort)" = "$(cd "$2" && find . -type f | sort)" ] &&
        [ -s "$1/.datavet-owner" ] ||
        { echo "$1: other files than $2's, or no owner mark"; return 1; }
    same_or_absent "$1" "$2"
}
"$BIN" scan -q kds/wds -l kmd5.dvl -o kmg -j 1 --no-merge >/dev/null 2>&1
# (each kill as shard K's tar or parquet is being written, or DELAY later)
: >kills
for kd in .datavet-owner:0 00000.tar:0 00001.tar:0.0005 00002.parquet:0 00003.tar:0.001 \
    00005.tar:0 00006.tar:0.002 00007.parquet:0; do
    $PY killat.py kmgc "${kd%:*}" "${kd#*:}" "$BIN" merge -q -j 1 kmg --clean kmgc >>kills
    check "merge --clean killed at ${kd%:*} (+${kd#*:} s): no file of the copy cut short" \
        same_or_absent kmgc krefc
done
check "... the kills came before the copy was done" sh -c "[ \$(grep -c killed kills) -ge 6 ]"
"$BIN" merge -q -j 1 kmg --clean kmgc >/dev/null 2>&1
check "merge --clean killed 8 times, then run again: the same copy, no temporary left" same_copy kmgc krefc
: >kills
for kd in 00000.tar:0 00002.tar:0.001 00004.tar:0 00006.parquet:0 00007.tar:0.0005; do
    $PY killat.py ksc "${kd%:*}" "${kd#*:}" "$BIN" scan -q -j 1 kds/wds -l kmd5.dvl -o ks \
        --clean ksc >>kills
    check "scan --clean killed at ${kd%:*} (+${kd#*:} s): no file of the copy cut short" \
        same_or_absent ksc krefc
done
check "... the kills came before the copy was done" sh -c "[ \$(grep -c killed kills) -ge 4 ]"
"$BIN" scan -q -j 1 kds/wds -l kmd5.dvl -o ks --clean ksc >/dev/null 2>&1
check "scan --clean killed 5 times, then resumed: the same copy, no temporary left" same_copy ksc krefc
check "... sha256sum -c agrees with its clean.sha256" sh -c "cd ksc && sha256sum -c --quiet ../ks/clean.sha256"
# only what the copy writes is swept: stale NAME.datavet-tmp files go, in subfolders too,
# also of a shard the copy no longer writes (one left out since, or gone from the dataset);
# a folder of that name, a file named otherwise and a FIFO stay
mkdir -p ksc/sub/d.datavet-tmp && : >ksc/00099.tar.datavet-tmp && : >ksc/sub/x.parquet.datavet-tmp &&
    : >ksc/notes.datavet-tmp.txt && mkfifo ksc/f.datavet-tmp
"$BIN" merge -q -j 1 ks --clean ksc >/dev/null 2>&1
check "a rerun removes its stale temporaries only" sh -c "
[ ! -e ksc/00099.tar.datavet-tmp ] && [ ! -e ksc/sub/x.parquet.datavet-tmp ] &&
[ -d ksc/sub/d.datavet-tmp ] && [ -f ksc/notes.datavet-tmp.txt ] && [ -p ksc/f.datavet-tmp ] &&
cd ksc && sha256sum -c --quiet ../ks/clean.sha256"
# a copy's .npy that cannot be written whole (here past ulimit -f, SIGXFSZ ignored: EFBIG, as a
# full disk's ENOSPC) is named with the reason, as its tar and parquet are (until 2026-12-07 only
# "write failed"), and leaves no temporary: the shard's parquet, written first, goes with it
rm -rf bigemb && cp -r ds/laion bigemb &&
    R=$(head -c 128 bigemb/img_emb/img_emb_0000.npy | tr -c '0-9(,' ' ' | sed 's/.*(\([0-9]*\),.*/\1/') &&
    H="{'descr': '<f4', 'fortran_order': False, 'shape': ($R, 8192), }" &&
    { printf '\223NUMPY\001\000\166\000%-117s\n' "$H"; head -c $((R * 32768)) /dev/zero; } \
        >bigemb/img_emb/img_emb_0000.npy || bad "make a dataset with a large .npy"
"$BIN" list build -q -o bmd5.dvl ds/lists/md5.txt
"$BIN" scan -q bigemb -l bmd5.dvl -o bigs -j 1 --no-merge >/dev/null 2>&1
sh -c "trap '' XFSZ; ulimit -f 200; exec \"\$0\" merge -q -j 1 bigs --clean bigc" "$BIN" 2>bige.txt
check "merge --clean: a .npy write that fails names the file and the reason, no temporary left" sh -c "
grep -qx 'datavet merge: bigc/img_emb/img_emb_0000.npy: write failed: File too large (it was being written as img_emb_0000.npy.datavet-tmp, now removed)' bige.txt &&
[ -z \"\$(find bigc -name '*.datavet-tmp')\" ] || { cat bige.txt; exit 1; }"
# a copy's parquet that cannot be written whole is named once with the reason (until
# 2026-12-07 the path came twice: "X.parquet.datavet-tmp: X.parquet.datavet-tmp: write
# failed ..."), and leaves no temporary. The file is named as the user knows it, X.parquet,
# the temporary after (until 2026-12-08 the temporary alone), as are a .npy's and a tar's
"$MK" pqe --items 2000 --shards 1 >/dev/null || bad "generate a dataset of 2000 rows"
grep -v '^#' pqe/lists/md5.txt | head -1 >pqe1.txt && "$BIN" list build -q -o pqe1.dvl pqe1.txt
"$BIN" scan -q pqe/laion -l pqe1.dvl -o pqes -j 1 --no-merge >/dev/null 2>&1
sh -c "trap '' XFSZ; ulimit -f 60; exec \"\$0\" merge -q -j 1 pqes --clean pqec" "$BIN" 2>pqee.txt
check "merge --clean: a parquet write that fails names the file once and the reason, no temporary left" sh -c "
grep -qx 'datavet merge: pqec/metadata_0000.parquet: write failed at offset [0-9]*: File too large (it was being written as metadata_0000.parquet.datavet-tmp, now removed)' pqee.txt &&
[ -z \"\$(find pqec -name '*.datavet-tmp')\" ] || { cat pqee.txt; exit 1; }"
"$BIN" scan -q ds/wds -l md5.dvl -o taro -j 1 --no-merge >/dev/null 2>&1
sh -c "trap '' XFSZ; ulimit -f 40; exec \"\$0\" merge -q -j 1 taro --clean tare" "$BIN" 2>taree.txt
check "merge --clean: a tar write that fails names the file and the reason, no temporary left" sh -c "
grep -qx 'datavet merge: tare/00000.tar: write failed at offset [0-9]*: File too large (it was being written as 00000.tar.datavet-tmp, now removed)' taree.txt &&
[ -z \"\$(find tare -name '*.datavet-tmp')\" ] || { cat taree.txt; exit 1; }"
# a file of the copy renamed into place whose folder could not be synced (an LD_PRELOAD shim,
# the script's second argument, fails fsync of the folder): said so, not "cannot write" (until
# 2026-12-08), as the file is there; the same for the owner mark, written first in a new folder,
# a merge's outputs and hash -o FILE (the same code as fetch, match and inventory -o)
if [ -n "$FAILSYNC" ] && [ -f "$FAILSYNC" ]; then
    # failsync DIR CMD...: CMD with fsync of any folder whose path ends with /DIR failing
    failsync() {
        _d=$1
        shift
        DV_FAILSYNC_DIR=/$_d LD_PRELOAD=$FAILSYNC \
            ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
    }
    "$BIN" merge -q -j 1 taro --clean sfc >/dev/null 2>&1
    failsync sfc "$BIN" merge -q -j 1 taro --clean sfc >/dev/null 2>sfe.txt
    rc=$?
    check "merge --clean: a file renamed into place whose folder could not be synced: said so, exit 2" sh -c "
[ $rc -eq 2 ] && grep -qx 'datavet merge: sfc/00000.tar: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    failsync sfc2 "$BIN" merge -q -j 1 taro --clean sfc2 >/dev/null 2>sfe.txt
    rc=$?
    check "... and the owner mark in a new folder" sh -c "
[ $rc -eq 2 ] && grep -qx 'datavet merge: sfc2/.datavet-owner: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    "$BIN" scan -q ds/wds -l md5.dvl -o sfo -j 1 --no-merge >/dev/null 2>&1
    failsync sfo "$BIN" merge -q -j 1 sfo >/dev/null 2>sfe.txt
    rc=$?
    check "... and the outputs of a merge" sh -c "
[ $rc -eq 2 ] && grep -qx 'datavet merge: sfo/matches.jsonl: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    # a shard's results renamed into place without their done marker: said so (until
    # 2026-12-08 "cannot write the shard's results"), and a rerun scans the shard again
    failsync sfs/shards "$BIN" scan -q ds/wds -l md5.dvl -o sfs -j 1 --no-merge >/dev/null 2>sfe.txt
    rc=$?
    "$BIN" scan -q ds/wds -l md5.dvl -o sfs -j 1 --no-merge >/dev/null 2>&1
    rc2=$?
    "$BIN" merge -q sfs >/dev/null 2>&1
    rc3=$?
    check "... and a scan's shard results, the rerun finishing the scan" sh -c "
[ $rc -eq 2 ] && [ $rc2 -le 1 ] && [ $rc3 -le 1 ] &&
grep -qx 'datavet scan: sfs/shards/000000.rec: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    mkdir -p sfh
    failsync sfh "$BIN" hash -q imgs -o sfh/out.tsv >/dev/null 2>sfe.txt
    rc=$?
    check "... and hash -o FILE" sh -c "
[ $rc -eq 2 ] && [ -s sfh/out.tsv ] && grep -qx 'datavet hash: sfh/out.tsv: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    # export -o FILE and neighbors -o OUT the same (until 2026-12-08 "cannot write");
    # neighbors puts its .parquet in place too, so the pair is whole
    mkdir -p sfx
    "$BIN" merge -q -j 1 sfo >/dev/null 2>&1
    failsync sfx "$BIN" export -q --format csv -o sfx/m.csv sfo >/dev/null 2>sfe.txt
    rc=$?
    check "... and export -o FILE" sh -c "
[ $rc -eq 2 ] && [ -s sfx/m.csv ] &&
grep -qx 'datavet export: sfx/m.csv: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    failsync sfn "$BIN" neighbors -q --embeddings ds/laion --seed-ids ids.txt -k 3 -o sfn >/dev/null 2>sfe.txt
    rc=$?
    check "... and neighbors -o OUT, the pair whole" sh -c "
[ $rc -eq 2 ] && [ -s sfn/neighbors.jsonl ] && [ -s sfn/neighbors.parquet ] &&
grep -qx 'datavet neighbors: sfn/neighbors.jsonl: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt ||
{ cat sfe.txt; exit 1; }"
    # inventory -o: the records are whole and in place, so the run still says that the
    # inventory is incomplete where something was not examined (here a folder too deep to
    # walk); until 2026-12-08 it ended at the sync's message, and that went unsaid
    p=sfid
    for i in $(seq 1 70); do p=$p/d; done
    mkdir -p "$p" sfi && printf 'x\n' >"$p/m.safetensors"
    failsync sfi "$BIN" inventory -q sfid -o sfi/out.jsonl >/dev/null 2>sfe.txt
    rc=$?
    check "... and inventory -o FILE, the incomplete inventory said too" sh -c "
[ $rc -eq 2 ] && [ \$(wc -l <sfi/out.jsonl) -eq 1 ] &&
grep -qx 'datavet inventory: sfi/out.jsonl: written, but its folder could not be synced (Input/output error): the file is in place and may not survive a power loss' sfe.txt &&
grep -q '^datavet inventory: the inventory is incomplete: 1 file or folder not examined' sfe.txt ||
{ cat sfe.txt; exit 1; }"
else
    echo "SKIP: no fsync shim given (failsync.c): the folder sync failure is not checked"
fi
# a copy's folder another run is writing (here: its lock held by flock(1)) is refused before
# anything is written there: the two runs would write the same names, sweep each other's
# temporaries and each vouch (clean.sha256) for a copy that may be the other's (until
# 2026-12-07 both went on, and one ended "done" with the other's copy in the folder)
if command -v flock >/dev/null 2>&1; then
    mkdir -p lockc
    flock lockc sh -c "\"\$0\" merge -q -j 1 kmg --clean lockc 2>locke.txt; echo \$? >lockrc" "$BIN"
    check "merge --clean into a folder another run holds: refused, nothing written" sh -c "
[ \"\$(cat lockrc)\" = 2 ] && [ -z \"\$(ls -A lockc)\" ] &&
grep -q 'another datavet run is writing a cleaned copy into this folder' locke.txt ||
{ cat lockrc locke.txt; ls -A lockc; exit 1; }"
    "$BIN" merge -q -j 1 kmg --clean lockc >/dev/null 2>&1
    check "... and written once it is free" sh -c "cd lockc && sha256sum -c --quiet ../kmg/clean.sha256"
fi
# a copy's folder is one OUTDIR's: its owner mark (.datavet-owner, from OUTDIR's clean.key)
# says whose. Until 2026-12-08 a folder that two OUTDIRs had each written (the first's files
# removed in between) was taken by either, each leaving the other's clean.sha256 stale; now
# the one that did not write it last is refused, naming the folder, and the folder is as it was
echo 0123456789abcdef0123456789abcdef >none.txt && "$BIN" list build -q -o none.dvl none.txt
"$BIN" scan -q ds/wds -l md5.dvl -o owa --no-merge >/dev/null 2>&1
"$BIN" scan -q ds/wds -l none.dvl -o owb --no-merge >/dev/null 2>&1
"$BIN" merge -q owa --clean owc >/dev/null 2>&1
rm -rf owc/* # (a glob: the mark stays, and a folder holding only a mark is an empty one)
"$BIN" merge -q owb --clean owc >/dev/null 2>&1
echo $? >owrc
"$BIN" merge -q owa --clean owc >/dev/null 2>owe.txt
echo $? >>owrc
"$BIN" scan -q ds/wds -l md5.dvl -o owa --clean owc >/dev/null 2>>owe.txt
echo $? >>owrc
check "merge --clean and scan --clean into a folder another OUTDIR wrote since: refused, the copy kept" sh -c "
[ \"\$(cat owrc | tr '\n' ' ')\" = '0 2 2 ' ] &&
[ \$(grep -c '^datavet [a-z]*: --clean owc: the folder holds the cleaned copy of another scan (another OUTDIR wrote it, owc/.datavet-owner says): give this scan a new or empty folder, or empty this one if that copy is not wanted\$' owe.txt) -eq 2 ] &&
cd owc && sha256sum -c --quiet ../owb/clean.sha256 || { cat owrc owe.txt; exit 1; }"
"$BIN" merge -q owb --clean owc >/dev/null 2>&1
rc=$?
check "... and taken again by the OUTDIR that wrote it" sh -c "
[ $rc -eq 0 ] && cd owc && sha256sum -c --quiet ../owb/clean.sha256"
# a folder without a mark (written before there were marks) stays its OUTDIR's (clean.dir), and
# gets the mark then
rm -f owc/.datavet-owner
"$BIN" merge -q owb --clean owc >/dev/null 2>&1
echo $? >owrc
"$BIN" merge -q owa --clean owc >/dev/null 2>owe.txt
echo $? >>owrc
check "a folder without a mark: taken by the OUTDIR whose clean.dir names it, which marks it" sh -c "
[ \"\$(cat owrc | tr '\n' ' ')\" = '0 2 ' ] && [ -s owc/.datavet-owner ] &&
grep -q 'the folder holds the cleaned copy of another scan' owe.txt &&
cd owc && sha256sum -c --quiet ../owb/clean.sha256 || { cat owrc owe.txt; exit 1; }"
# neighbors -o OUT: OUT/neighbors.jsonl and OUT/neighbors.parquet are one run's pair or the
# parquet is missing (a run that did not finish): both written under temporary names first,
# then the earlier parquet removed, the jsonl renamed and the parquet renamed last. A run
# stopped while writing the parquet (SIGXFSZ past ulimit -f: a kill) leaves the earlier pair.
nb -k 20 && cp nb/neighbors.jsonl nb20.jsonl && cp nb/neighbors.parquet nb20.parquet
(ulimit -f 1; nb -k 1) 2>/dev/null
check "neighbors -k 1 stopped writing its parquet after -k 20: the -k 20 pair, not a mixed one" sh -c "
cmp nb20.jsonl nb/neighbors.jsonl && cmp nb20.parquet nb/neighbors.parquet"
rm -f nb/*.tmp*
nb -k 1 && cp nb/neighbors.jsonl nb1.jsonl
# pair_ok: the pair of -k 1's or -k 20's, or a jsonl alone (of either)
pair_ok() {
    j=nb/neighbors.jsonl p=nb/neighbors.parquet
    if [ -e $p ]; then
        { cmp -s $j nb1.jsonl && cmp -s $p nb1.parquet; } ||
            { cmp -s $j nb20.jsonl && cmp -s $p nb20.parquet; } ||
            { echo "$1: a mixed or cut pair"; ls -l nb; return 1; }
    else
        [ ! -e $j ] || cmp -s $j nb1.jsonl || cmp -s $j nb20.jsonl ||
            { echo "$1: a cut jsonl"; return 1; }
    fi
}
: >kills
for kd in 20:neighbors.parquet:0 1:neighbors.parquet:0 20:neighbors.jsonl:0.0002 \
    1:neighbors.parquet:0.0005 20:neighbors.parquet:0.001 1:neighbors.parquet:0.0001; do
    k=${kd%%:*} r=${kd#*:}
    $PY killat.py nb "${r%:*}" "${r#*:}" "$BIN" neighbors -q --embeddings ds/laion \
        --seed-ids ids.txt -k "$k" -o nb >>kills 2>&1
    check "neighbors -k $k killed at ${r%:*} (+${r#*:} s): one run's pair, or a jsonl alone" \
        pair_ok "$kd"
done
rm -f nb/*.tmp*
finish
