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
# options that do not apply are refused, one line, exit 2, whatever PATH is: --head prints JSON
# lines, which --json asks for, but not with --format tsv
one_line() { # NAME PATTERN CMD...: exit 2, stderr one line matching PATTERN, stdout empty
    name=$1 pat=$2
    shift 2
    "$@" >"$T/ol.out" 2>"$T/ol.err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ ! -s "$T/ol.out" ] && [ "$(wc -l <"$T/ol.err")" -eq 1 ] &&
        grep -q -- "$pat" "$T/ol.err"; then ok "$name"
    else no "$name: exit $rc: $(head -c 300 "$T/ol.err")"; fi
}
one_line "--json with --head --format tsv: refused" \
    "^datavet inspect: --json and --format tsv: --head prints JSON lines" \
    "$DV" inspect --json --head 1 --format tsv "$T/x.bin"
one_line "--format without --head: refused" "^datavet inspect: --format applies to --head only\$" \
    "$DV" inspect --format tsv "$T/x.bin"
one_line "--columns without --head: refused" "^datavet inspect: --columns applies to --head only\$" \
    "$DV" inspect --json --columns a "$T/x.bin"
one_line "--npz-key with --head: refused" "^datavet inspect: --npz-key does not apply to --head" \
    "$DV" inspect --head 1 --npz-key l14_img "$T/x.bin"
mkdir -p "$T/nolayout"
expect "directory without a dataset layout" 1 "no dataset layout recognised" \
    "$DV" inspect "$T/nolayout"
expect "help" 0 "datavet inspect" "$DV" inspect --help
# a 0-byte tar shard (a failed download) is named, as the scan would fail to read it
mkdir -p "$T/emptytar"
printf 'x' >"$T/a.txt"
(cd "$T" && tar cf emptytar/00000.tar a.txt) && : >"$T/emptytar/00001.tar"
expect "0-byte tar shard" 1 "1 empty (0-byte) tar shard, e.g. .*00001.tar: the scan reads" \
    "$DV" inspect "$T/emptytar"

# URL lists
printf 'URL\tTEXT\tkey\nhttp://a/1.jpg\thello\t1\nhttp://a/2.jpg\t"bad\t3\n' >"$T/l.tsv"
expect "tsv list" 1 "recognised: url=URL caption=TEXT" "$DV" inspect "$T/l.tsv"
expect "tsv list bad rows" 1 "bad rows: 1" "$DV" inspect "$T/l.tsv"
# the columns the reader takes: url before image_url, caption before text, exact case first
printf 'image_url,TEXT,URL,url,caption\nhttp://a/1,t,http://a/2,http://a/3,c\n' >"$T/rank.csv"
expect "list roles as the reader takes them" 0 "recognised: url=url caption=caption\$" \
    "$DV" inspect "$T/rank.csv"
# ... so the hash columns datavet scan checks (md5, sha1, sha256, any case, exact first)
printf 'url,SHA1,MD5,md5,sha1\nhttp://a/1,a,b,c,d\n' >"$T/hash.csv"
expect "list hash columns as the reader takes them" 0 "recognised: url=url md5=md5 sha1=sha1\$" \
    "$DV" inspect "$T/hash.csv"
# ... and the id column scan takes a row's id from (key, uid, sample_id, id, any case, exact
# first): until 2026-12-07 a URL list had none
printf 'url,ID,uid,Key,sample_id\nhttp://a/1,a,b,c,d\n' >"$T/id.csv"
expect "list id column as the reader takes it" 0 "recognised: url=url id=Key\$" \
    "$DV" inspect "$T/id.csv"
# a list without a url column: its other roles are still valid JSON (until 2026-12-07 the
# roles object began '{,"caption"')
printf 'caption,md5\nx,y\n' >"$T/nourl.csv"
"$DV" inspect --json "$T/nourl.csv" >"$T/nourl.json"
json_ok "list without a url column --json" "$T/nourl.json"
if grep -q '"roles":{"caption":"caption","md5":"md5"}' "$T/nourl.json"; then
    ok "list without a url column: its roles"
