#!/bin/sh
# scan.sh - end-to-end tests of `datavet scan` and `datavet merge` on planted datasets
# (datavet-mkdataset): exact finding sets in every tier and layout, -j independence, resume
# after kill -9 at 20 points, --clean (re-scan finds nothing; DuckDB reads it), corrupt
# shards, no image bytes written anywhere, refused parameter changes, file modes.
# Usage: sh tests/cli/scan.sh BIN [SHARED_DIR] [DUCKDB_DIR]

SHARED=${2:-}
DUCK=${3:-}
TEST=scan
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
PHOTOS=
if [ -n "$SHARED" ] && [ -d "$SHARED/photos/dev" ]; then PHOTOS="--photos $SHARED/photos/dev"
else echo "note: ../shared/photos absent: synthetic images only"; fi

# shellcheck disable=SC2086
"$MK" ds $PHOTOS --items 120 --shards 4 >/dev/null || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 2026-12 -o md5.dvl ds/lists/md5.txt
"$BIN" list build -q --name known-pdq --version 2026-12 -o pdq.dvl ds/lists/pdq.txt
"$BIN" list build -q --name known-url --version 3 -t url -o url.dvl ds/lists/url.txt
L="-l md5.dvl -l pdq.dvl -l url.dvl --flag-punsafe 0.9 --flag-terms ds/lists/terms.txt --dihedral"

# a bad option value: exit 2, one line naming the option, its value and what it takes; nothing
# written
bad_value() {
    want=$1
    shift
    "$BIN" scan ds/wds -l md5.dvl -o out-badopt "$@" >o 2>e
    rc=$?
    [ $rc -eq 2 ] && [ ! -s o ] && [ ! -e out-badopt ] && [ "$(cat e)" = "datavet scan: $want" ] ||
        { echo "exit $rc; stderr:"; cat e; return 1; }
}
t_bad_values() {
    bad_value "--shards 2-1: not a shard A or a range A-B of shards with A <= B" --shards 2-1 &&
        bad_value "--shards -1: not a shard A or a range A-B of shards with A <= B" --shards -1 &&
        bad_value "--pdq-radius 64: not an integer from 0 to 63" --pdq-radius 64 &&
        bad_value "--pdq-radius x: not an integer from 0 to 63" -r x &&
        bad_value "--flag-punsafe abc: not a number from 0 to 1" --flag-punsafe abc &&
        bad_value "--flag-punsafe nan: not a number from 0 to 1" --flag-punsafe nan &&
        bad_value "--jobs 2000: not an integer from 0 to 1024" -j 2000 &&
        bad_value "--decoys 0: not an integer from 1 to 1000000" --decoys 0 &&
        bad_value "--max-pixels 0: not an integer of 1 or more (K, M, G: 1000s)" --max-pixels 0 &&
        bad_value "--max-bytes 1X: not an integer of 1 or more (K, M, G: 1024s)" --max-bytes 1X &&
        bad_value "--shard-count 0: not an integer of 1 or more" --shard-count 0 &&
        bad_value "--neighbors-min-sim 2: not a number from -1 to 1" --neighbors-min-sim 2 &&
        bad_value "--neighbors-k -1: not an integer from 0 to 100000" --neighbors-k -1 &&
        bad_value "--connections 0: not an integer from 1 to 4096" --connections 0 &&
        bad_value "--timeout 0: not an integer from 1 to 3600" --timeout 0 &&
        bad_value "--retries 21: not an integer from 0 to 20" --retries 21
}
check "bad option values: exit 2, the option, its value and its range named" t_bad_values

# compare.py LAYOUT OUTDIR: the (id, hash_type) findings equal expected.tsv's for LAYOUT
cat >compare.py <<'EOF'
import json, sys
lay, out = sys.argv[1], sys.argv[2]
got = set()
for l in open(out + '/matches.jsonl'):
    r = json.loads(l)
    assert r['tier'] == ('match' if r['hash_type'] in ('md5', 'pdq', 'url') else 'candidate'), r
    got.add((r['id'], r['hash_type']))
exp = set()
for l in open('ds/expected.tsv'):
    f = l.rstrip('\n').split('\t')
    if f[0] == lay: exp.add((f[1], f[2]))
if got != exp:
    print('missing', sorted(exp - got)[:10], 'extra', sorted(got - exp)[:10])
    sys.exit(1)
EOF

for lay in laion wds hf; do
    "$BIN" scan -q ds/$lay $L -o out-$lay -j 2 >/dev/null 2>err-$lay
    rc=$?
    check "$lay: exit 1 with findings" test $rc -eq 1
    check "$lay: findings equal the planted set" $PY compare.py $lay out-$lay
done
# every finding carries its item's own hashes: MD5/SHA-1/SHA-256 of the image bytes (hashlib,
# from the tar members and the parquet column, not datavet), PDQ of the image as it is
# (mkdataset's items.tsv), also where only a turned or flipped variant matched; none where
# the scan had no image bytes (laion: metadata and URLs)
# (itemhashes.py export FILE: the same for a `datavet export --format json` of out-wds)
cat >itemhashes.py <<'EOF'
import hashlib, json, sys, tarfile, glob
out, lay = sys.argv[1], sys.argv[2]
pdq = {}
for l in open('ds/items.tsv'):
    k, h, q = l.rstrip('\n').split('\t')
    pdq[k] = (h, int(q))
img = {}
# (hf's image column holds the webdataset shards' image bytes)
for t in glob.glob('ds/wds/*.tar'):
    with tarfile.open(t) as tf:
        for m in tf.getmembers():
            k, _, ext = m.name.partition('.')
            if ext in ('jpg', 'png', 'webp', 'gif', 'jpeg'):
                img[k] = tf.extractfile(m).read()
own = lambda b, k: (hashlib.md5(b).hexdigest(), hashlib.sha1(b).hexdigest(),
                    hashlib.sha256(b).hexdigest()) + pdq.get(k, (None, None))
if out == 'export':
    # one row an item: its four hash columns and the PDQ's quality the file's own
    variant_only = 0
    rows = json.load(open(lay))
    for r in rows:
        b = img.get(r['item_id'])  # none: a sample without its image (its URL matched)
        exp = [None] * 5 if b is None else list(own(b, r['item_id']))
        assert [r['md5'], r['sha1'], r['sha256'], r['pdq'], r['pdq_quality']] == exp, (r, exp)
        f = [x for x in r['findings'] if x['hash_type'] == 'pdq']
        variant_only += bool(f) and all(x['dihedral'] != 'orig' for x in f)
    assert len(rows) > 10 and variant_only > 0, (len(rows), variant_only)
    sys.exit(0)
names = ('item_md5', 'item_sha1', 'item_sha256', 'item_pdq', 'item_pdq_quality')
seen, variant_only, n = {}, 0, 0
for l in open(out + '/matches.jsonl'):
    r = json.loads(l)
    got = tuple(r.get(x) for x in names)
    k = r['id']
    if lay == 'laion':
        assert got == (None,) * 5, r
        continue
    if k not in img:
        assert got == (None,) * 5, r
        continue
    exp = own(img[k], k)
    assert got == exp, (r, exp)
    assert seen.setdefault(k, got) == got, r
    if r['hash_type'] == 'pdq' and r.get('dihedral') != 'orig':
        assert r['value'] != r['item_pdq'], r
        variant_only += 1
    n += 1
if lay != 'laion':
    assert n > 20 and variant_only > 0, (n, variant_only)
EOF
for lay in laion wds hf; do
    check "$lay: findings carry the item's own hashes (variant PDQ matches too)" \
        $PY itemhashes.py out-$lay $lay
done
# shards scanned by an earlier datavet (finding records without the item's hashes) still merge,
# those findings without item_* fields
cp -r out-wds out-old
$PY -c "
import glob
for p in glob.glob('out-old/shards/*.rec'):
    ls = open(p, 'rb').read().split(b'\n')
    ls = [b'\t'.join(l.split(b'\t')[:21]) if l.startswith(b'F\t') else l for l in ls]
    open(p, 'wb').write(b'\n'.join(ls))
