// compare.mjs - reads a Parquet file with DuckDB and compares every row with the expected
// JSON lines datavet's pq_tool wrote next to it. Prints "ok" or the first difference; exit 0/1.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

// FIRST_ROWS (with ORIGINAL.parquet): only rows below it had index % 3 == 1 removed (pq_tool
// copy-raw: the first row group cleaned, the others copied whole)
const [file, expectedFile, firstRows] = process.argv.slice(2);
if (!file || !expectedFile) {
  console.error('usage: node compare.mjs FILE.parquet EXPECTED.jsonl|ORIGINAL.parquet [FIRST_ROWS]');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const sql = (f) => `SELECT * FROM read_parquet('${f.replace(/'/g, "''")}')`;

if (expectedFile.endsWith('.parquet')) {
  // a cleaned copy (pq_tool copy): the original's rows but those with index % 3 == 1
  const orig = (await con.runAndReadAll(sql(expectedFile))).getRowObjectsJson()
    .filter((_, i) => i % 3 !== 1 || (firstRows !== undefined && i >= Number(firstRows)))
    .map((r) => JSON.stringify(r));
  const copy = (await con.runAndReadAll(sql(file))).getRowObjectsJson().map((r) => JSON.stringify(r));
  if (orig.length !== copy.length) {
    console.log(`row count: copy ${copy.length}, expected ${orig.length}`);
    process.exit(1);
  }
  for (let i = 0; i < orig.length; i++) {
    if (orig[i] !== copy[i]) {
      console.log(`row ${i}: copy ${copy[i]}, expected ${orig[i]}`);
      process.exit(1);
    }
  }
  console.log(`ok ${copy.length} rows`);
  process.exit(0);
}
const expected = readFileSync(expectedFile, 'utf8').split('\n').filter((l) => l.length > 0)
  .map((l) => JSON.parse(l));
const reader = await con.runAndReadAll(sql(file));
const rows = reader.getRowObjects();

// DuckDB values as the strings/numbers pq_tool writes
function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v.bytes instanceof Uint8Array) {
    return 'hex:' + Buffer.from(v.bytes).toString('hex');
  }
  return v;
}
function same(want, got) {
  if (want === null || got === null) return want === got;
  if (typeof want === 'number' && typeof got === 'number') {
    return want === got || Math.fround(want) === got;
  }
  return want === got;
}

if (rows.length !== expected.length) {
  console.log(`row count: DuckDB ${rows.length}, expected ${expected.length}`);
  process.exit(1);
}
for (let i = 0; i < rows.length; i++) {
  const want = expected[i];
  const keys = Object.keys(want);
  if (Object.keys(rows[i]).length !== keys.length) {
    console.log(`row ${i}: DuckDB has columns ${Object.keys(rows[i])}`);
    process.exit(1);
  }
  for (const k of keys) {
    const got = norm(rows[i][k]);
    if (!same(want[k], got)) {
      console.log(`row ${i} column ${k}: DuckDB ${JSON.stringify(got)}, expected ${JSON.stringify(want[k])}`);
      process.exit(1);
    }
  }
}
console.log(`ok ${rows.length} rows`);
