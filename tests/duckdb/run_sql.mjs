// run_sql.mjs - runs each argument as a DuckDB SQL statement, in order, and prints the rows
// of each as JSON lines: fixtures shaped as datasets ship (tests/cli/inspect.sh, scan.sh).
import { DuckDBInstance } from '@duckdb/node-api';

if (process.argv.length < 3) {
  console.error('usage: node run_sql.mjs SQL...');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
for (const sql of process.argv.slice(2)) {
  const reader = await con.runAndReadAll(sql);
  for (const row of reader.getRowObjectsJson()) console.log(JSON.stringify(row));
}