"
"$BIN" merge -q out-old >/dev/null 2>err-old
check "merge reads an earlier datavet's finding records: same findings, no item hashes" $PY -c "
import json
strip = lambda l: {k: v for k, v in json.loads(l).items() if not k.startswith('item_')}
a = [strip(l) for l in open('out-wds/matches.jsonl')]
b = [json.loads(l) for l in open('out-old/matches.jsonl')]
assert a == b and len(a) > 20, (len(a), len(b))
"
# Without a neighbour stage the set of items already in removal.txt is a shard's (16-32 bytes
# an item), not the whole scan's: a merge of 4 shards of 150,000 items (225,000 findings)
# peaks as one of 1 such shard and 3 empty ones, within 8 MiB (until 2026-12-07 the set of all
# 600,000 took ~19 MB more: 2^21 slots, and the 2^20 before them while it grew, against 2^19
# and 2^18); removal.txt lists each item once, in order
cat >bigrec.py <<'PYEOF'
import glob, sys
out, full = sys.argv[1], sys.argv[2] == 'all'
for p in sorted(glob.glob(out + '/shards/*.rec')):
    si = int(p[-10:-4])
    keep = [l for l in open(p, 'rb').read().split(b'\n')
            if l and not l.startswith(b'F\t') and l != b'END']
    n = 150000 if full or si == 0 else 0
    f = [b'\t'.join([b'F', b'%d-%d' % (si, r), b'%05d' % si, b'%d' % si, b'%d' % r,
                     b'http://x.example/%d/%d.jpg' % (si, r), b'md5', b'image',
                     b'9eb97df0753227d270448e87bf78e360', b'', b'', b'', b'', b'', b'0', b'', b'',
                     b'match', b'', b'', b'-1', b'', b'', b'', b'', b''])
         for r in range(n)]
    # half the items found again apart from their first finding (as a PDQ match found later)
    f = f + f[: n // 2]
    open(p, 'wb').write(b'\n'.join(f + keep + [b'END']) + b'\n')
PYEOF
peak_kib() {
    $PY -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
t_merge_set_per_shard() {
    rm -rf out-big out-one && cp -r out-wds out-big && cp -r out-wds out-one || return 1
    $PY bigrec.py out-big all && $PY bigrec.py out-one one || return 1
    one=$(peak_kib "$BIN" merge -q out-one) && big=$(peak_kib "$BIN" merge -q out-big) || return 1
    # (a sanitizer build's shadow memory and quarantine are no measure: peaks not compared)
    grep -qaE '__(asan|tsan)_init' "$BIN" || [ "$big" -lt $((one + 8192)) ] ||
        { echo "merge peak: 4 shards $big KiB, 1 shard $one KiB"; return 1; }
    [ "$(sed 1d out-big/removal.txt | wc -l)" -eq 600000 ] &&
        [ "$(sed 1d out-big/removal.txt | cut -f 1 | sort -u | wc -l)" -eq 600000 ] &&
        [ "$(sed -n '2p;150002p;600001p' out-big/removal.txt | cut -f 1 | tr '\n' ' ')" = "0-0 1-0 3-149999 " ] ||
        { sed -n '1,3p;150001,150003p' out-big/removal.txt; return 1; }
}
check "merge: the set of removed items is a shard's without neighbours (peak as for one shard)" t_merge_set_per_shard
rm -rf out-big out-one
# a finding naming another shard than its record file's (a file copied over another) is a
# damaged record: the merge says which and stops, rather than count it in the wrong shard
t_merge_wrong_shard() {
    rm -rf out-mis && cp -r out-wds out-mis || return 1
    $PY -c "
p = 'out-mis/shards/000001.rec'
ls = open(p, 'rb').read().split(b'\n')
i = next(i for i, l in enumerate(ls) if l.startswith(b'F\t'))
f = ls[i].split(b'\t'); f[3] = b'0'; ls[i] = b'\t'.join(f)
open(p, 'wb').write(b'\n'.join(ls))
" || return 1
    "$BIN" merge -q out-mis >/dev/null 2>e-mis; rc=$?
    [ "$rc" -eq 2 ] && grep -q "000001.rec: line [0-9]*: a finding of shard 0 in the record file of shard 1" e-mis ||
        { echo "exit $rc"; cat e-mis; return 1; }
}
check "merge: a finding of another shard in a shard's record file is named, the merge stops" t_merge_wrong_shard
# parquet image column: over --max-bytes is an error naming file, row and column; a column
# named with --image-col is taken whole (a string column: every value a decode error)
"$BIN" scan -q ds/hf -l md5.dvl -o out-hftb --max-bytes 100 >/dev/null 2>&1
check "hf: images over --max-bytes are too_big errors" $PY -c "
import json; c=json.load(open('out-hftb/summary.json'))['counts']
assert c['errors'] == {'too_big': 107} and c['hashed'] == 0, c
e=json.loads(open('out-hftb/errors.jsonl').readline())
assert 'train-00000.parquet: row 0: column image: image of' in e['message'], e"
"$BIN" scan -q ds/hf -l md5.dvl -o out-hfcol --image-col caption >/dev/null 2>&1
check "hf: --image-col takes every value of the named column" $PY -c "
import json; c=json.load(open('out-hfcol/summary.json'))['counts']
assert c['items_with_image'] == 120 and c['errors'] == {'decode': 120}, c"
# Hugging Face image structs that name their image by path only (bytes null, path set: images
# kept outside the parquet): nothing to hash, and the scan says so: counted
# (counts.image_path_only) and a warning that says what to do instead (scan the image folder
# on its own, which finds them), not '--fetch' (which fetches URLs, not paths)
PQT=$(dirname "$BIN")/tests/pq_tool
mkdir hfp hfp1 hfpx hfpimg && tar -xf ds/wds/00000.tar -C hfpx &&
    cp hfpx/000000001.jpg hfpx/000000002.jpg hfpimg/ &&
    "$PQT" hfimg hfp/train-00000.parquet hfpx/000000000.jpg path:hfpimg/000000001.jpg \
        path:hfpimg/000000002.jpg - nopath path: &&
    "$PQT" hfimg hfp1/train-00000.parquet path:hfpimg/000000001.jpg path:hfpimg/000000002.jpg ||
    bad "pq_tool hfimg"
md5sum hfpx/000000000.jpg hfpimg/000000002.jpg | cut -c1-32 >hfp-md5.txt
"$BIN" list build -q -t md5 -o hfp-md5.dvl hfp-md5.txt
"$BIN" scan -q hfp -l hfp-md5.dvl -o out-hfp >/dev/null 2>err-hfp
echo $? >rc-hfp
"$BIN" scan -q hfp1 -l hfp-md5.dvl -l pdq.dvl -o out-hfp1 >/dev/null 2>err-hfp1
echo $? >rc-hfp1
"$BIN" scan -q hfpimg -l hfp-md5.dvl -o out-hfpimg >/dev/null 2>&1
echo $? >rc-hfpimg
check "hf image struct, path and no bytes: counted, said, and what to do instead works" sh -c "
[ \$(cat rc-hfp) -eq 1 ] && [ \$(cat rc-hfp1) -eq 0 ] && [ \$(cat rc-hfpimg) -eq 1 ] &&
grep -q '^datavet scan: warning: 2 rows name their image by path only .*NOT checked.*datavet scan IMAGE_DIR' err-hfp &&
! grep -q 'checked no item' err-hfp && ! grep -q -- '--fetch' err-hfp1 &&
grep -q 'list hfp-md5.dvl (md5) checked no item: .*named by path only: see below' err-hfp1 &&
grep -q 'list pdq.dvl (pdq) checked no item: .*named by path only: see below' err-hfp1 &&
grep -q '\"id\":\"000000002.jpg\"' out-hfpimg/matches.jsonl"
check "hf image struct, path and no bytes: summary.json counts.image_path_only, the problem" $PY -c "
import json
c = json.load(open('out-hfp/summary.json'))['counts']
assert c['items'] == 6 and c['hashed'] == 1 and c['image_path_only'] == 2 and c['match'] == 1, c
s = json.load(open('out-hfp1/summary.json'))
assert s['counts']['image_path_only'] == 2 and s['counts']['hashed'] == 0, s['counts']
assert any('name their image by path only' in p for p in s['dataset_problems']), s
assert json.load(open('out-laion/summary.json'))['counts']['image_path_only'] == 0"


# a damaged image column chunk (row group 1 of 3, a page CRC mismatch) costs that row group its
# images only: its rows are still scanned for their URL and other columns, and the image
# column's failure is a read error naming file, row group, column and rows (incomplete: exit 2)
mkdir hfd && "$PQT" hfimg hfd/train-00000.parquet hfpx/000000000.jpg path:p/1.jpg - \
    hfpx/000000003.jpg hfpx/000000008.jpg hfpx/000000005.jpg nopath hfpx/000000006.jpg \
    hfpx/000000007.jpg && $PY -c "
d = bytearray(open('hfd/train-00000.parquet', 'rb').read())
img = open('hfpx/000000005.jpg', 'rb').read()
i = d.find(img[len(img) // 2:len(img) // 2 + 64])  # its data page, before the footer's stats
assert i > 0
d[i + 10] ^= 0xff
open('hfd/train-00000.parquet', 'wb').write(bytes(d))" || bad "make the damaged parquet"
md5sum hfpx/000000000.jpg hfpx/000000005.jpg hfpx/000000007.jpg | cut -c1-32 >hfd-md5.txt
printf 'https://example.test/r5\nhttps://example.test/r1\n' >hfd-url.txt
"$BIN" list build -q -t md5 -o hfd-md5.dvl hfd-md5.txt
"$BIN" list build -q -t url -o hfd-url.dvl hfd-url.txt
"$BIN" scan -q hfd -l hfd-md5.dvl -l hfd-url.dvl -o out-hfd >/dev/null 2>err-hfd
echo $? >rc-hfd
# damaged_checks WHAT DIR ITEMS HASHED COLUMN LABEL: a scan of DIR (out-DIR, err-DIR, rc-DIR)
# whose row group 1 (rows 4-7) lost its images: exit 2 and incomplete, the URL and MD5
# findings of the other rows, the counts, and one error record without a row naming it
damaged_checks() {
    check "$1: its row group's metadata still checked, a read error names it" sh -c "
[ \$(cat rc-$2) -eq 2 ] && grep -q 'the scan is incomplete: 1 read error' err-$2"
    # one read error is said in the singular, on stderr, in summary.json and report.html
    # (until 2026-12-08 '1 read error(s) (errors.jsonl records without a row)')
    check "$1: '1 read error (errors.jsonl record without a row)', in each output" sh -c "
w='1 read error (errors.jsonl record without a row): shards or parts of shards were not read' &&
grep -q \"^datavet scan: warning: \$w\" err-$2 && grep -qF \"\$w\" out-$2/summary.json &&
grep -qF \"\$w\" out-$2/report.html"
    check "$1: findings, counts and one error record for the row group" $PY -c "
import json
m = sorted((x['id'], x['hash_type']) for x in map(json.loads, open('out-$2/matches.jsonl')))
assert m == [('r0', 'md5'), ('r1', 'url'), ('r5', 'url'), ('r8', 'md5')], m
c = json.load(open('out-$2/summary.json'))['counts']
assert c['items'] == $3 and c['items_lost'] == 0 and c['read_errors'] == 1 and c['hashed'] == $4, c
e = [json.loads(l) for l in open('out-$2/errors.jsonl')]
assert len(e) == 1 and e[0]['reason'] == 'corrupt' and 'row' not in e[0], e
assert e[0]['message'].startswith('$2/train-00000.parquet: row group 1, column $5'), e
assert '$6 $5 of row group 1, rows 4-7: their images are NOT checked' in e[0]['message'], e"
}
damaged_checks "a damaged image column" hfd 9 3 image.bytes "image column"
# the same for a list of images (an interleaved dataset's column, pq_tool hflist: row group 1
# of 3, a value's length running past its page): one read error for the row group, not one
# per row, naming file, row group, column and rows; its rows' URLs still checked (exit 2)
mkdir hld && "$PQT" hflist hld/train-00000.parquet hfpx/000000000.jpg,hfpx/000000001.jpg - \
    hfpx/000000002.jpg hfpx/000000003.jpg hfpx/000000005.jpg,hfpx/000000006.jpg \
    hfpx/000000007.jpg - hfpx/000000001.jpg hfpx/000000008.jpg && $PY -c "
import struct
d = bytearray(open('hld/train-00000.parquet', 'rb').read())
img = open('hfpx/000000005.jpg', 'rb').read()
i = d.find(img)  # row 4's first image, after its 4-byte length
assert i > 4 and struct.unpack('<I', d[i - 4:i])[0] == len(img)
d[i - 4:i] = struct.pack('<I', 0x7ffffff0)
open('hld/train-00000.parquet', 'wb').write(bytes(d))" || bad "make the parquet with a damaged list"
md5sum hfpx/000000000.jpg hfpx/000000006.jpg hfpx/000000008.jpg | cut -c1-32 >hld-md5.txt
"$BIN" list build -q -t md5 -o hld-md5.dvl hld-md5.txt
"$BIN" scan -q hld -l hld-md5.dvl -l hfd-url.dvl -o out-hld >/dev/null 2>err-hld
echo $? >rc-hld
damaged_checks "a damaged image list" hld 10 5 images.list.element.bytes "image list column"
"$BIN" scan -q hld -l hld-md5.dvl -l hfd-url.dvl -o out-hldc --clean clean-hld >/dev/null 2>err-hldc
echo $? >rc-hldc
check "a damaged image list, --clean: the shard left out of the copy and named (exit 2)" sh -c "
[ \$(cat rc-hldc) -eq 2 ] && [ ! -e clean-hld/train-00000.parquet ] &&
grep -q 'shard train-00000 left out of the cleaned copy: hld/train-00000.parquet: row group 1' err-hldc"
# --clean of rows of several images: a removed row is one removed id however many of its
# images match, and a kept one one decoy candidate; removal-public.txt mixes the removed ids
# with decoys, so an id there twice would single it out as removed
mkdir hlc && "$PQT" hflist hlc/train-00000.parquet \
    hfpx/000000000.jpg,hfpx/000000006.jpg,hfpx/000000008.jpg hfpx/000000002.jpg,hfpx/000000003.jpg \
    hfpx/000000007.jpg || bad "pq_tool hflist (hlc)"
"$BIN" scan -q hlc -l hld-md5.dvl -o out-hlc --clean clean-hlc --decoys 2 >/dev/null 2>&1
check "a list of images --clean: a removed row's id once in removal-public.txt, counted once" $PY -c "
import json
ids = open('out-hlc/removal-public.txt').read().split()
assert sorted(ids) == ['r0', 'r1', 'r2'], ids
s = json.load(open('out-hlc/summary.json'))
assert s['counts']['removed'] == 1 and s['clean']['removed'] == 1 and s['clean']['decoys'] == 2, s"

# an image that does not decode is an error naming where it is, as the readers' item errors
# name it (file, row, column): in a parquet image column, a list of images (row 1's second,
# named by its place in the list, [1]),
# a data: URI of a URL list (its line); an image of 0 bytes in a tar names the tar
printf '\377\330\377\340 no JPEG after its start' >notjpeg.jpg
mkdir hfx hlx tx && "$PQT" hfimg hfx/train-00000.parquet hfpx/000000000.jpg notjpeg.jpg &&
    "$PQT" hflist hlx/train-00000.parquet hfpx/000000000.jpg hfpx/000000001.jpg,notjpeg.jpg &&
    printf 'https://example.test/a.jpg\ndata:image/jpeg;base64,%s\n' \
        "$(base64 -w0 notjpeg.jpg)" >tx/durl.txt &&
    cp hfpx/000000000.jpg 000000000.jpg && : >000000001.jpg &&
    mkdir wz && tar -cf wz/00000.tar 000000000.jpg 000000001.jpg || bad "make datasets of bad images"
for d in hfx hlx tx wz; do "$BIN" scan -q $d -l hfp-md5.dvl -o out-$d >/dev/null 2>err-$d; done
check "an image that does not decode, or of 0 bytes: the error names file, row and column" $PY -c "
import json
e = lambda d: [(x['row'], x['reason'], x['message']) for x in map(json.loads, open('out-%s/errors.jsonl' % d))]
def one(d, row, reason, start):
    g = e(d)
    assert len(g) == 1 and g[0][:2] == (row, reason) and g[0][2].startswith(start), (d, g)
one('hfx', 1, 'decode', 'hfx/train-00000.parquet: row 1: column image.bytes: jpeg: ')
one('hlx', 1, 'decode', 'hlx/train-00000.parquet: row 1: column images.list.element.bytes[1]: jpeg: ')
one('tx', 1, 'decode', 'tx/durl.txt:2: data: URI: jpeg: ')
one('wz', 1, 'corrupt', 'wz/00000.tar: 000000001.jpg: an image of 0 bytes')"
# JPEG 2000 in an image column (the JP2 signature box, a bare codestream): an image datavet
# cannot decode, so its bytes are checked against MD5 lists and its row named as an error,
# as a TIFF's; until 2026-12-07 such values were taken as no image, checked by nothing and
# said nowhere (and inspect --head printed them)
printf '\000\000\000\014jP  \r\n\207\n a jp2 file' >x.jp2 && printf '\377O\377Q a codestream' >x.j2k &&
    mkdir hfj && "$PQT" hfimg hfj/train-00000.parquet x.jp2 x.j2k || bad "pq_tool hfimg jp2"
md5sum x.jp2 | cut -c1-32 >j2-md5.txt && "$BIN" list build -q -t md5 -o j2-md5.dvl j2-md5.txt
"$BIN" scan -q hfj -l j2-md5.dvl -o out-hfj >/dev/null 2>&1
check "JPEG 2000 in an image column: hashed (an MD5 match), each row an error naming it" $PY -c "
import json
m = [(x['row'], x['hash_type'], x['source']) for x in map(json.loads, open('out-hfj/matches.jsonl'))]
assert m == [(0, 'md5', 'image')], m
e = [(x['row'], x['reason']) for x in map(json.loads, open('out-hfj/errors.jsonl'))]
assert e == [(0, 'decode'), (1, 'decode')], e
c = json.load(open('out-hfj/summary.json'))['counts']
assert c['items_with_image'] == 2, c"
# a named image column's empty value is an image of 0 bytes (an error naming file, row and
# column), except beside a path (an image kept outside the file: counted); unnamed, an empty
# value is no image
: >empty0.jpg
mkdir hfe && "$PQT" hfimg hfe/train-00000.parquet hfpx/000000000.jpg empty empty0.jpg ||
    bad "pq_tool hfimg empty"
"$BIN" scan -q hfe -l hfp-md5.dvl -o out-hfe --image-col image.bytes >/dev/null 2>&1
"$BIN" scan -q hfe -l hfp-md5.dvl -o out-hfe2 >/dev/null 2>&1
check "a named image column's empty value: an image of 0 bytes, named; beside a path: path-only" $PY -c "
import json
e = [(x['row'], x['reason'], x['message']) for x in map(json.loads, open('out-hfe/errors.jsonl'))]
assert e == [(1, 'corrupt', 'hfe/train-00000.parquet: row 1: column image.bytes: an image of 0 bytes')], e
assert json.load(open('out-hfe/summary.json'))['counts'].get('image_path_only') == 1
assert open('out-hfe2/errors.jsonl').read() == ''
assert json.load(open('out-hfe2/summary.json'))['counts'].get('image_path_only') == 1"
# a webdataset sample of several images (000.jpg and 000.png, 000.seg.png, an image under
# another extension): every image is checked, each an item of the sample's row, not only its
# first; --clean drops the sample, whichever of its images matched
mkdir wm
$PY - <<'EOF' || bad "make the webdataset with several images a sample"
import io, tarfile
t = tarfile.open('wm/00000.tar', 'w', format=tarfile.GNU_FORMAT)
def add(name, src):
    b = open('hfpx/%s.jpg' % src, 'rb').read() if src[0] == '0' else src.encode()
    ti = tarfile.TarInfo(name); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
add('a.json', '{"url": "https://example.test/a"}'); add('a.jpg', '000000002'); add('a.png', '000000000')
add('b.jpg', '000000003'); add('b.JPG', '000000001'); add('b.seg.png', '000000006')
add('c.jpg', '000000007'); add('c.dat', '000000008'); add('d.jpg', '000000005')
t.close()
EOF
"$BIN" scan -q wm -l hld-md5.dvl -o out-wm --clean clean-wm --decoys 1 >/dev/null 2>err-wm
"$BIN" scan -q clean-wm -l hld-md5.dvl -o re-wm >/dev/null 2>&1
echo $? >rc-rewm
check "webdataset, several images a sample: each checked, the sample dropped from the copy" $PY -c "
import json, tarfile
m = [json.loads(l) for l in open('out-wm/matches.jsonl')]
got = sorted((x['id'], x['row'], x['hash_type']) for x in m)
assert got == [('a', 0, 'md5'), ('b', 1, 'md5'), ('c', 2, 'md5')], got
assert [x['url'] for x in m if x['id'] == 'a'] == ['https://example.test/a'], m
c = json.load(open('out-wm/summary.json'))['counts']
assert c['items'] == 8 and c['hashed'] == 8 and c['removed'] == 3, c
assert [l.split()[0] for l in open('out-wm/removal.txt')][1:] == ['a', 'b', 'c']
assert tarfile.open('clean-wm/00000.tar').getnames() == ['d.jpg']
assert open('rc-rewm').read().strip() == '0' and open('re-wm/matches.jsonl').read() == ''"


# a webdataset whose duplicate images were made hard links (rdfind -makehardlinks, then GNU
# tar): a linking sample's image is its target's bytes, checked, matched and dropped from the
# copy like any other (a symlink too); a kept sample linking to a dropped one (here dropped
# for its URL) loses that link in the copy (its bytes are a removed image's), said in the
# warnings, and the copy extracts; a link whose target is not in the archive is an error
# naming shard, member and target, not a silent skip
mkdir wl wle
$PY - <<'EOF' || bad "make the webdataset with hard links and symlinks"
import io, tarfile
def shard(path, members):
    t = tarfile.open(path, 'w', format=tarfile.GNU_FORMAT)
    for name, src, kind in members:
        ti = tarfile.TarInfo(name)
        if kind == 'file':
            b = open('hfpx/%s.jpg' % src, 'rb').read() if src[0] == '0' else src.encode()
            ti.size = len(b); t.addfile(ti, io.BytesIO(b))
        else:
            ti.type = tarfile.LNKTYPE if kind == 'hard' else tarfile.SYMTYPE
            ti.linkname = src; t.addfile(ti)
    t.close()
shard('wl/00000.tar', [('s/a.jpg', '000000000', 'file'), ('s/b.jpg', 's/a.jpg', 'hard'),
    ('s/c.png', 'a.jpg', 'sym'), ('s/d.json', '{"url": "https://example.test/r5"}', 'file'),
    ('s/d.jpg', '000000002', 'file'), ('s/e.jpg', 's/d.jpg', 'hard'),
    ('s/e.txt', 'kept', 'file'), ('s/f.jpg', '000000003', 'file')])
shard('wle/00000.tar', [('g.jpg', 'gone.jpg', 'hard'), ('h.jpg', '000000003', 'file')])
EOF
"$BIN" scan -q wl -l hld-md5.dvl -l hfd-url.dvl -o out-wl --clean clean-wl --decoys 1 \
    >/dev/null 2>err-wl
echo $? >rc-wl
mkdir xwl && tar -xf clean-wl/00000.tar -C xwl 2>err-xwl
echo $? >rc-xwl
check "webdataset links: matched, dropped; a kept link to a dropped sample left out, said" $PY -c "
import json, tarfile
m = [json.loads(l) for l in open('out-wl/matches.jsonl')]
got = sorted((x['id'], x['hash_type']) for x in m)
assert got == [('a', 'md5'), ('b', 'md5'), ('c', 'md5'), ('d', 'url')], got
c = json.load(open('out-wl/summary.json'))['counts']
assert c['items'] == 6 and c['hashed'] == 6 and c['removed'] == 4, c
assert [l.split()[0] for l in open('out-wl/removal.txt')][1:] == ['a', 'b', 'c', 'd']
t = tarfile.open('clean-wl/00000.tar')
assert t.getnames() == ['s/e.txt', 's/f.jpg'], t.getnames()
d2 = open('hfpx/000000002.jpg', 'rb').read()
assert all(open(f, 'rb').read() != d2 for f in ['xwl/s/e.txt', 'xwl/s/f.jpg'])
e = open('err-wl').read()
assert 'shard 00000: 1 link member of kept samples left out of the copy' in e, e
p = json.load(open('out-wl/summary.json'))['dataset_problems']
assert any('1 link member of kept samples left out' in x for x in p), p
assert open('rc-wl').read().strip() == '1' and open('rc-xwl').read().strip() == '0'"
# symlinks to later members (a folder deduplicated with symlinks, then tarred in directory
# order): followed, so the linking sample's image is checked and matched; a kept sample's
# symlink to a later sample dropped for its URL is left out of the copy, said; -j 1 and -j 3
# write the same copy
mkdir wf
$PY - <<'EOF' || bad "make the webdataset with symlinks to later members"
import io, tarfile
t = tarfile.open('wf/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for name, src, kind in [('s/a.jpg', 'b.jpg', 'sym'), ('s/b.jpg', '000000000', 'file'),
        ('s/c.jpg', '000000003', 'file'), ('s/d.jpg', 'e.jpg', 'sym'),
        ('s/e.json', '{"url": "https://example.test/r5"}', 'file'), ('s/e.jpg', '000000002', 'file')]:
    ti = tarfile.TarInfo(name)
    if kind == 'file':
        b = open('hfpx/%s.jpg' % src, 'rb').read() if src[0] == '0' else src.encode()
        ti.size = len(b); t.addfile(ti, io.BytesIO(b))
    else:
        ti.type = tarfile.SYMTYPE; ti.linkname = src; t.addfile(ti)
t.close()
EOF
"$BIN" scan -q wf -l hld-md5.dvl -l hfd-url.dvl -o out-wf --clean clean-wf --decoys 1 -j 1 \
    >/dev/null 2>err-wf
echo $? >rc-wf
mkdir xwf && tar -xf clean-wf/00000.tar -C xwf 2>err-xwf
echo $? >rc-xwf
cp out-wf/clean.sha256 wf1.sha256
"$BIN" merge -q -j 3 out-wf --clean clean-wf >/dev/null 2>&1
check "webdataset symlinks to later members: followed, matched; one to a dropped sample left out" $PY -c "
import json, tarfile
m = [json.loads(l) for l in open('out-wf/matches.jsonl')]
got = sorted((x['id'], x['hash_type']) for x in m)
assert got == [('a', 'md5'), ('b', 'md5'), ('e', 'url')], got
assert open('out-wf/errors.jsonl').read() == ''
assert [l.split()[0] for l in open('out-wf/removal.txt')][1:] == ['a', 'b', 'e']
assert tarfile.open('clean-wf/00000.tar').getnames() == ['s/c.jpg']
e = open('err-wf').read()
assert 'shard 00000: 1 link member of kept samples left out of the copy' in e, e
assert open('rc-wf').read().strip() == '1' and open('rc-xwf').read().strip() == '0'
assert open('wf1.sha256').read() == open('out-wf/clean.sha256').read()"
# a symlink to a folder is left out of the copy (the copy keeps none) and counted with the
# links left out: the warning calls them links, not image members
mkdir wd
$PY - <<'EOF' || bad "make the webdataset with a symlink to a folder"
import io, tarfile
t = tarfile.open('wd/00000.tar', 'w', format=tarfile.GNU_FORMAT)
b = open('hfpx/000000003.jpg', 'rb').read()
ti = tarfile.TarInfo('real/x.jpg'); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
ti = tarfile.TarInfo('d'); ti.type = tarfile.SYMTYPE; ti.linkname = 'real'; t.addfile(ti)
t.close()
EOF
"$BIN" scan -q wd -l hld-md5.dvl -o out-wd --clean clean-wd >/dev/null 2>err-wd
check "webdataset symlink to a folder: left out of the copy, called a link" $PY -c "
import json, tarfile
assert tarfile.open('clean-wd/00000.tar').getnames() == ['real/x.jpg']
e = open('err-wd').read()
assert 'shard 00000: 1 link member of kept samples left out of the copy' in e, e
assert 'image member' not in e, e
p = json.load(open('out-wd/summary.json'))['dataset_problems']
assert any('1 link member of kept samples left out' in x for x in p), p"
# ids that repeat across shards (webdataset keys restart in each shard; LAION's key column
# too): removal-public.txt and the commitment take each id once, a removed id is no decoy even
# where a kept row has it, and so no id stands out by coming twice
mkdir wdup
$PY - <<'EOF' || bad "make the webdataset with repeated ids"
import io, tarfile
for n, ms in enumerate([[('a', 0), ('b', 2)], [('a', 6), ('b', 3), ('c', 7)], [('a', 5)]]):
    t = tarfile.open('wdup/%05d.tar' % n, 'w', format=tarfile.GNU_FORMAT)
    for k, i in ms:
        b = open('hfpx/%09d.jpg' % i, 'rb').read()
        ti = tarfile.TarInfo(k + '.jpg'); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
    t.close()
EOF
"$BIN" scan -q wdup -l hld-md5.dvl -o out-wdup --clean clean-wdup --decoys 5 >/dev/null 2>&1
check "--clean with ids repeated across shards: each once in removal-public.txt and the commitment" $PY -c "
import hashlib, hmac, json
k = open('out-wdup/clean.key', 'rb').read()
pk = hmac.new(k, b'datavet decoy prf', hashlib.sha256).digest()
salt = hmac.new(k, b'datavet commitment salt', hashlib.sha256).digest()
pub = open('out-wdup/removal-public.txt').read().splitlines()
sc = [hmac.new(pk, i.encode(), hashlib.sha256).digest() for i in pub]
assert sorted(pub) == ['a', 'b', 'c'] and sc == sorted(sc), pub
s = json.load(open('out-wdup/summary.json'))
assert s['counts']['removed'] == 2 and s['clean']['removed'] == 1 and s['clean']['decoys'] == 2, s
assert s['clean']['commitment'] == hashlib.sha256(salt + b'a\n').hexdigest(), s['clean']"
# ... and with many ids repeated and a full draw (--decoys 1, 4 workers): the decoys are the
# distinct kept ids of smallest PRF that are no removed id's
mkdir wdup2
$PY - <<'EOF' || bad "make the webdataset with many repeated ids"
import io, tarfile
imgs = [open('hfpx/%09d.jpg' % i, 'rb').read() for i in (0, 1, 2, 3, 5, 7)]
for n in range(4):
    t = tarfile.open('wdup2/%05d.tar' % n, 'w', format=tarfile.GNU_FORMAT)
    for k in range(n * 10, n * 10 + 20):
        # the known image (0) at every ninth key in shards 0 and 2: a removed id kept elsewhere
        b = imgs[0] if k % 9 == 0 and n % 2 == 0 else imgs[1 + (k * 3 + n) % 5]
        ti = tarfile.TarInfo('k%02d.jpg' % k); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
    t.close()
EOF
"$BIN" scan -q wdup2 -l hld-md5.dvl -o out-wdup2 --clean clean-wdup2 --decoys 1 -j 4 >/dev/null 2>&1
check "--clean, ids repeated, a full draw: decoys are the distinct kept ids of smallest PRF" $PY -c "
import hashlib, hmac, json
pk = hmac.new(open('out-wdup2/clean.key', 'rb').read(), b'datavet decoy prf', hashlib.sha256).digest()
rem = {l.split('\t')[0] for l in open('out-wdup2/removal.txt').read().splitlines()[1:]}
ids = {'k%02d' % k for k in range(50)}
kept = sorted(ids - rem, key=lambda i: hmac.new(pk, i.encode(), hashlib.sha256).digest())
pub = open('out-wdup2/removal-public.txt').read().splitlines()
assert 2 < len(rem) < 10 and len(kept) > len(rem), (len(rem), len(kept))
assert len(pub) == len(set(pub)) and set(pub) == rem | set(kept[:len(rem)]), pub"
# ... and a draw far larger than the kept ids (100 removed x --decoys 1000000: the 64 Mi cap)
# takes the memory of the ids it holds: its heap and set were allocated for the cap at once
# (4.7 GB; touched, the set's pages were resident), so under a 3 GB address space it failed
mkdir wbig
$PY - <<'EOF' || bad "make the webdataset of 100 removed ids"
import io, tarfile
imgs = [open('hfpx/%09d.jpg' % i, 'rb').read() for i in (0, 1, 2, 3, 5, 7)]
t = tarfile.open('wbig/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k in range(200):
    b = imgs[0] if k % 2 == 0 else imgs[1 + k % 5]
    ti = tarfile.TarInfo('k%03d.jpg' % k); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
t.close()
EOF
if grep -qaE '__(asan|tsan)_init' "$BIN"; then
    ok "--clean, a draw of 64 Mi decoys: skipped (a sanitizer build reserves terabytes)"
else
    (ulimit -v 3000000; "$BIN" scan -q wbig -l hld-md5.dvl -o out-wbig --clean clean-wbig \
        --decoys 1000000 -j 1 >/dev/null 2>err-wbig; echo $? >rc-wbig)
    check "--clean, a draw of 64 Mi decoys over 100 kept ids: in 3 GB, every kept id a decoy" sh -c "
cat err-wbig; [ \$(cat rc-wbig) -eq 1 ] && [ \$(wc -l <out-wbig/removal-public.txt) -eq 200 ]"
fi
"$BIN" scan -q wle -l hld-md5.dvl -o out-wle >/dev/null 2>err-wle
check "webdataset hard link to a member not in the archive: an error naming it" sh -c "
grep -q \"wle/00000.tar: member 'g.jpg' at offset 0: hard link to 'gone.jpg' which is \
not found earlier in the archive\" out-wle/errors.jsonl"

# Hugging Face's converted layout (default/train/0000.parquet, default/test/0000.parquet):
# shards are named by their path below the folder common to all, so same-named files in
# different folders stay apart, in names and in the ids made from them without an id column
mkdir -p hfconv/default/train hfconv/default/test pfx/x pfx/xy
cp ds/hf/train-00000.parquet hfconv/default/train/0000.parquet
cp ds/hf/train-00001.parquet hfconv/default/test/0000.parquet
"$BIN" scan --plan hfconv >plan-hfconv 2>&1
"$BIN" scan -q hfconv -l md5.dvl -l pdq.dvl -o out-hfconv --id-col none >/dev/null 2>&1
check "hf converted layout: shards named by their paths, ids unique" $PY -c "
import json
plan = [l.split('\t')[1] for l in open('plan-hfconv').read().splitlines()]
assert plan == ['test/0000', 'train/0000'], plan
m = [json.loads(l) for l in open('out-hfconv/matches.jsonl')]
assert len(m) > 0 and set(x['shard'] for x in m) == {'test/0000', 'train/0000'}, m
for x in m: assert x['id'] == '%s:%d' % (x['shard'], x['row']), x
ids = [l.split('\t')[0] for l in open('out-hfconv/removal.txt')][1:]
assert len(ids) == len(set(ids)) and len(ids) == len(set((x['shard'], x['row']) for x in m)), ids"
cp ds/hf/train-00000.parquet pfx/x/a.parquet
cp ds/hf/train-00001.parquet pfx/xy/a.parquet
"$BIN" scan --plan pfx >plan-pfx 2>&1
"$BIN" scan --plan ds/laion >plan-laion 2>&1
check "shard names: one folder keeps file names; x/ and xy/ are different folders" sh -c "
cut -f2 plan-laion | grep -qx metadata_0000 && ! cut -f2 plan-laion | grep -q / &&
cut -f2 plan-pfx | sort | tr '\n' ' ' | grep -qx 'x/a xy/a '"

# URL list: only URL and caption tiers apply
"$BIN" scan -q ds/urls.csv -l url.dvl --flag-terms ds/lists/terms.txt -o out-csv >/dev/null 2>&1
check "url list: url and term findings" $PY -c "
import json
got=set((json.loads(l)['id'].split(':')[1], json.loads(l)['hash_type']) for l in open('out-csv/matches.jsonl'))
exp=set()
for i in range(120):
    if i % 11 == 0: exp.add((str(i), 'url'))
    if i % 17 == 0: exp.add((str(i), 'terms'))
assert got == exp, (sorted(got ^ exp))"

# a webdataset sample's .json is read for what it holds even when other members are odd: a
# nested member (DataComp's face_bboxes), a caption with a byte that is not UTF-8, 40 members
# with the URL and md5 last; each sample's URL and metadata md5 are still matched
mkdir wj
$PY - <<'EOF' || bad "make the webdataset with odd .json members"
import io, tarfile
urls = [l.strip() for l in open('ds/lists/url.txt') if l.strip() and not l.startswith('#')]
md5 = [l.split()[0] for l in open('ds/lists/md5.txt') if l.strip() and not l.startswith('#')]
t = tarfile.open('wj/00000.tar', 'w', format=tarfile.PAX_FORMAT)
def add(name, b):
    ti = tarfile.TarInfo(name); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
add('a.txt', b'x')
add('a.json', ('{"face_bboxes": [[0.1, 0.2], {"k": "]}"}], "url": "%s"}' % urls[0]).encode())
add('b.txt', b'x')
add('b.json', b'{"caption": "caf\xe9 \x01", "url": "' + urls[1].encode() + b'"}')
add('c.txt', b'x')
add('c.json', ('{' + ''.join('"m%d": %d, ' % (i, i) for i in range(40)) +
               '"url": "%s", "md5": "%s"}' % (urls[2], md5[0])).encode())
add('d.txt', b'x')
add('d.json', ('{"url": "%s"' % urls[3]).encode())  # cut short: not read at all
t.close()
EOF
"$BIN" scan -q wj -l url.dvl -l md5.dvl -o out-wj >/dev/null 2>err-wj
check "webdataset .json with nested members, bad UTF-8, 40 members: URL and md5 still matched" $PY -c "
import json
got = sorted((json.loads(l)['id'], json.loads(l)['hash_type']) for l in open('out-wj/matches.jsonl'))
assert got == [('a', 'url'), ('b', 'url'), ('c', 'md5'), ('c', 'url')], got"
check "webdataset .json that cannot be read at all: counted and said, not passed over" sh -c "
grep -q 'warning: 1 sample .json file could not be read' err-wj &&
grep -q '1 sample .json file could not be read' out-wj/summary.json"

# a data: URI in a URL list carries an image: it is decoded (no --fetch needed) and hashed
# like image bytes; bad base64 is a corrupt item; its content is never written. Row 0: the
# known item 0's image (md5 and pdq), row 1: bad base64, row 2: a text data: URI (no image).
tar -xOf ds/wds/00000.tar 000000000.jpg >known0.jpg
P=$(base64 -w0 known0.jpg)
printf 'data:image/jpeg;base64,%s\ndata:image/jpeg;base64,*bad*\ndata:text/plain;base64,aGVsbG8=\n' \
    "$P" >datauri.txt
"$BIN" scan -q --fetch datauri.txt -l md5.dvl -l pdq.dvl -o out-datauri >/dev/null 2>err-datauri
check "data: URI: the image inside is hashed and matched, bad base64 is an error" $PY -c "
import json
got = sorted((json.loads(l)['id'], json.loads(l)['hash_type'], json.loads(l)['source'])
             for l in open('out-datauri/matches.jsonl'))
assert got == [('datauri:0', 'md5', 'image'), ('datauri:0', 'pdq', 'image')], got
c = json.load(open('out-datauri/summary.json'))['counts']
assert c['items'] == 3 and c['hashed'] == 1 and c['errors'] == {'corrupt': 1}, c
e = [json.loads(l) for l in open('out-datauri/errors.jsonl')]
assert len(e) == 1 and e[0]['row'] == 1, e
assert e[0]['message'] == 'datauri.txt:2: data: URI: bad base64', e"
check "data: URI: its content is nowhere in the outputs" sh -c '
    ! grep -r -q -F "$(printf %s "$1" | cut -c1-64)" out-datauri err-datauri' sh "$P"

# base64 of an image in a URL's query (standard, URL-safe, percent-encoded) is withheld in every
# output, the rest of the URL kept: a URL list's match (url and value), a bad_url error, the
# export (until 2026-12-08 only data: URIs were redacted). The image's first 602 bytes: its
# signature, and a URL well under the 64 KiB a URL list looks up
Q=$(head -c 602 known0.jpg | base64 -w0)
PU=$(printf %s "$Q" | tr '+/' '-_' | tr -d =)
PP=$(printf %s "$Q" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
printf 'url\nhttps://a.example/p?img=%s&x=1\nhttp://[bad/p?img=%s\nhttps://a.example/r?a=1&img=%s\n' \
    "$Q" "$PU" "$PP" >qimg.csv
printf 'https://a.example/p?img=%s&x=1\nhttps://a.example/r?a=1&img=%s\n' "$Q" "$PP" >qimg-url.txt
"$BIN" list build -q -t url -o qimg.dvl qimg-url.txt
"$BIN" scan -q qimg.csv -l qimg.dvl -o out-qimg >/dev/null 2>err-qimg
"$BIN" export -q out-qimg --format csv >qimg-export.csv 2>>err-qimg
check "base64 image in a URL's query: withheld in records, errors and the export" $PY -c "
import json, sys
n, pn = len(sys.argv[1]), len(sys.argv[2])
m = sorted((r['url'], r['value']) for r in map(json.loads, open('out-qimg/matches.jsonl')))
assert m == [('https://a.example/p?img=<%d bytes withheld>&x=1' % n,) * 2,
             ('https://a.example/r?a=1&img=<%d bytes withheld>' % pn,) * 2], m
e = [json.loads(l) for l in open('out-qimg/errors.jsonl')]
assert [(x['url'], x['reason']) for x in e] == [('http://[bad/p?img=<%d bytes withheld>' % len(sys.argv[3]), 'bad_url')], e
assert 'https://a.example/p?img=<%d bytes withheld>&x=1' % n in open('qimg-export.csv').read()
" "$Q" "$PP" "$PU"
check "base64 image in a URL's query: nowhere in the outputs" sh -c '
    for x in "$@"; do
        ! grep -r -q -F "$(printf %s "$x" | cut -c1-64)" out-qimg err-qimg qimg-export.csv || exit 1
    done' sh "$Q" "$PU" "$PP"

# image folders beside captions (kohya's LoRA layout), ImageFolder metadata or a README: the
# images are scanned and what is not read is named; a URL list with an image beside it stays
# a URL list and names the image
mkdir lora meta meta/train samp ul
for i in 1 2 3; do cp known0.jpg lora/img$i.jpg; echo "a photo of a cat" >lora/img$i.txt; done
echo "Made from https://example.test/dataset" >lora/README.txt
mkdir -p i2f/00000 && cp ds/wds/00000.parquet i2f/00000.parquet && echo '{}' >i2f/00000_stats.json
for i in 0 1; do cp known0.jpg i2f/00000/00000000$i.jpg; echo '{}' >i2f/00000/00000000$i.json; done
cp known0.jpg meta/train/0001.jpg && printf 'file_name,text\ntrain/0001.jpg,x\n' >meta/metadata.csv
cp known0.jpg samp/a.jpg && cp known0.jpg samp/b.jpg && echo hi >samp/README.txt
cp known0.jpg samp/.hidden.jpg
cp ds/urls.csv ul/ && cp known0.jpg ul/logo.jpg
: >samp/empty.jpg
for d in lora meta samp ul i2f; do
    "$BIN" scan -q $d -l md5.dvl -l url.dvl -o out-$d >/dev/null 2>err-$d
    echo $? >rc-$d
done
check "lora folder: 3 images matched; the captions said not read" sh -c "
[ \$(cat rc-lora) -eq 1 ] && [ \$(wc -l <out-lora/matches.jsonl) -eq 3 ] &&
grep -q '3 caption or metadata files beside the images (a file with an image.s name' err-lora"
check "lora folder: a README with a URL in it is not a URL list" sh -c "
grep -q '1 text file that is not a URL list beside the images' err-lora"
check "img2dataset files format: the images scanned, the parquet and stats named" sh -c "
[ \$(cat rc-i2f) -eq 1 ] && [ \$(wc -l <out-i2f/matches.jsonl) -eq 2 ] &&
grep -q \"1 parquet file beside a folder of images of the same name (img2dataset's files format)\" err-i2f &&
grep -q '1 other file beside the images (.*i2f/00000_stats.json): NOT scanned' err-i2f &&
grep -q '2 caption or metadata files' err-i2f"
check "ImageFolder: the image matched, metadata.csv not read as a URL list" sh -c "
[ \$(cat rc-meta) -eq 1 ] && [ \$(wc -l <out-meta/matches.jsonl) -eq 1 ] && grep -q '1 caption or metadata file beside the images' err-meta"
check "samples with a README: the images matched, the README named, an empty image an error" sh -c "
[ \$(cat rc-samp) -eq 1 ] && [ \$(wc -l <out-samp/matches.jsonl) -eq 2 ] &&
grep -q 'samp/empty.jpg: an image of 0 bytes' out-samp/errors.jsonl &&
grep -q \"1 hidden file or folder (names starting with '.'): not scanned\" err-samp &&
grep -q '1 text file that is not a URL list beside the images: not read' err-samp"
check "a URL list with a logo beside it: the list is scanned, the image named NOT scanned" sh -c "
grep -q '\"layout\": \"url-list\"' out-ul/summary.json && grep -q '\"hash_type\":\"url\"' out-ul/matches.jsonl &&
grep -q '1 image file beside the URL-list files: NOT scanned' err-ul"
# CC3M's headerless caption TAB url list beside an image is the URL list too
mkdir -p cc3 && cp known0.jpg cc3/logo.jpg
tail -n +2 ds/urls.csv | sed 's/^\([^,]*\),.*/a caption\t\1/' >cc3/Train_GCC-training.tsv
"$BIN" scan -q cc3 -l url.dvl -o out-cc3 >/dev/null 2>err-cc3
check "CC3M caption<TAB>url list beside an image: read as the URL list, the image named" sh -c "
grep -q '\"layout\": \"url-list\"' out-cc3/summary.json && grep -q '\"hash_type\":\"url\"' out-cc3/matches.jsonl &&
grep -q '1 image file beside the URL-list files: NOT scanned' err-cc3"
# a URL list beside tar or parquet shards is not read: named, not passed over (a README is not)
mkdir -p mixw mixp && cp ds/wds/00000.tar ds/urls.csv mixw/ && cp ds/laion/metadata_0000.parquet ds/urls.csv mixp/
echo 'see https://example.test/ for more' >mixw/README.txt
"$BIN" scan -q mixw -l md5.dvl -o out-mixw >/dev/null 2>err-mixw
"$BIN" scan -q mixp -l md5.dvl -o out-mixp >/dev/null 2>err-mixp
check "a URL list beside tar or parquet shards: named NOT scanned" sh -c "
grep -q '1 URL-list file beside the tar files (e.g. mixw/urls.csv): NOT scanned' err-mixw &&
grep -q '1 URL-list file beside the parquet files (e.g. mixp/urls.csv): NOT scanned' err-mixp &&
grep -q 'URL-list file beside the tar files' out-mixw/summary.json"
# compressed shards (WIT ships .tsv.gz): named, never read as something else
mkdir -p gzl gzo && cp ds/urls.csv gzl/ && gzip -c ds/urls.csv >gzl/more.csv.gz && cp gzl/more.csv.gz gzo/
"$BIN" scan -q gzl -l url.dvl -o out-gzl >/dev/null 2>err-gzl
"$BIN" scan -q gzo -l url.dvl -o out-gzo >/dev/null 2>err-gzo
echo $? >rc-gzo
"$BIN" scan -q gzo/more.csv.gz -l url.dvl -o out-gz1 >/dev/null 2>err-gz1
echo $? >rc-gz1
check "compressed list files: named NOT scanned beside others, refused alone (exit 2)" sh -c "
grep -q '1 compressed file (e.g. gzl/more.csv.gz): NOT scanned' err-gzl &&
[ \$(cat rc-gzo) -eq 2 ] && grep -q 'compressed files such as .tsv.gz or .tar.gz are not read' err-gzo &&
[ \$(cat rc-gz1) -eq 2 ] && grep -q 'gzo/more.csv.gz: a compressed file' err-gz1 && [ ! -e out-gz1 ]"
# what checked nothing is said: a PDQ list on metadata alone, --flag-punsafe with no column;
# a row that is no URL is an error when URL lists are given
"$BIN" scan -q ds/laion -l pdq.dvl -o out-cov >/dev/null 2>err-cov
"$BIN" scan -q ds/wds -l md5.dvl --flag-punsafe 0.5 -o out-cov2 >/dev/null 2>err-cov2
printf 'url\nnot a url\nhttps://example.test/x.jpg\n' >badurl.csv
"$BIN" scan -q badurl.csv -l url.dvl -o out-badurl >/dev/null 2>&1
# ... named by file and line in a URL list (the line a record starts on: a quoted caption may
# span lines), by file and row in a parquet file (pq_tool badurl: rows 1, 4, ... "not a url")
printf 'https://example.test/x.jpg\nnot a url\n' >badurl.txt
printf 'url,caption\nhttps://example.test/x.jpg,"two\nlines"\nnot a url,y\n' >badurl2.csv
"$BIN" scan -q badurl.txt -l url.dvl -o out-badurl-txt >/dev/null 2>&1
"$BIN" scan -q badurl2.csv -l url.dvl -o out-badurl2 >/dev/null 2>&1
if [ -x "$(dirname "$BIN")/tests/pq_tool" ]; then
    mkdir -p badurl-pq
    "$(dirname "$BIN")/tests/pq_tool" badurl ds/laion/metadata_0000.parquet \
        badurl-pq/metadata_0000.parquet || bad "pq_tool badurl"
    "$BIN" scan -q badurl-pq -l url.dvl -o out-badurl-pq >/dev/null 2>&1
    check "a parquet row that is not a URL: a bad_url error naming the file and row" $PY -c "
import json
e = [json.loads(l) for l in open('out-badurl-pq/errors.jsonl')]
assert e and all(x['reason'] == 'bad_url' and x['url'] == 'not%20a%20url' for x in e), e
assert [x['row'] for x in e] == list(range(1, 3 * len(e), 3)), e
assert all(x['message'].startswith('badurl-pq/metadata_0000.parquet: row %d: not a URL' % x['row'])
           for x in e), e"
else
    echo "SKIP: pq_tool not built; a parquet row's bad_url is not checked"
fi
# a metadata digest that is no digest (a wrong length, a non-hex character) is an error,
# bad_digest, naming its file and row (or tar sample) and column, as a bad URL is; the other
# rows are still matched; empty and null are absent, no error; the scan is not incomplete
# (exit 1: findings). Until 2026-12-07 such a value was taken as absent: not checked, not said.
# A STRING column's value and a .json member are text, hex only: 16 characters are no MD5
# (until 2026-12-07 taken as the raw digest: checked, nothing said), and the message says
# "32 hex digits" only; a binary column's may be the 16 bytes (test_dataset).
printf 'd41d8cd98f00b204e9800998ecf8427e\n900150983cd24fb0d6963f7d28e17f72\n' >bd-md5.txt
"$BIN" list build -q -t md5 -o bd-md5.dvl bd-md5.txt
PQT=$(dirname "$BIN")/tests/pq_tool
if [ -x "$PQT" ]; then
    mkdir -p bd-pq && "$PQT" digests bd-pq/d.parquet || bad "pq_tool digests"
    "$BIN" scan -q bd-pq -l bd-md5.dvl -o out-bd-pq >/dev/null 2>&1; rc=$?
    check "a parquet md5 that is no MD5: bad_digest naming file, row and column; exit 1" sh -c "
[ $rc -eq 1 ] && $PY -c \"
import json
e = [json.loads(l) for l in open('out-bd-pq/errors.jsonl')]
assert [(x['row'], x['reason']) for x in e] == [(r, 'bad_digest') for r in (1, 2, 6, 7, 8)], e
assert all(x['message'] == 'bd-pq/d.parquet: row %d: column md5 is not an MD5 (32 hex digits)'
           ': not checked against the md5 lists by it' % x['row'] for x in e), e
assert e[0]['id'] == 'd1' and e[0]['url'] == 'https://example.test/1.jpg', e
m = [json.loads(l) for l in open('out-bd-pq/matches.jsonl')]
assert sorted((x['row'], x['source']) for x in m) == [(0, 'metadata'), (5, 'metadata')], m
s = json.load(open('out-bd-pq/summary.json'))
assert s['counts']['errors'] == {'bad_digest': 5}, s['counts']
\""
else
    echo "SKIP: pq_tool not built; a parquet row's bad_digest is not checked"
fi
$PY - <<'EOF2' || bad "make bd-wds"
import io, os, tarfile
os.makedirs('bd-wds', exist_ok=True)
t = tarfile.open('bd-wds/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k, j in (('a', '{"md5": "d41d8cd98f00b204e9800998ecf8427e"}'), ('b', '{"md5": "xyz"}'),
             ('c', '{"md5": ""}'), ('d', '{"md5": null}'),
             ('e', '{"url": "https://example.test/e.jpg", "md5": "900150983cd24fb0d6963f7d28e17f7"}'),
             ('f', '{"md5": " 900150983cd24fb0d6963f7d28e17f72\\n"}'),
             ('g', '{"md5": "0123456789abcdef"}')):
    b = j.encode(); ti = tarfile.TarInfo(k + '.json'); ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))
t.close()
EOF2
"$BIN" scan -q bd-wds -l bd-md5.dvl -o out-bd-wds >/dev/null 2>&1; rc=$?
check "a webdataset .json's md5 that is no MD5: bad_digest naming the sample; exit 1" sh -c "
[ $rc -eq 1 ] && $PY -c \"
import json
e = [json.loads(l) for l in open('out-bd-wds/errors.jsonl')]
assert [(x['row'], x['id'], x['reason']) for x in e] == [(1, 'b', 'bad_digest'), (4, 'e', 'bad_digest'),
                                                        (6, 'g', 'bad_digest')], e
assert e[1]['message'] == ('bd-wds/00000.tar: sample 4 (key e): .json member md5 is not an MD5 '
                           '(32 hex digits): not checked against the md5 lists by it'), e
assert e[1]['url'] == 'https://example.test/e.jpg', e
m = [json.loads(l) for l in open('out-bd-wds/matches.jsonl')]
assert sorted(x['id'] for x in m) == ['a', 'f'], m
\""
# an img2dataset sample's bad digest names where the value is: its .parquet row's column (the
# parquet named), or its .json member when its key is not in the parquet; a parquet row
# without a sample is named by the parquet and row. Until 2026-12-07 each said "column md5",
# also of a value from the .json. A sample whose row has no md5 (d4: null) is checked by its
# .json's, and one whose .json gives another well-formed md5 than its row (d0: another
# digest; d1: the row's no digest) by both; until 2026-12-07 the row's replaced the .json's
# wholesale: d4's and the .json ones of d0 and d1 went unchecked (2 matches, not 5).
if [ -x "$PQT" ]; then
    mkdir -p bd-i2d && "$PQT" digests bd-i2d/00000.parquet || bad "pq_tool digests (i2d)"
    $PY - <<'EOF2' || bad "make bd-i2d"
import io, tarfile
t = tarfile.open('bd-i2d/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k, j in (('d1', '{"md5": "d41d8cd98f00b204e9800998ecf8427e"}'), ('x9', '{"md5": "xyz"}'),
             ('d0', '{"md5": "900150983cd24fb0d6963f7d28e17f72"}'),
             ('d4', '{"md5": "900150983cd24fb0d6963f7d28e17f72"}')):
    b = j.encode(); ti = tarfile.TarInfo(k + '.json'); ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))
t.close()
EOF2
    "$BIN" scan -q bd-i2d -l bd-md5.dvl -o out-bd-i2d >/dev/null 2>&1; rc=$?
    check "img2dataset: a bad digest names its .parquet column or its .json member" sh -c "
[ $rc -eq 1 ] && $PY -c \"
import json
e = [(x['id'], x['message']) for x in map(json.loads, open('out-bd-i2d/errors.jsonl'))]
t = ' is not an MD5 (32 hex digits): not checked against the md5 lists by it'
assert e == [('d1', 'bd-i2d/00000.tar: sample 0 (key d1): column md5 of bd-i2d/00000.parquet' + t),
             ('x9', 'bd-i2d/00000.tar: sample 1 (key x9): .json member md5' + t)] + [
             ('d%d' % r, 'bd-i2d/00000.parquet: row %d (key d%d): column md5' % (r, r) + t)
             for r in (2, 6, 7, 8)], e
m = sorted((x['id'], x['value'], x['source']) for x in map(json.loads, open('out-bd-i2d/matches.jsonl')))
E, A = 'd41d8cd98f00b204e9800998ecf8427e', '900150983cd24fb0d6963f7d28e17f72'
assert m == [('d0', A, 'metadata'), ('d0', E, 'metadata'), ('d1', E, 'metadata'),
             ('d4', A, 'metadata'), ('d5', A, 'metadata')], m
\""
fi
# an img2dataset sample's url and caption are its .parquet row's where the row has one, else
# its .json's (t0: a null url and caption; t1: empty ones; t3: a null caption); where both
# give one and they differ, both are checked (t2: the .json's url listed, its caption holding a
# term); a URL the same once normalised is looked up once (t3). Until 2026-12-07 the row's
# replaced the .json's wholesale: the .json values of t0-t3 went unchecked (1 finding, not 8).
if [ -x "$PQT" ]; then
    mkdir -p i2d-text && "$PQT" strings i2d-text/00000.parquet key,url,caption \
        't0|\N|\N' 't1||' 't2|http://ok.test/2.jpg|a clean caption' \
        't3|HTTP://Bad.test/3.jpg|\N' || bad "pq_tool strings (i2d-text)"
    $PY - <<'EOF2' || bad "make i2d-text"
import io, tarfile
t = tarfile.open('i2d-text/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k in range(4):
    j = '{"url": "http://bad.test/%d.jpg", "caption": "a hidden needle %d"}' % (k, k)
    b = j.encode(); ti = tarfile.TarInfo('t%d.json' % k); ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))
t.close()
EOF2
    printf 'http://bad.test/%s.jpg\n' 0 1 2 3 >i2d-text.txt
    printf 'needle\n' >i2d-terms.txt
    "$BIN" list build -q -t url -o i2d-text.dvl i2d-text.txt
    "$BIN" scan -q i2d-text -l i2d-text.dvl --flag-terms i2d-terms.txt -o out-i2d-text \
        >/dev/null 2>&1; rc=$?
    check "img2dataset: a sample's url and caption from its .json where its row has none" sh -c "
[ $rc -eq 1 ] && [ ! -s out-i2d-text/errors.jsonl ] && $PY -c \"
import json
m = sorted((x['id'], x['url'], x['source'], x['value'])
           for x in map(json.loads, open('out-i2d-text/matches.jsonl')))
U = 'http://bad.test/%d.jpg'
assert m == [('t0', U % 0, 'flag', 'needle'), ('t0', U % 0, 'url', U % 0),
             ('t1', U % 1, 'flag', 'needle'), ('t1', U % 1, 'url', U % 1),
             ('t2', 'http://ok.test/2.jpg', 'flag', 'needle'),
             ('t2', 'http://ok.test/2.jpg', 'url', U % 2),
             ('t3', 'HTTP://Bad.test/3.jpg', 'flag', 'needle'),
             ('t3', 'HTTP://Bad.test/3.jpg', 'url', U % 3)], m
\""
fi
# --id-col on an img2dataset dataset names the .parquet column that joins rows with samples
# (docs/scan.md "Ids"): here key holds other keys (x0-x2) and sid the samples' (s0-s2, rows in
# another order). With --id-col sid each sample is joined with its row (its id, url and row
# number the row's) and --clean drops the matched sample and its row; without it key is taken,
# no sample is joined (3 samples, 3 rows: 6 items); --id-col nope joins none and says so once
if [ -x "$PQT" ]; then
    mkdir -p i2k && "$PQT" strings i2k/00000.parquet key,sid,url 'x0|s2|http://row.test/2.jpg' \
        'x1|s0|http://row.test/0.jpg' 'x2|s1|http://row.test/1.jpg' || bad "pq_tool strings (i2k)"
    $PY - <<'EOF2' || bad "make i2k"
import io, tarfile
t = tarfile.open('i2k/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k in range(3):
    b = b'{}'; ti = tarfile.TarInfo('s%d.json' % k); ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))
