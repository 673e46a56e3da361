#!/bin/sh
# inventory.sh - datavet inventory on a made-up server tree: a model and a metadata parquet
# whose SHA-256 are in a list, a renamed copy of the model (found with --all only), a model
# card naming a dataset (a candidate), dataset files described from their headers, links
# named as models followed (a Hugging Face cache), other links and a FIFO passed over (a
# link that cannot be followed, and a FIFO or device given as a PATH, are records);
# safetensors headers and gguf metadata (written with printf) searched for names;
# digests checked against sha256sum/md5sum; the same output for -j 1 and -j 2; errors.
# Usage: sh tests/cli/inventory.sh BIN

TEST=inventory
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"

"$MK" ds --items 30 --shards 2 >/dev/null || { bad "generate dataset"; finish; }
mkdir -p srv/models/sd srv/models/lora srv/.cache/hub/blobs srv/data
head -c 3000000 /dev/urandom >srv/models/sd/model.safetensors
printf -- '---\nlicense: openrail\ndatasets:\n- laion/LAION2B-en\n---\n# A model\n' >srv/models/sd/README.md
printf -- 'base_model: sd\ntrain_data_dir: /data/pets\n' >srv/models/lora/config.yaml
cp srv/models/sd/model.safetensors srv/.cache/hub/blobs/9f2a0c
head -c 2000 /dev/urandom >srv/models/small.bin
head -c 2000000 /dev/urandom >srv/models/big.bin
cp -r ds/laion ds/wds srv/data/
echo notes >srv/notes.txt
ln -s /etc srv/etclink
ln -s ../models/sd/model.safetensors srv/data/link.safetensors
mkfifo srv/data/fifo.parquet
printf '# datasets whose derived models we look for\nlaion/laion2B-en\nLAION-5B\n' >names.txt
S_MODEL=$(sha256sum srv/models/sd/model.safetensors | cut -d' ' -f1)
S_META=$(sha256sum srv/data/laion/metadata_0000.parquet | cut -d' ' -f1)
printf 'sha256,id,label\n%s,m1,sd-v1-5 (trained on LAION-5B)\n%s,d1,laion metadata part 0\n' \
    "$S_MODEL" "$S_META" >known.csv
"$BIN" list build -q --name known-artifacts --version 2026-12 -t sha256 -o known.dvl known.csv
printf 'md5\n%s\n' "$(md5sum srv/models/big.bin | cut -d' ' -f1)" >md5.csv
"$BIN" list build -q --name known-md5 -t md5 -o md5.dvl md5.csv

