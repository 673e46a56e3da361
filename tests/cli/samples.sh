#!/bin/sh
# samples.sh - vetting a model's generated samples (docs/samples.md), both ways, on a planted
# dataset: "samples" are images taken out of its webdataset shards, as a model
# that memorised them would give them back. (1) The samples scanned as an image folder
# against the known-hash lists: the known ones match. (2) A PDQ list made from the samples'
# `datavet hash` output, and the training set scanned against it: every sample is found at
# the training item it came from, labelled with the sample's path.
# Usage: sh tests/cli/samples.sh BIN

TEST=samples
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"

"$MK" ds --items 40 --shards 2 >/dev/null || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 1 -o md5.dvl ds/lists/md5.txt
"$BIN" list build -q --name known-pdq --version 1 -o pdq.dvl ds/lists/pdq.txt
# samples: every JPEG of the first shard whose MD5 is listed, and three that are not
mkdir samples
$PY - <<'EOF' || { bad "make samples"; finish; }
import hashlib, tarfile
known = set(l.split()[0] for l in open('ds/lists/md5.txt') if l.strip() and not l.startswith('#'))
t = tarfile.open('ds/wds/00000.tar')
k = o = 0
for m in t.getmembers():
    if not m.name.endswith('.jpg'): continue
    b = t.extractfile(m).read()
    if hashlib.md5(b).hexdigest() in known:
        open('samples/known_%s' % m.name, 'wb').write(b); k += 1
    elif o < 3:
        open('samples/other_%s' % m.name, 'wb').write(b); o += 1
assert k >= 1 and o == 3, (k, o)
open('nknown', 'w').write(str(k))
EOF
"$BIN" scan -q samples -l md5.dvl -l pdq.dvl --dihedral -o out1 >/dev/null 2>&1
rc=$?
check "samples against the known lists: exactly the known samples match (md5 and pdq)" $PY -c "
import json
m = [json.loads(l) for l in open('out1/matches.jsonl')]
ids = set(x['id'] for x in m)
k = int(open('nknown').read())
assert len(ids) == k and all(i.startswith('known_') for i in ids), ids
assert set(x['hash_type'] for x in m) == {'md5', 'pdq'}, m
assert $rc == 1"
"$BIN" hash -q -a pdq samples -o samples.tsv
"$BIN" list build -q --name model-x-samples --version run-1 -t pdq -o samples.dvl samples.tsv
"$BIN" scan -q ds/wds -l samples.dvl -o out2 >/dev/null 2>&1
check "the training set against the samples: each sample at the item it came from, labelled" $PY -c "
import json, os
m = [json.loads(l) for l in open('out2/matches.jsonl')]
got = set((x['id'], x['label']) for x in m)
want = set((f.split('_', 1)[1][:-4], 'samples/' + f) for f in os.listdir('samples'))
assert want <= got, (sorted(want - got), sorted(got))
assert all(x['list'] == 'model-x-samples' and x['list_version'] == 'run-1' for x in m)
assert all(x['distance'] == 0 for x in m if (x['id'], x['label']) in want)"
finish