t.close()
EOF2
    printf 'http://row.test/%s.jpg\n' 0 1 2 >i2k.txt && "$BIN" list build -q -t url -o i2k.dvl i2k.txt
    printf 'http://row.test/0.jpg\n' >i2k0.txt && "$BIN" list build -q -t url -o i2k0.dvl i2k0.txt
    "$BIN" scan -q i2k -l i2k.dvl -o out-i2k-sid --id-col sid >/dev/null 2>&1
    "$BIN" scan -q i2k -l i2k.dvl -o out-i2k-key >/dev/null 2>&1
    "$BIN" scan -q i2k -l i2k.dvl -o out-i2k-nope --id-col nope >/dev/null 2>&1
    "$BIN" scan -q i2k -l i2k0.dvl -o out-i2k-cl --id-col sid --clean i2k-clean >/dev/null 2>&1
    check "img2dataset --id-col: the named column joins samples with rows" $PY -c "
import json, subprocess, tarfile
def run(o):
    m = sorted((x['id'], x['url'], x['row']) for x in map(json.loads, open(o + '/matches.jsonl')))
    e = [(x['id'], x['reason'], x['message']) for x in map(json.loads, open(o + '/errors.jsonl'))]
    return m, e, json.load(open(o + '/summary.json'))['counts']['items']
