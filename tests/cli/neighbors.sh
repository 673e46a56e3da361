#!/bin/sh
# neighbors.sh - datavet neighbors vs FAISS IndexFlatIP (neighbors_faiss.py), plus usage errors.
# Usage: neighbors.sh DATAVET
set -eu
DV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
set +e
"$DV" neighbors -o "$W/x" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || { echo "FAIL: usage error should exit 2, got $rc"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
# laion_as MODE DIR: DIR a copy of the LAION-like dataset, each metadata file rewritten by
# pq_tool MODE
laion_as() {
    cp -r "$W/ds/laion" "$2" || fail "copy to $2"
    for m in "$2"/metadata_*.parquet; do
        "$PQT" "$1" "$m" "$m.new" && mv "$m.new" "$m" || fail "pq_tool $1"
    done
}
# a usage error says what is missing in one line, not the whole help
for a in "-o $W/x|no --embeddings given" "--embeddings $W/none|no -o OUTDIR given" \
    "--embeddings $W/none -o $W/x|no seeds (--seeds-npy, --seed-ids, --from-scan) or --concepts" \
    "--embeddings $W/none -s a.npy -i b.txt -k 1 -o $W/x|give one of --seeds-npy, --seed-ids and --from-scan" \
    "--embeddings $W/none -s a.npy -o $W/x|seeds need -k or --min-sim" \
    "--embeddings $W/none --concepts c.npy -o $W/x|--concepts needs --concept-min"; do
    set +e
    # shellcheck disable=SC2086 # the options, split on purpose
    "$DV" neighbors ${a%%|*} >/dev/null 2>"$W/u.txt"
    rc=$?
    set -e
    [ "$rc" = 2 ] && [ "$(cat "$W/u.txt")" = "datavet neighbors: ${a#*|}
usage: datavet neighbors --embeddings DIR|FILE... SEEDS [-k K] [--min-sim S] -o OUTDIR
       datavet neighbors --embeddings DIR|FILE... --concepts C.npy --concept-min T -o OUTDIR
Try 'datavet neighbors --help'." ] || fail "${a%%|*}: exit $rc, stderr: $(head -c 300 "$W/u.txt")"
done
# a failure is 2, as a usage error (no finding status: every result is a candidate)
set +e
"$DV" neighbors -q --embeddings "$W/none" --seed-ids /dev/null -k 1 -o "$W/x" 2>"$W/e0.txt"; rc=$?
set -e
[ "$rc" = 2 ] || fail "embeddings that do not exist should exit 2, got $rc"
grep -q "^datavet neighbors: .*none: No such file" "$W/e0.txt" || fail "the missing path is not named"
# a bad option value names the option and what it takes
for a in "-k 0|-k 0: not an integer from 1 to 16777216" \
    "-j many|-j many: not an integer from 0 to 1024" \
    "--min-sim x|--min-sim x: not a number" \
    "--block-rows 0|--block-rows 0: not an integer of 1 or more" \
    "--pass fast|--pass fast: not auto, direct, blas or int8"; do
    set +e
    # shellcheck disable=SC2086 # the option and its value, split on purpose
    "$DV" neighbors --embeddings "$W/none" --seed-ids /dev/null ${a%%|*} -o "$W/x" 2>"$W/e1.txt"
    rc=$?
    set -e
    [ "$rc" = 2 ] && [ "$(cat "$W/e1.txt")" = "datavet neighbors: ${a#*|}" ] ||
        fail "${a%%|*}: exit $rc, stderr: $(cat "$W/e1.txt")"
done
# LAION layout with aligned metadata (datavet-mkdataset): ids, urls and captions of the results
MK=$(dirname "$DV")/tools/datavet-mkdataset
if [ -x "$MK" ]; then
    # (a helper, not under test: its own leaks are not ours)
    ASAN_OPTIONS=detect_leaks=0 "$MK" "$W/ds" --items 60 --shards 2 >/dev/null 2>&1 || fail "mkdataset"
    printf '# file row\n0 3\n1 2\n45\n' >"$W/ids.txt"
    "$DV" neighbors -q --embeddings "$W/ds/laion" --seed-ids "$W/ids.txt" -k 3 -o "$W/o1" ||
        fail "neighbors --seed-ids"
    [ "$(wc -l <"$W/o1/neighbors.jsonl")" = 9 ] || fail "expected 9 results"
    [ -s "$W/o1/neighbors.parquet" ] || fail "no parquet output"
    [ "$(stat -c %a "$W/o1/neighbors.jsonl")" = 600 ] || fail "output mode"
    [ "$(stat -c %a "$W/o1")" = 700 ] || fail "outdir mode"
    # the row's own id (mkdataset keys are the global item number), a url, never the seed row
    awk -F'"row":' '{split($2, a, ","); r = a[1]; if ($0 !~ sprintf("\"id\":\"%09d\"", r) ||
        $0 !~ /"url":"http/ || $0 !~ /"tier":"candidate"/) bad = 1}
        /"seed_row":3,.*"row":3,/ {bad = 1} END {exit bad}' "$W/o1/neighbors.jsonl" ||
        fail "metadata of results"
    # a metadata file whose row count differs from its embeddings' is not aligned: the results
    # in that file carry no id/url (they would name other rows), and a warning says so
    ASAN_OPTIONS=detect_leaks=0 "$MK" "$W/ds80" --items 80 --shards 2 >/dev/null 2>&1 || fail "mkdataset 80"
    cp -r "$W/ds/laion" "$W/mis"
    cp "$W/ds80/laion/metadata_0001.parquet" "$W/mis/metadata_0001.parquet"
    "$DV" neighbors -q --embeddings "$W/mis" --seed-ids "$W/ids.txt" -k 3 -o "$W/o8" 2>"$W/err8.txt" ||
        fail "neighbors over misaligned metadata"
    grep -q "img_emb_0001.npy: 30 rows but .*metadata_0001.parquet has 40: embeddings not aligned" \
        "$W/err8.txt" || fail "misaligned metadata not named: $(cat "$W/err8.txt")"
    ! grep -q '"file_index":1,.*"id":' "$W/o8/neighbors.jsonl" || fail "misaligned metadata used for ids"
    grep -q '"file_index":0,.*"id":' "$W/o8/neighbors.jsonl" || fail "aligned metadata not used"
    # seeds that can find nothing (NaN) or score 0 against every row (all zeros) are named in a
    # warning, even with -q, instead of an empty or meaningless result passing for "nothing near"
    H="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 16), }"
    { printf '\223NUMPY\001\000\166\000%-117s\n' "$H"
      printf '\000\000\300\177%.0s' $(seq 16); printf '\000\000\000\000%.0s' $(seq 16); } >"$W/bad.npy"
    "$DV" neighbors -q --embeddings "$W/ds/laion" --seeds-npy "$W/bad.npy" -k 2 -o "$W/o9" 2>"$W/err9.txt" ||
        fail "neighbors with a NaN and a zero seed: $(cat "$W/err9.txt")"
    grep -q "warning: seed 0 has NaN or infinite values" "$W/err9.txt" &&
        grep -q "warning: seed 1 is all zeros" "$W/err9.txt" || fail "bad seeds not named: $(cat "$W/err9.txt")"
    # the same seeds through a scan's match records; an item matched by two lists (MD5 and URL)
    # has a record per finding but is one seed, whatever path form names its file
    mkdir -p "$W/scan"
    printf '%s\n' '{"id":"a","tier":"match","list":"md5","emb_file":"img_emb/img_emb_0000.npy","emb_row":3}' \
        '{"id":"b","tier":"candidate","emb_file":"img_emb/img_emb_0000.npy","emb_row":9}' \
        '{"id":"c","tier":"match","emb_file":"img_emb/img_emb_0001.npy","emb_row":2}' \
        '{"id":"a","tier":"match","list":"url","emb_file":"img_emb/img_emb_0000.npy","emb_row":3}' \
        '{"id":"d","tier":"match","emb_file":"img_emb/img_emb_0001.npy","emb_row":15}' \
        '{"id":"c","tier":"match","list":"url","emb_file":"'"$W"'/ds/laion/img_emb/img_emb_0001.npy","emb_row":2}' \
        >"$W/scan/matches.jsonl"
    "$DV" neighbors --embeddings "$W/ds/laion" --from-scan "$W/scan" -k 3 -o "$W/o2" 2>"$W/err2.txt" ||
        fail "neighbors --from-scan"
    grep -q "datavet neighbors: 3 seeds" "$W/err2.txt" || fail "--from-scan: a seed per finding, not per item"
    [ "$(sed 's/"rank":[0-9]*,//' "$W/o2/neighbors.jsonl" | sort | uniq -d | wc -l)" = 0 ] ||
        fail "--from-scan: duplicate (seed_row, row) records"
    cmp -s "$W/o1/neighbors.jsonl" "$W/o2/neighbors.jsonl" || fail "--from-scan differs from --seed-ids"
    # a metadata URL that is a data: URI (an image inside the URL) is written redacted
    PQT=$(dirname "$DV")/tests/pq_tool
    if [ -x "$PQT" ]; then
        laion_as datauri "$W/du"
        "$DV" neighbors -q --embeddings "$W/du" --seed-ids "$W/ids.txt" -k 3 -o "$W/o6" ||
            fail "neighbors over data: URIs"
        grep -q '"url":"data:image/png;base64,<96 bytes withheld>"' "$W/o6/neighbors.jsonl" ||
            fail "data: URI not shown redacted"
        # the caption, an HTML caption with that URI in an img tag, is withheld whole, as
        # inspect --head shows it (until 2026-12-07 it was written as it was, image and all)
        grep -q '"caption":"<data URI image, 141 bytes withheld>"' "$W/o6/neighbors.jsonl" ||
            fail "a caption holding an image not withheld"
        ! grep -r -q 'iVBORw0KGgo' "$W/o6" || fail "a data: URI's content was written"
        # metadata holding bytes that are not UTF-8 (url + "?q=" 0xFF " x", caption + " " 0xFE,
        # key + 0xFD): neighbors.jsonl is valid UTF-8, the URL percent-encoded as every output
        # writes URLs, other text with U+FFFD; neighbors.parquet holds the same text (its STRING
        # columns valid UTF-8: DuckDB refuses others)
        laion_as badutf8 "$W/u8"
        "$DV" neighbors -q --embeddings "$W/u8" --seed-ids "$W/ids.txt" -k 3 -o "$W/o10" ||
            fail "neighbors over metadata that is not UTF-8"
        /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]
assert len(rows) == 9, len(rows)
for r in rows:
    assert r["url"].endswith("?q=%FF%20x") and r["id"].endswith("\ufffd"), r
    assert r["caption"].endswith(" \ufffd"), r
' "$W/o10/neighbors.jsonl" || fail "neighbors.jsonl: text that is not UTF-8"
        # base64 of an image in a metadata URL's query (even rows) or path (odd rows) is withheld
        # in neighbors.jsonl, the rest of the URL kept (until 2026-12-08 only data: URIs were)
        laion_as qimg "$W/qi"
        "$DV" neighbors -q --embeddings "$W/qi" --seed-ids "$W/ids.txt" -k 3 -o "$W/o11" ||
            fail "neighbors over URLs holding base64 of an image"
        /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 9, len(rows)
for r in rows:
    tail = "/img/<120 bytes withheld>" if r["row"] % 2 else "?img=<120 bytes withheld>&x=1"
    assert r["url"].startswith("http") and r["url"].endswith(tail), r
' "$W/o11/neighbors.jsonl" || fail "neighbors.jsonl: base64 of an image in a URL not withheld"
        ! grep -r -q -a '4AAQSkZJRg' "$W/o11" || fail "a URL's base64 image was written"
        DDB=$HERE/../duckdb
        if command -v node >/dev/null 2>&1 && [ -d "$DDB/node_modules/@duckdb/node-api" ]; then
            node "$DDB/run_sql.mjs" "SELECT id, url, caption FROM read_parquet('$W/o10/neighbors.parquet')" \
                >"$W/u8pq.jsonl" 2>&1 || fail "DuckDB cannot read neighbors.parquet: $(cat "$W/u8pq.jsonl")"
            /usr/bin/python3 -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert [(r["id"], r["url"], r["caption"]) for r in a] == \
    [(r["id"], r["url"], r["caption"]) for r in b], (a[:1], b[:1])
' "$W/o10/neighbors.jsonl" "$W/u8pq.jsonl" || fail "neighbors.parquet and neighbors.jsonl differ"
        else
            echo "SKIP: DuckDB (tests/duckdb) not installed: neighbors.parquet is not read back"
        fi
    else
        echo "SKIP: $PQT not built; the data: URI check is not run"
    fi
    # concept flags: every row scores 1 against itself
    "$DV" neighbors -q --embeddings "$W/ds/laion" --seed-ids "$W/ids.txt" --keep-self -k 1 -o "$W/o3" ||
        fail "keep-self"
    grep -q '"seed_row":3,"rank":0,"row":3,' "$W/o3/neighbors.jsonl" || fail "keep-self row"
    # a progress line on a terminal (script(1) gives it one), nothing of it when piped
    "$DV" neighbors --embeddings "$W/ds/laion" --seed-ids "$W/ids.txt" -k 3 -o "$W/o4" 2>"$W/err.txt" ||
        fail "neighbors, stderr piped"
    ! grep -q "$(printf '\r')" "$W/err.txt" || fail "progress escapes on a pipe"
    grep -q "datavet neighbors: 3 seeds" "$W/err.txt" || fail "summary line on a pipe"
    printf '0 3\n' >"$W/one.txt"
    "$DV" neighbors --embeddings "$W/ds/laion" --seed-ids "$W/one.txt" -k 1 -o "$W/o7" 2>"$W/err7.txt" ||
        fail "neighbors, one seed"
    grep -q "^datavet neighbors: 1 seed, 60 rows in 2 files: 1 candidate (" "$W/err7.txt" ||
        fail "summary of one seed and one candidate: $(cat "$W/err7.txt")"
    # a seed line that is not a number is told apart from a row past the end
    bad_seed() { # LINE MESSAGE-REGEX
        printf '%s\n' "$1" >"$W/bad.txt"
        ! "$DV" neighbors -q --embeddings "$W/ds/laion" --seed-ids "$W/bad.txt" -k 1 -o "$W/o9" \
            2>"$W/err9.txt" || fail "seed line '$1' accepted"
        grep -q "^datavet neighbors: .*bad.txt:1: $2\$" "$W/err9.txt" ||
            fail "seed line '$1': $(cat "$W/err9.txt")"
    }
    for l in 0x10 1e3 "0 1 2" "x 3"; do
        bad_seed "$l" 'not "FILE_INDEX ROW" or a row number (decimal)'
    done
    for l in 60 "2 0" "0 999"; do
        bad_seed "$l" 'not a row of the embeddings (2 files, 60 rows)'
    done
    if command -v script >/dev/null 2>&1; then
        script -q -c "'$DV' neighbors --embeddings '$W/ds/laion' --seed-ids '$W/ids.txt' -k 3 -o '$W/o5'" \
            /dev/null >"$W/tty.txt" 2>&1 || fail "neighbors on a terminal"
        grep -q "neighbors: seeds" "$W/tty.txt" || fail "no progress line on a terminal"
    else
        echo "SKIP: script(1) not found; the terminal progress line is not checked"
    fi
else
    echo "SKIP: $MK not built; LAION-layout checks skipped"
fi
if ! /usr/bin/python3 -c "import faiss, numpy" 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 cannot import faiss and numpy (apt-get install python3-faiss)"
    exit 0
fi
/usr/bin/python3 "$HERE/neighbors_faiss.py" "$DV" "$W"
