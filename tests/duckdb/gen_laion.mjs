// gen_laion.mjs - LAION-like Parquet files written by DuckDB for the `datavet inspect --head`
// cross-check: URL/TEXT strings with quotes, tabs, newlines, '#', non-ASCII and empty values,
// doubles and floats over every magnitude (with NaN, infinities, -0), ints, booleans, dates,
// timestamps of every unit, decimals, blobs of every byte, UUIDs, nulls; several codecs.
// Usage: node gen_laion.mjs OUTDIR [ROWS]
import { DuckDBInstance } from '@duckdb/node-api';

const [out, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg || 3000);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SELECT setseed(0.42)');
await con.run(`CREATE TABLE t AS SELECT
  i AS key,
  CASE WHEN i % 17 = 3 THEN NULL ELSE 'https://img' || (i % 97) || '.example.com/' ||
    md5(i::VARCHAR) || '/' || repeat('p', (i * 7) % 60) || '.jpg' END AS URL,
  CASE WHEN i % 13 = 5 THEN NULL WHEN i % 29 = 1 THEN ''
       ELSE (['a "quoted" caption', 'tab\there', 'line\nbreak', '# hash first', 'naïve café 日本',
              'comma, and ''single''', 'back\\slash'])[1 + i % 7] || ' ' || repeat('w', i % 150) END
    AS TEXT,
  (i % 1000 + 1)::INTEGER AS WIDTH,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37 % 2000)::BIGINT END AS HEIGHT,
  random() AS similarity,
  (random() * 10 ^ ((i % 60) - 30))::DOUBLE AS spread,
  CASE i % 9 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
       WHEN 3 THEN -0.0::DOUBLE WHEN 4 THEN 1e21 WHEN 5 THEN 1e-7 WHEN 6 THEN 1e16
       WHEN 7 THEN 0.000001 ELSE 123456789.0 END AS edges,
  random()::FLOAT AS punsafe,
  (random() * 10 ^ ((i % 30) - 15))::FLOAT AS pwatermark,
  (i % 3 = 0) AS flag,
  md5(i::VARCHAR) AS md5,
  unhex(md5((i * 3)::VARCHAR)) AS raw_hash,
  DATE '1969-12-25' + (i * 13)::INTEGER AS d,
  TIMESTAMP '1960-01-01 00:00:00' + to_microseconds(i * 987654321) AS ts,
  (TIMESTAMP '2020-02-29 12:00:00' + to_microseconds(i * 1234567))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2001-01-01' + to_microseconds(i * 111))::TIMESTAMP_NS AS ts_ns,
  TIMESTAMPTZ '2010-06-01 00:00:00+00' + to_microseconds(i * 3000001) AS ts_tz,
  (i * 1.01)::DECIMAL(9,2) AS dec9,
  (i * -123456.789)::DECIMAL(18,3) AS dec18,
  (i * 98765432109.5)::DECIMAL(30,4) AS dec30,
  uuid() AS u,
  CASE WHEN i % 5 = 0 THEN NULL ELSE unhex(lpad(to_hex(i % 256), 2, '0')) || '\\x00\\x5C\\x27\\x22'::BLOB END AS blob_small,
  (i % 256 - 128)::TINYINT AS tiny,
  (i * 40000)::UINTEGER AS u32,
  (i * 9000000000000)::UBIGINT AS u64
FROM range(${rows}) r(i)`);
const base = out.replace(/'/g, "''");
await con.run(`COPY t TO '${base}/laion-snappy.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 1000)`);
await con.run(`COPY t TO '${base}/laion-zstd-v2.parquet' (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 700, PARQUET_VERSION V2)`);
await con.run(`COPY t TO '${base}/laion-gzip.parquet' (FORMAT PARQUET, COMPRESSION GZIP, ROW_GROUP_SIZE 100)`);
await con.run(`COPY (SELECT key, URL, TEXT, struct_pack(w := WIDTH, h := HEIGHT, s := struct_pack(p := punsafe, t := TEXT)) AS meta,
  CASE WHEN key % 4 = 0 THEN NULL ELSE struct_pack(a := similarity) END AS opt FROM t)
  TO '${base}/laion-struct.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 1000)`);