U = 'http://row.test/%d.jpg'
m, e, n = run('out-i2k-sid')
assert (m, e, n) == ([('s0', U % 0, 1), ('s1', U % 1, 2), ('s2', U % 2, 0)], [], 3), (m, e, n)
m, e, n = run('out-i2k-key')
assert (m, e, n) == ([('x0', U % 2, 0), ('x1', U % 0, 1), ('x2', U % 1, 2)], [], 6), (m, e, n)
m, e, n = run('out-i2k-nope')
assert n == 6 and [x[0] for x in m] == ['00000:0', '00000:1', '00000:2'], (m, n)
assert e == [('s0', 'bad_id', 'i2k/00000.parquet: no column \'nope\' (--id-col): no sample is '
              'joined with its rows, which are named by shard and row')], e
assert sorted(tarfile.open('i2k-clean/00000.tar').getnames()) == ['s1.json', 's2.json']
rows = subprocess.run(['$PQT', 'dump', 'i2k-clean/00000.parquet'], capture_output=True,
                      text=True).stdout
assert '\"sid\":\"s0\"' not in rows and rows.count('\"sid\":') == 2, rows
"
fi
# a URL list's md5, sha1 and sha256 columns are checked against the lists of their kind
# without fetching anything, as a parquet file's are: found by name in any case (the exact
# spelling first), hex text with blanks around it dropped; a value that is no digest (a field
# of 16 characters included: it is text) is bad_digest naming file:line and column; a CSV/TSV
# without a header row has none. Until 2026-12-07 a URL list's hash columns were not read: no
# finding, no error, exit 0.
printf 'a benign text file\n' >benign1.txt
M0=$(md5sum known0.jpg | cut -c1-32)
M1=$(md5sum benign1.txt | cut -c1-32 | tr a-f A-F)
S1=$(sha256sum benign1.txt | cut -c1-64)
printf '%s\n%s\n' "$M0" "$M1" >hc-md5.txt
printf '%s\n' "$S1" >hc-sha.txt
"$BIN" list build -q -t md5 -o hc-md5.dvl hc-md5.txt
"$BIN" list build -q -t sha256 -o hc-sha.dvl hc-sha.txt
mkdir -p hc
printf 'url,caption,MD5,sha256\nhttps://example.test/0.jpg,zero,%s,\nhttps://example.test/1.jpg,one, %s ,\nhttps://example.test/2.jpg,two,not-a-digest,%s\nhttps://example.test/3.jpg,"three\nlines",,\nhttps://example.test/4.jpg,four,%s,%s\n' \
    "$M0" "$M1" "$S1" "$(md5sum hc-md5.txt | cut -c1-32)" "$(printf %s "$S1" | cut -c2-)" >hc/a.csv
printf '{"url": "https://example.test/5.jpg", "sha256": "%s"}\n{"url": "https://example.test/6.jpg", "md5": null, "Md5": "%s"}\n{"url": "https://example.test/7.jpg", "md5": "0123456789abcdef"}\n{"url": "https://example.test/8.jpg", "md5": ""}\n' \
    "$S1" "$M0" >hc/b.jsonl
printf '%s\thttps://example.test/9.jpg\n' "$M0" >hc/c.tsv
"$BIN" scan -q hc -l hc-md5.dvl -l hc-sha.dvl -o out-hc >/dev/null 2>err-hc; echo $? >rc-hc
check "a URL list's md5/sha256 columns: matched without --fetch, bad ones named by file:line" $PY -c "
import json
assert open('rc-hc').read().strip() == '1', open('err-hc').read()
m = sorted((x['id'], x['hash_type'], x['source'], x['tier']) for x in map(json.loads, open('out-hc/matches.jsonl')))
assert m == [('a:0', 'md5', 'metadata', 'match'), ('a:1', 'md5', 'metadata', 'match'),
             ('a:2', 'sha256', 'metadata', 'match'), ('b:0', 'sha256', 'metadata', 'match'),
             ('b:1', 'md5', 'metadata', 'match')], m
e = [(x['id'], x['row'], x['reason'], x['message']) for x in map(json.loads, open('out-hc/errors.jsonl'))]
t = ': not checked against the %s lists by it'
assert e == [('a:2', 2, 'bad_digest', 'hc/a.csv:4: column md5 is not an MD5 (32 hex digits)' + t % 'md5'),
             ('a:4', 4, 'bad_digest', 'hc/a.csv:7: column sha256 is not a SHA-256 (64 hex digits)' + t % 'sha256'),
             ('b:2', 2, 'bad_digest', 'hc/b.jsonl:3: column md5 is not an MD5 (32 hex digits)' + t % 'md5')], e
s = json.load(open('out-hc/summary.json'))['counts']
assert s['errors'] == {'bad_digest': 3}, s
assert s['checked_per_list'] == {'hc-md5.dvl': 4, 'hc-sha.dvl': 2}, s
assert s['match'] == 5 and s['items'] == 10, s"
"$BIN" inspect --json hc/a.csv >hc-a.json 2>/dev/null
"$BIN" inspect --json hc/b.jsonl >hc-b.json 2>/dev/null
"$BIN" inspect --json hc/c.tsv >hc-c.json 2>/dev/null
"$BIN" inspect hc/a.csv >hc-a.txt 2>/dev/null
check "inspect: a URL list's hash columns among its roles (none without a header row)" $PY -c "
import json
r = [json.load(open('hc-%s.json' % k))['roles'] for k in 'abc']
assert r[0] == {'url': 'url', 'caption': 'caption', 'md5': 'MD5', 'sha256': 'sha256'}, r
assert r[1] == {'url': 'url', 'sha256': 'sha256'}, r
assert r[2] == {'url': '(field 2)', 'caption': '(field 1)'}, r
assert 'recognised: url=url caption=caption md5=MD5 sha256=sha256' in open('hc-a.txt').read()"
# ... a scan of them resumed (two of the three lists, then the rest): the same outputs as one run
"$BIN" scan -q hc -l hc-md5.dvl -l hc-sha.dvl -o out-hc2 --shards 0-1 --no-merge >/dev/null 2>&1
"$BIN" scan -q hc -l hc-md5.dvl -l hc-sha.dvl -o out-hc2 >/dev/null 2>&1
for f in matches.jsonl errors.jsonl summary.json removal.txt; do
    check "URL-list hash columns, scan resumed: same $f" cmp out-hc/$f out-hc2/$f