"$BIN" inventory srv -l known.dvl -l md5.dvl --names names.txt -o inv.jsonl -j 2 2>err
rc=$?
check "findings: exit 1; the output file is 0600; the summary counts them" sh -c "
[ $rc -eq 1 ] && [ \"\$(stat -c %a inv.jsonl)\" = 600 ] &&
grep -q '^inventory: 13 files (.* GB hashed) in .* s: 4 matches, 1 candidate (cards or models naming a listed dataset), 0 unreadable; 5 entries passed over' err"
check "what is examined, described, matched and passed over" $PY -c "
import json
r = {x['path']: x for x in map(json.loads, open('inv.jsonl'))}
want = {'srv/data/laion/img_emb/img_emb_0000.npy', 'srv/data/laion/img_emb/img_emb_0001.npy',
        'srv/data/laion/metadata_0000.parquet', 'srv/data/laion/metadata_0001.parquet',
        'srv/data/wds/00000.parquet', 'srv/data/wds/00000.tar', 'srv/data/wds/00001.parquet',
        'srv/data/wds/00001.tar', 'srv/models/sd/README.md', 'srv/models/sd/model.safetensors',
        'srv/models/lora/config.yaml', 'srv/models/big.bin', 'srv/data/link.safetensors'}
got = set(r)
# small.bin (under 1 MiB), notes.txt, the link to a folder, the FIFO and the renamed blob:
# passed over; a link named as a model is examined
assert got == want, sorted(got ^ want)
assert list(r) == sorted(r, key=lambda s: s.encode())
m = r['srv/models/sd/model.safetensors']
assert m['kind'] == 'model' and m['detail'] == 'safetensors' and m['tier'] == 'match', m
h = m['matches'][0]
assert (h['label'], h['entry_id'], h['list_name'], h['list_version'], h['list_type']) == \
    ('sd-v1-5 (trained on LAION-5B)', 'm1', 'known-artifacts', '2026-12', 'sha256'), h
assert r['srv/data/laion/metadata_0000.parquet']['matches'][0]['label'] == 'laion metadata part 0'
assert r['srv/data/laion/metadata_0000.parquet']['detail'] == 'parquet: 15 rows, 7 columns, urls'
assert r['srv/models/big.bin']['matches'][0]['list_type'] == 'md5'
assert r['srv/data/laion/img_emb/img_emb_0000.npy']['detail'] == 'npy float16 15x16'
assert r['srv/data/wds/00000.tar']['kind'] == 'dataset'
c = r['srv/models/sd/README.md']
assert c['kind'] == 'card' and c['tier'] == 'candidate' and c['names'] == 'laion/laion2B-en', c
assert 'tier' not in r['srv/models/lora/config.yaml']
assert sum(1 for x in r.values() if 'tier' in x) == 5
assert r['srv/data/link.safetensors']['detail'] == 'safetensors (link)'
"
check "digests equal sha256sum and md5sum; sizes equal the files'" $PY -c "
import json, os, subprocess
for x in map(json.loads, open('inv.jsonl')):
    s = subprocess.run(['sha256sum', x['path']], capture_output=True, text=True).stdout.split()[0]
    m = subprocess.run(['md5sum', x['path']], capture_output=True, text=True).stdout.split()[0]
    assert x['sha256'] == s and x['md5'] == m and 'sha1' not in x, x
    assert x['bytes'] == os.path.getsize(x['path'])
"
"$BIN" inventory srv -l known.dvl -l md5.dvl --names names.txt -q -j 1 >inv1.jsonl 2>err1
check "-j 1 gives the same lines as -j 2; -q says nothing" sh -c "cmp inv.jsonl inv1.jsonl && [ ! -s err1 ]"
"$BIN" inventory srv -l known.dvl -a -q >all.jsonl
check "--all: the renamed copy of the model is found too" $PY -c "
import json
r = {x['path']: x for x in map(json.loads, open('all.jsonl'))}
b = r['srv/.cache/hub/blobs/9f2a0c']
assert b['kind'] == 'other' and b['matches'][0]['label'].startswith('sd-v1-5'), b
assert 'srv/notes.txt' in r and 'srv/etclink' not in r and 'srv/data/fifo.parquet' not in r
"
"$BIN" inventory srv/.cache/hub/blobs/9f2a0c -l known.dvl -q >one.jsonl
rc=$?
check "a file named as a PATH is examined whatever its name" sh -c "
[ $rc -eq 1 ] && grep -q '\"kind\":\"other\".*\"tier\":\"match\"' one.jsonl"
"$BIN" inventory srv/models/lora -q >none.jsonl
rc=$?
check "nothing found: exit 0, the card still listed" sh -c "[ $rc -eq 0 ] && [ \$(wc -l <none.jsonl) -eq 1 ]"
# a Hugging Face cache: snapshot files are links to content-named blobs; a link named as a
# model is followed (and only such a link); a link given as a PATH is followed; PATHs that
# overlap give each file once
mkdir -p hf/models--x--sd/blobs hf/models--x--sd/snapshots/abc
cp srv/models/sd/model.safetensors hf/models--x--sd/blobs/72575e63
head -c 2000000 /dev/urandom >hf/models--x--sd/blobs/0b1c
ln -s ../../blobs/72575e63 hf/models--x--sd/snapshots/abc/model.safetensors
ln -s ../../blobs/0b1c hf/models--x--sd/snapshots/abc/pytorch_model.bin
ln -s ../../blobs/72575e63 hf/models--x--sd/snapshots/abc/notes
ln -s hf hflink
"$BIN" inventory hflink ./hflink/ hflink//models--x--sd hf -l known.dvl -q >hf.jsonl
rc=$?
check "links: snapshot links named as models examined, a PATH link followed, overlaps once" $PY -c "
import json
r = [json.loads(l) for l in open('hf.jsonl')]
assert [x['path'] for x in r] == ['hflink/models--x--sd/snapshots/abc/model.safetensors',
                                  'hflink/models--x--sd/snapshots/abc/pytorch_model.bin'], r
assert r[0]['detail'] == 'safetensors (link)' and r[0]['matches'][0]['entry_id'] == 'm1', r
assert r[1]['detail'] == 'bin (link)' and 'matches' not in r[1], r
assert $rc == 1"
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d .)" ]; then
    S=$(mktemp -d /dev/shm/datavet-inv.XXXXXX)
    head -c 100 /dev/urandom >"$S/w.safetensors"
    mkdir xfs && ln -s "$S/w.safetensors" xfs/w.safetensors
    "$BIN" inventory -q xfs >x1.jsonl
    "$BIN" inventory -q -x xfs >x2.jsonl
    rm -rf "$S"
    check "-x: a link to another file system is not followed" sh -c "
