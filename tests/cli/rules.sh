#!/bin/sh
# rules.sh - the rules that never bend, checked across every command that writes something,
# in one run under umask 000: no byte of a scanned image in any output but the cleaned copy
# (a marker inside every shard image, grepped for), and none of a removed item in that copy;
# every file created 0600 and every folder 0700 (the public key 0644, the sbatch script 0700);
# no list entry but a matched one in any output or message (entries labelled to be found);
# similarity, unsafe-score and caption-term findings tier "candidate" everywhere.
# Usage: sh tests/cli/rules.sh BIN

TEST=rules
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"

umask 000
MARK="DVRULES-$$-7c1e"
"$MK" mk --items 30 --shards 2 --marker "$MARK" >/dev/null || { bad "generate dataset"; finish; }
mkdir imgs o log tmpw && chmod 700 o
tar -xf mk/wds/00000.tar -C imgs --wildcards '*.jpg'
check "marker: in the shard images" sh -c "grep -qa '$MARK' imgs/000000001.jpg"
# lists whose entries carry labels: the ones that can match (HIT...), and as many that cannot
# (SECRET..., never to be seen in an output)
"$BIN" hash -q -a md5 -f jsonl imgs >hashes.jsonl
$PY - "$MARK" <<'EOF'
import hashlib, json
def put(name, key, hits, n):
    with open(name, 'w') as f:
        for i, h in enumerate(hits):
            f.write(json.dumps({key: h, 'id': 'HITID-%d' % i, 'label': 'HITLBL-%d' % i}) + '\n')
        for i in range(n):
            if key == 'url':
                s = 'http://secret-%d.example.org/SECRETURL%d.jpg' % (i, i)
            else:
                s = hashlib.sha256(b'%s%d' % (key.encode(), i)).hexdigest()[:32 if key == 'md5' else 64]
            f.write(json.dumps({key: s, 'id': 'SECRETID-%d' % i, 'label': 'SECRETLBL-%d' % i}) + '\n')
md5 = [json.loads(l)['md5'] for l in open('hashes.jsonl')][:4]
put('md5.jsonl', 'md5', md5 + [l.strip() for l in open('mk/lists/md5.txt') if l.strip()], 20)
put('pdq.jsonl', 'pdq', [l.split(',')[0].strip() for l in open('mk/lists/pdq.txt') if l.strip()], 20)
put('url.jsonl', 'url', [l.strip() for l in open('mk/lists/url.txt') if l.strip()], 20)
EOF
for t in md5 pdq url; do "$BIN" list build -q --name "L-$t" --version 1 -o o/$t.dvl $t.jsonl; done
L="-l o/md5.dvl -l o/pdq.dvl -l o/url.dvl"
# a data: URI of a marked image, fetched without a network
printf 'data:image/jpeg;base64,%s\n' "$(base64 -w0 imgs/000000001.jpg)" >data.txt

export TMPDIR="$T/tmpw"
run() { n=$1; shift; "$@" >log/$n.out 2>log/$n.err; echo $? >log/$n.rc; }
run keygen "$BIN" keygen -o o/key
run hash "$BIN" hash imgs -o o/hash.tsv -j 2
run match "$BIN" match $L o/hash.tsv -o o/match.tsv
run fetch "$BIN" fetch data.txt -o o/fetch.tsv
run scan "$BIN" scan mk/wds $L -o o/wds --clean o/clean --sign o/key \
    --flag-terms mk/lists/terms.txt -j 2
run laion "$BIN" scan mk/laion $L -o o/laion --neighbors-min-sim 0.5 --flag-punsafe 0.5 \
    --flag-terms mk/lists/terms.txt --sign o/key
run hf "$BIN" scan mk/hf $L -o o/hf --no-merge
run merge "$BIN" merge o/hf --clean o/hfclean --sign o/key
for f in csv json jsonl; do
    run export-$f "$BIN" export -f $f --include-candidates -o o/laion.$f o/laion
