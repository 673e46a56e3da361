#!/bin/sh
# outputs.sh - the -o FILE of the streaming commands (hash, fetch, match, inventory) is there
# whole or not at all: written beside under a temporary name and renamed into place at the
# end, so a run killed midway leaves FILE as it was (absent, or the earlier run's), never a
# file cut short that reads as complete; the walks pass over the earlier output they replace.
# Usage: sh tests/cli/outputs.sh BIN

TEST=outputs
# neighbors writes OUT/neighbors.jsonl and OUT/neighbors.parquet the same way, each one whole.
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
finish
