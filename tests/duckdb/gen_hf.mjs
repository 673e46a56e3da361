// gen_hf.mjs - rewrites a Parquet file with a flat binary "image" column the way Hugging Face
// datasets store images: a struct image {bytes: BLOB, path: VARCHAR}, written by DuckDB, so
// that `datavet scan` is checked on the "image.bytes" leaf of a file it did not write.
// Usage: node gen_hf.mjs IN.parquet OUT.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node gen_hf.mjs IN.parquet OUT.parquet');
  process.exit(2);
}
const q = (s) => s.replace(/'/g, "''");
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`COPY (SELECT id,
    CASE WHEN image IS NULL THEN NULL ELSE {'bytes': image, 'path': id || '.jpg'} END AS image,
    caption FROM read_parquet('${q(src)}'))
  TO '${q(out)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 7)`);