else no "list without a url column: its roles: $(cat "$T/nourl.json")"; fi
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
    expect "list element: no null count, --head shows it" 0 \
        "int_array.list.element  INT32 OPTIONAL  in a list or map: no null count (--head shows it whole)" \
        "$DV" inspect "$PT/nullable.impala.parquet"
    # --head shows a list or map whole, under its own name; a leaf inside one is not a column
    expect "leaf of a list in --columns" 2 \
        "column int_array.list.element is inside int_array (a list or map): name int_array" \
        "$DV" inspect --head 2 --columns int_array.list.element "$PT/nullable.impala.parquet"
    expect "list in --columns" 0 '^{"nested_struct.C.d":\[\[{"E":10,"F":"aaa"},{"E":-10,"F":"bbb"}\],\[{"E":11,"F":"c"}\]\],"id":1}$' \
        "$DV" inspect --head 1 --columns nested_struct.C.d,id "$PT/nullable.impala.parquet"
    # DuckDB cannot read map_no_value (a map without values: its keys' list, as Arrow reads it)
    cat >"$T/mnv.want" <<'EOF'
{"my_map":{"1":null,"2":null,"3":null},"my_map_no_v":[1,2,3],"my_list":[1,2,3]}
{"my_map":{"4":null,"5":null,"6":null},"my_map_no_v":[4,5,6],"my_list":[4,5,6]}
{"my_map":{"7":null,"8":null,"9":null},"my_map_no_v":[7,8,9],"my_list":[7,8,9]}
EOF
    "$DV" inspect --head 5 "$PT/map_no_value.parquet" >"$T/mnv.got" 2>&1
    if cmp -s "$T/mnv.want" "$T/mnv.got"; then ok "--head map_no_value"
    else no "--head map_no_value: $(head -c 600 "$T/mnv.got")"; fi
    # a 1 GiB string in a map is over the reader's limit: said so, nothing half printed
    expect "--head over a limit" 1 "page of 1073741828 bytes over the limit" \
        "$DV" inspect --head 1 "$PT/large_string_map.brotli.parquet"
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
    # --json with --head: the rows as JSON lines, as --head prints them by default
    "$DV" inspect --head 3 "$PT/alltypes_plain.parquet" >"$T/h.jsonl" 2>&1
    "$DV" inspect --json --head 3 "$PT/alltypes_plain.parquet" >"$T/hj.jsonl" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/hj.jsonl")" -eq 3 ] && cmp -s "$T/h.jsonl" "$T/hj.jsonl"
    then ok "--json --head: the rows as JSON lines"
    else no "--json --head: exit $rc: $(head -c 300 "$T/hj.jsonl")"; fi
    json_ok "parquet --json" "$T/n.json"
    if [ "$HAVE_NODE" -eq 1 ]; then
        # every file DuckDB reads (it has no Hadoop LZ4 nor BYTE_STREAM_SPLIT of FLBA) but the
        # corrupt ones
        for f in "$PT"/*.parquet; do
            b=$(basename "$f" .parquet)
            # (nor map_no_value's map without values; large_string_map's 1 GiB value runs it
            # out of memory, and is over datavet's limit: above)
            case $b in
            hadoop_lz4_compressed* | non_hadoop_lz4_compressed | byte_stream_split_extended.gzip | \
                datapage_v1-corrupt-checksum | rle-dict-uncompressed-corrupt-checksum | \
                nation.dict-malformed | map_no_value | large_string_map.brotli) continue ;;
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

PQT=$(dirname "$DV")/tests/pq_tool
# the column chunks are decoded side by side (one job a column and row group, up to 4
# threads): null counts, readable flags and the first problem (of the first column, in column
# order, that has one) are what one thread gives, whatever the thread count; checked on 696
# row groups of 13 columns with pages broken in two of them
if [ -x "$PQT" ] && [ -f "$PT/alltypes_tiny_pages_plain.parquet" ] && command -v taskset >/dev/null &&
    "$PQT" copy "$PT/alltypes_tiny_pages_plain.parquet" "$T/rg.parquet" 2>/dev/null; then
    for off in 400000 100000; do
        printf '\377\377\377\377' | dd of="$T/rg.parquet" bs=1 seek=$off conv=notrunc 2>/dev/null
    done
    for j in "" --json; do
        # shellcheck disable=SC2086
        taskset -c 0 "$DV" inspect $j "$T/rg.parquet" >"$T/rg1.out" 2>&1
        r1=$?
        # shellcheck disable=SC2086
        "$DV" inspect $j "$T/rg.parquet" >"$T/rg2.out" 2>&1
        r2=$?
        if [ $r1 -eq 1 ] && [ $r2 -eq 1 ] && cmp -s "$T/rg1.out" "$T/rg2.out" &&
            grep -q "rg.parquet: row group 124, column tinyint_col, offset 99986: page of" \
                "$T/rg2.out"; then
            ok "parquet ${j:-text}: one thread or several, the same nulls and first problem"
        else
            no "parquet ${j:-text}: exit $r1/$r2: $(diff "$T/rg1.out" "$T/rg2.out" | head -c 600)"
        fi
    done
fi

# --head never prints an image's bytes: blobs and strings that start with an image signature,
# base64 text of one (standard or URL-safe, after whitespace, wrapped), data:image URIs and
# base64 data: URIs of an image under another media type (or none) are placeholders, and so
# is text holding one of them inside (a JSON value, an HTML caption); look-alikes ("BM..."
# text, "GIF is...", a path that is "/wo" = FF 0A in base64, base64 of text, in a data: URI
# or inside text too) are printed. In the column datavet scan takes images from ("image", a
# blob column so named) every value is withheld, whatever its bytes ("<blob, N bytes
# withheld>"; until 2026-12-08 one without a signature, a truncated or unknown image, was
# printed as BLOB text); in "raw", the same bytes in a column not so named, only images are.
if [ -x "$PQT" ] && "$PQT" images "$T/img.parquet" 2>"$T/img.err"; then
    for f in jsonl tsv; do
        "$DV" inspect --head 20 --format $f "$T/img.parquet" >"$T/img.$f" 2>&1
        w=$(grep -o 'withheld>' "$T/img.$f" | wc -l)
        leak=$(grep -c -F -e '\xFF\xD8' -e '\x89PNG' -e 'GIF89a' -e 'RIFF' -e 'ftypheic' \
            -e 'II*' -e 'iVBOR' -e '/9j/' -e '\xFF\x0A' -e '_9j_' -e 'UklGR' -e 'R0lGODlh' \
            -e '%2F9j' -e '9j\\/4AAQ' \
            "$T/img.$f")
        if [ "$w" -eq 37 ] && [ "$leak" -eq 0 ] &&
            [ "$(grep -o '<blob, 1 byte withheld>' "$T/img.$f" | wc -l)" -eq 5 ] &&
            grep -q '<blob, 35 bytes withheld>' "$T/img.$f" &&
            grep -q '<blob, 6 bytes withheld>' "$T/img.$f" &&
            [ "$(grep -o '<jpeg image, 13 bytes withheld>' "$T/img.$f" | wc -l)" -eq 2 ] &&
            [ "$(grep -o '<data URI image, [0-9]* bytes withheld>' "$T/img.$f" | wc -l)" -eq 6 ] &&
            grep -q '<base64 jpeg image, 140 bytes withheld>' "$T/img.$f" &&
            grep -q 'note: QmFzZTY0IHRleHQgdGhhdCBpcyBsb25n' "$T/img.$f" &&
            grep -q 'data:text/plain;base64,QmFzZTY0IHRleHQ=' "$T/img.$f" &&
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
            no "--head --format $f: $w withheld (want 37), $leak lines with image bytes: $(head -c 600 "$T/img.$f")"
        fi
    done
else
    no "pq_tool images failed: $(cat "$T/img.err" 2>/dev/null)"
fi
# JPEG 2000 (the JP2 signature box, a bare codestream) is an image too: withheld (until
# 2026-12-07 printed as BLOB text, image bytes and all)
if [ -x "$PQT" ] && printf '\000\000\000\014jP  \r\n\207\n JP2PIXELS' >"$T/x.jp2" &&
    printf '\377O\377Q J2KPIXELS' >"$T/x.j2k" &&
    "$PQT" hfimg "$T/j2.parquet" "$T/x.jp2" "$T/x.j2k" 2>"$T/j2.err"; then
    "$DV" inspect --head 5 "$T/j2.parquet" >"$T/j2.out" 2>&1
    if grep -q '"image.bytes":"<jp2 image, 22 bytes withheld>"' "$T/j2.out" &&
        grep -q '"image.bytes":"<jp2 image, 14 bytes withheld>"' "$T/j2.out" &&
        ! grep -q 'PIXELS' "$T/j2.out"; then
        ok "--head withholds JPEG 2000 images"
    else
        no "--head JPEG 2000: $(head -c 600 "$T/j2.out")"
    fi
else
    no "pq_tool hfimg jp2 failed: $(cat "$T/j2.err" 2>/dev/null)"
fi

# --head of nested columns (lists, maps, lists of lists, of structs, structs around lists, the
# two-level lists of old writers, maps without values), in files pq_gen writes from levels: each
# row as the file's levels say it is (pq_gen.h), written out by hand; and DuckDB's view of them
if [ -x "$PQT" ] && "$PQT" shapes "$T/shapes.parquet" && "$PQT" heads "$T" 2>"$T/heads.err"; then
    cat >"$T/shapes.want" <<'EOF'
{"id":0,"url":"https://example.test/0","a":[1,2,3],"b":["x",null,"yz"],"face_bboxes":[[0.1,0.2,0.3,0.4],[1.0,2.0,3.0,4.0]],"d":{"k1":"v1","k2":null},"e":[{"a":1,"b":"p"},null,{"a":null,"b":"q"}],"flag":[true,false]}
{"id":1,"url":"https://example.test/1","a":[],"b":null,"face_bboxes":[],"d":{},"e":[],"flag":[]}
{"id":2,"url":null,"a":null,"b":[],"face_bboxes":null,"d":null,"e":null,"flag":null}
{"id":3,"url":"https://example.test/3","a":[null],"b":[null],"face_bboxes":[[],null,[5.5]],"d":{"k":"v"},"e":[{"a":null,"b":null}],"flag":[true]}
{"id":4,"url":"https://example.test/4","a":[7],"b":["w"],"face_bboxes":[[1.0,1.0,1.0,1.0]],"d":{"a":"b"},"e":[{"a":4,"b":"r"}],"flag":[]}
{"id":5,"url":"https://example.test/5","a":[8,9],"b":["","long string here"],"face_bboxes":[[null]],"d":{"z":null},"e":[null,null],"flag":[false,true,true]}
EOF
    cat >"$T/deep.want" <<'EOF'
{"r":[1,2],"s.t.l":[{"x":10,"y":["a\"b\\",null]},{"x":11,"y":null}],"m":{"1":[5,6],"2":null,"3":[]},"old":[{"x":7},{"x":8}],"t2":[{"s":"p"}],"bin":["\\x00a\\x5C\\xFF",null]}
{"r":[],"s.t.l":null,"m":null,"old":[],"t2":null,"bin":null}
{"r":[3],"s.t.l":[],"m":{},"old":[{"x":9}],"t2":[],"bin":[]}
{"r":[4],"s.t.l":[{"x":12,"y":[]},{"x":13,"y":["tab\there","nl\n"]}],"m":{"-4":[7]},"old":[{"x":1}],"t2":[{"s":"q"},{"s":"r"}],"bin":[""]}
EOF
    # tsv: the same JSON text a field, quoted as DuckDB's CSV quotes; a null one empty
    cat >"$T/deep.tsv.want" <<'EOF'
r	s.t.l	m	old	t2	bin
[1,2]	"[{""x"":10,""y"":[""a\""b\\"",null]},{""x"":11,""y"":null}]"	"{""1"":[5,6],""2"":null,""3"":[]}"	"[{""x"":7},{""x"":8}]"	"[{""s"":""p""}]"	"[""\\x00a\\x5C\\xFF"",null]"
[]			[]		
[3]	[]	{}	"[{""x"":9}]"	[]	[]
[4]	"[{""x"":12,""y"":[]},{""x"":13,""y"":[""tab\there"",""nl\n""]}]"	"{""-4"":[7]}"	"[{""x"":1}]"	"[{""s"":""q""},{""s"":""r""}]"	"[""""]"
EOF
    # a map without values is its keys' list; images in a list are withheld as flat ones are,
    # and so is every other value of that list (a list of blobs named imgs: datavet scan reads
    # images from it; "plain" was printed until 2026-12-08)
    cat >"$T/odd.want" <<'EOF'
{"keys":[4,5],"imgs":["<jpeg image, 13 bytes withheld>","<blob, 5 bytes withheld>",null,"<data URI image, 34 bytes withheld>"]}
{"keys":[],"imgs":[]}
{"keys":null,"imgs":null}
EOF
    for c in shapes:jsonl deep:jsonl deep.tsv:tsv odd:jsonl; do
        n=${c%%:*} f=${c#*:}
        "$DV" inspect --head 10 --format "$f" "$T/${n%.tsv}.parquet" >"$T/$n.got" 2>&1
        if cmp -s "$T/$n.want" "$T/$n.got"; then ok "--head nested: $n"
        else no "--head nested: $n: $(diff "$T/$n.want" "$T/$n.got" | head -c 800)"; fi
    done
    # a value past 1000 elements or 1 MiB is cut, "..." where it is: v's 5000 ints, ll's three
    # lists of 600 (the count goes through both levels), big's five strings of 300,000 bytes
    "$DV" inspect --head 2 "$T/long.parquet" >"$T/long.got" 2>"$T/long.err"
    rc=$?
    v=$(seq -s, 0 999) l1=$(seq -s, 0 599) l2=$(seq -s, 0 397)
    a=$(head -c 300000 /dev/zero | tr '\0' a)
    printf '{"v":[%s,...],"ll":[[%s],[%s,...]],"big":["%s","%s","%s","%s",...]}\n{"v":[1],"ll":[[1]],"big":["b"]}\n' \
        "$v" "$l1" "$l2" "$a" "$a" "$a" "$a" >"$T/long.want"
    if [ "$rc" -eq 0 ] && cmp -s "$T/long.want" "$T/long.got" &&
        grep -q "^datavet inspect: 3 values cut after 1000 elements (or 1 MiB of text), shown by \.\.\.$" \
            "$T/long.err"; then
        ok "--head cuts long values"
    else
        no "--head cuts long values: exit $rc, $(head -c 300 "$T/long.err"), $(cmp "$T/long.want" "$T/long.got" 2>&1)"
    fi
    # a map whose key and value columns are each valid but disagree (and a list of lists of
    # structs whose two leaves do): an error naming the row and the column, exit 1, and no line
    # of the row
    for b in "fewer:fewer level entries than its sibling columns say" \
        "more:more level entries than its sibling columns say" \
        "def:definition levels disagree with its sibling columns'" \
        "rep:repetition levels disagree with its sibling columns'"; do
        n=${b%%:*} m=${b#*:}
        "$DV" inspect --head 1 "$T/bad-$n.parquet" >"$T/bad.out" 2>"$T/bad.err"
        rc=$?
        if [ "$rc" -eq 1 ] && [ ! -s "$T/bad.out" ] &&
            grep -q "bad-$n.parquet: row group 0, row 0: column .*: $m" "$T/bad.err"; then
            ok "--head levels that disagree: $n"
        else
            no "--head levels that disagree: $n: exit $rc, $(head -c 300 "$T/bad.out") $(cat "$T/bad.err")"
        fi
    done
    if [ "$HAVE_NODE" -eq 1 ]; then
        # DuckDB reads the two-level lists ("array", "<name>_tuple" groups of one field) as lists
        # of that field, where the format's rules (and Arrow, parquet-mr) make them lists of
        # one-field structs: left out of deep's comparison
        for c in shapes: deep:old,t2; do
            n=${c%%:*}
            if out=$(node "$DDB/head_compare.mjs" "$DV" "$T/$n.parquet" 100 "$T" "${c#*:}" 2>&1); then
                ok "--head = DuckDB: $n: $out"
            else
                no "--head = DuckDB: $n: $(printf '%s' "$out" | head -c 800)"
            fi
        done
        if node "$DDB/gen_nested.mjs" "$T/ddb_nested.parquet" &&
            out=$(node "$DDB/head_compare.mjs" "$DV" "$T/ddb_nested.parquet" 100 "$T" 2>&1); then
            ok "--head = DuckDB: lists and maps DuckDB writes: $out"
        else
            no "--head = DuckDB: lists and maps DuckDB writes: $(printf '%s' "$out" | head -c 800)"
        fi
    fi
else
    no "pq_tool shapes/heads failed: $(cat "$T/heads.err" 2>/dev/null)"
fi

echo "inspect: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
