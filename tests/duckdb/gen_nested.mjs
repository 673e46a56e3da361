// gen_nested.mjs - a Parquet file of lists and maps, written by DuckDB, for the cleaned-copy
// check of datavet's writer (tests/cli/parquet_duckdb.sh): list<int>, list<varchar> with null
// and empty lists and null elements, list<list<double>> as DataComp's face_bboxes, a
// map<varchar, varchar>, a list of structs, nulls at every level, several row groups.
// Usage: node gen_nested.mjs OUT.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const out = process.argv[2];
if (!out) {
  console.error('usage: node gen_nested.mjs OUT.parquet');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`COPY (SELECT i AS id,
    CASE WHEN i % 7 = 0 THEN NULL ELSE list_transform(range(i % 4), x -> x * i) END AS ints,
    CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN []
         ELSE ['t' || i, NULL, repeat('s', i % 9)] END AS tags,
    CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN []
         WHEN i % 6 = 2 THEN [[], NULL, [i / 2.0]]
         ELSE [[i * 1.5, 2.0, 30.25, 40.0], [NULL, 0.5, 0.5, 0.5]] END AS face_bboxes,
    CASE WHEN i % 4 = 0 THEN NULL
         ELSE MAP(['k' || i, 'j' || i], ['v' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'w' END]) END AS meta,
    CASE WHEN i % 8 = 0 THEN NULL
         ELSE [{'a': i, 'b': 'b' || i}, NULL, {'a': NULL, 'b': NULL}] END AS items
  FROM range(40) t(i)) TO '${out.replace(/'/g, "''")}' (FORMAT parquet, ROW_GROUP_SIZE 16)`);
