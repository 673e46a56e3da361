#!/bin/sh
# match.sh - golden CLI tests for `datavet match`: lists built from hashes of generated images,
# exact and PDQ (dihedral) matches, formats, exit codes. Usage: sh tests/cli/match.sh BIN
# (the datavet binary; the sample generator is looked up next to it, as in run.sh).

[ $# -ge 1 ] || { echo "usage: sh tests/cli/match.sh BIN" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
MKSAMPLE=$(dirname "$BIN")/tools/datavet-mksample
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-match.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s why ] && sed 's/^/#   /' why; }
check() { name=$1; shift; : >why; if "$@" >>why 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "match: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

if [ ! -x "$MKSAMPLE" ]; then
    echo "SKIP: $MKSAMPLE not built: match tests need generated images"
    finish
fi
"$MKSAMPLE" img 48 >/dev/null 2>&1 || { bad "generate sample"; finish; }
"$BIN" hash -q --dihedral -o h.tsv img 2>/dev/null
"$BIN" hash -q --dihedral -f jsonl img >h.jsonl 2>/dev/null
"$BIN" hash -q -f csv img >h.csv 2>/dev/null

row() { awk -F'\t' -v p="$1" 'NR == 1 || index($1, p) { print }' h.tsv; }

# A PDQ list made from the original of family "a" (ThreatExchange hash,quality form).
row 001-a-orig | awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "pdq") p = i; if ($i == "quality") q = i }; next } { print $p "," $q }' >pdq.txt
"$BIN" list build -q -t pdq --name known-pdq --version 7 -o pdq.dvl pdq.txt
# An MD5 list of two files plus one hash that matches nothing.
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "md5") k = i; next } index($1, "002-a-requality") || index($1, "010-b-rot90cw") { print $k }' h.tsv >md5.txt
echo 0123456789abcdef0123456789abcdef >>md5.txt
"$BIN" list build -q --name known-md5 --version 1 -o md5.dvl md5.txt

t_md5_exact() {
    "$BIN" match -q --list md5.dvl h.tsv >out.tsv; rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
    [ "$(sed 1d out.tsv | wc -l)" -eq 2 ] || { cat out.tsv; return 1; }
    sed 1d out.tsv | awk -F'\t' '$3 != "known-md5" || $4 != "1" || $6 != "md5" || $10 != 0 { exit 1 }' || { cat out.tsv; return 1; }
    sed 1d out.tsv | cut -f1 | grep -q 002-a-requality && sed 1d out.tsv | cut -f1 | grep -q 010-b-rot90cw
}
check "md5 list: exactly the two listed files match, exit 1" t_md5_exact

# datavet hash --dihedral -f jsonl builds into a list: the nested pdq_dihedral object is
# ignored, --type picks the flat member (until 2026-12-07 each line was bad: "nested objects
# and arrays are not supported"); the PDQ list holds every image's own hash and no rotation's
t_jsonl_dihedral() {
    "$BIN" list build -q -t pdq -o hj.dvl h.jsonl 2>err-hj || { cat err-hj; return 1; }
    [ ! -s err-hj ] || { cat err-hj; return 1; }
    n=$("$BIN" list info hj.dvl | awk -F': *' '$1 == "entries" { print $2 }')
    want=$(grep -o '"pdq":"[0-9a-f]*"' h.jsonl | sort -u | wc -l)
    [ "$n" -eq "$want" ] && [ "$want" -gt 1 ] || { echo "entries $n, want $want"; return 1; }
    "$BIN" list build -q -t md5 -o hjm.dvl h.jsonl 2>err-hj && [ ! -s err-hj ] || { cat err-hj; return 1; }
    "$BIN" match -q --list hjm.dvl h.tsv >out-hj.tsv; rc=$?
    [ "$rc" -eq 1 ] && [ "$(sed 1d out-hj.tsv | wc -l)" -eq "$(sed 1d h.tsv | wc -l)" ] ||
        { echo "exit $rc"; cat out-hj.tsv; return 1; }
}
check "hash --dihedral -f jsonl builds into a list with --type (nested pdq_dihedral ignored)" t_jsonl_dihedral

t_header() {
    "$BIN" match -q --list md5.dvl h.tsv | head -1 >hdr
    printf 'path\tline\tlist\tlist_version\tlist_digest\thash_type\thash\tentry_id\tentry_label\tdistance\tdihedral\n' | cmp - hdr
}
check "tsv header" t_header

