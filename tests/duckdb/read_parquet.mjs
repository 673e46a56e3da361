// read_parquet.mjs - prints the rows of a Parquet file as JSON lines, read by DuckDB
// (independent check of what datavet writes; used by tests/cli/parquet_duckdb.sh).
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node read_parquet.mjs FILE.parquet');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const path = file.replace(/'/g, "''");
const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
for (const row of reader.getRowObjectsJson()) console.log(JSON.stringify(row));