[ \$(wc -l <x1.jsonl) -eq 1 ] && [ ! -s x2.jsonl ]"
fi
# -x with a PATH on another file system mounted inside another PATH (inventory -x / /data):
# each PATH is walked on its own file system, so the inner one is not dropped as covered
# by the outer walk, which stops at the mount (here /dev, devtmpfs, and /dev/shm, tmpfs)
if [ -d /dev/shm ] && [ "$(realpath /dev/shm)" = /dev/shm ] &&
    [ "$(stat -c %d /dev/shm)" != "$(stat -c %d /dev)" ]; then
    S=$(mktemp -d /dev/shm/datavet-inv.XXXXXX)
    mkdir "$S/sub" && head -c 100 /dev/urandom >"$S/sub/w.safetensors"
    "$BIN" inventory -q -x /dev "$S" >x3.jsonl
    rm -rf "$S"
    check "-x: a PATH mounted inside another PATH is still walked" sh -c "
[ \$(grep -c '/sub/w.safetensors\"' x3.jsonl) -eq 1 ]"
fi
# a dataset file or embeddings reached through a link are described from their headers and
# say (link) too, whether the walk found the link or it was a PATH
mkdir lnk
ln -s ../srv/data/laion/metadata_0000.parquet lnk/meta.parquet
ln -s ../srv/data/laion/img_emb/img_emb_0000.npy lnk/emb.npy
ln -s srv/data/laion/img_emb/img_emb_0001.npy emb1.npy
"$BIN" inventory -q lnk emb1.npy >lnk.jsonl
check "links to a parquet and an npy: described, with (link)" $PY -c "
import json
r = {x['path']: x['detail'] for x in map(json.loads, open('lnk.jsonl'))}
assert r == {'emb1.npy': 'npy float16 15x16 (link)', 'lnk/emb.npy': 'npy float16 15x16 (link)',
             'lnk/meta.parquet': 'parquet: 15 rows, 7 columns, urls (link)'}, r