t_digest() {
    d=$("$BIN" list info md5.dvl | awk -F': *' '$1 == "digest" { print $2 }')
    [ -n "$d" ] || return 1
    "$BIN" match -q --list md5.dvl h.tsv | sed 1d | cut -f5 | sort -u | grep -qx "$d"
}
check "matches name the list by its digest" t_digest

t_pdq_family() {
    "$BIN" match -q --list pdq.dvl h.tsv >p.tsv; rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc"; return 1; }
    # the original and its re-encodings/resizes match within 31 bits; rotated ones do not
    for f in 001-a-orig 002-a-requality 003-a-resized 006-a-as-png 007-a-as-webp; do
        grep -q "$f" p.tsv || { echo "missing $f"; cat p.tsv; return 1; }
    done
    ! grep -q 004-a-rot90cw p.tsv || { echo "rotation matched without --dihedral"; return 1; }
    awk -F'\t' 'NR > 1 && ($10 > 31 || $6 != "pdq") { exit 1 }' p.tsv
}
check "pdq list: the family matches within 31 bits, not its rotations" t_pdq_family

t_pdq_dihedral() {
    "$BIN" match -q --dihedral --list pdq.dvl h.tsv >pd.tsv
    grep -q 004-a-rot90cw pd.tsv && grep -q 005-a-mirrored-lr pd.tsv || { cat pd.tsv; return 1; }
    awk -F'\t' 'index($1, "004-a-rot90cw") && $11 == "orig" { exit 1 }' pd.tsv
}
check "--dihedral finds the rotated and mirrored copies, naming the variant" t_pdq_dihedral

t_radius0() {
    "$BIN" match -q --radius 0 --list pdq.dvl h.tsv >r0.tsv
    awk -F'\t' 'NR > 1 && $10 != 0 { exit 1 }' r0.tsv && grep -q 001-a-orig r0.tsv
}
check "--radius 0 keeps exact PDQ matches only" t_radius0

t_formats_agree() {
    "$BIN" match -q --dihedral --list pdq.dvl --list md5.dvl h.tsv | sed 1d | cut -f1,3,10 >a
    "$BIN" match -q --dihedral --list pdq.dvl --list md5.dvl h.jsonl | sed 1d | cut -f1,3,10 >b
    cmp a b
}
check "tsv and jsonl inputs give the same matches" t_formats_agree

t_jsonl_out() {
    "$BIN" match -q -f jsonl --list md5.dvl h.csv >o.jsonl
    [ "$(wc -l <o.jsonl)" -eq 2 ] && awk '!/^\{"path":".*"distance":0\}$/ { exit 1 }' o.jsonl
}
check "jsonl output, csv input" t_jsonl_out

# a hash record whose path is not UTF-8 (byte 0xFF) and a list label that is not either: the
# tsv output keeps the path's bytes, the jsonl output is valid UTF-8 (U+FFFD)
t_not_utf8() {
    awk -F'\t' 'NR == 1 || index($1, "002-a-requality") { if (NR > 1) $1 = $1 "\377"; print }' \
        OFS='\t' h.tsv >h8.tsv
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "md5") k = i; next }
        index($1, "002-a-requality") { print "md5,label"; print $k ",l\376x" }' h.tsv >md5l.csv
    "$BIN" list build -q -o md5l.dvl md5l.csv &&
        "$BIN" match -q --list md5l.dvl h8.tsv >o8.tsv
    [ $? -eq 1 ] && grep -q "requality[^$(printf '\t')]*$(printf '\377')$(printf '\t')" o8.tsv &&
        "$BIN" match -q -f jsonl --list md5l.dvl h8.tsv >o8.jsonl
    [ $? -eq 1 ] && /usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]
assert len(r) == 1 and r[0]["path"].endswith("\ufffd") and r[0]["entry_label"] == "l\ufffdx", r
' o8.jsonl
}
check "a path and a label that are not UTF-8: kept in tsv, U+FFFD in jsonl" t_not_utf8

t_stdin() {
    "$BIN" match -q --list md5.dvl - <h.tsv >s.tsv
    "$BIN" match -q --list md5.dvl h.tsv | sed 's/\t[0-9]*\t/\t/' >x
    sed 's/\t[0-9]*\t/\t/' s.tsv | cmp - x
}
check "stdin input" t_stdin

t_nomatch() {
    echo fedcba9876543210fedcba9876543210 >none.txt
    "$BIN" list build -q -o none.dvl none.txt
    "$BIN" match -q --list none.dvl h.tsv >n.tsv; rc=$?
    [ "$rc" -eq 0 ] && [ "$(wc -l <n.tsv)" -eq 1 ]
}
check "no match: exit 0, header only" t_nomatch

