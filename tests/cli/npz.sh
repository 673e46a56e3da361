#!/bin/sh
# npz.sh - .npz embeddings (numpy savez / savez_compressed, as DataComp ships them): neighbors
# over .npz gives the bytes it gives over the same arrays as .npy; a DataComp-like dataset
# (X.parquet + X.npz) scanned with --neighbors-min-sim --npz-key finds the planted neighbours;
# the missing-key errors list the arrays; inspect lists them; --clean writes each X.npz again
# without the removed rows, in step with X.parquet.
# One shard's parquet has DataComp's own columns (uid, url, text, md5, face_bboxes
# list<list<double>>: pq_tool datacomp), so --clean writes a list-of-lists column and an .npz
# in step.
# Usage: sh tests/cli/npz.sh BIN [PQ_TOOL]

TEST=npz
PQT=${2:-}
case $PQT in /* | "") ;; *) PQT=$(pwd)/$PQT ;; esac
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: numpy not importable by $PY; .npz checks not run"
    finish
fi

# --------------------------------------------------------------- neighbors: .npz == .npy
mkdir -p nn/npy nn/s nn/c
"$PY" -c "
import numpy as np
rng = np.random.default_rng(7)
for i in range(3):
    a = rng.standard_normal((50 + i, 24)).astype('<f2' if i == 1 else '<f4')
    np.save('nn/npy/e%d.npy' % i, a)
    np.savez('nn/s/e%d.npz' % i, emb=a)
    np.savez_compressed('nn/c/e%d.npz' % i, other=a[:, :3], emb=a)
np.savez('nn/seeds.npz', emb=rng.standard_normal((2, 24)).astype('<f4'))
np.save('nn/seeds.npy', np.load('nn/seeds.npz')['emb'])
" || bad "generate the .npz files"
printf '0 3\n1 2\n2 7\n' >ids.txt
for d in npy s c; do
    "$BIN" neighbors -q --embeddings nn/$d --npz-key emb --seed-ids ids.txt -k 4 -o o-$d 2>err-$d
    echo $? >rc-$d
    "$BIN" neighbors -q --embeddings nn/$d/e0.* nn/$d/e1.* nn/$d/e2.* --npz-key emb \
        --seeds-npy nn/seeds.npz --min-sim 0.5 -o m-$d 2>>err-$d
    echo $? >>rc-$d
done
for d in s c; do
    check "neighbors over $d .npz: the same output as over .npy (file names aside)" sh -c "
[ \"\$(cat rc-npy rc-$d)\" = \"\$(printf '0\n0\n0\n0')\" ] || { cat err-npy err-$d; exit 1; }
[ -s o-npy/neighbors.jsonl ] && [ -s m-npy/neighbors.jsonl ] &&
sed 's|nn/$d/\([a-z0-9]*\)\.npz|nn/npy/\1.npy|g' o-$d/neighbors.jsonl | cmp - o-npy/neighbors.jsonl &&
sed 's|nn/$d/\([a-z0-9]*\)\.npz|nn/npy/\1.npy|g' m-$d/neighbors.jsonl | cmp - m-npy/neighbors.jsonl"
done
"$BIN" neighbors -q --embeddings nn/c --seed-ids ids.txt -k 4 -o o-x >/dev/null 2>err-x
echo $? >rc-x
check "neighbors: an .npz of several arrays and no --npz-key: exit 2, the arrays named" sh -c "
[ \$(cat rc-x) -eq 2 ] && grep -q 'nn/c/e0.npz: 2 arrays (other, emb) and no key to choose one (--npz-key NAME)' err-x"
"$BIN" neighbors -q --embeddings nn/s --seed-ids ids.txt -k 4 -o o-1 >/dev/null 2>err-1
check "neighbors: an .npz of one array needs no key" sh -c "
sed 's|nn/s/\([a-z0-9]*\)\.npz|nn/npy/\1.npy|g' o-1/neighbors.jsonl | cmp - o-npy/neighbors.jsonl"
"$BIN" neighbors -q --embeddings nn/c --npz-key l14 --seed-ids ids.txt -k 4 -o o-y >/dev/null 2>err-y
check "neighbors: a key no array has: the arrays named" grep -q "no array 'l14' (it holds: other, emb)" err-y

# --------------------------------------------------------------- DataComp-like dataset
"$MK" ds --items 120 --shards 4 >/dev/null 2>&1 || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 2026-12 -o md5.dvl ds/lists/md5.txt
"$BIN" list build -q --name known-url --version 3 -t url -o url.dvl ds/lists/url.txt
mkdir dc
for f in ds/laion/metadata_*.parquet; do
    n=$(basename "$f" .parquet | sed 's/^metadata_//')
    if [ "$n" = 0002 ] && [ -x "$PQT" ]; then
        "$PQT" datacomp "$f" "dc/$n.parquet" || bad "pq_tool datacomp $f"
    else
        cp "$f" "dc/$n.parquet"
    fi
done
[ -x "$PQT" ] || echo "SKIP: pq_tool not given: no shard with DataComp's face_bboxes column"
# l14_img: mkdataset's embeddings (with its planted near copies); b32_img: other rows, other
# dims; shards alternate savez and savez_compressed
"$PY" -c "
import numpy as np, glob
for i, f in enumerate(sorted(glob.glob('ds/laion/img_emb/img_emb_*.npy'))):
    a = np.load(f)
    b = np.random.default_rng(i).standard_normal((a.shape[0], 8)).astype('<f2')
    n = f.split('_')[-1][:-4]
    (np.savez if i % 2 else np.savez_compressed)('dc/%s.npz' % n, b32_img=b, l14_img=a)
" || bad "generate the DataComp-like .npz files"
"$BIN" scan -q dc -l md5.dvl -l url.dvl --neighbors-min-sim 0.9 --npz-key l14_img -o out-dc \
    >/dev/null 2>err-dc
echo $? >rc-dc
check "datacomp: --neighbors-min-sim --npz-key l14_img finds the planted neighbours" $PY -c "
import json
assert open('rc-dc').read().strip() == '1', open('err-dc').read()
got = set()
for l in open('out-dc/matches.jsonl'):
    r = json.loads(l)
    if r['tier'] == 'match':
        assert r['emb_file'].endswith('.npz'), r
    if r['hash_type'] != 'neighbors': continue
    assert r['tier'] == 'candidate' and r['seed'] and r['score'] >= 0.9, r
    got.add(r['id'])
exp = set(l.split('\t')[1] for l in open('ds/expected-neighbors.tsv'))
assert got == exp and got, sorted(got ^ exp)
s = json.load(open('out-dc/summary.json'))
assert not any('npz' in p for p in s['dataset_problems']), s['dataset_problems']"
"$BIN" scan -q dc -l md5.dvl --neighbors-min-sim 0.9 -o out-dc2 >/dev/null 2>err-dc2
echo $? >rc-dc2
check "datacomp: no --npz-key: exit 2, the arrays named" sh -c "
[ \$(cat rc-dc2) -eq 2 ] && [ ! -e out-dc2/matches.jsonl ] &&
grep -q 'dc/0000.npz: 2 arrays (b32_img, l14_img) and no key to choose one' err-dc2"
"$BIN" scan -q dc -l md5.dvl -o out-dc3 >/dev/null 2>err-dc3
check "datacomp: without neighbours, the unused .npz are named NOT read with their arrays" sh -c "
grep -q 'dc/0001.npz: NOT read as the embeddings of dc/0001.parquet .*2 arrays (b32_img, l14_img)' err-dc3"
# --clean: X.npz written again beside X.parquet, every array without the removed rows (the
# parquet's md5 column matches the list), in step with the cleaned parquet; with --npz-key and
# without (an .npz of several arrays and no key is not searched, but is cleaned all the same);
# signed, and checked by sha256sum -c and datavet verify --clean
"$BIN" keygen -q -o k >/dev/null 2>&1
"$BIN" scan -q dc -l md5.dvl --npz-key l14_img --clean clean-dc -o out-dc4 --sign k >/dev/null 2>err-dc4
echo $? >rc-dc4
"$BIN" scan -q dc -l md5.dvl --clean clean-dc5 -o out-dc5 >/dev/null 2>err-dc5
echo $? >rc-dc5
for d in dc dc/clean-dc dc/clean-dc5; do
    for f in "${d#dc/}"/*.parquet; do
        "$BIN" inspect --head 1000 "$f" >"$f.rows" 2>>err-inspect || echo "inspect $f failed" >>err-dc4
    done
done
check "datacomp --clean: each X.npz without the removed rows, in step with X.parquet" $PY -c "
import json, glob, os, numpy as np, zipfile
for n in ('4', '5'):
    assert open('rc-dc' + n).read().strip() == '1', open('err-dc' + n).read()
    out, cl = 'out-dc' + n, 'clean-dc' + ('' if n == '4' else '5')
    rem = {}
    for l in list(open(out + '/removal.txt'))[1:]:
        f = l.rstrip('\\n').split('\\t')
        rem.setdefault(f[2], set()).add(int(f[4]))
    assert rem, 'nothing removed'
    names = sorted(os.path.basename(p)[:-8] for p in glob.glob('dc/*.parquet'))
    # (and the owner mark, no file of the copy)
    assert os.path.isfile(cl + '/.datavet-owner'), cl
    assert sorted(set(os.listdir(cl)) - {'.datavet-owner'}) == sorted(x + e for x in names for e in ('.npz', '.parquet', '.parquet.rows'))
    for x in names:
        key = lambda l: json.loads(l).get('key', json.loads(l).get('uid'))
        ids = [key(l) for l in open('dc/%s.parquet.rows' % x)]
        kept = [key(l) for l in open('%s/%s.parquet.rows' % (cl, x))]
        assert None not in ids and None not in kept, x
        gone = sorted(rem.get(x, ()))
        assert kept == [k for r, k in enumerate(ids) if r not in gone], x
        s, c = np.load('dc/%s.npz' % x), np.load('%s/%s.npz' % (cl, x))
        assert list(c.keys()) == ['b32_img', 'l14_img'], list(c.keys())
        for k in c.keys():
            e = np.delete(s[k], gone, axis=0)
            assert c[k].shape == (len(kept),) + s[k].shape[1:] and c[k].dtype == s[k].dtype
            assert (c[k] == e).all(), (x, k)
        assert zipfile.ZipFile('%s/%s.npz' % (cl, x)).testzip() is None
        assert oct(os.stat('%s/%s.npz' % (cl, x)).st_mode & 0o777) == '0o600'
"
rm -f clean-dc/*.rows clean-dc5/*.rows dc/*.rows
if [ -x "$PQT" ]; then
    "$PQT" rows dc/0002.parquet >dc-rows.txt && "$PQT" rows clean-dc/0002.parquet >dc-rows-clean.txt
    check "datacomp --clean: face_bboxes (list<list<double>>) of the kept rows as they were" $PY -c "
src = open('dc-rows.txt').read().splitlines()
cp = open('dc-rows-clean.txt').read().splitlines()
gone = sorted(int(l.split('\t')[4]) for l in list(open('out-dc4/removal.txt'))[1:]
              if l.split('\t')[2] == '0002')
assert gone, 'no row of the DataComp shard removed'
assert len(src) == 30 and any('face_bboxes' in l and '2/4' in l for l in src), src[:4]
assert cp == [l for r, l in enumerate(src) if r not in gone], (gone, len(cp))
"
fi
check "datacomp --clean: clean.sha256 names the .npz files; sha256sum -c and verify --clean agree" sh -c "
[ \$(grep -c '\\.npz\$' out-dc4/clean.sha256) -eq 4 ] &&
(cd clean-dc && sha256sum -c --quiet ../out-dc4/clean.sha256) &&
\"$BIN\" verify out-dc4 --pubkey k.pub --clean clean-dc >/dev/null"
check "datacomp --clean: the same copy with or without --npz-key" sh -c "
for f in clean-dc/*; do cmp \$f clean-dc5/\$(basename \$f) || exit 1; done"
"$BIN" scan -q clean-dc -l md5.dvl --npz-key l14_img -o out-re >/dev/null 2>err-re
echo $? >rc-re
check "datacomp --clean: a scan of the copy finds nothing and reads its .npz aligned" sh -c "
[ \$(cat rc-re) -eq 0 ] && [ ! -s out-re/matches.jsonl ] && ! grep -q npz out-re/dataset_problems.txt"
# an .npz with an array of other rows, or an object array: --clean refused before the scan
cp -r dc dcx
"$PY" -c "
import numpy as np
z = np.load('dcx/0001.npz'); np.savez('dcx/0001.npz', b32_img=z['b32_img'], l14_img=z['l14_img'], mean=z['l14_img'].mean(axis=0))" || bad "add a mean array"
"$BIN" scan -q dcx -l md5.dvl --npz-key l14_img --clean clean-dcx -o out-dcx >/dev/null 2>err-dcx
echo $? >rc-dcx
check "datacomp --clean: an array of other rows: refused before the scan, naming it" sh -c "
[ \$(cat rc-dcx) -eq 2 ] && [ ! -e clean-dcx ] && [ ! -e out-dcx/matches.jsonl ] &&
grep -q \"the .npz beside dcx/0001.parquet (30 rows) cannot be written again in step with it: dcx/0001.npz: member 'mean.npy' at offset [0-9]*: shape (16,): its first dimension is not the 30 rows to keep in step\" err-dcx"
# rows that differ from the parquet's: not aligned, not used
cp -r dc dcm
"$PY" -c "
import numpy as np
z = np.load('dcm/0002.npz'); np.savez('dcm/0002.npz', b32_img=z['b32_img'][:-1], l14_img=z['l14_img'][:-1])" || bad "drop a row of an npz"
"$BIN" inspect --npz-key l14_img dcm >insp-dcm 2>&1
check "datacomp: an .npz array of other rows than its parquet is not aligned" sh -c "
grep -q 'dcm/0002.npz (29 rows, metadata 30: NOT aligned)' insp-dcm &&
grep -q 'dcm/0002.npz array l14_img: 29 rows but dcm/0002.parquet has 30' insp-dcm"

"$BIN" inventory dc/0000.npz >inv0 2>&1
check "inventory: an .npz's arrays in its detail" grep -q '"detail":"npz b32_img float16 30x8, l14_img float16 30x16"' inv0

# --------------------------------------------------------------- inspect
"$BIN" inspect dc/0000.npz >insp0 2>&1
"$BIN" inspect --json --npz-key l14_img dc/0001.npz >insp1 2>&1
check "inspect X.npz: its arrays, dtype, shape, method; the parquet beside it" sh -c "
grep -q '^format: npz' insp0 && grep -q '^  b32_img  <f2 (30, 8)  deflate' insp0 &&
grep -q '^  l14_img  <f2 (30, 16)  deflate' insp0 && grep -q '^parquet: dc/0000.parquet (30 rows)' insp0"
check "inspect --json --npz-key: the array chosen and aligned" $PY -c "
import json
j = json.load(open('insp1'))
assert j['kind'] == 'npz' and [a['name'] for a in j['arrays']] == ['b32_img', 'l14_img'], j
assert j['arrays'][1]['method'] == 0 and j['arrays'][1]['shape'] == [30, 16], j
assert j['key'] == 'l14_img' and j['aligned'] is True and j['parquet_rows'] == 30, j"
head -c 300 dc/0000.npz >cut.npz
"$BIN" inspect cut.npz >insp2 2>&1
echo $? >rc-insp2
check "inspect: a truncated .npz is an error naming it" sh -c "
[ \$(cat rc-insp2) -eq 1 ] && grep -q 'cut.npz: no ZIP end-of-central-directory record' insp2"

finish
