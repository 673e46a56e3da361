// readers_bench_duckdb.mjs - DuckDB's side of bench/readers_bench: on one thread, read the URL
// and TEXT columns of a Parquet file and materialise them (sum of their byte lengths).
// Usage: node readers_bench_duckdb.mjs DUCKDB_DIR FILE.parquet REPEATS
// Prints "rows bytes best_seconds". DUCKDB_DIR holds node_modules/@duckdb/node-api.
import { createRequire } from 'node:module';

const [dir, file, reps] = process.argv.slice(2);
const require = createRequire(dir + '/package.json');
const { DuckDBInstance } = require('@duckdb/node-api');
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads=1');
const f = file.replace(/'/g, "''");
let best = Infinity, rows = 0n, bytes = 0n;
for (let i = 0; i < Number(reps || 3); i++) {
  const t0 = process.hrtime.bigint();
  const r = await con.runAndReadAll(
    `SELECT count(*) AS n, sum(strlen(URL)) + sum(strlen(TEXT)) AS b FROM read_parquet('${f}')`);
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  const row = r.getRowObjects()[0];
  rows = BigInt(row.n);
  bytes = BigInt(row.b);
  if (t < best) best = t;
}
console.log(`${rows} ${bytes} ${best}`);