done
# a URL list's id comes from its id column as a parquet file's does: key, uid, sample_id or
# id (any case, the exact spelling first), or the column --id-col names; a row with an empty or
# null id gets NAME:ROW, said (bad_id), and a list without the column named is scanned, its
# rows NAME:ROW, said once (docs/scan.md, "Ids"). Until 2026-12-07 every row got NAME:ROW and
# --id-col was silently ignored; until the same day a CSV list without the column named was
# refused (nothing of it checked, exit 2), and an empty or null id was not said.
mkdir -p idl
printf 'url,Key,name\nhttps://example.test/0.jpg,K0,n0\nhttps://example.test/1.jpg,,n1\n' >idl/a.csv
printf '{"url": "https://example.test/2.jpg", "uid": "U2", "name": "n2"}\n{"url": "https://example.test/3.jpg", "uid": null}\n' >idl/b.jsonl
printf 'https://example.test/0.jpg\nhttps://example.test/1.jpg\nhttps://example.test/2.jpg\nhttps://example.test/3.jpg\n' >idl-url.txt
"$BIN" list build -q -t url -o idl-url.dvl idl-url.txt
"$BIN" scan -q idl -l idl-url.dvl -o out-idl >/dev/null 2>&1; echo $? >rc-idl
"$BIN" scan -q idl -l idl-url.dvl -o out-idl-n --id-col name >/dev/null 2>&1; echo $? >rc-idl-n
"$BIN" scan -q idl/a.csv -l idl-url.dvl -o out-idl-x --id-col nope >/dev/null 2>&1; echo $? >rc-idl-x
check "a URL list's id column, default and --id-col; one missing, empty or null is said" $PY -c "
import json
def ids(d): return sorted(json.loads(l)['id'] for l in open(d + '/matches.jsonl'))
def errs(d): return [(x['row'], x['id'], x['reason'], x['message']) for x in map(json.loads, open(d + '/errors.jsonl'))]
assert open('rc-idl').read().strip() == '1' and open('rc-idl-n').read().strip() == '1'
assert ids('out-idl') == ['K0', 'U2', 'a:1', 'b:1'], ids('out-idl')
assert ids('out-idl-n') == ['b:1', 'n0', 'n1', 'n2'], ids('out-idl-n')
assert [l.split('\t')[0] for l in open('out-idl/removal.txt')][1:] == ['K0', 'a:1', 'U2', 'b:1']
assert errs('out-idl') == [(1, 'a:1', 'bad_id', \"idl/a.csv:3: column 'Key' is empty: the item's id is a:1\"),
                           (1, 'b:1', 'bad_id', \"idl/b.jsonl:2: column 'uid' is null: the item's id is b:1\")], errs('out-idl')
assert errs('out-idl-n') == [(1, 'b:1', 'bad_id', \"idl/b.jsonl:2: member 'name' is not in the record: the item's id is b:1\")], errs('out-idl-n')
assert open('rc-idl-x').read().strip() == '1'
assert errs('out-idl-x') == [(0, 'a:0', 'bad_id', \"idl/a.csv: no column 'nope' (--id-col): its rows are named by shard and row (NAME:ROW)\")], errs('out-idl-x')
assert ids('out-idl-x') == ['a:0', 'a:1'], ids('out-idl-x')"
# a parquet file's ids by the same rule: a null, empty or NUL-holding id is NAME:ROW, said
# (bad_id), and a file without the --id-col named is scanned, said once; ids may repeat (k0),
# removal.txt naming each item by shard and row too. An img2dataset shard joins the samples of
# a key with its .parquet rows in turn: a second sample of a key that one row has is joined
# with none (it was joined with that row, and --clean dropped both samples when one matched),
# and a key two rows have is said. Until 2026-12-07 a null id was NAME:ROW unsaid, an empty
# one "" and one with a NUL cut short ("x"), a parquet file without --id-col's column a
# warning for the first file only, and a repeated key nothing.
if [ -x "$PQT" ]; then
    mkdir -p idp idi
    "$PQT" strings idp/a.parquet key,url 'k0|https://example.test/0.jpg' \
        '\N|https://example.test/1.jpg' '|https://example.test/2.jpg' \
        'x\0y|https://example.test/3.jpg' 'k0|https://example.test/4.jpg' &&
        "$PQT" strings idi/00000.parquet key,url 'k0|https://ok.test/0.jpg' \
            'k1|https://example.test/1.jpg' 'k1|https://ok.test/2.jpg' \
            '\N|https://example.test/3.jpg' || bad "pq_tool strings (ids)"
    $PY - <<'EOF2' || bad "make idi"
import io, tarfile
t = tarfile.open('idi/00000.tar', 'w', format=tarfile.GNU_FORMAT)
for k, j in (('k0', '{"url": "https://example.test/0.jpg"}'), ('k2', '{}'), ('k0', '{}')):
    for ext, b in (('json', j.encode()), ('txt', b'benign')):
        ti = tarfile.TarInfo(k + '.' + ext); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
t.close()
EOF2
    printf 'https://example.test/%s.jpg\n' 0 1 2 3 4 >idp-url.txt
    "$BIN" list build -q -t url -o idp-url.dvl idp-url.txt
    "$BIN" scan -q idp -l idp-url.dvl -o out-idp >/dev/null 2>&1; echo $? >rc-idp
    "$BIN" scan -q idp -l idp-url.dvl -o out-idp-x --id-col nope >/dev/null 2>&1; echo $? >rc-idp-x
    "$BIN" scan -q idi -l idp-url.dvl -o out-idi --clean clean-idi >/dev/null 2>&1; echo $? >rc-idi
    check "parquet and img2dataset ids: null, empty, NUL, no column, repeated keys" $PY -c "
import json, tarfile
def errs(d): return [(x['row'], x['id'], x['message']) for x in map(json.loads, open(d + '/errors.jsonl')) if x['reason'] == 'bad_id']
def rem(d): return [tuple(l.split('\t')[:5:4]) for l in open(d + '/removal.txt').read().splitlines()[1:]]
assert [open('rc-idp' + x).read().strip() for x in ('', '-x')] == ['1', '1']
assert open('rc-idi').read().strip() == '1'
assert rem('out-idp') == [('k0', '0'), ('a:1', '1'), ('a:2', '2'), ('a:3', '3'), ('k0', '4')], rem('out-idp')
w = \"idp/a.parquet: row %d: column key %s: the item's id is a:%d\"
assert errs('out-idp') == [(1, 'a:1', w % (1, 'is null', 1)), (2, 'a:2', w % (2, 'is empty', 2)),
                           (3, 'a:3', w % (3, 'holds a NUL byte', 3))], errs('out-idp')
assert errs('out-idp-x') == [(0, 'a:0', \"idp/a.parquet: no column 'nope' (--id-col): its rows are named by shard and row (NAME:ROW)\")], errs('out-idp-x')
assert rem('out-idp-x') == [('a:%d' % r, str(r)) for r in range(5)], rem('out-idp-x')
assert rem('out-idi') == [('k0', '0'), ('k1', '1'), ('00000:3', '3')], rem('out-idi')
assert errs('out-idi') == [
    (6, 'k0', 'idi/00000.tar: sample 2 (key k0): the key of sample 0 too, which is joined with row 0 of idi/00000.parquet: this sample is joined with no row'),
    (2, 'k1', 'idi/00000.parquet: row 2 (key k1): the key of row 1 too: samples of one key are joined with its rows in turn, and removal.txt names each item by its row'),
    (3, '00000:3', \"idi/00000.parquet: row 3: column key is null: the item's id is 00000:3\")], errs('out-idi')
names = tarfile.open('clean-idi/00000.tar').getnames()
assert names == ['k2.json', 'k2.txt', 'k0.json', 'k0.txt'], names
"
fi
# blanks at a dataset URL's ends are dropped before it is matched, as list build drops them
# from a list's lines: "https://example.test/x.jpg " in a CSV or JSONL column (parquet the
# same) is the listed URL, found; until 2026-12-07 it was https://example.test/x.jpg%20, no
# match and no error, the scan clean (exit 0)
printf 'https://example.test/x.jpg\n' >blank-url.txt
"$BIN" list build -q -t url -o blank-url.dvl blank-url.txt
mkdir -p blankurl
printf 'url,caption\nhttps://example.test/x.jpg ,a\n"\thttps://example.test/x.jpg\r",b\n' \
    >blankurl/a.csv
printf '{"url": " https://example.test/x.jpg\\t"}\n{"url": "https://example.test/y.jpg "}\n' \
    >blankurl/b.jsonl
"$BIN" scan -q blankurl -l blank-url.dvl -o out-blankurl >/dev/null 2>err-blankurl
echo $? >rc-blankurl
check "a URL with blanks at its ends: matched as the listed URL (value the key), exit 1" $PY -c "
import json
assert open('rc-blankurl').read().strip() == '1', open('err-blankurl').read()
m = sorted((x['id'], x['url'], x['value']) for x in map(json.loads, open('out-blankurl/matches.jsonl')))
k = 'https://example.test/x.jpg'
assert m == [('a:0', k + '%20', k), ('a:1', '%09' + k + '%0D', k), ('b:0', '%20' + k + '%09', k)], m
assert not open('out-blankurl/errors.jsonl').read()"
check "a list or flag that checked nothing is a warning, in summary.json too" sh -c "
grep -q 'warning: list pdq.dvl (pdq) checked no item: no item had an image' err-cov &&
grep -q '\"pdq.dvl\": 0' out-cov/summary.json &&
grep -q 'warning: --flag-punsafe: no item had a numeric punsafe column' err-cov2 &&
grep -q 'nothing was flagged' out-cov2/summary.json && ! grep -q 'md5.dvl.*checked no item' err-cov2"
: >empty-in.txt
"$BIN" list build -q -t md5 -o empty.dvl empty-in.txt
"$BIN" scan -q ds/wds -l empty.dvl -l md5.dvl -o out-empty >/dev/null 2>err-empty
check "a list with no entries is a warning, in summary.json too" sh -c "
grep -q 'warning: list empty.dvl holds no entries: it can match nothing' err-empty &&
grep -q 'list empty.dvl holds no entries' out-empty/summary.json &&
! grep -q 'md5.dvl holds no entries' err-empty"
printf 'url,caption\nhttps://example.test/x.jpg,a\n,no url\n' >emptyurl.csv
"$BIN" scan -q emptyurl.csv -l url.dvl -o out-eu >/dev/null 2>err-eu
check "a URL list's row without a URL: an error naming the line, not an incomplete scan" sh -c "
[ $? -eq 0 ] && grep -q 'emptyurl.csv:3: empty or missing' out-eu/errors.jsonl && ! grep -q incomplete err-eu"
# URL lists as datasets ship them: LAION's URL,TEXT; WIT's image_url beside page_url; CC12M's
# TSV without a header (url TAB caption); a caption term found through TEXT
u=$(head -1 ds/lists/url.txt)
mkdir -p shipped
printf 'URL,TEXT\n%s,a photo\nhttps://example.test/n.jpg,%s\n' "$u" "$(grep -v "^#" ds/lists/terms.txt | head -1)" >shipped/laion.csv
printf 'language\tpage_url\timage_url\tpage_title\nen\thttps://example.test/wiki\t%s\tP\n' "$u" >shipped/wit.tsv
printf '%s\tcaption one\nhttps://example.test/y.jpg\tcaption two\n' "$u" >shipped/cc12m.tsv
"$BIN" scan -q shipped -l url.dvl --flag-terms ds/lists/terms.txt -o out-shipped >/dev/null 2>err-shipped
echo $? >rc-shipped
check "URL lists as shipped (URL/TEXT, image_url, no header row): every planted URL found" sh -c "
[ \$(cat rc-shipped) -eq 1 ] && [ ! -s out-shipped/errors.jsonl ] &&
[ \$(grep -c '\"hash_type\":\"url\"' out-shipped/matches.jsonl) -eq 3 ] &&
grep -q '\"id\":\"cc12m:0\".*\"hash_type\":\"url\"' out-shipped/matches.jsonl &&
grep -q '\"id\":\"laion:1\".*\"hash_type\":\"terms\"' out-shipped/matches.jsonl &&
\"$BIN\" inspect shipped/cc12m.tsv | grep -q '^recognised: url=(field 1) caption=(field 2)'"
# (written as every output writes a URL column's value, URL or not: spaces as %20)
check "a row that is not a URL: a bad_url error naming it, its file and line" sh -c "
grep -q '\"row\":0,.*\"url\":\"not%20a%20url\",\"reason\":\"bad_url\",\"message\":\"badurl.csv:2: not a URL' out-badurl/errors.jsonl &&
[ \$(wc -l <out-badurl/errors.jsonl) -eq 1 ] &&
grep -q '\"row\":1,.*\"reason\":\"bad_url\",\"message\":\"badurl.txt:2: not a URL' out-badurl-txt/errors.jsonl &&
grep -q '\"row\":1,.*\"reason\":\"bad_url\",\"message\":\"badurl2.csv:4: not a URL' out-badurl2/errors.jsonl"

# summary, modes, report
check "summary.json is JSON with per-list counts" $PY -c "
import json; s=json.load(open('out-wds/summary.json'))
assert s['counts']['items'] == 120, s['counts']
assert s['counts']['per_list']['known-md5.match'] >= 1
assert len(s['lists']) == 3 and all(len(l['digest']) == 64 for l in s['lists'])
assert len(s['inputs']) == 8"
check "outdir 0700, files 0600" sh -c '
[ "$(stat -c %a out-wds)" = 700 ] || exit 1
for f in out-wds/*.* out-wds/shards/*; do [ "$(stat -c %a "$f")" = 600 ] || { echo "$f"; exit 1; }; done'
check "report.html has no script and names the lists" sh -c '
! grep -qi "<script" out-wds/report.html && grep -q known-pdq out-wds/report.html'
# report.html shows up to 1000 findings of each tier and says how many more there are: 1100
# URLs matched and flagged, so candidates come after 1100 matches in matches.jsonl (the
# merge kept the first 1000 findings of both, and the page showed no candidate and no note)
$PY -c "
print('url,caption')
for i in range(1100): print('http://many.example/%d.jpg,a forbidden-term here' % i)" >many.csv
$PY -c "
for i in range(1100): print('http://many.example/%d.jpg' % i)" >many-url.txt
"$BIN" list build -q -t url -o many.dvl many-url.txt
"$BIN" scan -q many.csv -l many.dvl --flag-terms ds/lists/terms.txt -o out-many >/dev/null 2>&1
check "report.html: 1000 matches and 1000 candidates shown, the 100 more of each counted" sh -c '
[ "$(grep -c "<td class=\"tier-match\">match</td>" out-many/report.html)" -eq 1000 ] &&
[ "$(grep -c "<td class=\"tier-candidate\">candidate" out-many/report.html)" -eq 1000 ] &&
grep -q "100 more matches are not shown" out-many/report.html &&
grep -q "100 more candidates are not shown" out-many/report.html'
check "lists are named by digest, not copied" sh -c '
! grep -q "$(sed -n 3p ds/lists/md5.txt)" out-laion/summary.json'

# -j independence
"$BIN" scan -q ds/wds $L -o out-j1 -j 1 >/dev/null 2>&1
for f in matches.jsonl matches.parquet summary.json report.html removal.txt errors.jsonl; do
    check "-j 1 and -j 2 give the same $f" cmp out-j1/$f out-wds/$f
done
# several shards are scanned side by side (a worker a shard): the same bytes as one at a
# time, for images (wds) and metadata alone (laion), without a PDQ list (and with one: the
# -j 1 / -j 2 comparison above)
for lay in wds laion; do
    "$BIN" scan -q ds/$lay -l md5.dvl -l url.dvl --flag-terms ds/lists/terms.txt \
        --flag-punsafe 0.5 -o out-w1-$lay -j 1 >/dev/null 2>&1
    "$BIN" scan -q ds/$lay -l md5.dvl -l url.dvl --flag-terms ds/lists/terms.txt \
        --flag-punsafe 0.5 -o out-w3-$lay -j 3 >/dev/null 2>&1
    for f in matches.jsonl matches.parquet summary.json report.html removal.txt errors.jsonl; do
        check "$lay, no PDQ list: -j 1 and -j 3 (shard workers) give the same $f" \
            cmp out-w1-$lay/$f out-w3-$lay/$f
    done
done
check "shard workers: findings were made (the comparison is not of empty outputs)" sh -c "
[ -s out-w3-laion/matches.jsonl ] && [ -s out-w3-wds/matches.jsonl ] &&
grep -q '\"hash_type\":\"md5\"' out-w3-wds/matches.jsonl && grep -q '\"hash_type\":\"terms\"' out-w3-laion/matches.jsonl"

# other parameters into the same outdir are refused
"$BIN" scan -q ds/wds -l md5.dvl -o out-wds >/dev/null 2>why
check "other parameters into one outdir: exit 2" test $? -eq 2
# the differing parameter is quoted as name=value, the dataset as given each time
"$BIN" scan -q ds/wds/ -l md5.dvl -o out-wds >/dev/null 2>why-sp
check "other parameters: the difference quoted as name=value" grep -qF \
    'first difference at: dataset=ds/wds/; the earlier scan has: dataset=ds/wds)' why-sp
# the refusal quotes the earlier scan's line (and a named column may quote a parquet's
# names): what reaches the terminal has no control bytes (written \xHH, datavet(1))
"$BIN" scan -q ds/wds -l md5.dvl -o out-esc >/dev/null 2>&1
sed -i "s/^caption_col\t.*/caption_col\t$(printf '\033')]0;owned$(printf '\007')/" out-esc/scan.params
"$BIN" scan -q ds/wds -l md5.dvl -o out-esc >/dev/null 2>why-esc
echo $? >rc-esc
check "other parameters: the earlier line is quoted without its control bytes" sh -c "
[ \$(cat rc-esc) -eq 2 ] && grep -qF 'the earlier scan has: caption_col=\\x1B]0;owned\\x07' why-esc &&
! grep -q \"\$(printf '\\033')\" why-esc && ! grep -q \"\$(printf '\\007')\" why-esc"

# runs into one outdir are kept apart by OUTDIR/lock (fcntl record locks, which python's
# lockf takes too): a shard another process scans, or a merge under way, refuses a run
"$BIN" scan -q ds/wds -l md5.dvl -o out-lk --no-merge --shards 0-0 >/dev/null 2>&1
check "a shard locked by another process refuses the scan; a merge under way refuses both" $PY -c "
import fcntl, os, subprocess
fd = os.open('out-lk/lock', os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 3)   # byte 3: shard 2
run = lambda *a: subprocess.run(['$BIN'] + list(a), capture_output=True, text=True)
r = run('scan', '-q', 'ds/wds', '-l', 'md5.dvl', '-o', 'out-lk')
assert r.returncode == 2 and 'shards 1-3: another datavet run (pid %d) is scanning' % os.getpid() in r.stderr, r
r = run('scan', '-q', 'ds/wds', '-l', 'md5.dvl', '-o', 'out-lk', '--shards', '1-1', '--no-merge')
assert r.returncode in (0, 1), r
fcntl.lockf(fd, fcntl.LOCK_UN, 1, 3)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)   # the whole file: a merge
for a in (('merge', '-q', 'out-lk'), ('scan', '-q', 'ds/wds', '-l', 'md5.dvl', '-o', 'out-lk')):
    r = run(*a)
    assert r.returncode == 2 and 'another datavet run (pid %d)' % os.getpid() in r.stderr, r
assert not os.path.exists('out-lk/matches.jsonl')
"
"$BIN" scan -q ds/wds -l md5.dvl -o out-lk >/dev/null 2>&1
check "once the other process is gone, the scan completes" sh -c "[ $? -eq 1 ] && [ -s out-lk/matches.jsonl ]"

# a done shard whose files changed since is not taken as scanned: refused, naming it;
# deleting its records scans it again
cp -r ds/wds chg
"$BIN" scan -q chg -l md5.dvl -o out-chg >/dev/null 2>&1
cp ds/wds/00001.tar chg/00000.tar
"$BIN" scan -q chg -l md5.dvl -o out-chg >/dev/null 2>err-chg
rc=$?
check "a shard replaced after it was scanned: the rerun is refused, naming it" sh -c "
[ $rc -eq 2 ] && grep -q 'shard 0 (chg/00000.tar): its files changed' err-chg"
rm out-chg/shards/000000.*
"$BIN" scan -q chg -l md5.dvl -o out-chg >/dev/null 2>&1
check "its records deleted, the rerun scans it again" sh -c "
[ \$(grep -c '\"shard\":\"00000\"' out-chg/matches.jsonl) -eq \$(grep -c '\"shard\":\"00001\"' out-chg/matches.jsonl) ]"
# the fetch policy is a parameter: data: URIs need no network, so no URL is fetched here
printf 'url\ndata:image/jpeg;base64,%s\n' "$(base64 -w0 known0.jpg)" >fp.csv
"$BIN" scan -q --fetch fp.csv -l md5.dvl -o out-fp --no-merge >/dev/null 2>&1
"$BIN" scan -q --fetch --allow-private fp.csv -l md5.dvl -o out-fp >/dev/null 2>err-fp
check "a resume with another fetch policy is refused" sh -c "
[ $? -eq 2 ] && grep -q 'first difference at: fetch_allow_addr' err-fp"

# --clean into the dataset, OUTDIR or a folder this scan did not write: refused before the
# scan; into its own folder again: written again
cp -r ds/wds cds && mkdir other && echo precious >other/00000.tar
"$BIN" scan -q cds -l md5.dvl -o out-cds --clean cds >/dev/null 2>err-cds1
rc1=$?
"$BIN" scan -q cds -l md5.dvl -o out-cds2 --clean other >/dev/null 2>err-cds2
rc2=$?
"$BIN" scan -q cds -l md5.dvl -o out-cds3 --clean out-cds3/c >/dev/null 2>err-cds3
rc3=$?
check "--clean: the dataset, a folder not its own, one inside OUTDIR: refused, nothing harmed" sh -c "
[ $rc1 -eq 2 ] && grep -q 'cannot be the dataset' err-cds1 && cmp cds/00000.tar ds/wds/00000.tar &&
[ $rc2 -eq 2 ] && grep -q 'not empty and this scan did not write it' err-cds2 && grep -qx precious other/00000.tar &&
[ $rc3 -eq 2 ] && grep -q 'cannot be OUTDIR' err-cds3 && [ ! -e out-cds/shards/000000.done ]"
"$BIN" scan -q cds -l md5.dvl -o out-cds4 --clean cl4 >/dev/null 2>&1
"$BIN" merge -q out-cds4 --clean cl4 >/dev/null 2>err-cds4
check "--clean: the scan's own folder is written again by a rerun of the merge" sh -c "
[ $? -eq 1 ] && [ ! -s err-cds4 ] && cd cl4 && sha256sum -c --quiet ../out-cds4/clean.sha256"
check "--clean: every file of the copy is 0600" sh -c '[ -z "$(find cl4 -type f ! -perm 600)" ]'
"$BIN" merge -q out-cds4 >/dev/null 2>err-cds5
check "a merge without --clean removes the earlier copy's removal-public.txt and clean.sha256, saying so" sh -c "
[ ! -e out-cds4/removal-public.txt ] && [ ! -e out-cds4/clean.sha256 ] && [ -e out-cds4/clean.key ] &&
grep -q 'of an earlier --clean were removed' err-cds5 && ! grep -q '\"clean\"' out-cds4/summary.json"
"$BIN" merge -q out-cds4 --clean cl4 >/dev/null 2>err-cds6
check "... and merge --clean writes the copy again into its own folder" sh -c "
[ $? -eq 1 ] && [ -s out-cds4/clean.sha256 ] && cd cl4 && sha256sum -c --quiet ../out-cds4/clean.sha256"
# a shard's files swapped after the scan: merge --clean refuses (removal.txt names rows of
# the files as scanned)
cp -r ds/wds swp && "$BIN" scan -q swp -l md5.dvl -o out-swp >/dev/null 2>&1
for e in tar parquet; do mv swp/00000.$e t.$e; mv swp/00001.$e swp/00000.$e; mv t.$e swp/00001.$e; done
"$BIN" merge -q out-swp --clean cl-swp >/dev/null 2>err-swp
check "merge --clean after the shards' files changed: refused, naming the shard, nothing written" sh -c "
[ $? -eq 2 ] && grep -q 'shard 0 (swp/00000.tar): its files changed after it was scanned' err-swp &&
[ ! -e cl-swp ] && [ ! -e out-swp/clean.dir ]"
# a parquet dataset with a few images beside it (a repository's assets): the parquet files
# are the dataset, the images named as not scanned
mkdir -p pqa/assets && cp ds/laion/*.parquet pqa/ && for i in 1 2 3 4 5 6 7 8 9; do cp known0.jpg pqa/assets/$i.jpg; done
"$BIN" scan -q pqa -l md5.dvl -o out-pqa >/dev/null 2>err-pqa
check "parquet files with more images beside them: the parquet is scanned, the images named" sh -c "
[ $? -eq 1 ] && grep -q '\"layout\": \"parquet\"' out-pqa/summary.json &&
grep -q '9 image files beside the parquet files: NOT scanned' err-pqa"
# a shard that cannot be read whole is left out of the copy, named; the rest is written
cp -r ds/wds cbad && head -c 3000 ds/wds/00001.tar >cbad/00001.tar
"$BIN" scan -q cbad -l md5.dvl -o out-cbad --clean cl-bad >/dev/null 2>err-cbad
rc=$?
check "--clean with a truncated shard: it is left out and named, the others written, exit 2" sh -c "
[ $rc -eq 2 ] && grep -q 'shard 00001 left out of the cleaned copy: cbad/00001.tar' err-cbad &&
[ ! -e cl-bad/00001.tar ] && [ -s cl-bad/00000.tar ] && ! grep -q 00001 out-cbad/clean.sha256 &&
grep -q '\"shards_left_out\": 1' out-cbad/summary.json &&
grep -q '^datavet scan: the scan is incomplete: 1 read error (errors.jsonl), 1 shard left out of the cleaned copy;' err-cbad"

# resume after kill -9 at 20 points: same bytes as an uninterrupted run
"$MK" big $PHOTOS --items 240 --shards 24 >/dev/null
"$BIN" scan -q big/wds $L -o ref -j 1 >/dev/null 2>&1
i=0
while [ $i -lt 20 ]; do
    "$BIN" scan -q big/wds $L -o resumed -j 1 >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(( (i * 37) % 9 + 1 ))"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    i=$((i + 1))
done
"$BIN" scan -q big/wds $L -o resumed -j 1 >/dev/null 2>&1
for f in matches.parquet summary.json matches.jsonl removal.txt report.html; do
    check "kill -9 x20 then resume: same $f" cmp ref/$f resumed/$f
done
check "no temporary files left" sh -c '! ls resumed/shards | grep -q tmp'

# merge after --no-merge runs of disjoint shard sets equals one scan
"$BIN" scan -q big/wds $L -o parts --shard-index 0 --shard-count 2 --no-merge >/dev/null 2>&1
"$BIN" merge -q parts >/dev/null 2>why
check "merge with shards missing: exit 2" test $? -eq 2
"$BIN" scan -q big/wds $L -o parts --shards 1-23 --no-merge >/dev/null 2>&1
"$BIN" merge -q parts >/dev/null 2>&1
for f in matches.parquet summary.json report.html; do
    check "shard subsets + merge: same $f" cmp ref/$f parts/$f
done
# an output that cannot be written (here a folder in the way; a full disk the same): the file
# and the reason named, exit 2 (summary.json said only "input/output error", report.html no
# reason); a merge once it is out of the way writes the outputs
cp -r parts nowrite && rm nowrite/summary.json nowrite/report.html && mkdir nowrite/summary.json.tmp
"$BIN" merge -q nowrite >/dev/null 2>nwhy
check "merge: summary.json cannot be created: exit 2, the file and the reason named" sh -c "
[ $? -eq 2 ] && grep -q '^datavet merge: nowrite/summary.json.tmp: cannot create: Is a directory' nwhy"
rmdir nowrite/summary.json.tmp && mkdir -p nowrite/summary.json/x
"$BIN" merge -q nowrite >/dev/null 2>nwhy
check "merge: summary.json cannot be put in place: exit 2, the file and the reason named" sh -c "
[ $? -eq 2 ] && grep -q '^datavet merge: nowrite/summary.json: cannot write: Is a directory' nwhy"
rm -r nowrite/summary.json && mkdir -p nowrite/report.html/x
"$BIN" merge -q nowrite >/dev/null 2>nwhy
check "merge: report.html cannot be put in place: exit 2, the file and the reason named" sh -c "
[ $? -eq 2 ] && grep -q '^datavet merge: nowrite/report.html: cannot write the report: Is a directory' nwhy"
rm -r nowrite/report.html && "$BIN" merge -q nowrite >/dev/null 2>&1
check "... and out of the way, the merge writes the outputs" cmp ref/report.html nowrite/report.html
# a record line past the 4 MiB cap: refused with the file named, bounded memory
cp -r parts longrec
{ head -c 5000000 /dev/zero | tr '\0' a; echo; cat parts/shards/000000.rec; } >longrec/shards/000000.rec
"$BIN" merge -q longrec >/dev/null 2>longwhy
check "merge of a record over 4 MiB: exit 2" test $? -eq 2
check "merge of a record over 4 MiB: says so" grep -q "000000.rec: a record longer than 4 MiB" longwhy
# a record file damaged after its scan (its done marker is there, so a rerun skips the
# shard): the merge names the file and the line, and says what to do; doing it works
cp -r parts damaged
grep -v '^END$' parts/shards/000003.rec >damaged/shards/000003.rec
"$BIN" merge -q damaged >/dev/null 2>dwhy
check "merge of a record file cut short: exit 2, the line and the way out named" sh -c "
[ $? -eq 2 ] && grep -q 'damaged/shards/000003.rec: cut short after line [0-9]* (no END record): \
delete damaged/shards/000003.\* and run the scan again' dwhy"
{ head -2 parts/shards/000003.rec; echo 'X	junk'; tail -n +3 parts/shards/000003.rec; } \
    >damaged/shards/000003.rec
"$BIN" merge -q damaged >/dev/null 2>dwhy
check "merge of a damaged record line: exit 2, the line named" sh -c "
[ $? -eq 2 ] &&
grep -q 'damaged/shards/000003.rec: line 3: unreadable record (damaged after the scan)' dwhy"
rm damaged/shards/000003.*
"$BIN" scan -q big/wds $L -o damaged --no-merge >/dev/null 2>&1
"$BIN" merge -q damaged >/dev/null 2>&1
check "... and the shard deleted, a rerun and merge give the outputs again" \
    cmp ref/matches.parquet damaged/matches.parquet

# corrupt shards in the middle are reported and skipped
cp -r ds/wds bad
head -c 3000 ds/wds/00001.tar >bad/00001.tar
printf 'PAR1garbagePAR1' >bad/00002.parquet
"$BIN" scan -q bad $L -o out-bad >/dev/null 2>err-bad
rc=$?
check "corrupt shards: errors name the files" sh -c 'grep -q "00001.tar" out-bad/errors.jsonl && grep -q "00002" out-bad/errors.jsonl'
check "corrupt shards: exit 2 with findings written, the scan said incomplete" sh -c "
[ $rc -eq 2 ] && grep -q 'the scan is incomplete: [0-9]* read error' err-bad && [ -s out-bad/matches.jsonl ] &&
grep -q '\"read_errors\": [1-9]' out-bad/summary.json && grep -q 'INCOMPLETE' out-bad/report.html"
check "corrupt shards: the scan names each on stderr, as a --no-merge run does" sh -c "
grep -A1 '^  shard 1 (bad/00001.tar): 1 read error, the first: .*truncated' err-bad |
    grep -q '^  shard 2 (bad/00002.tar): 1 read error, the first: bad/00002.parquet'"
check "corrupt shards: the others are scanned, and the tar of a corrupt metadata parquet" $PY -c "
import json; ids=set(json.loads(l)['shard'] for l in open('out-bad/matches.jsonl'))
assert '00000' in ids and '00003' in ids and '00002' in ids, ids
e=[json.loads(l) for l in open('out-bad/errors.jsonl')]
assert any('00002.parquet' in x['message'] and 'the tar is read without it' in x['message'] for x in e), e"
# --no-merge (cluster tasks): a run whose shards could not all be read exits 2 as well, naming
# them in shard order whatever -j; a run of a good shard alone exits 1; the files it writes
# are unchanged: the merge gives the outputs of the merged scan, and says it is incomplete
"$BIN" scan -q bad $L -o out-badnm --no-merge -j 2 >/dev/null 2>err-badnm
echo $? >rc-badnm
"$BIN" scan -q bad $L -o out-badnm0 --no-merge --shards 0-0 >/dev/null 2>err-badnm0
echo $? >rc-badnm0
"$BIN" merge -q out-badnm >/dev/null 2>err-badnmm
echo $? >rc-badnmm
check "corrupt shards, --no-merge: exit 2 naming them; a good shard alone 1; the merge as the scan" sh -c "
[ \$(cat rc-badnm) -eq 2 ] && [ \$(cat rc-badnm0) -eq 1 ] && [ \$(cat rc-badnmm) -eq 2 ] &&
grep -q '^datavet scan: the scan is incomplete: 2 read errors in the shards this run scanned' err-badnm &&
grep -A1 '^  shard 1 (bad/00001.tar): 1 read error, the first: .*truncated' err-badnm |
    grep -q '^  shard 2 (bad/00002.tar): 1 read error, the first: bad/00002.parquet' &&
! grep -q incomplete err-badnm0 && grep -q 'the scan is incomplete' err-badnmm &&
for f in matches.parquet matches.jsonl errors.jsonl summary.json removal.txt report.html; do
    cmp out-bad/\$f out-badnm/\$f || exit 1; done"
# a merge of an OUTDIR with shards not scanned names them, and what to do
"$BIN" merge -q out-badnm0 >/dev/null 2>err-badnm0m
echo $? >rc-badnm0m
check "merge with shards not done: exit 2, names them and says to scan them first" sh -c "
[ \$(cat rc-badnm0m) -eq 2 ] &&
grep -qE '^datavet merge: shards not done: 1( [0-9]+)* \(of [0-9]+\): scan them into this OUTDIR first \(the same scan command, with --shards A-B for those, or without it: done shards are kept\), then merge$' err-badnm0m"

# a bad header in the middle of a sample (member #5, the second sample's .txt): the members
# before it were read whole, so that sample's image is hashed (here it is on the list), and
# the read error still names the shard and the offset (exit 2). Before, the sample was lost
# with the header ('status success but no sample') and its image never hashed.
rm -rf badh && mkdir badh && cp ds/wds/00000.tar ds/wds/00000.parquet badh/
$PY - <<'EOF' >badh-info
import tarfile, hashlib
t = tarfile.open('badh/00000.tar')
ms = t.getmembers()
assert ms[3].name.endswith('.jpg') and ms[4].name.endswith('.txt'), [m.name for m in ms[:6]]
assert ms[3].name.split('.')[0] == ms[4].name.split('.')[0] != ms[2].name.split('.')[0]
open('badh-md5.txt', 'w').write(hashlib.md5(t.extractfile(ms[3]).read()).hexdigest() + '\n')
print(ms[4].offset, ms[3].name.split('.')[0])
t.close()
f = open('badh/00000.tar', 'r+b')
f.seek(ms[4].offset + 5)
b = f.read(1)
f.seek(ms[4].offset + 5)
f.write(bytes([b[0] ^ 1]))
EOF
read -r badh_off badh_key <badh-info
"$BIN" list build -q -t md5 -o badh-md5.dvl badh-md5.txt
"$BIN" scan -q badh -l badh-md5.dvl -o out-badh >/dev/null 2>err-badh
rc=$?
check "a bad header inside a sample: the image before it hashed (a match), the error named, exit 2" sh -c "
[ $rc -eq 2 ] && grep -q 'the scan is incomplete: 1 read error' err-badh &&
grep -q '\"reason\":\"corrupt\",\"message\":\"badh/00000.tar: member #5: bad header checksum at offset $badh_off ' out-badh/errors.jsonl &&
! grep -q 'key $badh_key) has status success but no sample' out-badh/errors.jsonl &&
grep -q '\"id\":\"$badh_key\"' out-badh/matches.jsonl"

# --clean: the cleaned copy has no findings left; DuckDB reads it
for lay in laion wds hf; do
    "$BIN" scan -q ds/$lay $L -o cl-$lay --clean clean-$lay --decoys 3 >/dev/null 2>&1
    "$BIN" scan -q clean-$lay $L -o re-$lay >/dev/null 2>&1
    check "$lay --clean: re-scan finds nothing" test $? -eq 0 -a ! -s re-$lay/matches.jsonl
    check "$lay --clean: removal-public.txt hides removed ids among decoys" sh -c "
n=\$(tail -n +2 cl-$lay/removal.txt | wc -l); p=\$(wc -l <cl-$lay/removal-public.txt)
d=\$((n * 3)); [ \$d -gt \$((120 - n)) ] && d=\$((120 - n))
[ \$n -gt 0 ] && [ \$p -eq \$((n + d)) ]"
    check "$lay --clean: commitment in summary.json" grep -q '"commitment": "[0-9a-f]\{64\}"' cl-$lay/summary.json
    # what an auditor given clean.key recomputes (docs/scan.md): the commitment over the
    # removed ids, and removal-public.txt in HMAC-SHA-256 order, the removed ids in it (here
    # every kept id is a decoy: 3 a removed id pass the 120 items)
    check "$lay --clean: an auditor with clean.key recomputes the commitment and the decoy draw" $PY -c "
import hashlib, hmac, re
k = open('cl-$lay/clean.key', 'rb').read()
pk = hmac.new(k, b'datavet decoy prf', hashlib.sha256).digest()
salt = hmac.new(k, b'datavet commitment salt', hashlib.sha256).digest()
rem = [l.split('\t')[0] for l in open('cl-$lay/removal.txt').read().splitlines()[1:]]
want = hashlib.sha256(salt + b''.join(i.encode() + b'\n' for i in sorted(set(rem)))).hexdigest()
got = re.search(r'\"commitment\": \"([0-9a-f]{64})\"', open('cl-$lay/summary.json').read()).group(1)
assert got == want, (got, want)
pub = open('cl-$lay/removal-public.txt').read().splitlines()
sc = [hmac.new(pk, i.encode(), hashlib.sha256).digest() for i in pub]
assert sc == sorted(sc) and set(rem) <= set(pub) and len(set(pub)) == len(pub), 'not in PRF order'
"
    check "$lay --clean: clean.sha256 names every file of the copy; sha256sum -c agrees" sh -c "
[ \"\$(cut -c67- cl-$lay/clean.sha256)\" = \"\$(cd clean-$lay && find . -type f ! -name .datavet-owner | sed 's|^./||' | LC_ALL=C sort)\" ] &&
cd clean-$lay && sha256sum -c --quiet ../cl-$lay/clean.sha256"
done
# the cleaned copy runs a shard a worker: the same bytes whatever -j, the decoy draw included
# (--decoys 1: fewer decoys than kept ids, so most ids are refused by the draw)
for lay in laion wds; do
    "$BIN" scan -q ds/$lay $L -o cj-$lay --clean cjc-$lay --decoys 1 -j 1 >/dev/null 2>&1
    mkdir -p cj1-$lay && cp cj-$lay/removal-public.txt cj-$lay/clean.sha256 cj-$lay/summary.json cj1-$lay/
    "$BIN" merge -q -j 3 cj-$lay --clean cjc-$lay >/dev/null 2>&1
    check "$lay --clean: merge -j 3 writes what -j 1 wrote (copy, checksums, decoys, commitment)" sh -c "
n=\$(tail -n +2 cj-$lay/removal.txt | wc -l) &&
[ \$(wc -l <cj-$lay/removal-public.txt) -eq \$((2 * n)) ] && [ \$((2 * n)) -lt 120 ] &&
[ \$(ls cjc-$lay | wc -l) -ge 4 ] &&
for f in removal-public.txt clean.sha256 summary.json; do cmp cj1-$lay/\$f cj-$lay/\$f || exit 1; done &&
cd cjc-$lay && sha256sum -c --quiet ../cj-$lay/clean.sha256"
done
# ... and the decoys are the kept ids of smallest PRF, exactly (the draw's heap evicts those
# past the first len(rem): most with ../shared's photos, 16 of 68 with synthetic images only)
for f in ds/wds/*.parquet; do "$BIN" inspect --head 1000 "$f"; done >cj-wds-rows.jsonl 2>/dev/null
check "wds --clean -j 3: the decoys are the kept ids of smallest PRF" $PY -c "
import hashlib, hmac, json
pk = hmac.new(open('cj-wds/clean.key', 'rb').read(), b'datavet decoy prf', hashlib.sha256).digest()
ids = {json.loads(l)['key'] for l in open('cj-wds-rows.jsonl')}
rem = {l.split('\t')[0] for l in open('cj-wds/removal.txt').read().splitlines()[1:]}
kept = sorted(ids - rem, key=lambda i: hmac.new(pk, i.encode(), hashlib.sha256).digest())
pub = set(open('cj-wds/removal-public.txt').read().splitlines())
assert len(kept) > len(rem) and pub == rem | set(kept[:len(rem)]), (len(pub), len(rem))"
# two shards that cannot be read, on three workers: both left out, named in shard order
cp -r ds/wds cbad2 && head -c 3000 ds/wds/00001.tar >cbad2/00001.tar &&
    head -c 5000 ds/wds/00003.tar >cbad2/00003.tar
"$BIN" scan -q cbad2 -l md5.dvl -o out-cbad2 --clean cl-bad2 -j 3 >/dev/null 2>err-cbad2
rc=$?
check "--clean -j 3 with two truncated shards: both left out, named in shard order, exit 2" sh -c "
[ $rc -eq 2 ] && [ \"\$(grep -o 'shard 0000[0-9] left out' err-cbad2 | tr '\n' ' ')\" = \\
'shard 00001 left out shard 00003 left out ' ] && [ -s cl-bad2/00000.tar ] &&
[ -s cl-bad2/00002.tar ] && [ ! -e cl-bad2/00001.tar ] && [ ! -e cl-bad2/00003.tar ] &&
grep -q '\"shards_left_out\": 2' out-cbad2/summary.json && cd cl-bad2 &&
sha256sum -c --quiet ../out-cbad2/clean.sha256"
check "laion --clean: embeddings stay aligned" $PY -c "
import numpy as np, glob
for f in sorted(glob.glob('clean-laion/img_emb/*.npy')):
    a = np.load(f); assert a.dtype == np.float16 and a.shape[1] == 16
" 
# LAION ships text_emb/text_emb_N.npy beside img_emb/: --clean keeps them in step (here copies
# of the image embeddings, so each cleaned pair is byte-identical); an .npz that pairs with no
# parquet (DataComp's X.npz beside X.parquet: tests/cli/npz.sh) is not read, and the scan says so
rm -rf lt && cp -r ds/laion lt && mkdir -p lt/text_emb
for f in lt/img_emb/*.npy; do cp "$f" "lt/text_emb/$(basename "$f" | sed 's/^img_/text_/')"; done
printf 'PK' >lt/0000.npz
"$BIN" scan -q lt $L -o cl-lt --clean clean-lt >/dev/null 2>err-lt
echo $? >rc-lt
check "laion --clean: text_emb rows kept in step with the metadata's; an .npz named NOT read" sh -c "
[ \$(cat rc-lt) -eq 1 ] && [ -s cl-lt/removal.txt ] && n=0 &&
for f in clean-lt/img_emb/*.npy; do
  t=clean-lt/text_emb/\$(basename \$f | sed 's/^img_/text_/'); cmp \$f \$t || exit 1
  grep -q \" text_emb/\$(basename \$t)\$\" cl-lt/clean.sha256 || exit 1; n=\$((n + 1))
done && [ \$n -gt 0 ] && [ \$(cat clean-lt/text_emb/*.npy | wc -c) -lt \$(cat lt/text_emb/*.npy | wc -c) ] &&
grep -q 'text_emb/text_emb_' cl-lt/summary.json &&
grep -q '1 .npz file without a .parquet of the same name beside it (e.g. lt/0000.npz; DataComp pairs X.npz with X.parquet): NOT read' err-lt"
# Spark's part-0000N-<uuid>-c000.snappy.parquet names (every part ends in c000): each part takes
# the embeddings of its part number; two metadata files of one number take none (a --clean
# copy would otherwise write one .npy twice, and neighbours would read another file's rows)
rm -rf spark amb && mkdir -p spark amb/a amb/b && cp -r ds/laion/img_emb spark/ && cp -r ds/laion/img_emb amb/
for f in ds/laion/metadata_*.parquet; do
    n=$(basename "$f" .parquet | sed 's/^metadata_//')
    cp "$f" "spark/part-0$n-5b54c5d5-bbcf-484d-a2ce-0d6f73df1a36-c000.snappy.parquet"
done
cp ds/laion/metadata_0001.parquet amb/a/ && cp ds/laion/metadata_0001.parquet amb/b/
"$BIN" inspect --json spark >insp-spark
"$BIN" inspect --json amb >insp-amb
check "embeddings by file number: Spark part names, and one number for two metadata files" $PY -c "
import json
s = json.load(open('insp-spark'))
e = [x.get('embeddings', '') for x in s['shard_list']]
assert len(e) >= 2 and len(set(e)) == len(e) and all(x.endswith('_%04d.npy' % i) for i, x in enumerate(e)), e
assert s['embeddings_misaligned'] == 0 and not s['problems'], s
a = json.load(open('insp-amb'))
assert all('embeddings' not in x for x in a['shard_list']), a
assert sum('another metadata file has its number (1)' in p for p in a['problems']) == 2, a['problems']
"
# two subsets scanned together (LAION-5B's laion2B-en and laion2B-multi: the same file
# numbers, each with its own metadata/ and img_emb/): each metadata file takes its own
rm -rf subs && mkdir -p subs/en/metadata subs/multi
cp ds/laion/metadata_*.parquet subs/en/metadata/ && cp -r ds/laion/img_emb subs/en/
cp ds/laion/metadata_*.parquet subs/multi/ && cp -r ds/laion/img_emb subs/multi/
"$BIN" inspect --json subs >insp-subs
check "two subsets with the same file numbers: each metadata file takes its own subset's embeddings" $PY -c "
import json
s = json.load(open('insp-subs'))
sl = s['shard_list']
assert len(sl) == 8 and s['embeddings_misaligned'] == 0 and not s['problems'], s
for x in sl:
    sub = x['path'].split('/')[1]
    assert x['embeddings'].split('/')[1] == sub and x['aligned'], x
"
# every member the cleaned shard keeps (which ones depends on the planted set, synthetic or
# from ../shared/photos) equals the original's bytes
check "wds --clean: kept samples are byte-identical" sh -c '
n=0; for m in $(tar -tf clean-wds/00003.tar); do
tar -xOf ds/wds/00003.tar "$m" >a && tar -xOf clean-wds/00003.tar "$m" >b && cmp a b || exit 1
n=$((n + 1)); done; echo "$n members compared"; [ "$n" -gt 0 ]'
if [ -n "$DUCK" ] && [ -d "$DUCK/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
    # COYO's unsafe scores: nsfw_score_opennsfw2 and nsfw_score_gantman, no punsafe column
    mkdir -p coyo
    (cd "$DUCK" && node run_sql.mjs "COPY (SELECT i::BIGINT AS id, 'https://coyo.test/' || i AS url,
        'text' AS text, CASE WHEN i % 7 = 3 THEN 0.95 ELSE 0.01 END::DOUBLE AS nsfw_score_opennsfw2,
        0.5::DOUBLE AS nsfw_score_gantman FROM range(50) t(i)) TO '$T/coyo/part-00000.parquet'
        (FORMAT PARQUET)" >/dev/null)
    "$BIN" scan -q coyo -l url.dvl --flag-punsafe 0.9 -o out-coyo0 >/dev/null 2>err-coyo0
    "$BIN" scan -q coyo -l url.dvl --flag-punsafe 0.9 --punsafe-col nsfw_score_opennsfw2 \
        -o out-coyo >/dev/null 2>err-coyo
    echo $? >rc-coyo
    "$BIN" scan -q coyo -l url.dvl --flag-punsafe 0.9 --punsafe-col text -o out-coyo2 >/dev/null 2>err-coyo2
    echo $? >rc-coyo2
    check "COYO: --punsafe-col nsfw_score_opennsfw2 flags its scores; without it the warning names the option" sh -c "
grep -q 'no item had a numeric punsafe column (--punsafe-col names another' err-coyo0 &&
[ \$(cat rc-coyo) -eq 1 ] && [ \$(grep -c '\"hash_type\":\"punsafe\"' out-coyo/matches.jsonl) -eq 7 ] &&
[ \$(cat rc-coyo2) -eq 2 ] && grep -q -- '--punsafe-col text: coyo/part-00000.parquet has it, but not as a FLOAT or DOUBLE column' err-coyo2"
    # scores that are not numbers: a punsafe of inf is flagged (its value says inf) with no
    # score, -inf and NaN are not; matches.jsonl stays JSON and DuckDB reads matches.parquet
    mkdir -p infs
    (cd "$DUCK" && node run_sql.mjs "COPY (SELECT i::BIGINT AS key, 'https://inf.test/' || i AS url,
        (['inf', '-inf', 'nan', '0.95', '0.1'])[1 + i % 5]::DOUBLE AS punsafe FROM range(10) t(i))
        TO '$T/infs/part-00000.parquet' (FORMAT PARQUET)" >/dev/null)
    "$BIN" scan -q infs -l url.dvl --flag-punsafe 0.9 -o out-infs >/dev/null 2>err-infs
    echo $? >rc-infs
    check "punsafe inf flagged without a score, -inf and NaN not; the outputs read as JSON and in DuckDB" sh -c "
[ \$(cat rc-infs) -eq 1 ] && $PY -c \"
import json
rows = [json.loads(l) for l in open('out-infs/matches.jsonl')]
got = sorted((r['row'], r['value'], r.get('score')) for r in rows)
assert got == [(0, 'inf', None), (3, '0.95', 0.95), (5, 'inf', None), (8, '0.95', 0.95)], got
\" && cd '$DUCK' && node read_parquet.mjs '$T/out-infs/matches.parquet' >/dev/null"
    check "DuckDB reads the cleaned parquet and matches.parquet" sh -c "
cd '$DUCK' && node read_parquet.mjs '$T/clean-laion/metadata_0000.parquet' >/dev/null && node read_parquet.mjs '$T/out-wds/matches.parquet' >/dev/null"
    # images in a Hugging Face struct column (image.bytes), written by DuckDB: the same
    # findings as the flat column
    mkdir hfs && for f in ds/hf/*.parquet; do
        (cd "$DUCK" && node gen_hf.mjs "$T/$f" "$T/hfs/$(basename "$f")") || break; done
    "$BIN" scan -q hfs $L -o out-hfs -j 2 >/dev/null 2>err-hfs
    check "hf struct image.bytes (DuckDB): findings equal the planted set" $PY compare.py hf out-hfs
    check "hf struct image.bytes: every present image hashed" $PY -c "
import json; c=json.load(open('out-hfs/summary.json'))['counts']
assert c['items'] == 120 and c['hashed'] == c['items_with_image'] == 120 - 13, c"
    "$BIN" scan -q hfs -l md5.dvl -o out-hfimg --image-col image >/dev/null 2>err-hfimg
    check "hf struct: --image-col naming the struct points to its image.bytes leaf" sh -c "
grep -q -- '--image-col image: .*00000.parquet has no such column, but has image.bytes below it: name that leaf' err-hfimg && [ ! -e out-hfimg/summary.json ]"
    # images in a list column ([NULL, image, previous row's image] a row): every image an item
    # (the first with the row's metadata); findings: the row's own, and the previous row's
    # image findings; lists of lists are not read, and the scan says so (stderr,
    # summary.json, report.html, inspect)
    mkdir hfl hfll && for f in ds/hf/*.parquet; do
        (cd "$DUCK" && node gen_hf.mjs "$T/$f" "$T/hfl/$(basename "$f")" list &&
            node gen_hf.mjs "$T/$f" "$T/hfll/$(basename "$f")" listlist) || break; done
    "$BIN" scan -q hfl $L -o out-hfl -j 2 >/dev/null 2>err-hfl
    check "hf list of images: own and previous row's image findings, nothing else" $PY -c "
import json
exp = set()
for l in open('ds/expected.tsv'):
    f = l.rstrip('\n').split('\t')
    if f[0] == 'hf': exp.add((f[1], f[2]))
for (i, t) in list(exp):
    n = int(i) + 1
    if t in ('md5', 'pdq') and n % 30 != 0 and n < 120: exp.add(('%09d' % n, t))
got = set((json.loads(l)['id'], json.loads(l)['hash_type']) for l in open('out-hfl/matches.jsonl'))
assert got == exp, (sorted(got - exp)[:5], sorted(exp - got)[:5])"
    check "hf list of images: one item an image, metadata once, removal once an id" $PY -c "
import json; c=json.load(open('out-hfl/summary.json'))['counts']
# 107 rows with an image; 107 second images less the first row of each of the 4 files and the
# rows after an image-less row
prev = sum(1 for i in range(120) if i % 30 != 0 and (i - 1) % 9 != 4)
assert c['items_with_image'] == c['hashed'] == 107 + prev, (c, prev)"
    check "hf list of images: metadata once a row, removal once an id" $PY -c "
import json; c=json.load(open('out-hfl/summary.json'))['counts']
assert c['per_hash_type']['terms.candidate'] == json.load(open('out-hf/summary.json'))['counts']['per_hash_type']['terms.candidate'], c
ids = [l.split()[0] for l in open('out-hfl/removal.txt')][1:]
assert len(ids) == len(set(ids)), 'an id twice in removal.txt'"
    # with a url column: the row's URL is matched once (with its first image) and every
    # image's record carries it, so a row found by a later image alone has its URL in
    # removal.txt
    mkdir hflu && for f in ds/hf/*.parquet; do
        (cd "$DUCK" && node gen_hf.mjs "$T/$f" "$T/hflu/$(basename "$f")" listurl) || break; done
    $PY -c "
for l in list(open('out-hfl/removal.txt'))[1:]: print('https://example.test/' + l.split()[0])
" >urlu.txt
    "$BIN" list build -q -t url -o urlu.dvl urlu.txt
    "$BIN" scan -q hflu $L -l urlu.dvl -o out-hflu -j 2 >/dev/null 2>err-hflu
    check "hf list of images: a row's URL matched once, every image's record carries it" $PY -c "
import json
m = [json.loads(l) for l in open('out-hflu/matches.jsonl')]
want = set(l.split()[0] for l in list(open('out-hfl/removal.txt'))[1:])
urls = [x['id'] for x in m if x['hash_type'] == 'url']
assert len(want) > 10 and sorted(urls) == sorted(want), (len(urls), len(want))
old = [json.loads(l) for l in open('out-hfl/matches.jsonl')]
img = lambda v: sorted((x['id'], x['hash_type'], x['value']) for x in v if x['source'] == 'image')
assert img(m) == img(old) and len(img(m)) > 0
for x in m: assert x['url'] == 'https://example.test/' + x['id'], x
rm = list(open('out-hflu/removal.txt'))[1:]
assert len(rm) == len(want)
for l in rm: f = l.split('\t'); assert f[1] == 'https://example.test/' + f[0], l"
    # --clean copies the list column (lists of image structs) with the removed rows gone
    "$BIN" scan -q hfl $L -o out-hflc --clean clean-hfl --decoys 3 >/dev/null 2>err-hflc
    "$BIN" scan -q clean-hfl $L -o re-hfl >/dev/null 2>&1
    rs=$?
    check "hf list of images --clean: a copy of every file, a re-scan finds nothing" sh -c "
test $rs -eq 0 && [ ! -s re-hfl/matches.jsonl ] && [ -s out-hfl/matches.jsonl ] &&
[ \$(ls clean-hfl/*.parquet | wc -l) -eq \$(ls hfl/*.parquet | wc -l) ] &&
! grep -q 'list or map' err-hflc"
    "$BIN" scan -q hfll $L -o out-hfll >/dev/null 2>err-hfll
    check "hf lists of lists: the scan warns that they are not scanned" sh -c "
grep -q 'warning: .*column images.list.element.list.element.bytes holds binary values in lists of lists.*NOT scanned' err-hfll &&
grep -q 'Not everything in the dataset was scanned:</b><ul>' out-hfll/report.html &&
'$BIN' inspect hfll/train-00000.parquet | grep -q 'images in lists of lists (images.list.element.list.element.bytes)' &&
'$BIN' inspect hfl/train-00000.parquet | grep -q '^recognised: .*image=images.list.element.bytes' &&
! grep -q 'NOT scanned' out-hfl/report.html"
    check "hf lists of lists: summary.json names them first among the problems, no image read" $PY -c "
import json; s=json.load(open('out-hfll/summary.json'))
p = s['dataset_problems']
assert 'NOT scanned' in p[0] and len(p) > 1, p
assert all('checked no item' in x or 'nothing was flagged' in x for x in p[1:]), p
assert s['counts']['items_with_image'] == 0 and 'dataset_problems' not in s['parameters']"
    # --clean keeps the struct (image {bytes, path}); DuckDB reads the copy: the kept rows
    "$BIN" scan -q hfs $L -o cl-hfs --clean clean-hfs --decoys 3 >/dev/null 2>&1
    "$BIN" scan -q clean-hfs $L -o re-hfs >/dev/null 2>&1
    check "hf struct --clean: re-scan finds nothing" test $? -eq 0 -a ! -s re-hfs/matches.jsonl
    check "hf struct --clean: DuckDB reads the image struct of every kept row" sh -c "
cd '$DUCK' && node read_parquet.mjs '$T/clean-hfs/train-00000.parquet' >'$T/hfs-clean.jsonl' &&
node read_parquet.mjs '$T/hfs/train-00000.parquet' >'$T/hfs-orig.jsonl'"
    check "hf struct --clean: DuckDB's rows of the copy are the original's kept rows, structs and nulls" $PY -c "
import json
rm = set(l.split()[0] for l in open('cl-hfs/removal.txt') if not l.startswith('#'))
orig = [json.loads(l) for l in open('hfs-orig.jsonl')]
kept = [r for r in orig if r['id'] not in rm]
clean = [json.loads(l) for l in open('hfs-clean.jsonl')]
assert len(kept) < len(orig) and clean == kept, (len(orig), len(kept), len(clean))
assert any(r['image'] is None for r in clean) and any(r['image'] for r in clean)"
else
    echo "SKIP: DuckDB peer not installed: cleaned parquet not read back, no struct image column"
fi

# neighbour expansion: match-tier items' embedding rows seed the search; planted near
# copies (expected-neighbors.tsv, by brute force) come back as candidates
"$BIN" scan -q ds/laion -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nb >/dev/null 2>&1
check "neighbors: the planted rows are candidates, seeds named" $PY -c "
import json
got=set(); 
for l in open('out-nb/matches.jsonl'):
    r=json.loads(l)
    if r['hash_type'] != 'neighbors': continue
    assert r['tier'] == 'candidate' and r['seed'] and r['score'] >= 0.9, r
    got.add(r['id'])
exp=set(l.split('\t')[1] for l in open('ds/expected-neighbors.tsv'))
assert got == exp and got, (sorted(got ^ exp))
s=json.load(open('out-nb/summary.json'))['counts']
assert s['neighbor_seeds'] > 0 and sum(s['neighbor_similarity'].values()) == len(exp), s"
"$BIN" scan -q ds/laion -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nb2 --shards 0-1 --no-merge >/dev/null 2>&1
"$BIN" scan -q ds/laion -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nb2 --shards 2-3 --no-merge >/dev/null 2>&1
"$BIN" merge -q out-nb2 >/dev/null 2>&1
check "neighbors: split scan + merge gives the same bytes" sh -c 'cmp out-nb/matches.parquet out-nb2/matches.parquet && cmp out-nb/summary.json out-nb2/summary.json && cmp out-nb/report.html out-nb2/report.html'
# an embedding file changed between the tasks' scans and the merge: the neighbour stage would
# read it as it is now beside the shard's results as they were; refused, naming the shard
# (before, the merge mixed the two), nothing written; the shard scanned again, the merge runs
rm -rf ds-nbch && cp -rp ds/laion ds-nbch
"$BIN" scan -q ds-nbch -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nbch --no-merge >/dev/null 2>&1
touch -d '2020-01-01' ds-nbch/img_emb/img_emb_0002.npy
"$BIN" merge -q out-nbch >/dev/null 2>err-nbch
check "neighbors: a merge after an embedding file changed is refused, naming the shard" sh -c "
[ $? -eq 2 ] && [ ! -e out-nbch/matches.jsonl ] &&
grep -q 'shard 2 (ds-nbch/metadata_0002.parquet): its files changed .* Delete out-nbch/shards/000002.\\* and scan it again' err-nbch"
rm out-nbch/shards/000002.*
"$BIN" scan -q ds-nbch -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nbch >/dev/null 2>&1
check "... and scanned again, the outputs are those of one scan" sh -c "
sed 's|ds-nbch/|ds/laion/|g' out-nbch/matches.jsonl | cmp - out-nb/matches.jsonl"
"$BIN" scan -q ds/laion -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 --neighbors-k 1 -o out-nbk >/dev/null 2>&1
check "neighbors -k 1: no more candidates than seeds" $PY -c "
import json
n=sum(1 for l in open('out-nbk/matches.jsonl') if json.loads(l)['hash_type']=='neighbors')
s=json.load(open('out-nbk/summary.json'))['counts']['neighbor_seeds']
assert 0 < n <= s, (n, s)"

# a seed whose embedding row is NaN or zero finds nothing: left out, and said
rm -rf ds-nan && cp -r ds/laion ds-nan
$PY -c "
import json, numpy as np
seeds = []
for l in open('out-nb/matches.jsonl'):
    r = json.loads(l)
    if r['tier'] == 'match' and r.get('emb_file') and (r['emb_file'], r['emb_row']) not in seeds:
        seeds.append((r['emb_file'], r['emb_row']))
assert len(seeds) >= 3, seeds
for (f, row), val in zip(seeds[:2], (np.nan, 0.0)):
    p = 'ds-nan/img_emb/' + f.split('/')[-1]
    a = np.load(p)
    a[row] = val
    np.save(p, a)
" || bad "make the dataset with a NaN and a zero seed embedding"
"$BIN" scan -q ds-nan -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 -o out-nbnan >/dev/null 2>err-nbnan
check "neighbors: seeds with NaN or zero embeddings are left out and said to be" $PY -c "
import json
s = json.load(open('out-nbnan/summary.json'))
s0 = json.load(open('out-nb/summary.json'))
assert s['counts']['neighbor_seeds'] == s0['counts']['neighbor_seeds'] - 2, (s['counts'], s0['counts'])
assert any('2 neighbour seeds left out' in p for p in s['dataset_problems']), s['dataset_problems']
assert '2 neighbour seeds left out' in open('err-nbnan').read()"

# --fetch: the shard images served on 127.0.0.1 give the same image findings as the shards
mkdir -p srv
for t in ds/wds/*.tar; do tar -xf "$t" -C srv --wildcards '*.jpg'; done
printf 'not an image' >srv/page.jpg
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd srv && exec $PY -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
SRV=$!
i=0
while ! $PY -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/page.jpg')" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
{ echo url; for f in $(ls srv | grep -v page); do echo "http://127.0.0.1:$PORT/$f"; done
  echo "http://127.0.0.1:$PORT/missing.jpg"; echo "http://127.0.0.1:$PORT/page.jpg"; } >fetch.csv
"$BIN" scan -q fetch.csv -l md5.dvl -l pdq.dvl --dihedral --fetch -o out-f0 >/dev/null 2>&1
check "--fetch without --allow-private: loopback refused" $PY -c "
import json; st=[json.loads(l)['status'] for l in open('out-f0/fetch.jsonl')]
assert st and all(s == 'blocked_private' for s in st), set(st)"
"$BIN" scan -q fetch.csv -l md5.dvl -l pdq.dvl --dihedral --fetch --allow-private -o out-f1 -j 2 >/dev/null 2>&1
kill $SRV 2>/dev/null
wait $SRV 2>/dev/null
check "--fetch: status per URL (ok, http_404, not_image)" $PY -c "
import json; st={}
for l in open('out-f1/fetch.jsonl'):
    r=json.loads(l); st[r['url'].rsplit('/',1)[1]]=(r['status'], r['http_code'])
assert st.pop('missing.jpg') == ('http_404', 404), st
assert st.pop('page.jpg')[0] == 'not_image'
assert all(v == ('ok', 200) for v in st.values()), set(st.values())
s=json.load(open('out-f1/summary.json'))['counts']['fetch']
assert s['http_404'] == 1 and s['not_image'] == 1, s"
check "--fetch: image findings equal the shards' findings" $PY -c "
import json
f=set((json.loads(l)['url'].rsplit('/',1)[1][:-4], json.loads(l)['hash_type']) for l in open('out-f1/matches.jsonl'))
w=set((json.loads(l)['id'], json.loads(l)['hash_type']) for l in open('out-wds/matches.jsonl') if json.loads(l)['hash_type'] in ('md5','pdq'))
assert f == w, (sorted(f ^ w)[:10])"

# the progress line (--progress, stderr a pipe, as a log file is): plain lines without control
# sequences, at most one every 5 seconds however many batches the library reports (a
# 300,000-row URL list is over 1,000 batches), each stage's first and last, then the merge's
# stages, the cleaned copy's with its shards and bytes; on a terminal, one line drawn over itself
mkdir -p progds
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "https://p%d.example/%d.jpg\n", i % 977, i }' \
    >progds/urls.txt
check "progress: plain lines, one every 5 s at most, then the merge's records" $PY -c "
import subprocess, time
t = time.monotonic()
r = subprocess.run(['$BIN', 'scan', 'progds', '-l', 'url.dvl', '-o', 'out-prog', '--progress'],
                   capture_output=True)
el = time.monotonic() - t
assert r.returncode in (0, 1), (r.returncode, r.stderr[-500:])
assert b'\r' not in r.stderr and b'\033' not in r.stderr, r.stderr[:500]
lines = r.stderr.decode().splitlines()
p = [l for l in lines if l.startswith(('scan: ', 'merge: '))]
assert any(l.startswith('scan: 1/1 shards done, 300000 items,') for l in p), lines
assert 'merge: records, 1/1 shards' in p, lines
assert len(p) <= el / 5 + 6, (len(p), el, p)"
if command -v script >/dev/null 2>&1; then
    check "progress: on a terminal, one line drawn over itself" sh -c "
script -q -c '\"$BIN\" scan ds/wds -l md5.dvl -o out-progt >/dev/null' /dev/null >tty-prog 2>&1
tr '\\r' '\\n' <tty-prog | grep -q '^.\\[Kscan: 4/4 shards done' &&
tr '\\r' '\\n' <tty-prog | grep -q '^.\\[Kmerge: records, 4/4 shards'"
    # one shard (one tar of 3,000 images): an ETA before it is done, from the bytes of the tar
    # read (before 2026-12-07 only done shards gave one, so a one-shard scan never had one)
    "$MK" one --items 3000 --shards 1 >/dev/null
    check "progress: a one-shard scan shows an ETA before its shard is done" sh -c "
script -q -c '\"$BIN\" scan one/wds -l md5.dvl -o out-prog1 -j 1 >/dev/null' /dev/null >tty-prog1 2>&1
tr '\\r' '\\n' <tty-prog1 | grep -q '^.\\[Kscan: 0/1 shards done, [1-9][0-9]* items, .*, ETA [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\$'"
else
    echo "SKIP: script(1) not found; the terminal progress line is not checked"
fi
check "progress: merge --clean shows the cleaned copy's shards and bytes" sh -c "
'$BIN' scan ds/wds -l md5.dvl -o out-progc --clean progc --progress 2>e >/dev/null
[ \$? -le 1 ] && grep -q 'merge: cleaned copy, 4/4 shards, [0-9.]*/[0-9.]* GB' e &&
    '$BIN' merge out-progc --clean progc --progress 2>e2 >/dev/null
[ \$? -le 1 ] && grep -q 'merge: records, 4/4 shards' e2 && grep -q 'merge: cleaned copy, 4/4' e2 &&
    '$BIN' merge -q out-progc --clean progc 2>e3 >/dev/null
[ \$? -le 1 ] && [ ! -s e3 ]"

# no image byte is ever written: a marker inside every image must appear in no new file
MARK="DATAVET-MARKER-$$-7f3a9c"
"$MK" mk $PHOTOS --items 40 --shards 2 --marker "$MARK" >/dev/null
mkdir -p tmpw
find "$T" -type f -newer mk/expected.tsv ! -path "$T/mk/*" >/dev/null 2>&1
touch stamp
sleep 1
TMPDIR=$T/tmpw "$BIN" scan -q mk/wds $L -o out-mk -j 2 >/dev/null 2>&1
TMPDIR=$T/tmpw "$BIN" scan -q mk/hf $L -o out-mkhf -j 2 >/dev/null 2>&1
check "marker: present in the input" sh -c "grep -rqa '$MARK' mk/wds"
check "marker: the parquet image column was hashed" $PY -c "
import json; c=json.load(open('out-mkhf/summary.json'))['counts']; assert c['hashed'] > 30, c"
check "marker: in no file written by the scan (outdir, TMPDIR)" sh -c "
! grep -rla '$MARK' out-mk out-mkhf tmpw && [ -z \"\$(find tmpw -type f)\" ]"
check "marker: in no file written anywhere under the test dir" sh -c "
find . -newer stamp -type f ! -path './mk/*' -exec grep -la '$MARK' {} + | grep -q . && exit 1; exit 0"

# Text that is not UTF-8 (docs/scan.md, "Text in outputs"). A LAION copy whose URL, TEXT and
# key hold bytes that are not UTF-8 (pq_tool badutf8: URL + "?q=" 0xFF " x", TEXT + " " 0xFE,
# key + 0xFD) scanned against a list holding item 0's URL percent-encoded (the same URL to the
# lists), with caption terms and neighbours; and a URL list file of such URLs, fetched (from
# loopback: refused, no connection) and one of them refused as a URL. Every output but the
# removal list is valid UTF-8 (strict decoding); a URL reads the same in every one of them
# (percent-encoded: matches.jsonl and .parquet, errors.jsonl, fetch.jsonl, report.html, the
# export), other text has U+FFFD, matches.parquet agrees with matches.jsonl (DuckDB, which
# refuses STRING values that are not UTF-8, reads it), and removal.txt keeps the bytes.
cat >u8.py <<'EOF'
import json, sys
kind, d = sys.argv[1], sys.argv[2]
def text(name):
    return open(d + '/' + name, 'rb').read().decode('utf-8')  # strict: raises on bad bytes
def jl(name):
    return [json.loads(l) for l in text(name).splitlines()]
m = jl('matches.jsonl')
json.loads(text('summary.json')), json.loads(text('scan.json')), text('dataset_problems.txt')
html = text('report.html')
url = {}
for x in m + jl('errors.jsonl') + (jl('fetch.jsonl') if kind == 'fetch' else []):
    u = x.get('url', '')
    # one token: no space or control, nothing replaced
    assert '\ufffd' not in u and all(c > ' ' and c != '\x7f' for c in u), x
    assert url.setdefault((x['shard_index'], x.get('row')), u) == u, (x, url)
if kind == 'laion':
    u0 = sys.argv[3] + '?q=%FF%20x'
    hit = [x for x in m if x['hash_type'] == 'url']
    assert [x['url'] for x in hit] == [u0] and hit[0]['id'].endswith('\ufffd'), hit
    assert (hit[0]['list'], hit[0]['entry_id'], hit[0]['label']) == \
        ('u8\ufffdlist', 'e\ufffd 1', 'l\ufffdx'), hit
    assert all(x['url'].endswith('?q=%FF%20x') and x['id'].endswith('\ufffd') for x in m)
    assert any(x['hash_type'] == 'terms' for x in m), 'no caption term flagged'
    nb = [x for x in m if x['hash_type'] == 'neighbors']
    assert nb and all(x['seed'].endswith('\ufffd') for x in nb), nb[:2]
    assert html.count(u0) >= 1, 'report.html does not show the URL as matches.jsonl does'
    rem = open(d + '/removal.txt', 'rb').read()
    assert (u0[:-10] + '?q=').encode() + b'\xff x' in rem and b'\xfd\t' in rem, rem[:300]
    # matches.parquet as DuckDB reads it: the same text, row by row
    pq = [json.loads(l) for l in open(sys.argv[4], encoding='utf-8')]
    assert len(pq) == len(m), (len(pq), len(m))
    for a, b in zip(m, pq):
        for k, v in a.items():
            if isinstance(v, str):
                assert b[k] == v, (k, a, b)
    ex = [json.loads(l) for l in open(sys.argv[5], encoding='utf-8')]
    assert ex and all(r['incident_url'] == url[(r['shard_index'], r['row'])] for r in ex), ex[:1]
else:
    f = {x['row']: x['url'] for x in jl('fetch.jsonl')}
    assert f == {0: 'http://127.0.0.1:1/a%FFb%41.jpg', 1: 'http://127.0.0.1:1/%zz%FF%20y'}, f
    e = jl('errors.jsonl')
    assert [(x['row'], x['reason'], x['url']) for x in e] == [(1, 'bad_url', f[1])], e
    assert [(x['row'], x['url']) for x in m] == [(0, f[0])], m
EOF
PQT=$(dirname "$BIN")/tests/pq_tool
if [ -x "$PQT" ]; then
    cp -r ds/laion u8
    for f in u8/metadata_*.parquet; do "$PQT" badutf8 "$f" "$f.new" && mv "$f.new" "$f"; done
    U0=$("$PQT" dump ds/laion/metadata_0000.parquet 2>/dev/null | head -1 |
        $PY -c 'import json, sys; print(json.load(sys.stdin)["URL"])')
    printf 'url,id,label\n%s?q=%%FF%%20x,e\374 1,l\373x\n' "$U0" >u8-list.csv
    "$BIN" list build -q -t url --name "$(printf 'u8\376list')" -o u8.dvl u8-list.csv
    "$BIN" scan -q u8 -l md5.dvl -l u8.dvl --flag-terms ds/lists/terms.txt \
        --neighbors-min-sim 0.9 -o out-u8 >/dev/null 2>err-u8
    "$BIN" export -q --format jsonl --include-candidates -o u8-export.jsonl out-u8 2>>err-u8
    if [ -n "$DUCK" ] && [ -d "$DUCK/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
        check "not UTF-8: DuckDB reads matches.parquet (its STRING columns are valid UTF-8)" sh -c "
cd '$DUCK' && node read_parquet.mjs '$T/out-u8/matches.parquet' >'$T/u8-pq.jsonl'"
    else
        echo "SKIP: DuckDB (tests/duckdb) not installed: matches.parquet is read back by pq_tool only"
        "$PQT" dump out-u8/matches.parquet >u8-pq.jsonl 2>/dev/null
    fi
    check "not UTF-8 in a parquet dataset: URLs percent-encoded alike everywhere, U+FFFD elsewhere, removal.txt exact" \
        $PY u8.py laion out-u8 "$U0" u8-pq.jsonl u8-export.jsonl
else
    echo "SKIP: $PQT not built; the parquet dataset with bytes that are not UTF-8 is not scanned"
fi
printf 'url\tcaption\nhttp://127.0.0.1:1/a\377b%%41.jpg\tx\376\nhttp://127.0.0.1:1/%%zz\377 y\tc\n' \
    >u8urls.tsv
printf 'http://127.0.0.1:1/a%%FFbA.jpg\n' >u8t.txt
"$BIN" list build -q -t url -o u8t.dvl u8t.txt
"$BIN" scan -q --fetch u8urls.tsv -l u8t.dvl -o out-u8t >/dev/null 2>err-u8t
check "not UTF-8 in a URL list: fetch.jsonl, errors.jsonl and matches.jsonl write each URL the same way" \
    $PY u8.py fetch out-u8t

# a \u0000 costs only the field that holds it (docs/scan.md, "Ids" and "A NUL in a field"): a
# webdataset .json's url holding one is bad_url (until 2026-12-07 the whole .json was unread:
# meta_unread, its url and caption unchecked), a caption's reads as a space; a JSONL list's
# id is NAME:ROW with bad_id, its url a bad row naming the line
mkdir nulw
$PY - <<'EOF' || bad "make the webdataset with \\u0000 in .json members"
import io, tarfile
t = tarfile.open('nulw/00000.tar', 'w', format=tarfile.GNU_FORMAT)
def add(name, b):
    ti = tarfile.TarInfo(name); ti.size = len(b); t.addfile(ti, io.BytesIO(b))
add('a.json', b'{"url": "https://nul.test/a\\u0000evil", "caption": "x\\u0000forbidden-term"}')
add('a.txt', b'z')
add('b.json', b'{"url": "https://nul.test/b", "junk": "\\u0000", "url\\u0000x": "https://nul.test/c"}')
add('b.txt', b'z')
t.close()
open('nul.jsonl', 'w').write('{"url":"https://nul.test/d","key":"k\\u00001"}\n'
                             '{"url":"https://nul.test/e\\u0000x","key":"k2"}\n')
open('nul-url.txt', 'w').write('https://nul.test/a\nhttps://nul.test/b\nhttps://nul.test/c\n'
                               'https://nul.test/d\nhttps://nul.test/e\n')
EOF
"$BIN" list build -q -t url -o nul-url.dvl nul-url.txt
"$BIN" scan -q nulw -l nul-url.dvl --flag-terms ds/lists/terms.txt -o out-nulw >/dev/null 2>&1
"$BIN" scan -q nul.jsonl -l nul-url.dvl -o out-nulj >/dev/null 2>&1
check "\\u0000 in a .json or JSONL field: that field only (bad_url, bad_id, caption read on)" $PY -c "
import json
rd = lambda f: [json.loads(l) for l in open(f)]
m = sorted((x['id'], x['hash_type'], x.get('value')) for x in rd('out-nulw/matches.jsonl'))
assert m == [('a', 'terms', 'forbidden-term'), ('b', 'url', 'https://nul.test/b')], m
e = [(x['id'], x['reason'], x['message']) for x in rd('out-nulw/errors.jsonl')]
assert e == [('a', 'bad_url', 'nulw/00000.tar: sample 0 (key a): .json member url holds a NUL byte: '
              'not taken as the item\'s URL (as text it would be another, shorter URL), so not '
              'checked against the URL lists')], e
assert 'meta_unread' not in json.load(open('out-nulw/summary.json'))['counts']
m = [(x['id'], x['value']) for x in rd('out-nulj/matches.jsonl')]
assert m == [('nul:0', 'https://nul.test/d')], m
e = [(x['reason'], x['message']) for x in rd('out-nulj/errors.jsonl')]
assert e == [('bad_id', 'nul.jsonl:1: column \'key\' holds a NUL byte: the item\'s id is nul:0'),
             ('corrupt', 'nul.jsonl:2: a NUL byte in \'url\'')], e"

# hotline export of a real scan: one row per matched item, never viewed
"$BIN" export --format json -o export.json out-wds >/dev/null 2>&1
check "export: one row per matched item, file_viewed_by_reporter false" $PY -c "
import json
rows=json.load(open('export.json'))
items=set((json.loads(l)['shard_index'], json.loads(l)['row']) for l in open('out-wds/matches.jsonl') if json.loads(l)['tier']=='match')
assert len(rows) == len(items) and all(r['file_viewed_by_reporter'] is False for r in rows), (len(rows), len(items))"
# ... and each row carries the file's own hashes whatever matched: MD5/SHA-1/SHA-256 of the
# image bytes (hashlib over the tar members) and the PDQ of the image as it is, also for an
# item matched only through a turned or flipped variant (the PDQ column was empty there)
check "export: md5, sha1, sha256, pdq and pdq_quality are the file's own, also for variant-only PDQ matches" \
    $PY itemhashes.py export export.json

# summary.json's items_per_shard and findings_per_shard are in shard number order past 999999,
# where a shard's number has seven digits (until 2026-12-08 "1000000" came between "100000" and
# "100001", bytewise). A million shards are not made here: the four shards' records are given
# the numbers 999999, 1000000, 1000001 and 100000, and merged
"$BIN" scan -q ds/wds -l md5.dvl -o out-7d --no-merge >/dev/null 2>&1
i=0
for n in 999999 1000000 1000001 100000; do
    k=$(printf %06d $i)
    sed -i "s/^C\tshard_items\.$k\t/C\tshard_items.$n\t/; s/^C\tshard_findings\.$k\t/C\tshard_findings.$n\t/" \
        out-7d/shards/$k.rec
    i=$((i + 1))
done
"$BIN" merge out-7d >/dev/null 2>&1
check "summary.json: items and findings per shard in shard number order past 999999" $PY -c "
import json
c = json.load(open('out-7d/summary.json'))['counts']
want = ['100000', '999999', '1000000', '1000001']
assert list(c['items_per_shard']) == want, c['items_per_shard']
assert list(c['findings_per_shard']) == [k for k in want if k in c['findings_per_shard']], c
assert len(c['findings_per_shard']) >= 2, c"

finish