done
run verify "$BIN" verify o/wds --pubkey o/key.pub --clean o/clean
run nb "$BIN" neighbors --embeddings mk/laion --from-scan o/laion -k 3 -o o/nb
run inv "$BIN" inventory imgs mk -l o/md5.dvl -o o/inv.jsonl
run info "$BIN" list info o/md5.dvl
run slurm "$BIN" slurm submit mk/wds $L -o o/slurm --dry-run
unset TMPDIR
check "every command ran (exit 0 or 1)" sh -c '
for f in log/*.rc; do [ "$(cat $f)" -le 1 ] || { echo "$f: $(cat $f)"; cat ${f%.rc}.err; exit 1; }; done'
check "the scans found matches and candidates" $PY -c "
import json
c = json.load(open('o/wds/summary.json'))['counts']; assert c['match'] > 0 and c['hashed'] > 10, c
c = json.load(open('o/laion/summary.json'))['counts']
assert c['match'] > 0 and c['per_hash_type'].get('neighbors.candidate'), c
assert c['per_hash_type'].get('terms.candidate') and c['per_hash_type'].get('punsafe.candidate'), c"

# 1. image bytes: only in the cleaned copies, and there only of the items kept
check "marker: in no output, message or temporary folder but the cleaned copies" sh -c "
! grep -rlaF '$MARK' o log tmpw | grep -v '^o/clean/' | grep -v '^o/hfclean/' | grep . &&
[ -z \"\$(find tmpw -type f)\" ]"
check "marker: in the cleaned copy (the kept items' images)" grep -qaF "$MARK" o/clean/00000.tar
check "cleaned copy: no member of a removed item" sh -c "
awk 'NR > 1 { print \$1 }' o/wds/removal.txt | sort -u >removed
[ -s removed ] && for t in o/clean/*.tar; do tar -tf \$t; done | sed 's/\\..*//' | sort -u >kept &&
[ -s kept ] && [ -z \"\$(comm -12 removed kept)\" ]"

# 2. modes, under umask 000
check "modes: files 0600, folders 0700 (key.pub 0644, the sbatch script 0700)" sh -c "
find o -mindepth 1 \\( -type d ! -perm 700 -o -type f ! -perm 600 \\) |
    grep -v -e '^o/key.pub\$' -e '^o/slurm/slurm/datavet-scan.sbatch\$' | grep . && exit 1
[ \"\$(stat -c %a o/key.pub o/slurm/slurm/datavet-scan.sbatch)\" = \"644
700\" ]"

# 3. list entries: the matched ones only
check "lists: no unmatched entry in any output or message" sh -c "
! grep -rlaE 'SECRET(ID|LBL|URL)' o log | grep -v '\\.dvl\$' | grep ."
check "lists: matched entries are named" grep -q HITLBL o/wds/matches.jsonl

# 4. candidates are candidates
check "candidates: tier candidate in matches.jsonl, neighbors.jsonl, removal.txt, exports" $PY -c "
import json, csv
cand = {'neighbors', 'punsafe', 'terms'}
m = [json.loads(l) for l in open('o/laion/matches.jsonl')]
assert all((x['tier'] == 'candidate') == (x['hash_type'] in cand) for x in m), m
assert all(json.loads(l)['tier'] == 'candidate' for l in open('o/nb/neighbors.jsonl'))
tiers = {}
for x in m: tiers[x['id']] = tiers.get(x['id'], 'candidate') if x['tier'] == 'candidate' else 'match'
rem = [l.rstrip('\n').split('\t') for l in open('o/laion/removal.txt')][1:]
assert rem and all(r[5] == tiers[r[0]] for r in rem), (rem, tiers)
for x in [json.loads(l) for l in open('o/laion.jsonl')] + json.load(open('o/laion.json')):
    f = x['findings']
    assert all((y['tier'] == 'candidate') == (y['hash_type'] in cand) for y in f), x
    assert x['report_tier'] == ('match' if any(y['tier'] == 'match' for y in f) else 'candidate'), x
    assert x['needs_verification'] == (x['report_tier'] == 'candidate'), x
    assert x['file_viewed_by_reporter'] is False, x
for r in csv.DictReader(open('o/laion.csv', newline='')):
    t = r['finding_tiers'].split(';')
    assert [(y == 'candidate') for y in t] == [(y in cand) for y in r['match_types'].split(';')], r
h = open('o/laion/report.html').read()
nm = sum(x['tier'] == 'match' for x in m)
assert h.count('class=\"tier-match\"') == nm and h.count('class=\"tier-candidate\"') == len(m) - nm, nm"
check "candidates: the summary line and report count them apart" sh -c "
grep -q 'findings: [1-9][0-9]* matches, [1-9][0-9]* candidates' log/laion.err &&
grep -q 'candidates (need verification)' o/laion/report.html"

finish
