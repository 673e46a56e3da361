#!/bin/sh
# parquet_duckdb.sh - DuckDB, an independent reader, must read every Parquet file datavet writes:
# fixtures of every type/codec/nullability, and cleaned copies of parquet-testing files (their
# footer key_value_metadata, ARROW:schema and the like, the same as the original's, and the
# column chunks' own).
# Usage: sh tests/cli/parquet_duckdb.sh PQ_TOOL SHARED. Without node or the npm package: SKIP.

if [ $# -ne 2 ]; then
    echo "usage: sh tests/cli/parquet_duckdb.sh PQ_TOOL SHARED" >&2
    exit 2
fi
TOOL=$1
SHARED=$2
DDB=$(cd "$(dirname "$0")/../duckdb" && pwd)

if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node not found; DuckDB cross-check not run"
    exit 0
fi
if [ ! -d "$DDB/node_modules/@duckdb/node-api" ]; then
    echo "SKIP: @duckdb/node-api not installed (run: cd tests/duckdb && npm ci)"
    exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-pq.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

pass=0
fail=0
check() { # NAME FILE EXPECTED
    if out=$(node "$DDB/compare.mjs" "$2" "$3" 2>&1); then
        pass=$((pass + 1))
        echo "ok - $1: $out"
    else
        fail=$((fail + 1))
        echo "not ok - $1: $(printf '%s' "$out" | head -c 600)"
    fi
}

if ! "$TOOL" write "$T"; then
    echo "not ok - pq_tool write failed"
    exit 1
fi
for f in "$T"/*.parquet; do
    check "$(basename "$f")" "$f" "${f%.parquet}.jsonl"
done

kv_sql() { # FILE: its footer key_value_metadata as DuckDB reads it, in order
    echo "SELECT key, value FROM parquet_kv_metadata('$1')"
}
kv_check() { # NAME ORIGINAL COPY: the copy's key_value_metadata is the original's, as DuckDB sees it
    if ! a=$(node "$DDB/run_sql.mjs" "$(kv_sql "$2")" 2>&1) ||
        ! b=$(node "$DDB/run_sql.mjs" "$(kv_sql "$3")" 2>&1); then
        fail=$((fail + 1))
        echo "not ok - $1: key_value_metadata: DuckDB failed: $(printf '%s %s' "$a" "$b" | head -c 400)"
    elif [ "$a" != "$b" ]; then
        fail=$((fail + 1))
        echo "not ok - $1: key_value_metadata differs: $(printf '%s' "$a" | head -c 200) / $(printf '%s' "$b" | head -c 200)"
    elif [ -n "$a" ]; then
        pass=$((pass + 1))
        echo "ok - $1: key_value_metadata kept ($(printf '%s\n' "$a" | wc -l) entries)"
    fi
}

copy_check() { # NAME ORIGINAL: pq_tool copy, then DuckDB compares copy and original
    if "$TOOL" copy "$2" "$T/copy-$(basename "$2")"; then
        check "$1" "$T/copy-$(basename "$2")" "$2"
        kv_check "$1" "$2" "$T/copy-$(basename "$2")"
    else
        fail=$((fail + 1))
        echo "not ok - $1: pq_tool copy failed"
    fi
}

raw_check() { # NAME ORIGINAL: pq_tool copy-raw (the first row group cleaned, the others copied
    # as bytes: pages, codec, dictionaries, data page v2 as they were; page index and bloom
    # filter left out), then DuckDB compares copy and original
    c="$T/raw-$(basename "$2")"
    if n=$("$TOOL" copy-raw "$2" "$c") && out=$(node "$DDB/compare.mjs" "$c" "$2" "$n" 2>&1); then
        pass=$((pass + 1))
        echo "ok - $1: $out"
    else
        fail=$((fail + 1))
        echo "not ok - $1: $(printf '%s' "$out" | head -c 600)"
    fi
}

PT=$SHARED/parquet-testing
if [ -d "$PT" ]; then
    # row groups copied as bytes: several row groups, page indexes (alltypes_tiny_pages,
    # data_index_bloom_encoding_stats with a bloom filter), the dictionary page at
    # data_page_offset (dict-page-offset-zero), v2 pages, lists and maps, other codecs
    for b in alltypes_tiny_pages data_index_bloom_encoding_stats dict-page-offset-zero \
        datapage_v2.snappy nested_lists.snappy nested_maps.snappy nullable.impala \
        byte_stream_split.zstd lz4_raw_compressed_larger delta_binary_packed alltypes_plain \
        int32_with_null_pages overflow_i16_page_cnt; do
        [ -f "$PT/$b.parquet" ] && raw_check "raw copy of $b" "$PT/$b.parquet"
    done
    # flat files DuckDB can read too (it has no Hadoop LZ4), rewritten with rows removed
    for b in alltypes_plain alltypes_dictionary alltypes_plain.snappy int32_decimal \
        int64_decimal fixed_length_decimal fixed_length_decimal_legacy byte_array_decimal \
        int96_from_spark delta_byte_array delta_length_byte_array delta_binary_packed \
        byte_stream_split.zstd binary float16_nonzeros_and_nans nan_in_stats \
        rle_boolean_encoding dict-page-offset-zero int32_with_null_pages lz4_raw_compressed; do
        copy_check "copy of $b" "$PT/$b.parquet"
    done
    # structs: required ones (parquet-testing), and optional ones with nulls at every level
    # (DuckDB writes them) copied with their groups and definition levels
    copy_check "copy of nested_structs.rust" "$PT/nested_structs.rust.parquet"
    # lists, maps, lists of lists, repeated fields without annotations (map_no_value and
    # large_string_map are left out: DuckDB cannot read the first, the second's 1 GiB page is
    # over datavet's limit)
    for b in nested_lists.snappy nested_maps.snappy list_columns null_list repeated_no_annotation \
        repeated_primitive_no_list old_list_structure incorrect_map_schema nonnullable.impala \
        nullable.impala datapage_v2.snappy; do
        copy_check "copy of $b" "$PT/$b.parquet"
    done
    # pq_tool copy writes row groups of 7 rows: copied again with raw_groups, the first is
    # cleaned and the others are bytes, after it in the file (their offsets moved)
    for b in nested_lists.snappy nested_maps.snappy datapage_v2.snappy nullable.impala; do
        raw_check "raw copy of the 7-row-group copy of $b" "$T/copy-$b.parquet"
    done
    for b in alltypes_dictionary dict-page-offset-zero delta_byte_array binary; do
        raw_check "raw copy of the 7-row-group copy of $b" "$T/copy-$b.parquet"
    done
else
    echo "SKIP: $PT not found; cleaned-copy checks not run"
fi
if node "$DDB/gen_structs.mjs" "$T/structs.parquet"; then
    copy_check "copy of DuckDB's structs (image {bytes, path}, nulls at every level)" \
        "$T/structs.parquet"
else
    fail=$((fail + 1))
    echo "not ok - DuckDB could not write the structs file"
fi
# lists with nulls and empty lists, DataComp's face_bboxes (list<list<double>>), a map, a list
# of structs, written from levels by pq_gen; and the same shapes as DuckDB writes them
if "$TOOL" shapes "$T/shapes.parquet"; then
    copy_check "copy of pq_gen's lists, maps and lists of lists" "$T/shapes.parquet"
else
    fail=$((fail + 1))
    echo "not ok - pq_tool shapes failed"
fi
# the same with a footer key_value_metadata (an empty value, none, a repeated key)
if "$TOOL" shapes-kv "$T/shapes-kv.parquet"; then
    copy_check "copy of pq_gen's shapes with key_value_metadata" "$T/shapes-kv.parquet"
    if [ "$(node "$DDB/run_sql.mjs" "SELECT count(*) AS n FROM parquet_kv_metadata('$T/copy-shapes-kv.parquet')")" = '{"n":"6"}' ]; then
        pass=$((pass + 1))
        echo "ok - copy of pq_gen's shapes with key_value_metadata: 6 entries"
    else
        fail=$((fail + 1))
        echo "not ok - copy of pq_gen's shapes with key_value_metadata: not 6 entries"
    fi
else
    fail=$((fail + 1))
    echo "not ok - pq_tool shapes-kv failed"
fi
# column chunks' own key_value_metadata (ColumnMetaData's), as DuckDB reads it (parquet_metadata;
# a MAP there, so no repeated key, and an entry without a value shows as ""): parquet-testing's
# file (no rows: the copy's one row group has the source's), and pq_gen's three row groups, of
# which the copy (pq_tool copy: rows 1 and 4 removed) holds row groups 0 and 1 (the same
# entries) in its first and 2 (others) in its second
ckv_sql() { # FILE [CASE] [WHERE]: each chunk's entries, by row group (renumbered by CASE) and column
    echo "SELECT (${2:-row_group_id})::BIGINT AS g, column_id AS c, key_value_metadata AS kv
          FROM parquet_metadata('$1') $3 ORDER BY 1, 2"
}
ckv_check() { # NAME ORIGINAL COPY [CASE] [WHERE]
    if ! a=$(node "$DDB/run_sql.mjs" "$(ckv_sql "$2" "$4" "$5")" 2>&1) ||
        ! b=$(node "$DDB/run_sql.mjs" "$(ckv_sql "$3")" 2>&1); then
        fail=$((fail + 1))
        echo "not ok - $1: chunk key_value_metadata: DuckDB failed: $(printf '%s %s' "$a" "$b" | head -c 400)"
    elif [ "$a" != "$b" ] || ! printf '%s' "$a" | grep -q '"key"'; then
        fail=$((fail + 1))
        echo "not ok - $1: chunk key_value_metadata differs: $(printf '%s' "$a" | head -c 300) / $(printf '%s' "$b" | head -c 300)"
    else
        pass=$((pass + 1))
        echo "ok - $1: column chunks' key_value_metadata kept ($(printf '%s\n' "$a" | grep -o '"key"' | wc -l) entries)"
    fi
}
if [ -d "$PT" ]; then
    copy_check "copy of column_chunk_key_value_metadata" "$PT/column_chunk_key_value_metadata.parquet"
    ckv_check "copy of column_chunk_key_value_metadata" "$PT/column_chunk_key_value_metadata.parquet" \
        "$T/copy-column_chunk_key_value_metadata.parquet"
fi
if "$TOOL" chunk-kv "$T/chunk-kv.parquet"; then
    copy_check "copy of pq_gen's row groups with column chunk key_value_metadata" "$T/chunk-kv.parquet"
    ckv_check "copy of pq_gen's row groups with column chunk key_value_metadata" "$T/chunk-kv.parquet" \
        "$T/copy-chunk-kv.parquet" "CASE row_group_id WHEN 2 THEN 1 ELSE 0 END" \
        "WHERE row_group_id <> 1"
else
    fail=$((fail + 1))
    echo "not ok - pq_tool chunk-kv failed"
fi
if node "$DDB/gen_nested.mjs" "$T/nested.parquet"; then
    copy_check "copy of DuckDB's lists, maps, lists of lists and lists of structs" \
        "$T/nested.parquet"
else
    fail=$((fail + 1))
    echo "not ok - DuckDB could not write the nested file"
fi
echo "parquet_duckdb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