t_output_mode() {
    "$BIN" match -q --list md5.dvl -o m.tsv h.tsv; [ "$(stat -c %a m.tsv)" = 600 ]
}
check "-o creates a 0600 file" t_output_mode

t_usage() {
    "$BIN" match h.tsv 2>e; [ $? -eq 2 ] || return 1
    "$BIN" match --list md5.dvl --radius 64 h.tsv 2>e; [ $? -eq 2 ] || return 1
    [ "$(cat e)" = "datavet match: --radius 64: not an integer from 0 to 63" ] || { cat e; return 1; }
    "$BIN" match --list md5.dvl --min-quality high h.tsv 2>e; [ $? -eq 2 ] || return 1
    [ "$(cat e)" = "datavet match: --min-quality high: not an integer from 0 to 100" ] || { cat e; return 1; }
    "$BIN" match --list nosuch.dvl h.tsv 2>e; [ $? -eq 2 ] && grep -q nosuch e || return 1
    "$BIN" match --list md5.dvl nosuch.tsv 2>e; [ $? -eq 2 ] && grep -q nosuch.tsv e || return 1
    "$BIN" match --list md5.dvl -o no/such/dir/m.tsv h.tsv 2>e; [ $? -eq 2 ] && grep -q "cannot write no/such/dir/m.tsv" e
}
check "usage, unreadable list or input, unwritable output: exit 2 with a message" t_usage

t_summary() {
    printf 'https://example.com/a.jpg\n' >u.txt
    "$BIN" list build -q -o url.dvl u.txt
    { head -1 h.tsv; grep 002-a-requality h.tsv; } >one.tsv
    "$BIN" match --list md5.dvl --list url.dvl one.tsv >/dev/null 2>e; rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc, want 1"; return 1; }
    grep -q "url.dvl: url list skipped" e &&
        [ "$(tail -n 1 e)" = "datavet match: 1 record, 1 match, 0 bad lines skipped, 1 list (1 URL list skipped)" ] ||
        { cat e; return 1; }
    "$BIN" match --list md5.dvl --list pdq.dvl h.tsv >/dev/null 2>e
    tail -n 1 e | grep -q "^datavet match: [0-9]* records, [0-9]* matches, 0 bad lines skipped, 2 lists\$" || { cat e; return 1; }
    "$BIN" match --list url.dvl one.tsv >/dev/null 2>e; rc=$?
    [ "$rc" -eq 2 ] && grep -q "no list applies to hash output" e || { echo "url only: exit $rc"; cat e; return 1; }
}
check "summary: counts agree in number; a skipped URL list is not counted as used" t_summary

t_bad_lines() {
    { head -3 h.tsv; printf 'broken\tline\n'; sed 1,3d h.tsv; } >hb.tsv
    "$BIN" match --list md5.dvl hb.tsv >hb.out 2>e; rc=$?
    "$BIN" match --list md5.dvl h.tsv >h.out 2>/dev/null
    # an incomplete run (exit 2, as a scan with read errors), matches or not; its output is
    # written all the same, and -q still says it
    # (the same matches but for their line numbers: one line more before some)
    [ "$rc" -eq 2 ] && grep -q "hb.tsv:4:" e &&
        [ "$(cut -f 1,3- h.out)" = "$(cut -f 1,3- hb.out)" ] &&
        [ "$(wc -l <hb.out)" -gt 1 ] &&
        grep -qxF "datavet match: the run is incomplete: 1 bad line of hb.tsv skipped; the output holds the matches of the records read ($(($(wc -l <hb.out) - 1)) matches)" e || { cat e; return 1; }
    { head -1 h.tsv; printf 'broken\tline\n'; } >hb2.tsv
    "$BIN" match -q --list md5.dvl hb2.tsv >hb2.out 2>e2; rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l <hb2.out)" -eq 1 ] &&
        grep -qF "the run is incomplete: 1 bad line of hb2.tsv skipped" e2 || { cat e2; return 1; }
}
check "a bad input line is named and skipped: an incomplete run, exit 2" t_bad_lines

t_never_lists_other_entries() {
    ! "$BIN" match -q --list md5.dvl h.tsv | grep -q 0123456789abcdef0123456789abcdef
}
check "unmatched list entries never appear in the output" t_never_lists_other_entries

