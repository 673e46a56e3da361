#!/bin/sh
# inspect.sh - `datavet inspect`: summaries of each kind of file and of a LAION-style directory
# (text and --json), usage errors, and --head output byte-compared with DuckDB's COPY output
# on parquet-testing files and on LAION-like files DuckDB writes (tests/duckdb/head_compare.mjs).
# Usage: sh tests/cli/inspect.sh DATAVET SHARED. Parts that need node/DuckDB, numpy or ../shared
# print SKIP.
if [ $# -ne 2 ]; then
    echo "usage: sh tests/cli/inspect.sh DATAVET SHARED" >&2
    exit 2
fi
DV=$1
SHARED=$2
DDB=$(cd "$(dirname "$0")/../duckdb" && pwd)
PT=$SHARED/parquet-testing
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-inspect.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
# expect NAME WANT_RC PATTERN CMD...: exit status and a line of output matching PATTERN
expect() {
    name=$1 want=$2 pat=$3
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        no "$name: exit $rc, want $want: $(printf '%s' "$out" | head -c 300)"
    elif ! printf '%s\n' "$out" | grep -q -- "$pat"; then
        no "$name: no '$pat' in: $(printf '%s' "$out" | head -c 300)"
    else
        ok "$name"
    fi
}
HAVE_NODE=0
if command -v node >/dev/null 2>&1 && [ -d "$DDB/node_modules/@duckdb/node-api" ]; then
    HAVE_NODE=1
else
    echo "SKIP: node or @duckdb/node-api missing; DuckDB comparisons not run"
fi
json_ok() { # NAME FILE: the file is one valid JSON document
    if [ "$HAVE_NODE" -eq 1 ]; then
        if node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$2" \
            2>/dev/null; then ok "$1: valid JSON"; else no "$1: invalid JSON: $(head -c 300 "$2")"; fi
    fi
}

# usage and errors
expect "no argument" 2 "usage" "$DV" inspect
expect "bad format" 2 "jsonl or tsv" "$DV" inspect --head 1 --format xml "$T"
# a failure to look is 2; 1 is kept for problems found in what was looked at
expect "missing path" 2 "No such file" "$DV" inspect "$T/nope"
printf 'not a dataset\n' >"$T/x.bin"
expect "unknown kind" 2 "not a Parquet" "$DV" inspect "$T/x.bin"
expect "bad --head" 2 "^datavet inspect: --head x: not an integer of 0 or more" \
    "$DV" inspect --head x "$T/x.bin"
mkdir -p "$T/nolayout"
expect "directory without a dataset layout" 1 "no dataset layout recognised" \
    "$DV" inspect "$T/nolayout"
expect "help" 0 "datavet inspect" "$DV" inspect --help
# a 0-byte tar shard (a failed download) is named, as the scan would fail to read it
mkdir -p "$T/emptytar"
printf 'x' >"$T/a.txt"
(cd "$T" && tar cf emptytar/00000.tar a.txt) && : >"$T/emptytar/00001.tar"
expect "0-byte tar shard" 1 "1 empty (0-byte) tar shard(s), e.g. .*00001.tar: the scan reads" \
    "$DV" inspect "$T/emptytar"

# URL lists
printf 'URL\tTEXT\tkey\nhttp://a/1.jpg\thello\t1\nhttp://a/2.jpg\t"bad\t3\n' >"$T/l.tsv"
expect "tsv list" 1 "recognised: url=URL caption=TEXT" "$DV" inspect "$T/l.tsv"
expect "tsv list bad rows" 1 "bad rows: 1" "$DV" inspect "$T/l.tsv"
# the columns the reader takes: url before image_url, caption before text, exact case first
printf 'image_url,TEXT,URL,url,caption\nhttp://a/1,t,http://a/2,http://a/3,c\n' >"$T/rank.csv"
expect "list roles as the reader takes them" 0 "recognised: url=url caption=caption\$" \
    "$DV" inspect "$T/rank.csv"
printf '{"url":"http://a/1","caption":"x","n":{"a":1}}\n{"url":"http://a/2"}\n' >"$T/l.jsonl"
"$DV" inspect --json "$T/l.jsonl" >"$T/l.json"
json_ok "jsonl list" "$T/l.json"
if grep -q '"columns":\["url","caption","n"\].*"rows":2,"bad_rows":0' "$T/l.json"; then
    ok "jsonl list --json"
else no "jsonl list --json: $(cat "$T/l.json")"; fi
printf 'http://a/1\n\nhttp://a/2\n' >"$T/u.txt"
expect "txt list" 0 "rows: 2" "$DV" inspect "$T/u.txt"

# tar shards made by GNU tar
if command -v tar >/dev/null 2>&1; then
    mkdir -p "$T/w"
    for k in 000000 000001 000002; do
        printf 'caption %s' $k >"$T/w/$k.txt"
        printf '{"key":"%s"}' $k >"$T/w/$k.json"
        printf 'x' >"$T/w/$k.jpg"
    done
    (cd "$T/w" && tar cf ../s.tar 000000.jpg 000000.txt 000000.json 000001.jpg 000001.txt \
        000001.json 000002.jpg 000002.txt 000002.json)
    expect "tar" 0 "extensions: jpg=3 txt=3 json=3" "$DV" inspect "$T/s.tar"
    expect "tar samples" 0 "samples: 3" "$DV" inspect "$T/s.tar"
    "$DV" inspect --json "$T/s.tar" >"$T/s.json"
    json_ok "tar" "$T/s.json"
    head -c 2000 "$T/s.tar" >"$T/cut.tar"
    expect "truncated tar" 1 "truncated" "$DV" inspect "$T/cut.tar"
else
    echo "SKIP: tar not found"
fi

# an image
if [ -d "$SHARED/photos/dev" ]; then
    img=$(ls "$SHARED/photos/dev" | grep -m1 -i '\.png$')
    expect "image" 0 "format: image (png)" "$DV" inspect "$SHARED/photos/dev/$img"
    expect "image size" 0 "^size: [0-9]*x[0-9]*$" "$DV" inspect "$SHARED/photos/dev/$img"
fi

# parquet-testing: schema, struct leaves, skipped repeated columns, corrupt files
if [ -d "$PT" ]; then
    expect "parquet schema" 0 "timestamp_col  INT96 OPTIONAL" "$DV" inspect "$PT/alltypes_plain.parquet"
    expect "parquet decimal" 0 "DECIMAL(4,2)" "$DV" inspect "$PT/int32_decimal.parquet"
    expect "struct leaf" 0 "nested_struct.A  INT32 OPTIONAL (struct leaf)" \
        "$DV" inspect "$PT/nullable.impala.parquet"
    expect "repeated skipped" 0 "int_array.list.element  INT32 OPTIONAL.*skipped: repeated" \
        "$DV" inspect "$PT/nullable.impala.parquet"
    expect "repeated in --columns" 2 "is repeated (a list or map): not supported" \
        "$DV" inspect --head 2 --columns int_array.list.element "$PT/nullable.impala.parquet"
    expect "unknown column" 2 "no column 'zz'" "$DV" inspect --head 2 --columns zz \
        "$PT/alltypes_plain.parquet"
    expect "corrupt parquet" 1 "page CRC mismatch" "$DV" inspect "$PT/datapage_v1-corrupt-checksum.parquet"
    expect "parquet key_value_metadata" 0 \
        "^metadata: 2 keys: pandas (572 bytes), ARROW:schema (1208 bytes)\$" \
        "$DV" inspect "$PT/list_columns.parquet"
    expect "parquet no key_value_metadata" 0 "^metadata: 0 keys\$" \
        "$DV" inspect "$PT/alltypes_plain.parquet"
    expect "parquet key_value_metadata --json" 0 \
        '"metadata":\[{"key":"pandas","value_bytes":572},{"key":"ARROW:schema","value_bytes":1208}\]' \
        "$DV" inspect --json "$PT/list_columns.parquet"
    "$DV" inspect --json "$PT/nullable.impala.parquet" >"$T/n.json"
    json_ok "parquet --json" "$T/n.json"
    if [ "$HAVE_NODE" -eq 1 ]; then
        # every file DuckDB reads (it has no Hadoop LZ4 nor BYTE_STREAM_SPLIT of FLBA) but the
        # corrupt ones
        for f in "$PT"/*.parquet; do
            b=$(basename "$f" .parquet)
            case $b in
            hadoop_lz4_compressed* | non_hadoop_lz4_compressed | byte_stream_split_extended.gzip | \
                datapage_v1-corrupt-checksum | rle-dict-uncompressed-corrupt-checksum | \
                nation.dict-malformed) continue ;;
            esac
            if out=$(node "$DDB/head_compare.mjs" "$DV" "$f" 200 "$T" 2>&1); then
                ok "--head = DuckDB: $b: $out"
            else
                no "--head = DuckDB: $b: $(printf '%s' "$out" | head -c 800)"
            fi
        done
    fi
else
    echo "SKIP: $PT not found; parquet-testing checks not run"
fi

# LAION-like files DuckDB writes (every codec it has, pages v1/v2, structs), and a LAION
# directory with an aligned and a misaligned embedding file
if [ "$HAVE_NODE" -eq 1 ]; then
    if node "$DDB/gen_laion.mjs" "$T" 3000; then
        for f in "$T"/laion-*.parquet; do
            if out=$(node "$DDB/head_compare.mjs" "$DV" "$f" 5000 "$T" 2>&1); then
                ok "--head = DuckDB: $(basename "$f"): $out"
            else
                no "--head = DuckDB: $(basename "$f"): $(printf '%s' "$out" | head -c 800)"
            fi
        done
        expect "laion roles" 0 \
            "recognised: url=URL caption=TEXT md5=md5 punsafe=punsafe pwatermark=pwatermark similarity=similarity id=key width=WIDTH height=HEIGHT" \
            "$DV" inspect "$T/laion-snappy.parquet"
        # LAION-400M: NSFW is a text tag ("UNLIKELY"), punsafe the score: inspect names the
        # column datavet scan takes, as scan takes it
        node "$DDB/run_sql.mjs" "COPY (SELECT 'http://e.test/' || i AS url, 'c' AS caption,
            'UNLIKELY' AS NSFW, 0.5::DOUBLE AS punsafe FROM range(3) t(i))
            TO '$T/laion400m.parquet' (FORMAT PARQUET)" >/dev/null
        expect "laion-400m: the score, not the NSFW tag" 0 \
            "recognised: url=url caption=caption punsafe=punsafe\$" "$DV" inspect "$T/laion400m.parquet"
        expect "laion-400m: the NSFW tag has no role" 0 "NSFW  BYTE_ARRAY OPTIONAL UTF8  nulls 0" \
            "$DV" inspect "$T/laion400m.parquet"
        expect "laion codecs" 0 "codecs: ZSTD" "$DV" inspect "$T/laion-zstd-v2.parquet"
        expect "laion row groups" 0 "row groups: 2 (952..2048 rows)" "$DV" inspect "$T/laion-gzip.parquet"
        expect "laion nulls" 0 "URL  BYTE_ARRAY OPTIONAL UTF8  -> url  nulls 177" \
            "$DV" inspect "$T/laion-snappy.parquet"
        if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
            mkdir -p "$T/laion/img_emb"
            cp "$T/laion-snappy.parquet" "$T/laion/metadata_0.parquet"
            cp "$T/laion-struct.parquet" "$T/laion/metadata_1.parquet"
            "$PY" -c 'import numpy as np, sys
np.save(sys.argv[1] + "/img_emb_0.npy", np.zeros((3000, 8), dtype="<f2"))
np.save(sys.argv[1] + "/img_emb_1.npy", np.zeros((2999, 8), dtype="<f4"))' "$T/laion/img_emb"
            expect "npy aligned" 0 "metadata_0.parquet (3000 rows): aligned" \
                "$DV" inspect "$T/laion/img_emb/img_emb_0.npy"
            expect "npy shape" 0 "shape: (3000, 8)" "$DV" inspect "$T/laion/img_emb/img_emb_0.npy"
            expect "npy misaligned" 1 "NOT aligned" "$DV" inspect "$T/laion/img_emb/img_emb_1.npy"
            expect "laion dir" 1 "layout: parquet" "$DV" inspect "$T/laion"
            expect "laion dir emb" 1 "embedding files: 2 (1 not aligned)" "$DV" inspect "$T/laion"
            expect "laion dir problem" 1 "img_emb_1.npy: 2999 rows but .*metadata_1.parquet has 3000" \
                "$DV" inspect "$T/laion"
            "$DV" inspect --json "$T/laion" >"$T/d.json"
            json_ok "directory --json" "$T/d.json"
            # LAION-5B's metadata/ beside img_emb/; Spark part names (every part ends in c000)
            mkdir -p "$T/l5/metadata" "$T/l5/img_emb" "$T/sp/img_emb"
            cp "$T/laion-snappy.parquet" "$T/l5/metadata/metadata_0000.parquet"
            cp "$T/laion/img_emb/img_emb_0.npy" "$T/l5/img_emb/img_emb_0000.npy"
            cp "$T/laion-snappy.parquet" "$T/sp/part-00000-5b54c5d5-c000.snappy.parquet"
            cp "$T/laion-gzip.parquet" "$T/sp/part-00001-5b54c5d5-c000.snappy.parquet"
            cp "$T/laion/img_emb/img_emb_0.npy" "$T/sp/img_emb/img_emb_1.npy"
            expect "npy beside metadata/" 0 "metadata/metadata_0000.parquet (3000 rows): aligned" \
                "$DV" inspect "$T/l5/img_emb/img_emb_0000.npy"
            expect "npy of a Spark part" 0 "part-00001-5b54c5d5-c000.snappy.parquet (3000 rows): aligned" \
                "$DV" inspect "$T/sp/img_emb/img_emb_1.npy"
        else
            echo "SKIP: numpy not importable by $PY; .npy checks not run"
        fi
    else
        no "gen_laion.mjs failed"
    fi
fi
# a LAION directory (datavet-mkdataset) with one embedding file of the wrong row count and one
# that is not an .npy: both listed, counted and reported, in text and --json
MK=$(dirname "$DV")/tools/datavet-mkdataset
if [ -x "$MK" ] && [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
    if ASAN_OPTIONS=detect_leaks=0 "$MK" "$T/mk" --items 40 --shards 4 >/dev/null 2>&1; then
        L=$T/mk/laion
        "$PY" -c 'import numpy as np, sys
np.save(sys.argv[1], np.zeros((7, 16), dtype="<f2"))' "$L/img_emb/img_emb_0001.npy"
        printf 'not an npy file\n' >"$L/img_emb/img_emb_0003.npy"
        expect "misaligned emb count" 1 "embedding files: 4 (2 not aligned)" "$DV" inspect "$L"
        expect "misaligned emb listed" 1 "img_emb_0001.npy (7 rows, metadata 10: NOT aligned)" \
            "$DV" inspect "$L"
        expect "unreadable emb listed" 1 "img_emb_0003.npy (unreadable)" "$DV" inspect "$L"
        expect "misaligned emb problem" 1 "img_emb_0001.npy: 7 rows but .*metadata_0001.parquet has 10" \
            "$DV" inspect "$L"
        "$DV" inspect --json "$L" >"$T/mk.json"
        json_ok "misaligned --json" "$T/mk.json"
        if grep -q '"embedding_rows":7,"metadata_rows":10,"aligned":false' "$T/mk.json" &&
            grep -q '"embedding_files":4,"embeddings_misaligned":2,' "$T/mk.json"; then
            ok "misaligned --json counts"
        else no "misaligned --json counts: $(head -c 1500 "$T/mk.json")"; fi
    else
        no "datavet-mkdataset failed"
    fi
else
    echo "SKIP: $MK not built or numpy not importable by $PY; misaligned embedding counts not checked"
fi

# --head never prints an image's bytes: blobs and strings that start with an image signature,
# base64 text of one (standard or URL-safe, after whitespace, wrapped) and data:image URIs are
# placeholders; look-alikes ("BM..." text, "GIF is...", a path that is "/wo" = FF 0A in
# base64, base64 of text) are printed.
PQT=$(dirname "$DV")/tests/pq_tool
if [ -x "$PQT" ] && "$PQT" images "$T/img.parquet" 2>"$T/img.err"; then
    for f in jsonl tsv; do
        "$DV" inspect --head 20 --format $f "$T/img.parquet" >"$T/img.$f" 2>&1
        w=$(grep -o 'bytes withheld>' "$T/img.$f" | wc -l)
        leak=$(grep -c -F -e '\xFF\xD8' -e '\x89PNG' -e 'GIF89a' -e 'RIFF' -e 'ftypheic' \
            -e 'II*' -e 'iVBOR' -e '/9j/' -e '\xFF\x0A' -e '_9j_' -e 'UklGR' -e 'R0lGODlh' \
            "$T/img.$f")
        if [ "$w" -eq 17 ] && [ "$leak" -eq 0 ] &&
            grep -q '<jpeg image, 13 bytes withheld>' "$T/img.$f" &&
            grep -q '<data URI image, 34 bytes withheld>' "$T/img.$f" &&
            grep -q '<base64 jpeg image, 20 bytes withheld>' "$T/img.$f" &&
            grep -q '<base64 png image, 27 bytes withheld>' "$T/img.$f" &&
            grep -q '<base64 jpeg image, 18 bytes withheld>' "$T/img.$f" &&
            grep -q '<base64 webp image, 22 bytes withheld>' "$T/img.$f" &&
            grep -q '<base64 gif image, 16 bytes withheld>' "$T/img.$f" &&
            grep -q '/work/shared/photos' "$T/img.$f" && grep -q 'R0lGOD is how' "$T/img.$f" &&
            grep -q 'QmFzZTY0IHRleHQ=' "$T/img.$f" &&
            grep -q 'BM not a bitmap at all' "$T/img.$f" && grep -q 'BMW at night' "$T/img.$f" &&
            grep -q 'data:text/plain,hello' "$T/img.$f" && grep -q 'GIF is a format' "$T/img.$f" &&
            grep -q 'abc[\\]*x00[\\]*x01[\\]*xFF' "$T/img.$f"; then
            ok "--head --format $f withholds image bytes ($w values), prints the look-alikes"
        else
            no "--head --format $f: $w withheld (want 17), $leak lines with image bytes: $(head -c 600 "$T/img.$f")"
        fi
    done
else
    no "pq_tool images failed: $(cat "$T/img.err" 2>/dev/null)"
fi

echo "inspect: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
