#!/bin/sh
# mem_bench.sh - peak RSS (GNU time's %M) of datavet's commands over a LAION-like parquet
# file of ROWS rows (bench/readers_bench -k writes it: URL, TEXT, md5, ... in row groups of
# 100,000), so that two runs at different ROWS show what grows with the input.
# Usage: sh bench/mem_bench.sh BUILD_DIR [ROWS]
# "few" lists hold every 1000th row's MD5 and URL (findings ~ ROWS/500); "all" lists hold
# every row's (findings = 2 x ROWS). A scan's memory should follow its lists (their hash index,
# docs/dvl-format.md) and not the rows; merge, export and the decoy draw follow findings.
set -eu
B=$(cd "${1:?usage: mem_bench.sh BUILD_DIR [ROWS]}" && pwd)
N=${2:-100000}
D=$B/datavet
T=/usr/bin/time
[ -x "$T" ] || { echo "mem_bench: needs GNU time at $T"; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/datavet-membench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
m() { # LABEL CMD...: one line, peak RSS in KB (exit 1 = something matched, fine here)
    l=$1
    shift
    "$T" -f "%M %e" -o t.out "$@" >/dev/null 2>t.err || [ $? -eq 1 ] || { cat t.err; exit 1; }
    printf '%-34s rows=%-9s peak %8s KB  %6s s\n' "$l" "$N" $(tail -1 t.out)
}
"$B/bench/readers_bench" -n "$N" -t 0 -k -w . -r 1 >/dev/null 2>&1
mv ./*/laion.parquet l.parquet
m "inspect --head all (jsonl)" "$D" inspect --head "$N" l.parquet
"$D" inspect --head "$N" --columns md5,URL --format tsv l.parquet | sed 1d >h.tsv
cut -f1 h.tsv >md5all.txt
cut -f2 h.tsv >urlall.txt
awk 'NR % 1000 == 1' md5all.txt >md5few.txt
awk 'NR % 1000 == 1' urlall.txt >urlfew.txt
awk -F'\t' 'BEGIN { print "key,url" } { print NR "," $2 }' h.tsv >u.csv
awk -F'\t' 'BEGIN { print "path\tstatus\tformat\twidth\theight\tmd5\tsha1\tsha256\tpdq\tquality\terror" }
    { print "i/" NR ".jpg\tok\tjpeg\t64\t64\t" $1 "\t\t\t\t\t" }' h.tsv >hash.tsv
m "list build md5 (all rows)" "$D" list build -q -t md5 -o md5all.dvl md5all.txt
m "list build url (all rows)" "$D" list build -q -t url -o urlall.dvl urlall.txt
"$D" list build -q -t md5 -o md5few.dvl md5few.txt
"$D" list build -q -t url -o urlfew.dvl urlfew.txt
m "scan --no-merge, few lists" "$D" scan -q l.parquet -l md5few.dvl -l urlfew.dvl -o of --no-merge
m "scan --no-merge, all lists" "$D" scan -q l.parquet -l md5all.dvl -l urlall.dvl -o oa --no-merge
m "merge, few findings" "$D" merge -q of
m "merge, all rows found" "$D" merge -q oa
m "export csv, all rows found" "$D" export -f csv -o ex.csv oa
m "scan url csv, few list" "$D" scan -q u.csv -l urlfew.dvl -o ou
m "match hash tsv, few list" "$D" match -q -l md5few.dvl -o /dev/null hash.tsv
m "scan --clean, few (decoys 1000)" "$D" scan -q l.parquet -l md5few.dvl -o oc --clean c
# the same with one decoy a removed id: the difference is the decoy draw's own memory
m "scan --clean, few (decoys 1)" "$D" scan -q l.parquet -l md5few.dvl -o oc1 --clean c1 --decoys 1
