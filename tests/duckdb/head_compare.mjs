// head_compare.mjs - `datavet inspect --head` against DuckDB: the same rows of the same columns
// through DuckDB's COPY ... (FORMAT JSON) and (FORMAT CSV, DELIMITER '\t', HEADER) must be
// byte-identical to datavet's jsonl and tsv output; a nested column (list, map) in tsv is
// DuckDB's to_json of it. Columns whose DuckDB conversion datavet does not reproduce
// (docs/datavet.1.md: TIME, INTERVAL, FLOAT16), and nested ones holding such leaves, are left
// out, and named.
// Usage: node head_compare.mjs DATAVET FILE.parquet N TMPDIR [LEAVE,OUT]: the named columns left
// out too (where datavet and DuckDB differ by design). Prints "ok ..." or the first difference;
// exit 0/1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [dv, file, nstr, tmp, out] = process.argv.slice(2);
const leaveOut = out ? out.split(',') : [];
if (!dv || !file || !nstr || !tmp) {
  console.error('usage: node head_compare.mjs DATAVET FILE.parquet N TMPDIR [LEAVE,OUT]');
  process.exit(2);
}
const n = Number(nstr);
const info = JSON.parse(execFileSync(dv, ['inspect', '--json', file], { encoding: 'utf8' }));
const skip = /^(TIME\(|TIME$|INTERVAL|FLOAT16|GEOMETRY|GEOGRAPHY)/;
// --head's columns (its tsv header): flat leaves, and nested ones (lists, maps: a list's or
// map's dotted name, shown whole as JSON) made of the leaves under that name
const heads = execFileSync(dv, ['inspect', '--head', '0', '--format', 'tsv', file],
  { encoding: 'utf8' }).replace(/\n$/, '').split('\t').filter((h) => h !== '');
const all = heads.map((h) => {
  const leaves = info.columns.filter((c) => c.name === h || c.name.startsWith(h + '.'));
  const flat = leaves.length === 1 && leaves[0].name === h && leaves[0].repetition !== 'REPEATED';
  if (leaveOut.includes(h)) return { name: h, ok: false };
  if (flat) return { ...leaves[0], ok: leaves[0].readable && !skip.test(leaves[0].annotation) };
  const ok = leaves.length > 0 && !leaves.some((c) => skip.test(c.annotation));
  return { name: h, nested: true, ok };
});
const cols = all.filter((c) => c.ok);
const left = all.filter((c) => !c.ok).map((c) => c.name);
if (cols.length === 0) {
  console.log(`ok (no comparable columns; left out: ${left.join(',')})`);
  process.exit(0);
}
const q = (s) => '"' + s.replace(/"/g, '""') + '"';
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
// DuckDB's CSV writer prints a FLOAT with Grisu3 and, where that gives up (about one value
// in a thousand), with more digits than the shortest; datavet always prints the shortest
// digits. So FLOAT columns in tsv are compared as float32 values, everything else byte by byte.
const floats = cols.filter((c) => !c.nested && c.type === 'FLOAT' && !c.annotation);
const exact = cols.filter((c) => !floats.includes(c));
async function lines(kind, list, fmt) {
  const names = list.map((c) => c.name).join(',');
  // a nested column's tsv field is its JSON text, as DuckDB's to_json gives it
  const s = list.map((c) => {
    const e = c.name.split('.').map(q).join('.');
    return (c.nested && fmt === 'tsv' ? `to_json(${e})` : e) + ' AS ' + q(c.name);
  }).join(', ');
  const sub = `(SELECT ${s} FROM read_parquet('${file.replace(/'/g, "''")}') LIMIT ${n})`;
  const opt = fmt === 'jsonl' ? '(FORMAT JSON)' : "(FORMAT CSV, DELIMITER '\t', HEADER)";
  await con.run(`COPY ${sub} TO '${tmp}/ddb.out' ${opt}`);
  const want = readFileSync(`${tmp}/ddb.out`, 'utf8').split('\n');
  const got = execFileSync(dv, ['inspect', '--head', String(n), '--columns', names, '--format', fmt,
    file], { encoding: 'utf8', maxBuffer: 1 << 30 }).split('\n');
  return [want, got];
}
let bad = 0, shortest = 0;
for (const [fmt, list] of [['jsonl', cols], ['tsv', exact], ['tsv', floats]]) {
  if (list.length === 0) continue;
  const [want, got] = await lines(fmt, list, fmt);
  const m = Math.max(want.length, got.length);
  for (let i = 0; i < m; i++) {
    if (want[i] === got[i]) continue;
    if (list === floats && i > 0 && want[i] !== undefined && got[i] !== undefined) {
      const a = want[i].split('\t'), b = got[i].split('\t');
      const f = (x) => (/nan$/.test(x) ? x : String(Math.fround(Number(x))));
      if (a.length === b.length && a.every((x, k) => f(x) === f(b[k]) && x.length >= b[k].length)) {
        shortest++;
        continue;
      }
    }
    console.log(`${fmt} line ${i + 1}:\n  duckdb  ${String(want[i]).slice(0, 400)}\n  datavet ${String(got[i]).slice(0, 400)}`);
    bad = 1;
    break;
  }
}
if (bad) process.exit(1);
console.log(`ok ${Math.min(n, info.rows)} rows, ${cols.length} columns` +
  (shortest ? `, ${shortest} tsv rows with FLOATs DuckDB prints longer` : '') +
  (left.length ? ` (left out: ${left.join(',')})` : ''));
