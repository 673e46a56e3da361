// gen_hf.mjs - rewrites a Parquet file with a flat binary "image" column the way Hugging Face
// datasets store images: a struct image {bytes: BLOB, path: VARCHAR}, written by DuckDB, so
// that `datavet scan` is checked on the "image.bytes" leaf of a file it did not write.
// With "list", the images go into a list of such structs, as interleaved image-text datasets
// hold them: [NULL, image, the previous row's image] (a null element, then two different
// images; the first row's second is NULL); "listurl" adds a url column
// (https://example.test/<id>); with "listlist",
// into a list of lists, which datavet does not read and must say so.
// Usage: node gen_hf.mjs IN.parquet OUT.parquet [list|listurl|listlist]
import { DuckDBInstance } from '@duckdb/node-api';

const [src, out, mode] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node gen_hf.mjs IN.parquet OUT.parquet [list|listurl|listlist]');
  process.exit(2);
}
const q = (s) => s.replace(/'/g, "''");
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const img = `CASE WHEN image IS NULL THEN NULL ELSE {'bytes': image, 'path': id || '.jpg'} END`;
const prev = `CASE WHEN lag(image) OVER (ORDER BY id) IS NULL THEN NULL
  ELSE {'bytes': lag(image) OVER (ORDER BY id), 'path': 'prev.jpg'} END`;
const col = mode === 'list' ? `[NULL, ${img}, ${prev}] AS images`
  : mode === 'listurl' ? `[NULL, ${img}, ${prev}] AS images, 'https://example.test/' || id AS url`
  : mode === 'listlist' ? `[[${img}]] AS images` : `${img} AS image`;
await con.run(`COPY (SELECT id, ${col},
    caption FROM read_parquet('${q(src)}'))
  TO '${q(out)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 7)`);