"
# the output written inside a walked PATH is not an input, by -o or as stdout, nor through a
# link named as a model
mkdir -p own/sub
echo a >own/a.txt
ln -s ../inv.jsonl own/sub/inv.safetensors
"$BIN" inventory -q -a own -o own/inv.jsonl 2>own.err
rc=$?
"$BIN" inventory -a own/sub own >own/inv2.jsonl 2>own2.err
check "-o FILE inside a PATH: not listed; stdout to a file inside a PATH: not listed" $PY -c "
import json
r = [x['path'] for x in map(json.loads, open('own/inv.jsonl'))]
assert r == ['own/a.txt'], r
r = [x['path'] for x in map(json.loads, open('own/inv2.jsonl'))]
assert r == ['own/a.txt', 'own/inv.jsonl', 'own/sub/inv.safetensors'], r
assert $rc == 0
assert ' 3 files ' in open('own2.err').read(), open('own2.err').read()
"
"$BIN" inventory own/sub -o own/inv.jsonl 2>own3.err
check "the output through a link named as a model: passed over" sh -c "
[ ! -s own/inv.jsonl ] && grep -q ' 0 files .* 1 entry passed over' own3.err"
"$BIN" inventory srv -l nothing.dvl >/dev/null 2>e4
rc=$?
check "a list that cannot be opened: exit 2, named" sh -c "[ $rc -eq 2 ] && grep -q 'nothing.dvl: cannot open' e4"
# safetensors metadata: a LoRA whose header names a listed dataset is a candidate; the
# same words in the tensor bytes after the header are not looked at
$PY - <<'EOF2' || bad "write the safetensors files"
import json, struct
def st(path, meta, data):
    h = json.dumps({'__metadata__': meta, 'w': {'dtype': 'U8', 'shape': [len(data)],
                    'data_offsets': [0, len(data)]}}).encode()
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + data)
st('lora-a.safetensors', {'ss_dataset_dirs': json.dumps({'/data/LAION-5B-subset': {'n_repeats': 1}})}, b'\0' * 64)
st('lora-b.safetensors', {'ss_dataset_dirs': json.dumps({'/data/pets': {'n_repeats': 1}})}, b' LAION-5B ' * 8)
EOF2
"$BIN" inventory -q lora-a.safetensors lora-b.safetensors --names names.txt >st.jsonl
rc=$?
check "safetensors: a header naming a listed dataset is a candidate, tensor bytes are not read for names" $PY -c "
import json
r = {x['path']: x for x in map(json.loads, open('st.jsonl'))}
assert r['lora-a.safetensors'].get('names') == 'LAION-5B' and r['lora-a.safetensors']['tier'] == 'candidate', r
assert 'names' not in r['lora-b.safetensors'] and 'tier' not in r['lora-b.safetensors'], r
assert $rc == 1"
# gguf metadata, written with printf: string values and string arrays naming a listed dataset
# make a candidate, in either byte order; the same names in the tokenizer's vocabulary and
# chat template, or in the bytes after the metadata, do not; the detail is from the header
num() { # VALUE BYTES, in the byte order $BE says
    _v=$1 _i=0 _o=''
    while [ $_i -lt "$2" ]; do
        _b="\\$(printf %03o $((_v & 255)))"
        if [ "$BE" = 1 ]; then _o="$_b$_o"; else _o="$_o$_b"; fi
        _v=$((_v >> 8)) _i=$((_i + 1))
    done
    printf "$_o"
}
gs() { num ${#1} 8; printf %s "$1"; }
BE=0
{ printf GGUF; num 3 4; num 1 8; num 3 8
  gs general.architecture; num 8 4; gs llama
  gs general.datasets; num 9 4; num 8 4; num 2 8; gs coco; gs laion/laion2B-en
  gs llama.context_length; num 4 4; num 2048 4; } >named.gguf
{ printf GGUF; num 3 4; num 291 8; num 4 8
  gs general.architecture; num 8 4; gs flux
  gs tokenizer.ggml.tokens; num 9 4; num 8 4; num 3 8; gs '<s>'; gs LAION-5B; gs laion/laion2B-en
  gs tokenizer.chat_template; num 8 4; gs '{{ LAION-5B }}'
  gs general.name; num 8 4; gs 'pets'; printf ' LAION-5B laion/laion2B-en '; } >vocab.gguf
BE=1
{ printf GGUF; num 3 4; num 2 8; num 2 8
  gs general.dataset.count; num 4 4; num 1 4
  gs general.dataset.0.name; num 8 4; gs LAION-5B; } >be.gguf
BE=0
"$BIN" inventory -q named.gguf vocab.gguf be.gguf --names names.txt >gg.jsonl
rc=$?
"$BIN" inventory -q named.gguf vocab.gguf be.gguf >gg0.jsonl
check "gguf: metadata naming a listed dataset is a candidate, the tokenizer's words are not" $PY -c "
import json
r = {x['path']: x for x in map(json.loads, open('gg.jsonl'))}
n, v, b = r['named.gguf'], r['vocab.gguf'], r['be.gguf']
assert n['tier'] == 'candidate' and n['names'] == 'laion/laion2B-en', n
assert n['detail'] == 'gguf v3, 1 tensor, 3 keys', n
assert b['tier'] == 'candidate' and b['names'] == 'LAION-5B', b
assert b['detail'] == 'gguf v3 big-endian, 2 tensors, 2 keys', b
assert 'names' not in v and 'tier' not in v and v['detail'] == 'gguf v3, 291 tensors, 4 keys', v
r0 = {x['path']: x for x in map(json.loads, open('gg0.jsonl'))}
assert all(r0[p]['detail'] == r[p]['detail'] and 'tier' not in r0[p] for p in r), r0
assert $rc == 1"
# Ollama's store: blobs named by digest, no extension; a GGUF one of 1 MiB or more is a
# model whose metadata is searched; a small blob (license, template) is passed over
H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p ollama/models/blobs
{ cat named.gguf; head -c 1048576 /dev/zero; } >ollama/models/blobs/sha256-$H
head -c 1048576 /dev/zero >ollama/models/blobs/sha256-${H%?}0
printf 'MIT License' >ollama/models/blobs/sha256-${H%?}1
"$BIN" inventory -q ollama --names names.txt >ol.jsonl
check "ollama blobs: a GGUF one is a model whose metadata is searched, small ones passed over" $PY -c "
import json
r = {x['path'].split('/')[-1][-1]: x for x in map(json.loads, open('ol.jsonl'))}
assert sorted(r) == ['0', 'f'], r
assert r['f']['kind'] == 'model' and r['f']['tier'] == 'candidate', r['f']
assert r['f']['detail'] == 'gguf v3, 1 tensor, 3 keys', r['f']
assert r['0']['detail'] == 'ollama blob (not GGUF)' and 'tier' not in r['0'], r['0']"
"$BIN" list build -q -t pdq -o pdq.dvl ds/lists/pdq.txt
"$BIN" inventory srv -l pdq.dvl >/dev/null 2>e2
rc=$?
check "a PDQ list: refused, named" sh -c "[ $rc -eq 2 ] && grep -q 'pdq.dvl: a pdq list: inventory looks up file digests' e2"
"$BIN" inventory srv/nothing-here >/dev/null 2>e3
rc=$?
check "a PATH that does not exist: exit 2, named" sh -c "[ $rc -eq 2 ] && grep -q 'srv/nothing-here: No such file' e3"
"$BIN" inventory >/dev/null 2>&1
rc=$?
check "no PATH: usage, exit 2" test $rc -eq 2
"$BIN" inventory -j many srv >o5 2>e5
rc=$?
check "a bad -j: exit 2, the option and its range named" sh -c "[ $rc -eq 2 ] && [ ! -s o5 ] &&
[ \"\$(cat e5)\" = 'datavet inventory: --jobs many: not an integer from 0 to 1024' ]"
"$BIN" inventory -o no/such/dir/x.jsonl srv >/dev/null 2>e6
rc=$?
check "an output that cannot be written: exit 2, named" sh -c "[ $rc -eq 2 ] &&
grep -q '^datavet inventory: cannot write no/such/dir/x.jsonl: No such file' e6"
cp known.dvl own.dvl
"$BIN" inventory -o own.dvl srv -l own.dvl >/dev/null 2>e8
rc=$?
check "-o naming a list: exit 2, named, the list kept" sh -c "[ $rc -eq 2 ] && cmp -s known.dvl own.dvl &&
grep -q '^datavet inventory: -o own.dvl is the list own.dvl: refused' e8"
cp names.txt own-names.txt
"$BIN" inventory -o own-names.txt srv --names own-names.txt >/dev/null 2>e9
rc=$?
check "-o naming the --names file: exit 2, named, the file kept" sh -c "[ $rc -eq 2 ] &&
cmp -s names.txt own-names.txt && grep -q 'is the --names file own-names.txt: refused' e9"
mkdir -p one && printf 'x\n' >one/one.safetensors
"$BIN" inventory one >/dev/null 2>e7
check "the summary counts one file as 1 file" grep -q '^inventory: 1 file (' e7
# a folder the walk does not enter (here: deeper than 64 levels below its PATH; an
# unreadable one is the same) is a record with an error, not a silent gap in the inventory
p=deep
for i in $(seq 1 70); do p=$p/d; done
mkdir -p "$p" && printf 'x\n' >"$p/m.safetensors"
"$BIN" inventory -o deep.jsonl deep 2>e10
rc=$?
check "a folder not walked (too deep): a record with an error, counted as unreadable" $PY -c "
import json
r = [json.loads(l) for l in open('deep.jsonl')]
assert len(r) == 1, r
assert r[0]['path'] == 'deep' + '/d' * 65 and r[0]['detail'] == 'folder (not walked)', r
assert r[0]['error'] == 'deeper than 64 folders below its PATH', r
assert ', 1 unreadable;' in open('e10').read()"
# what was not examined may hold copies: the inventory says it is incomplete and ends with 2,
# findings or not, the records written (as datavet scan does; until 2026-12-07 it ended 0)
"$BIN" inventory -q -l known.dvl deep srv/models/sd/model.safetensors >inc.jsonl 2>e12
rc2=$?
check "an inventory with something not examined: exit 2, incomplete said (-q too), records written" sh -c "
[ $rc -eq 2 ] && grep -qxF 'datavet inventory: the inventory is incomplete: 1 file or folder not examined (the records with an error); the output holds what was (0 matches, 0 candidates)' e10 &&
[ $rc2 -eq 2 ] && [ \$(wc -l <inc.jsonl) -eq 2 ] && grep -q '\"tier\":\"match\"' inc.jsonl &&
[ \"\$(cat e12)\" = 'datavet inventory: the inventory is incomplete: 1 file or folder not examined (the records with an error); the output holds what was (1 match, 0 candidates)' ]"
# an entry the walk cannot even lstat (here: its path over PATH_MAX, in a folder whose own path
# is under it; one removed mid-walk is the same) is a record with an error too, not an entry
# passed over (until 2026-12-07 it was counted with the FIFOs and links, unseen)
n250=$(printf '%0250d' 0)
( mkdir long && cd long && for i in $(seq 1 16); do mkdir "$n250" && cd "$n250" || exit 1; done &&
  printf 'x\n' >"$(printf '%0100d' 0).safetensors" ) || bad "make a path over PATH_MAX"
"$BIN" inventory -o long.jsonl long 2>e11
rc=$?
check "an entry whose lstat fails (path too long): a record with an error, counted as unreadable" $PY -c "
import json
r = [json.loads(l) for l in open('long.jsonl')]
assert len(r) == 1, r
assert r[0]['path'] == 'long' + ('/' + '0' * 250) * 16 + '/' + '0' * 100 + '.safetensors', r
assert r[0]['error'] == 'File name too long' and r[0]['detail'] == 'not examined', r
assert 'sha256' not in r[0] and r[0]['kind'] == 'other', r
e = open('e11').read()
assert ', 1 unreadable; 0 entries passed over' in e, e
assert $rc == 2 and 'the inventory is incomplete: 1 file or folder not examined' in e, ($rc, e)"
# a link named as a model whose target cannot be looked at (here: a part of its path over
# NAME_MAX; an unreadable folder on the way is the same) may lead to a copy: a record with an
# error; one that leads nowhere (its target gone) holds nothing and is passed over. A PATH
# that is a FIFO or a device (inside another PATH too) was named to be examined and is not:
# a record with an error. Until 2026-12-07 all of them were counted as passed over, unseen.
mkdir -p lk/sub
ln -s "$(printf '%0300d' 0)/m.safetensors" lk/sub/far.safetensors
ln -s gone.safetensors lk/sub/dangling.safetensors
mkfifo lk/pipe.parquet
"$BIN" inventory -o lk.jsonl lk/sub lk/pipe.parquet /dev/null 2>e13
rc=$?
check "a link that cannot be followed and a FIFO or device PATH: records with an error" $PY -c "
import json
r = [json.loads(l) for l in open('lk.jsonl')]
assert [(x['path'], x['detail'], x['error'], x['kind']) for x in r] == [
    ('/dev/null', 'character device (not read)', 'not a regular file or folder', 'other'),
    ('lk/pipe.parquet', 'FIFO (not read)', 'not a regular file or folder', 'other'),
    ('lk/sub/far.safetensors', 'link (not followed)', 'File name too long', 'other')], r
assert all('sha256' not in x for x in r), r
e = open('e13').read()
assert ', 3 unreadable; 1 entry passed over' in e, e
assert $rc == 2 and 'the inventory is incomplete: 3 files or folders not examined' in e, ($rc, e)"
"$BIN" inventory -o lk2.jsonl lk lk/pipe.parquet 2>e14
check "... a FIFO PATH inside another PATH too" sh -c "
grep -c '\"path\":\"lk/pipe.parquet\",\"kind\":\"other\",\"detail\":\"FIFO (not read)\"' lk2.jsonl | grep -qx 1 &&
grep -q ', 2 unreadable;' e14"

# a file name that is not UTF-8 (Latin-1's 0xE9): the JSON line is valid UTF-8, the byte a
# U+FFFD, as in every JSON output of datavet
mkdir -p srv8/models && cp srv/models/sd/model.safetensors "srv8/models/mod$(printf '\351')le.safetensors"
"$BIN" inventory srv8 -l known.dvl -o inv8.jsonl 2>/dev/null
check "a file name that is not UTF-8: valid UTF-8 JSON, U+FFFD for the byte" $PY -c "
import json
r = [json.loads(l) for l in open('inv8.jsonl', 'rb').read().decode('utf-8').splitlines()]
assert [(x['path'], x.get('tier')) for x in r] == [('srv8/models/mod\ufffdle.safetensors', 'match')], r"

finish
