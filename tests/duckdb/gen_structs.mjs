// gen_structs.mjs - a Parquet file of structs, written by DuckDB, for the cleaned-copy check of
// datavet's writer (tests/cli/parquet_duckdb.sh): an image struct {bytes BLOB, path VARCHAR}
// as Hugging Face datasets store images, and structs two deep, with nulls at every level.
// Usage: node gen_structs.mjs OUT.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const out = process.argv[2];
if (!out) {
  console.error('usage: node gen_structs.mjs OUT.parquet');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`COPY (SELECT i AS id,
    CASE WHEN i % 4 = 0 THEN NULL
         ELSE {'bytes': CASE WHEN i % 4 = 1 THEN NULL ELSE ('\\xFF\\xD8\\xFF' || repeat('j', i))::BLOB END,
               'path': 'img' || i || '.jpg'} END AS image,
    CASE WHEN i % 5 = 0 THEN NULL
         ELSE {'a': CASE WHEN i % 5 = 1 THEN NULL
                         ELSE {'x': CASE WHEN i % 5 = 2 THEN NULL ELSE i * 7 END, 'y': 'y' || i} END,
               'z': i / 3.0} END AS meta,
    CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS tail
  FROM range(50) t(i)) TO '${out.replace(/'/g, "''")}' (FORMAT parquet, ROW_GROUP_SIZE 16)`);
