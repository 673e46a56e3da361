#!/bin/sh
# export.sh - CLI tests for `datavet export`: a matches.parquet written by mkmatches with the
# scan's schema and a hand-made scan.json; CSV quoting, JSON validity, grouping per item,
# candidates, file mode, file_viewed_by_reporter, hostile URLs, errors.
# Usage: sh tests/cli/export.sh BIN MKMATCHES

[ $# -ge 2 ] || { echo "usage: sh tests/cli/export.sh BIN MKMATCHES" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
case $2 in /*) MK=$2 ;; *) MK=$(pwd)/$2 ;; esac
LC_ALL=C
export LC_ALL
SOURCE_DATE_EPOCH=1796292000 # 2026-12-03T10:00:00Z
export SOURCE_DATE_EPOCH
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-export.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s why ] && sed 's/^/#   /' why; }
check() { name=$1; shift; : >why; if "$@" >>why 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "export: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
have_py() { [ -x "$PY" ]; }

D1=1111111111111111111111111111111111111111111111111111111111111111
D2=2222222222222222222222222222222222222222222222222222222222222222
D3=3333333333333333333333333333333333333333333333333333333333333333
TAB=$(printf '\t')
# id shard shard_index row url hash_type source value list list_version list_digest entry_id
# label distance dihedral score tier seed emb_file emb_row  (out of order on purpose: item a's
# sha256 hit comes last, so grouping needs the sort)
tr '|' "$TAB" >f.tsv <<EOF
a|part-0.parquet|0|3|http://a.example/x,y"z|md5|metadata|0123456789abcdef0123456789abcdef|known-md5|1|$D1|e1|lab,el|0|\\N|\\N|match|\\N|\\N|\\N
a|part-0.parquet|0|3|http://a.example/x,y"z|pdq|image|f00df00d|known-pdq|7|$D2|e2|two\\nlines|5|flipx|\\N|match|\\N|\\N|\\N
b|part-1.parquet|1|0|https://b.example/b.jpg|url|url|https://b.example/b.jpg|urls;x%|2|$D3|u9|\\N|0|\\N|\\N|match|\\N|\\N|\\N
c|part-1.parquet|1|7|https://c.example/c.jpg|punsafe|flag|0.991|\\N|\\N|\\N|\\N|\\N|\\N|\\N|0.99123456789|candidate|\\N|\\N|\\N
d|part-0.parquet|0|1|https://d.example/d.jpg|neighbors|neighbors|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|0.875|candidate|a|img_emb/img_emb_0.npy|1
e|part-2.parquet|2|5|http://e.example/<script>\\xff sp\\x01ace\\xe2\\x80\\xaegpj.\\xc2\\x85|md5|image|fedcba9876543210fedcba9876543210|known-md5|1|$D1|e3|caf\\xc3\\xa9 \\xfe|0|\\N|\\N|match|\\N|\\N|\\N
a|part-0.parquet|0|3|http://a.example/x,y"z|sha256|metadata|$D3|known-sha|3|$D3|e4|\\N|0|\\N|\\N|match|\\N|\\N|\\N
EOF
mkdir -p out out2 empty noscan badpq nopq
"$MK" out/matches.parquet <f.tsv || { bad "mkmatches"; finish; }
"$MK" out2/matches.parquet 2 <f.tsv || { bad "mkmatches (row groups of 2)"; finish; }
printf '{"params":{"dataset":"wrong","x":[1,{"started":"no"}]},"dataset":"/data/la\\"ion\\u00e9",\n "started":"2026-12-03T09:00:00Z","datavet_version":"0.1.0","shards":[]}\n' >out/scan.json
cp out/scan.json out2/scan.json
cp out/scan.json empty/scan.json
: | "$MK" empty/matches.parquet || { bad "mkmatches (empty)"; finish; }
cp out/matches.parquet noscan/
cp out/scan.json badpq/
cp out/scan.json nopq/
printf 'PAR1 this is not a parquet file PAR1' >badpq/matches.parquet

# CSV parsed back with python's csv module: rows as dicts.
pycsv() { "$PY" -c 'import csv, sys, json
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
print(json.dumps(rows))' "$1"; }

t_csv_default() {
    "$BIN" export -q --format csv -o x.csv out || return 1
    # 4 records, one with a quoted newline inside a field: 5 LFs, 4 CRLFs
    [ "$(wc -l <x.csv)" -eq 5 ] || { cat x.csv; return 1; }
    head -1 x.csv | grep -q "^report_tier,needs_verification,incident_url,md5,sha1,sha256,pdq," || return 1
    # CRLF on every line, RFC 4180 quoting of the comma/quote URL and the newline label
    [ "$(tr -cd '\r' <x.csv | wc -c)" -eq 4 ] || return 1
    grep -q '"http://a.example/x,y""z"' x.csv || return 1
    grep -q '"lab,el;two' x.csv || return 1
}
check "csv: header + one row per matched item, CRLF, RFC 4180 quoting" t_csv_default

t_csv_parse() {
    have_py || { echo "SKIP: no $PY"; return 0; }
    pycsv x.csv >rows.json || return 1
    "$PY" - rows.json <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["item_id"] for r in rows] == ["a", "b", "e"], rows
a = rows[0]
assert a["incident_url"] == 'http://a.example/x,y"z', a
# its only PDQ finding is of the flipx variant: f00df00d is not the item's own PDQ
assert a["md5"] == "0123456789abcdef0123456789abcdef" and a["pdq"] == "", a["pdq"]
assert a["sha256"] == "3" * 64 and a["sha1"] == ""
assert a["match_types"] == "md5;pdq;sha256", a["match_types"]
assert a["sources"] == "metadata;image;metadata"
assert a["lists"] == "known-md5;known-pdq;known-sha"
assert a["list_versions"] == "1;7;3"
assert a["list_digests"] == ";".join(["1" * 64, "2" * 64, "3" * 64])
assert a["entry_labels"] == "lab,el;two\nlines;", repr(a["entry_labels"])
assert a["distances"] == "0;5;0"
assert a["finding_tiers"] == "match;match;match"
assert a["report_tier"] == "match" and a["needs_verification"] == "false"
assert a["dataset"] == "/data/la\"ion\u00e9", a["dataset"]
assert a["shard"] == "part-0.parquet" and a["shard_index"] == "0" and a["row"] == "3"
assert a["scan_started"] == "2026-12-03T09:00:00Z"
assert a["exported_at"] == "2026-12-03T10:00:00Z", a["exported_at"]
assert a["datavet_version"] == "0.1.0"
assert rows[1]["lists"] == "urls%3Bx%25", rows[1]["lists"]
e = rows[2]
assert e["incident_url"] == "http://e.example/<script>%FF%20sp%01ace%E2%80%AEgpj.%C2%85", e["incident_url"]
assert e["entry_labels"] == "caf\u00e9 \ufffd", repr(e["entry_labels"])
assert all(r["file_viewed_by_reporter"] == "false" for r in rows)
EOF
}
check "csv: fields parse back (grouping, hashes, lists, timestamps, hostile URL)" t_csv_parse

t_mode() {
    [ "$(stat -c %a x.csv)" = 600 ] || { stat -c %a x.csv; return 1; }
    : >pre.csv
    chmod 644 pre.csv
    "$BIN" export -q -f csv -o pre.csv out || return 1
    [ "$(stat -c %a pre.csv)" = 600 ] && cmp -s pre.csv x.csv
}
check "output file mode 0600 (also when it existed as 0644)" t_mode

t_replace() {
    # an existing file is replaced whole (a new file renamed over it), nothing left beside;
    # a link is refused and left alone; a device is written in place
    echo old >rep.csv
    ln -s rep.csv link.csv
    before=$(stat -c %i rep.csv)
    "$BIN" export -q -f csv -o rep.csv out || return 1
    cmp -s rep.csv x.csv && [ "$(stat -c %i rep.csv)" != "$before" ] || return 1
    ! ls rep.csv.tmp.* >/dev/null 2>&1 || { ls rep.csv.tmp.*; return 1; }
    ! "$BIN" export -q -f csv -o link.csv out 2>err || return 1
    grep -q 'link.csv: Too many levels of symbolic links' err && [ -L link.csv ] || return 1
    rm -f fifo.csv && mkfifo fifo.csv || return 1
    cat fifo.csv >dev.csv &
    "$BIN" export -q -f csv -o fifo.csv out && wait && cmp -s dev.csv x.csv && [ -p fifo.csv ]
}
check "-o: a file is replaced whole, a link refused, a FIFO written in place" t_replace

t_incomplete() {
    # a scan that could not read all of its shards: what was read is exported, and a warning
    # (also with -q) says that items may be missing; a complete scan's summary says nothing
    mkdir -p inc
    cp out/matches.parquet out/scan.json inc/
    printf '{\n  "counts": {\n    "items": 80,\n    "per_list": {"read_errors": 9},\n    "read_errors": 2\n  }\n}\n' >inc/summary.json
    "$BIN" export -q -f csv -o inc.csv inc 2>err || return 1
    cmp -s inc.csv x.csv || return 1
    grep -q "warning: the scan is INCOMPLETE: 2 read errors (inc/summary.json" err || { cat err; return 1; }
    printf '{"counts": {"read_errors": 0, "items": 1}}\n' >inc/summary.json
    "$BIN" export -q -f csv -o inc.csv inc 2>err && [ ! -s err ]
}
check "incomplete scan (summary.json read_errors): exported with a warning" t_incomplete

t_json() {
    have_py || { echo "SKIP: no $PY"; return 0; }
    "$BIN" export -q --format json out >x.json || return 1
    "$PY" - x.json <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(rows, list) and [r["item_id"] for r in rows] == ["a", "b", "e"], rows
a = rows[0]
assert a["match_types"] == ["md5", "pdq", "sha256"]
assert [f["list"] for f in a["findings"]] == ["known-md5", "known-pdq", "known-sha"]
assert a["findings"][1]["distance"] == 5 and a["findings"][1]["dihedral"] == "flipx"
assert a["findings"][1]["entry_label"] == "two\nlines"
assert a["findings"][0]["list_digest"] == "1" * 64 and a["findings"][0]["list_version"] == "1"
assert a["sha1"] is None and a["md5"] == "0123456789abcdef0123456789abcdef"
assert a["pdq"] is None and a["findings"][1]["value"] == "f00df00d"
assert a["dataset"] == '/data/la"ion\u00e9' and a["shard_index"] == 0 and a["row"] == 3
for r in rows:
    assert r["file_viewed_by_reporter"] is False
    assert r["report_tier"] == "match" and r["needs_verification"] is False
assert rows[2]["incident_url"] == "http://e.example/<script>%FF%20sp%01ace%E2%80%AEgpj.%C2%85"
EOF
}
check "json: valid array, one object per item, findings listed" t_json

t_jsonl() {
    have_py || { echo "SKIP: no $PY"; return 0; }
    "$BIN" export -q --format jsonl --include-candidates out >x.jsonl || return 1
    [ "$(wc -l <x.jsonl)" -eq 5 ] || return 1
    "$PY" - x.jsonl <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [r["item_id"] for r in rows] == ["d", "a", "b", "c", "e"], rows
tiers = {r["item_id"]: (r["report_tier"], r["needs_verification"]) for r in rows}
assert tiers["c"] == ("candidate", True) and tiers["d"] == ("candidate", True), tiers
assert tiers["a"] == ("match", False)
assert rows[0]["findings"][0]["seed"] == "a" and rows[0]["findings"][0]["score"] == 0.875
assert rows[3]["findings"][0]["tier"] == "candidate"
assert rows[3]["findings"][0]["score"] == 0.99123456789, rows[3]  # every digit kept
assert all(r["file_viewed_by_reporter"] is False for r in rows)
EOF
}
check "jsonl --include-candidates: candidates marked, every line valid JSON" t_jsonl

t_dihedral_pdq() {
    # the pdq field is the item's own hash: from its first PDQ finding of the original image,
    # never from a finding of a turned or flipped variant (whose value hashes that variant)
    have_py || { echo "SKIP: no $PY"; return 0; }
    mkdir -p dih
    cp out/scan.json dih/
    tr '|' "$TAB" <<EOF | "$MK" dih/matches.parquet || return 1
f|s|0|0|http://f.example/f.jpg|pdq|image|aaaa|pdq-a|1|$D1|e5|\\N|4|flipy|\\N|match|\\N|\\N|\\N
f|s|0|0|http://f.example/f.jpg|pdq|image|bbbb|pdq-b|1|$D2|e6|\\N|9|orig|\\N|match|\\N|\\N|\\N
g|s|0|1|http://f.example/g.jpg|pdq|image|cccc|pdq-a|1|$D1|e7|\\N|2|rot90|\\N|match|\\N|\\N|\\N
EOF
    "$BIN" export -q -f csv -o dih.csv dih && "$BIN" export -q -f json -o dih.json dih || return 1
    pycsv dih.csv >dihrows.json || return 1
    "$PY" - dihrows.json dih.json <<'EOF'
import json, sys
c, j = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert [(r["item_id"], r["pdq"]) for r in c] == [("f", "bbbb"), ("g", "")], c
assert [(r["item_id"], r["pdq"]) for r in j] == [("f", "bbbb"), ("g", None)], j
assert [f["value"] for f in j[0]["findings"]] == ["aaaa", "bbbb"]
assert j[1]["findings"][0]["value"] == "cccc" and j[1]["findings"][0]["dihedral"] == "rot90"
EOF
}
check "pdq: the item's own hash, not a dihedral variant's" t_dihedral_pdq

t_fast_no_pdq() {
    # a scan with --fast hashed a reduced decode: its PDQ is close to the file's, not equal,
    # so the export gives none (and says why); the findings keep their values. A parameter
    # whose value is "fast" (a list named fast) is not the flag.
    have_py || { echo "SKIP: no $PY"; return 0; }
    mkdir -p fast notfast
    cp dih/matches.parquet fast/ && cp dih/matches.parquet notfast/ || return 1
    printf '{"parameters": [\n  ["list_name", "fast"],\n  ["fast", "true"]\n],\n "dataset":"d","started":"2026-12-03T09:00:00Z","datavet_version":"0.1.0"}\n' >fast/scan.json
    printf '{"parameters": [["list_name", "fast"], ["fast", "false"], ["x", "[\\"fast\\", \\"true\\"]"]],\n "dataset":"d","started":"2026-12-03T09:00:00Z","datavet_version":"0.1.0"}\n' >notfast/scan.json
    "$BIN" export -f json -o fast.json fast 2>fast.err || return 1
    grep -q "ran with --fast.*pdq and pdq_quality fields are left empty" fast.err || return 1
    "$BIN" export -f json -o notfast.json notfast 2>notfast.err || return 1
    ! grep -q -- "--fast" notfast.err || return 1
    "$PY" - fast.json notfast.json <<'EOF'
import json, sys
f, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert [(r["pdq"], r["pdq_quality"]) for r in f] == [(None, None), (None, None)], f
assert [x["value"] for x in f[0]["findings"]] == ["aaaa", "bbbb"]
assert [r["pdq"] for r in n] == ["bbbb", None], n
EOF
}
check "scan with --fast: no pdq exported (approximate), said on stderr" t_fast_no_pdq

t_candidates_default() {
    "$BIN" export -q -f csv out >y.csv || return 1
    ! grep -q candidate y.csv || return 1
    "$BIN" export -q -f csv --include-candidates out >z.csv || return 1
    [ "$(grep -c '^candidate,true,' z.csv)" -eq 2 ]
}
check "candidates excluded by default, included and marked with --include-candidates" t_candidates_default

t_viewed() {
    for f in x.csv z.csv; do
        n=$(sed 1d $f | grep -c ',false.$')
        [ "$n" -eq "$(sed 1d $f | grep -c '^[mc]')" ] || return 1
    done
    [ "$(grep -o '"file_viewed_by_reporter":false' x.jsonl | wc -l)" -eq 5 ]
}
check "file_viewed_by_reporter=false on every row" t_viewed

t_rowgroups() {
    "$BIN" export -q -f csv out2 >rg.csv && cmp -s rg.csv y.csv
}
check "several row groups give the same export" t_rowgroups

t_many() {
    # Many findings in row groups of 50, in the order a scan writes them (each shard's
    # findings together, some of its items out of row order after the rest, as an img2dataset
    # shard's failed downloads come after its tar's items; then neighbour candidates in order,
    # some of an item found before), read a few row groups at a time through the sorted
    # index; and the same findings shuffled, which no few row groups serve, loaded whole. Each
    # export against the rows python computes from the findings as the file holds them.
    have_py || { echo "SKIP: no $PY"; return 0; }
    mkdir -p many shuf
    cp out/scan.json many/
    cp out/scan.json shuf/
    "$PY" - many.tsv shuf.tsv <<'EOF' || return 1
import random, sys
rnd = random.Random(7)
types = [("md5", "metadata", 32), ("sha1", "image", 40), ("pdq", "image", 64), ("url", "url", 0)]
def finding(si, row, k, tier):
    t, src, n = types[k]
    v = "%0*x" % (n, rnd.getrandbits(4 * n)) if n else "http://x.example/%d/%d;p%%" % (si, row)
    dih = rnd.choice(["orig", "flipx", "\\N"]) if t == "pdq" else "\\N"
    dist = str(rnd.randrange(0, 32)) if t == "pdq" else rnd.choice(["0", "\\N"])
    lab = rnd.choice(["\\N", "lab,el", "a;b", 'q"t'])
    return [f"id{si}-{row}", f"part-{si}.tar", str(si), str(row),
            rnd.choice([f"http://h.example/{si}/{row}.jpg", "\\N"]), t, src, v,
            f"list-{k}", str(rnd.randrange(1, 4)), "%064x" % k, f"e{rnd.randrange(1000)}", lab,
            dist, dih, "\\N", tier, "\\N", "\\N", "\\N"]
rows = []
for si in range(12):
    items = sorted(rnd.sample(range(400), 60))
    late = set(rnd.sample(items, 12))
    for part in (0, 1):
        for row in items:
            if (row in late) != bool(part):
                continue
            for _ in range(rnd.choice([1, 1, 2, 3])):
                rows.append(finding(si, row, rnd.randrange(4),
                                    rnd.choice(["match", "match", "candidate"])))
for si in range(12):
    for row in sorted(rnd.sample(range(400), 8)):
        f = finding(si, row, 0, "candidate")
        f[5:8] = ["neighbors", "neighbors", "\\N"]
        f[15], f[17] = "0.%d" % rnd.randrange(10**8), "id0-0"
        rows.append(f)
for path, rs in ((sys.argv[1], rows), (sys.argv[2], rnd.sample(rows, len(rows)))):
    with open(path, "w") as o:
        o.writelines("\t".join(r) + "\n" for r in rs)
EOF
    "$MK" many/matches.parquet 50 <many.tsv && "$MK" shuf/matches.parquet 50 <shuf.tsv || return 1
    for d in many shuf; do
        for c in "" --include-candidates; do
            "$BIN" export -q -f csv $c -o $d$c.csv $d &&
                "$BIN" export -q -f jsonl $c -o $d$c.jsonl $d || return 1
            "$PY" - $d.tsv $d$c.csv $d$c.jsonl "$c" <<'EOF' || return 1
import json, sys
def esc(s):
    return None if s == "\\N" else s
fs = [[esc(x) for x in l.rstrip("\n").split("\t")] for l in open(sys.argv[1])]
fs = [f for f in fs if sys.argv[4] or f[16] == "match"]
fs.sort(key=lambda f: (int(f[2]), int(f[3])))  # stable: file order within an item
groups = []
for f in fs:
    if groups and groups[-1][0][2:4] == f[2:4]:
        groups[-1].append(f)
    else:
        groups.append([f])
def field(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s
def part(s):
    return (s or "").replace("%", "%25").replace(";", "%3B")
want = ["report_tier,needs_verification,incident_url,md5,sha1,sha256,pdq,pdq_quality,match_types,sources,"
        "lists,list_versions,list_digests,entry_ids,entry_labels,distances,finding_tiers,item_id,"
        "dataset,shard,shard_index,row,scan_started,exported_at,datavet_version,"
        "file_viewed_by_reporter"]
for g in groups:
    m = any(f[16] == "match" for f in g)
    h = []
    for k in ("md5", "sha1", "sha256", "pdq"):
        h.append(next((f[7] for f in g if f[5] == k and f[7] and f[14] in (None, "orig")), ""))
    cols = [";".join(part(f[i]) for f in g) for i in (5, 6, 8, 9, 10, 11, 12, 13)]
    cols.append(";".join("match" if f[16] == "match" else "candidate" for f in g))
    want.append(",".join(field(x) for x in
        ["match" if m else "candidate", "false" if m else "true", g[0][4] or ""] + h + [""] + cols +
        [g[0][0], '/data/la"ion\u00e9', g[0][1], g[0][2], g[0][3], "2026-12-03T09:00:00Z",
         "2026-12-03T10:00:00Z", "0.1.0", "false"]))
got = open(sys.argv[2], encoding="utf-8", newline="").read()
assert got == "\r\n".join(want) + "\r\n", (sys.argv[2], len(groups))
lines = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8")]
assert [[(x["hash_type"], x["value"], x["entry_id"], x["score"]) for x in r["findings"]]
        for r in lines] == [[(f[5], f[7], f[11], f[15] and float(f[15])) for f in g]
                            for g in groups], sys.argv[3]
assert len(groups) > 500, len(groups)
EOF
        done
    done
}
check "many findings in row groups of 50, in scan order or shuffled: rows as recomputed" t_many

t_images_of_a_row() {
    # A webdataset sample (or a parquet row's list of images) holds several images, each an
    # item of the same (shard_index, row). Both images of sample 000 are on the list: the
    # export gave one row carrying the first image's hashes only, so the second known
    # image's MD5/SHA-1/SHA-256 reached the hotline nowhere (the CSV has no finding values).
    have_py || { echo "SKIP: no $PY"; return 0; }
    mkdir -p mi
    "$PY" - <<'EOF' || return 1
import hashlib, io, tarfile
imgs = [('000.a.jpg', b'\xff\xd8\xff\xe0 first image of sample 000'),
        ('000.b.jpg', b'\xff\xd8\xff\xe0 second image of sample 000'),
        ('001.jpg', b'\xff\xd8\xff\xe0 the image of sample 001')]
t = tarfile.open('mi/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for n, b in imgs:
    ti = tarfile.TarInfo(n)
    ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))
t.close()
open('mi.md5', 'w').write(''.join(hashlib.md5(b).hexdigest() + '\n' for _, b in imgs))
EOF
    "$BIN" list build -q -t md5 -o mi.dvl mi.md5 || return 1
    "$BIN" scan -q mi -l mi.dvl -o mi-out >/dev/null 2>&1
    [ $? -eq 1 ] || return 1
    "$BIN" export -q -f csv -o mi.csv mi-out && "$BIN" export -q -f jsonl -o mi.jsonl mi-out ||
        return 1
    "$PY" - <<'EOF'
import csv, hashlib, json
imgs = [b'\xff\xd8\xff\xe0 first image of sample 000', b'\xff\xd8\xff\xe0 second image of sample 000',
        b'\xff\xd8\xff\xe0 the image of sample 001']
want = [('000', '0', hashlib.md5(b).hexdigest(), hashlib.sha1(b).hexdigest(),
         hashlib.sha256(b).hexdigest()) for b in imgs[:2]]
want.append(('001', '1') + tuple(h(imgs[2]).hexdigest() for h in (hashlib.md5, hashlib.sha1, hashlib.sha256)))
rows = list(csv.DictReader(open('mi.csv', newline='', encoding='utf-8')))
got = [(r['item_id'], r['row'], r['md5'], r['sha1'], r['sha256']) for r in rows]
assert got == want, got
assert all(r['match_types'] == 'md5' and r['report_tier'] == 'match' for r in rows), rows
j = [json.loads(l) for l in open('mi.jsonl')]
assert [(r['md5'], [f['value'] for f in r['findings']]) for r in j] == [(w[2], [w[2]]) for w in want], j
EOF
}
check "several matched images of one sample: a row each, with that image's own hashes" t_images_of_a_row

t_deterministic() {
    "$BIN" export -q -f json out >j1 && "$BIN" export -q -f json out >j2 && cmp -s j1 j2
}
check "deterministic with SOURCE_DATE_EPOCH" t_deterministic

t_empty() {
    "$BIN" export -q -f csv empty >e.csv || return 1
    [ "$(wc -l <e.csv)" -eq 1 ] || return 1
    [ "$("$BIN" export -q -f json empty)" = "[]" ]
}
check "empty matches.parquet: header only / []" t_empty

t_summary() {
    "$BIN" export -f csv -o s.csv out 2>err || return 1
    grep -q "3 matched items (5 findings) written to s.csv" err || { cat err; return 1; }
    "$BIN" export -f csv --include-candidates out 2>err >/dev/null || return 1
    [ "$(cat err)" = "datavet export: 5 items with matches or candidates (7 findings)" ] ||
        { cat err; return 1; }
}
check "summary on stderr" t_summary

t_err_missing() {
    "$BIN" export -f csv nonexistent >o 2>err
    [ $? -eq 2 ] && grep -q "nonexistent: No such file or directory" err
}
check "missing OUTDIR: exit 2, clear message" t_err_missing

t_err_badpq() {
    "$BIN" export -f csv badpq >o 2>err
    rc=$?
    cat err
    [ $rc -eq 2 ] && grep -q "badpq/matches.parquet" err && [ ! -s o ]
}
check "corrupt matches.parquet: exit 2, names the file, writes nothing" t_err_badpq

t_err_noscan() {
    "$BIN" export -f csv noscan >o 2>err
    [ $? -eq 2 ] && grep -q "scan.json: cannot open: No such file or directory: is noscan a scan output directory?" err &&
        ! grep -q "(input/output error)" err
}
check "no scan.json: exit 2, the reason said once" t_err_noscan

t_err_nopq() {
    "$BIN" export -f csv nopq >o 2>err
    [ $? -eq 2 ] && grep -q "matches.parquet" err
}
check "no matches.parquet: exit 2" t_err_nopq

t_err_usage() {
    "$BIN" export out >o 2>err; [ $? -eq 2 ] || return 1
    "$BIN" export -f xml out >o 2>err; [ $? -eq 2 ] || return 1
    "$BIN" export -f csv >o 2>err; [ $? -eq 2 ] || return 1
    "$BIN" export -f csv out out2 >o 2>err; [ $? -eq 2 ] || return 1
    "$BIN" export --help | grep -q "file_viewed_by_reporter"
}
check "usage errors exit 2; --help" t_err_usage

t_not_a_dir() {
    "$BIN" export -f csv out/matches.parquet >o 2>err; [ $? -eq 2 ] && grep -q "not a directory" err
}
check "OUTDIR that is a file: exit 2" t_not_a_dir

# formula injection: a cell starting with = + - @ TAB CR (or ') gets a ' before it in CSV, the
# value being the cell less that one '; --raw-csv and json/jsonl keep the values as they are
# (until 2026-12-07 every CSV cell was its value: a URL =HYPERLINK(...) ran in a spreadsheet)
mkdir inj
tr '|' "$TAB" >inj.tsv <<EOF
=1+1|+p.parquet|0|1|=HYPERLINK("http://evil.example/","x")|md5|metadata|0123456789abcdef0123456789abcdef|-list|1|$D1|'=q|@SUM(A1)|0|\\N|\\N|match|\\N|\\N|\\N
\\tid|+p.parquet|0|2|-http://x.example/a,b|md5|metadata|0123456789abcdef0123456789abcdef|-list|1|$D1|\\rcr|'plain|0|\\N|\\N|match|\\N|\\N|\\N
ok|p2.parquet|1|0|http://ok.example/=x|md5|metadata|0123456789abcdef0123456789abcdef|list|1|$D1|e|lab|0|\\N|\\N|match|\\N|\\N|\\N
EOF
"$MK" inj/matches.parquet <inj.tsv || bad "mkmatches (formula injection)"
cp out/scan.json inj/scan.json
t_csv_formula() {
    have_py || { echo "SKIP: no $PY"; return 0; }
    "$BIN" export -q -f csv -o inj.csv inj && "$BIN" export -q -f csv --raw-csv -o injr.csv inj &&
        "$BIN" export -q -f json -o inj.json inj && "$BIN" export -q -f jsonl -o inj.jsonl inj ||
        return 1
    pycsv inj.csv >inj-rows.json && pycsv injr.csv >injr-rows.json || return 1
    "$PY" - <<'EOF'
import json
esc = json.load(open('inj-rows.json'))
raw = json.load(open('injr-rows.json'))
js = json.load(open('inj.json'))
jl = [json.loads(l) for l in open('inj.jsonl')]
want = [('=1+1', '=HYPERLINK("http://evil.example/","x")', '+p.parquet', '-list', "'=q", '@SUM(A1)'),
        ('\tid', '-http://x.example/a,b', '+p.parquet', '-list', '\rcr', "'plain"),
        ('ok', 'http://ok.example/=x', 'p2.parquet', 'list', 'e', 'lab')]
cols = ('item_id', 'incident_url', 'shard', 'lists', 'entry_ids', 'entry_labels')
for w, e, r, j, l in zip(want, esc, raw, js, jl):
    for c, v in zip(cols, w):
        assert r[c] == v and j[c] == v and l[c] == v, (c, v, r[c], j[c], l[c])
        cell = "'" + v if v[0] in "=+-@\t\r'" else v
        assert e[c] == cell, (c, v, e[c])
        # the value is identifiable: a cell starting with ' is the value less that one '
        assert (e[c][1:] if e[c].startswith("'") else e[c]) == v
    # nothing else changed
    assert {k: x for k, x in e.items() if k not in cols} == {k: x for k, x in r.items() if k not in cols}
EOF
    # a CSV without such values is the same bytes either way
    "$BIN" export -q -f csv -o plain.csv out && "$BIN" export -q -f csv --raw-csv -o plainr.csv out &&
        cmp plain.csv plainr.csv || return 1
    grep -q "^match,false,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\"," inj.csv ||
        { cat inj.csv; return 1; }
    "$BIN" export -q -f json --raw-csv -o x.json inj 2>err; [ $? -eq 2 ] &&
        grep -q -- "--raw-csv is for --format csv" err || { cat err; return 1; }
}
check "csv: a cell a spreadsheet would run as a formula gets a ' (not with --raw-csv, json, jsonl)" t_csv_formula

# the progress line: items, rate, share of the findings; --progress on a pipe: plain lines, the
# last at 100%; on a terminal, drawn over itself and erased before the summary; -q: none
t_progress() {
    "$BIN" export -f csv --progress -o /dev/null out 2>e; [ $? -eq 0 ] || return 1
    grep -qE '^export: [0-9]+ items, [0-9]+ items/s, 100%$' e &&
        ! grep -q "$(printf '\r')" e || { cat e; return 1; }
    "$BIN" export -q -f csv --progress -o /dev/null out 2>e; [ ! -s e ] || { cat e; return 1; }
    command -v script >/dev/null 2>&1 || return 0
    script -qc "'$BIN' export -f csv -o /dev/null out" /dev/null >tty 2>&1
    tr '\r' '\n' <tty | grep -qE "^$(printf '\033')\\[Kexport: [0-9]+ items" &&
        tr '\r' '\n' <tty | grep -q "^$(printf '\033')\\[Kdatavet export: " || { od -c tty | head; return 1; }
}
check "export: a progress line on a terminal and with --progress, none with -q" t_progress

finish
