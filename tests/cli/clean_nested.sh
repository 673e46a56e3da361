#!/bin/sh
# clean_nested.sh - `datavet scan --clean` on a parquet dataset with list, map and list-of-lists
# columns (DataComp's face_bboxes shape, pq_tool shapes): the rows whose URL is listed are gone
# from the copy, every other row is there with every column, level for level; DuckDB reads it.
# Usage: sh tests/cli/clean_nested.sh BIN PQ_TOOL [DUCKDB_DIR]

PQT=$2
DUCK=${3:-}
TEST=clean_nested
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
[ -x "$PQT" ] || { echo "SKIP: $PQT not built"; finish; }

mkdir ds && "$PQT" shapes ds/part-00000.parquet || { bad "pq_tool shapes"; finish; }
printf 'https://example.test/1\nhttps://example.test/4\n' >urls.txt
"$BIN" list build -q -t url -o url.dvl urls.txt
"$BIN" scan -q ds -l url.dvl -o out --clean clean --decoys 1 >o 2>e
check "scan --clean of lists and maps: exit 1 (findings), no refusal" sh -c "
test $? -eq 1 && ! grep -q 'list or map' e && [ -f clean/part-00000.parquet ]" || cat e
"$PQT" rows ds/part-00000.parquet >orig.txt
"$PQT" rows clean/part-00000.parquet >copy.txt
check "the copy holds rows 0, 2, 3, 5 of the original, every column level for level" sh -c "
sed -n '1p;3p;4p;6p' orig.txt | cmp - copy.txt"
check "face_bboxes (list<list<double>>) of the kept rows by hand" sh -c "
grep -c 'face_bboxes.list.element.list.element=\[0/5:0.10000000000000001,2/5:0.20000000000000001,2/5:0.29999999999999999,2/5:0.40000000000000002,1/5:1,2/5:2,2/5:3,2/5:4\]' copy.txt | grep -qx 1 &&
grep -q 'face_bboxes.list.element.list.element=\[0/3,1/2,1/5:5.5\]' copy.txt &&
grep -q 'face_bboxes.list.element.list.element=\[0/4\] d.key_value.key=\[0/2:\"z\"\]' copy.txt &&
! grep -q 'example.test/[14]' copy.txt"
check "the copy is 0600 and in clean.sha256" sh -c "
[ \"\$(stat -c %a clean/part-00000.parquet)\" = 600 ] &&
(cd clean && sha256sum -c --quiet '$T/out/clean.sha256')"
if [ -n "$DUCK" ] && command -v node >/dev/null 2>&1 && [ -d "$DUCK/node_modules/@duckdb/node-api" ]; then
    # compare.mjs compares a copy with its original less the rows i % 3 == 1: rows 1 and 4 here
    check "DuckDB reads the cleaned copy: the original's rows but 1 and 4" sh -c "
cd '$DUCK' && node compare.mjs '$T/clean/part-00000.parquet' '$T/ds/part-00000.parquet'"
else
    echo "SKIP: DuckDB (tests/duckdb) not installed; the copy is not read by DuckDB"
fi
finish