t_output_is_list() {
    # -o naming a list (through a link too) would empty the file mapped under the matcher
    cp md5.dvl own.dvl
    ln -sf own.dvl own-link.dvl
    "$BIN" match -q --list own.dvl -o own-link.dvl h.tsv 2>e; rc=$?
    [ "$rc" -eq 2 ] && cmp -s md5.dvl own.dvl || { echo "exit $rc"; cat e; return 1; }
    [ "$(cat e)" = "datavet match: -o own-link.dvl is the list own.dvl: refused (it would be emptied)" ] ||
        { cat e; return 1; }
    # -o is written beside and put in place at the end, the input read from what was there:
    # -o may name it
    cp h.tsv hin.tsv
    "$BIN" match -q --list md5.dvl -o hin.tsv hin.tsv; [ $? -eq 1 ] && [ "$(sed 1d hin.tsv | wc -l)" -eq 2 ]
}
check "-o naming a list: exit 2, the list kept; naming the input: allowed" t_output_is_list

# the progress line: records, rate, how far through INPUT; --progress on a pipe: plain lines,
# the last at 100%; on a terminal, drawn over itself and erased before the summary; -q: none
t_progress() {
    "$BIN" match --progress --list md5.dvl -o /dev/null h.tsv 2>e; [ $? -eq 1 ] || return 1
    grep -qE '^match: [0-9]+ records, [0-9]+ records/s, 100%$' e &&
        ! grep -q "$(printf '\r')" e || { cat e; return 1; }
    "$BIN" match -q --progress --list md5.dvl -o /dev/null h.tsv 2>e; [ ! -s e ] || return 1
    command -v script >/dev/null 2>&1 || return 0
    script -qc "'$BIN' match --list md5.dvl -o /dev/null h.tsv" /dev/null >tty 2>&1
    tr '\r' '\n' <tty | grep -qE "^$(printf '\033')\\[Kmatch: [0-9]+ records" &&
        tr '\r' '\n' <tty | grep -q "^$(printf '\033')\\[Kdatavet match: " || { od -c tty | head; return 1; }
}
check "match: a progress line on a terminal and with --progress, none with -q" t_progress
# The input is streamed, never held whole: a pipe of 4x10^6 records (~190 MB) and one of
# 2x10^5 records with 400-byte paths (~90 MB) under an address-space limit of 300 MB, the
# matches across batches (of 10^6 records, or of 64 MiB of paths) in input order with their
# line numbers. Until 2026-12-07 stdin (or the file) was read whole before the first record
# and 10^6 records of 360 bytes each were held at once: out of memory under this limit.
# (One OpenBLAS thread: its threads' buffers are address space too. A sanitizer build
# reserves terabytes of address space: there the limit is left out, the rest checked.)
if grep -qaE '__(asan|tsan)_init' "$BIN"; then VLIMIT=unlimited; else VLIMIT=300000; fi
t_streamed() {
    for i in 5 999999 1000000 2999999 3999999; do printf '%032x\n' $i; done >many.txt
    "$BIN" list build -q -o many.dvl many.txt || return 1
    (OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS; ulimit -v $VLIMIT
     awk 'BEGIN { print "path\tmd5"; for (i = 0; i < 4000000; i++) printf "d/%09d.jpg\t%032x\n", i, i }' |
        "$BIN" match -q --list many.dvl - >many.out 2>many.err); rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc"; cat many.err; return 1; }
    [ "$(sed 1d many.out | cut -f 1,2 | tr '\t' ' ' | tr '\n' ' ')" = \
      "d/000000005.jpg 7 d/000999999.jpg 1000001 d/001000000.jpg 1000002 d/002999999.jpg 3000001 d/003999999.jpg 4000001 " ] ||
        { cut -f 1,2 many.out; return 1; }
    for i in 150000 170000 190000; do printf '%032x\n' $i; done >long.txt
    "$BIN" list build -q -o long.dvl long.txt || return 1
    (OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS; ulimit -v $VLIMIT
     awk 'BEGIN { print "path\tmd5"; p = sprintf("%380s", ""); gsub(/ /, "x", p)
                  for (i = 0; i < 200000; i++) printf "%s/%09d.jpg\t%032x\n", p, i, i }' |
        "$BIN" match -q -f jsonl --list long.dvl - >long.out 2>long.err); rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc"; cat long.err; return 1; }
    [ "$(grep -o '"line":[0-9]*' long.out | tr '\n' ' ')" = '"line":150002 "line":170002 "line":190002 ' ] ||
        { cat long.out; return 1; }
}
check "a large input is streamed (ulimit -v 300 MB): matches in order across batches" t_streamed

finish
