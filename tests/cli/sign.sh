#!/bin/sh
# sign.sh - signed scans: datavet keygen, scan --sign, merge --sign, verify. The signature and
# the file digests are checked with openssl and sha256sum as well as with datavet verify;
# every kind of tampering (a changed, removed or added file, an edited manifest, another
# key, hostile names in a manifest) must fail verification, naming what.
# Usage: sh tests/cli/sign.sh BIN

TEST=sign
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
SSL=$(command -v openssl)
[ -n "$SSL" ] || echo "note: openssl absent: the independent signature checks are skipped"

"$MK" ds --items 40 --shards 2 >/dev/null || { bad "generate dataset"; finish; }
"$BIN" list build -q --name known-md5 --version 2026-12 -o md5.dvl ds/lists/md5.txt
"$BIN" list build -q --name known-pdq --version 7 -o pdq.dvl ds/lists/pdq.txt
L="-l md5.dvl -l pdq.dvl"

# ---- keygen
"$BIN" keygen -q -o k >kid 2>err-k
check "keygen: a private key 0600, a public key, the key id printed" sh -c '
[ "$(stat -c %a k)" = 600 ] && grep -q "BEGIN PRIVATE KEY" k && grep -q "BEGIN PUBLIC KEY" k.pub &&
grep -Eqx "[0-9a-f]{64}" kid'
if [ -n "$SSL" ]; then
    check "keygen: openssl reads an Ed25519 key; the id is the SHA-256 of the raw public key" sh -c '
openssl pkey -in k -noout -text | grep -q ED25519 &&
[ "$(openssl pkey -pubin -in k.pub -outform DER | tail -c 32 | sha256sum | cut -d" " -f1)" = "$(cat kid)" ]'
fi
cp k k.orig
"$BIN" keygen -q -o k >/dev/null 2>err-k2
rc=$?
check "keygen: an existing key is not replaced" sh -c "[ $rc -eq 2 ] && grep -q 'exists: not replaced' err-k2 && cmp k k.orig"
"$BIN" keygen -q -o other >/dev/null 2>&1

# ---- scan --sign
# shellcheck disable=SC2086
"$BIN" scan -q ds/laion $L -o out --sign k >/dev/null 2>err-scan
rc=$?
check "scan --sign: findings (exit 1), manifest.jsonl and manifest.sig written 0600" sh -c "
[ $rc -eq 1 ] && [ \"\$(stat -c %a out/manifest.jsonl)\" = 600 ] && [ \"\$(stat -c %a out/manifest.sig)\" = 600 ]"
"$BIN" verify out --pubkey k.pub >v-out 2>v-err
rc=$?
check "verify: exit 0, verified by the key given, the two lists named" sh -c "
[ $rc -eq 0 ] && [ ! -s v-err ] && grep -q '^out: verified; key $(cat kid) (the key given); [0-9]* files ok, 0 changed, 0 missing, 0 not listed; 2 lists' v-out &&
grep -q \"^list md5.dvl: type md5, name 'known-md5', version '2026-12', entries [0-9]*, digest \" v-out &&
grep -q \"^list pdq.dvl: type pdq, name 'known-pdq', version '7'\" v-out"
check "manifest: every file of the outdir once, with sha256sum's digest and its size" $PY -c "
import json, os, hashlib, subprocess
lines = [json.loads(l) for l in open('out/manifest.jsonl')]
h = lines[0]
assert h['manifest'] == 'datavet-scan-manifest/1' and h['key_id'] == open('kid').read().strip(), h
assert h['dataset'] == 'ds/laion' and h['layout'] == 'parquet', h
files = {l['file']: l for l in lines if 'file' in l}
disk = set()
for d, _, fs in os.walk('out'):
    for f in fs:
        disk.add(os.path.relpath(os.path.join(d, f), 'out'))
disk -= {'manifest.jsonl', 'manifest.sig', 'lock'}
assert set(files) == disk and len(disk) > 8, (sorted(files), sorted(disk))
assert list(files) == sorted(files, key=lambda s: s.encode())
for n, l in files.items():
    out = subprocess.run(['sha256sum', 'out/' + n], capture_output=True, text=True).stdout.split()[0]
    assert l['sha256'] == out and l['bytes'] == os.path.getsize('out/' + n), n
for l in lines:
    if 'list' in l:
        info = subprocess.run(['$BIN', 'list', 'info', l['list']], capture_output=True, text=True).stdout
        assert l['digest'] in info, (l, info)
assert h['scan_params_sha256'] == hashlib.sha256(open('out/scan.params', 'rb').read()).hexdigest()
"
if [ -n "$SSL" ]; then
    $PY -c "
import json; open('sig.bin', 'wb').write(bytes.fromhex(json.load(open('out/manifest.sig'))['signature']))"
    check "openssl verifies manifest.sig over manifest.jsonl with the public key" sh -c '
openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in out/manifest.jsonl -sigfile sig.bin | grep -q "Signature Verified Successfully"'
fi
cp k k644 && chmod 644 k644
"$BIN" merge -q out --sign k644 >/dev/null 2>err-k644
rc=$?
check "merge --sign with a private key others can read: signs, and a warning says so" sh -c "
[ $rc -eq 1 ] && grep -q 'warning: k644: private key readable by others (mode 0644)' err-k644 &&
! grep -q 'readable by others' err-scan"
"$BIN" merge -q out --sign k >/dev/null 2>&1
cp out/manifest.jsonl m1 && cp out/manifest.sig s1
"$BIN" merge -q out --sign k >/dev/null 2>&1
check "merge --sign again: the same outputs give byte-identical manifest and signature" sh -c '
cmp m1 out/manifest.jsonl && cmp s1 out/manifest.sig'

# ---- tampering: each copy of out changed one way
tamper() { rm -rf "$1" && cp -r out "$1"; }
tamper t1 && printf 'x' | dd of=t1/matches.parquet bs=1 seek=100 conv=notrunc 2>/dev/null
"$BIN" verify t1 --pubkey k.pub >v1 2>e1
rc=$?
check "a changed byte in matches.parquet: exit 1, named" sh -c "
[ $rc -eq 1 ] && grep -qx 'datavet verify: matches.parquet: SHA-256 differs from the manifest.s' e1 &&
grep -q 'NOT VERIFIED.* 1 changed, 0 missing, 0 not listed' v1"
tamper t2 && rm t2/removal.txt && echo extra >t2/shards/000000.extra && echo 1 >>t2/summary.json
"$BIN" verify t2 --pubkey k.pub >v2 2>e2
rc=$?
check "a removed, an added and a grown file: exit 1, each named" sh -c "
[ $rc -eq 1 ] && grep -qx 'datavet verify: removal.txt: missing' e2 &&
grep -qx 'datavet verify: shards/000000.extra: not in the manifest (added after signing)' e2 &&
grep -q '^datavet verify: summary.json: [0-9]* bytes, the manifest says [0-9]*' e2"
tamper t3 && grep -v '"removal.txt"' out/manifest.jsonl >t3/manifest.jsonl && rm t3/removal.txt
"$BIN" verify t3 --pubkey k.pub >v3 2>e3
rc=$?
check "a file dropped from the manifest with it: the signature fails" sh -c "
[ $rc -eq 1 ] && grep -q 'manifest.sig: the signature does not match manifest.jsonl' e3"
tamper t3b && sed 's/"version":"[^"]*"/"version":"forged"/' out/manifest.jsonl >t3b/manifest.jsonl
"$BIN" verify t3b --pubkey k.pub >v3b 2>e3b
rc=$?
"$BIN" verify out --pubkey k.pub >v3c 2>/dev/null
check "the list lines of a manifest that does not verify are not shown (those of one that does are)" sh -c "
[ $rc -eq 1 ] && grep -q 'forged' t3b/manifest.jsonl && ! grep -q '^list ' v3b &&
grep -q 'NOT VERIFIED' v3b && grep -q '^list ' v3c && ! grep -q forged v3c"
# tampering that leaves manifest.jsonl no manifest (its header line deleted, or emptied) or
# manifest.sig no signature line (text appended) is tampering like any other: not verified,
# exit 1, the verdict on stdout; it was exit 2 (as for a scan never signed) with no verdict
tamper t3d && sed 1d out/manifest.jsonl >t3d/manifest.jsonl
tamper t3e && : >t3e/manifest.jsonl
tamper t3f && echo forged >>t3f/manifest.sig
for t in t3d t3e t3f; do
    "$BIN" verify $t --pubkey k.pub >v-$t 2>e-$t
    echo $? >rc-$t
done
check "a manifest without its header, an emptied one, a signature line appended to: exit 1, NOT VERIFIED" sh -c "
for t in t3d t3e t3f; do
    [ \$(cat rc-\$t) -eq 1 ] && grep -q \"^\$t: NOT VERIFIED\" v-\$t || { cat rc-\$t v-\$t e-\$t; exit 1; }
done
grep -q 'manifest.sig: the signature does not match manifest.jsonl' e-t3d &&
grep -q 'manifest.jsonl: line 1: not a datavet-scan-manifest/1 manifest' e-t3d &&
grep -q 'manifest.jsonl: empty' e-t3e && grep -q 'manifest.sig: not an Ed25519 signature line' e-t3f"
"$BIN" verify out --pubkey other.pub >v4 2>e4
rc=$?
check "another key's public key: exit 1, both key ids named" sh -c "
[ $rc -eq 1 ] && grep -q 'signed by key $(cat kid), not by the key given' e4 && grep -q '(NOT the key given)' v4"
if [ -n "$SSL" ]; then
    # resign DIR KEY: the manifest updated to the files now in DIR and to KEY, signed by
    # openssl, as someone who changed DIR and holds KEY could
    resign() {
        $PY - "$1" "$2" <<'EOF2'
import json, sys, hashlib, os, subprocess
d, key = sys.argv[1], sys.argv[2]
pub = subprocess.run(['openssl', 'pkey', '-in', key, '-pubout', '-outform', 'DER'],
                     capture_output=True, check=True).stdout[-32:]
kid = hashlib.sha256(pub).hexdigest()
out = []
for l in open(d + '/manifest.jsonl'):
    j = json.loads(l)
    if 'manifest' in j: j['public_key'], j['key_id'] = pub.hex(), kid
    if 'file' in j and os.path.isfile(d + '/' + j['file']):
        b = open(d + '/' + j['file'], 'rb').read()
        j['bytes'], j['sha256'] = len(b), hashlib.sha256(b).hexdigest()
    out.append(json.dumps(j, separators=(',', ':')))
open(d + '/manifest.jsonl', 'w').write('\n'.join(out) + '\n')
sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key, '-rawin', '-in',
                      d + '/manifest.jsonl'], capture_output=True, check=True).stdout
open(d + '/manifest.sig', 'w').write(json.dumps({'key_type': 'ed25519', 'key_id': kid,
    'public_key': pub.hex(), 'signature': sig.hex()}, separators=(',', ':')) + '\n')
EOF2
    }
    # an attacker changes removal.txt and re-signs with their own key: only --any-key accepts
    tamper t5 && echo forged >>t5/removal.txt && resign t5 other
    "$BIN" verify t5 --pubkey k.pub >/dev/null 2>e5
    rc5=$?
    "$BIN" verify t5 --any-key >v5b 2>e5b
    rc5b=$?
    check "re-signed with another key: --pubkey fails; --any-key says no trusted key was checked" sh -c "
[ $rc5 -eq 1 ] && grep -q 'not by the key given' e5 && ! grep -q removal.txt e5 && [ $rc5b -eq 0 ] &&
grep -q 'not checked against a trusted key: --any-key' v5b"
    # the same re-signing with the right key verifies: resign itself is sound
    tamper t5k && resign t5k k
    check "resign with the right key of an unchanged outdir verifies" "$BIN" verify -q t5k --pubkey k.pub
    # hostile names in a manifest signed by the right key: refused, nothing outside read
    tamper t6
    echo secret >secret
    D6=$(sha256sum secret | cut -d' ' -f1)
    printf '{"file":"../secret","bytes":7,"sha256":"%s"}\n{"file":"/etc/hostname","bytes":1,"sha256":"%s"}\n{"file":"a//b","bytes":1,"sha256":"%s"}\n' \
        "$D6" "$D6" "$D6" >>t6/manifest.jsonl
    resign t6 k
    "$BIN" verify t6 --pubkey k.pub >v6 2>e6
    rc=$?
    check "names outside the outdir in a validly signed manifest: each line refused" sh -c "
[ $rc -eq 1 ] && [ \$(grep -c 'not a file, list or header line' e6) -eq 3 ] && ! grep -q 'signature does not' e6"
fi

# what the walk finds decides what is opened: a FIFO in place of manifest.sig or a listed
# file does not block; a listed name behind a link is never opened; a .tmp file, an empty
# folder and a link added are all noticed
tamper t7 && rm t7/manifest.sig && mkfifo t7/manifest.sig
timeout 20 "$BIN" verify t7 --pubkey k.pub >/dev/null 2>e7a
rc=$?
check "a FIFO as manifest.sig: an error at once, no hang" sh -c "[ $rc -eq 2 ] && grep -q 'manifest.sig: not a regular file' e7a"
tamper t8 && rm t8/removal.txt && mkfifo t8/removal.txt
timeout 20 "$BIN" verify t8 --pubkey k.pub >/dev/null 2>e8a
rc=$?
check "a FIFO in place of a listed file: missing, no hang" sh -c "
[ $rc -eq 1 ] && grep -q 'removal.txt: missing (not a regular file there)' e8a"
tamper t9 && touch t9/matches.jsonl.tmp t9/shards/x.tmp && mkdir t9/empty && ln -s / t9/root
"$BIN" verify t9 --pubkey k.pub >/dev/null 2>e9a
rc=$?
check "a .tmp file, an empty folder and a link added: each named" sh -c "
[ $rc -eq 1 ] && grep -q 'matches.jsonl.tmp: not in the manifest' e9a &&
grep -q 'shards/x.tmp: not in the manifest' e9a && grep -q 'empty/: folder not in the manifest' e9a &&
grep -q 'root: not a regular file or folder' e9a"
if [ -n "$SSL" ]; then
    # a validly signed line naming a file behind a link: reported missing, never opened
    # (a FIFO there would block an open)
    tamper t10 && mkdir outside && mkfifo outside/pipe && ln -s ../outside t10/via
    printf '{"file":"via/pipe","bytes":0,"sha256":"%s"}\n' "$(printf '' | sha256sum | cut -d' ' -f1)" >>t10/manifest.jsonl
    resign t10 k
    timeout 20 "$BIN" verify t10 --pubkey k.pub >/dev/null 2>e10a
    rc=$?
    check "a listed file behind a link: missing, not opened" sh -c "
[ $rc -eq 1 ] && grep -q 'via/pipe: missing' e10a && ! grep -q 'signature does not' e10a"
fi
tamper t12 && echo x >t12/manifest.sig.tmp
"$BIN" verify t12 --pubkey k.pub >/dev/null 2>e12a
rc=$?
check "a manifest.sig.tmp added: not verified" sh -c "[ $rc -eq 1 ] && grep -q 'manifest.sig.tmp: not in the manifest' e12a"
if [ -n "$SSL" ]; then
    tamper t13 && echo '{"dir":"shards"}' >>t13/manifest.jsonl && resign t13 k
    "$BIN" verify t13 --pubkey k.pub >/dev/null 2>e13a
    rc=$?
    check "a folder listed twice: not verified" sh -c "[ $rc -eq 1 ] && grep -q 'shards/ listed twice' e13a"
fi
tamper t14 && rm t14/manifest.* && mkdir -p t14/a/b/c/d/e/f/g/h/i/j && echo x >t14/a/b/c/d/e/f/g/h/i/j/f
"$BIN" merge -q t14 --sign k >/dev/null 2>e14a
rc=$?
check "folders nested too deep: signing refuses, naming them" sh -c "
[ $rc -eq 2 ] && grep -q 'folders nested over 8 deep: not signed' e14a"
tamper t11 && rm t11/manifest.* && printf x >"t11/shards/bad$(printf '\377')name"
"$BIN" merge -q t11 --sign k >/dev/null 2>e11a
rc=$?
check "signing refuses a name verify could not read back" sh -c "
[ $rc -eq 2 ] && grep -q 'not UTF-8 in it: not signed' e11a && [ ! -e t11/manifest.sig ]"

# ---- the cleaned copy: clean.sha256 in OUTDIR, signed with it; verify --clean checks DIR
# shellcheck disable=SC2086
"$BIN" scan -q ds/wds $L -o out-c --clean cl --decoys 2 --sign k >/dev/null 2>&1
"$BIN" verify out-c --pubkey k.pub --clean cl >vc 2>ec
rc=$?
check "scan --clean --sign: clean.sha256 (0600) names every file of the copy; verify --clean: exit 0" sh -c "
[ $rc -eq 0 ] && [ ! -s ec ] && [ \"\$(stat -c %a out-c/clean.sha256)\" = 600 ] &&
grep -q '\"file\":\"clean.sha256\"' out-c/manifest.jsonl &&
[ \"\$(cut -c67- out-c/clean.sha256)\" = \"\$(cd cl && find . -type f ! -name .datavet-owner | sed 's|^./||' | LC_ALL=C sort)\" ] &&
n=\$(wc -l <out-c/clean.sha256) && [ \$n -ge 4 ] &&
grep -q \"^cl: cleaned copy verified; \$n files ok, 0 changed, 0 missing, 0 not listed, 0 bad lines\" vc"
# one list: said in the singular
"$BIN" scan -q ds/wds -l md5.dvl -o out-1l --sign k >/dev/null 2>&1
check "verify of a scan with one list: '1 list'" sh -c "
\"$BIN\" verify out-1l --pubkey k.pub | grep -q 'not listed; 1 list\$'"
rm -rf t17 && cp -r out-c t17 && rm t17/clean.key t17/lock
check "OUTDIR handed on without its secret clean.key (and lock) still verifies" sh -c "
grep -q 'clean.key' out-c/manifest.jsonl && exit 1; '$BIN' verify -q t17 --pubkey k.pub"
"$BIN" verify out-c --pubkey k.pub --clean cl --progress >vp 2>ep
rc=$?
check "verify --clean --progress: the copy's files counted to the last in plain lines, exit 0" sh -c "
n=\$(wc -l <out-c/clean.sha256) && [ $rc -eq 0 ] &&
grep -q \"^verify: cleaned copy, \$n/\$n files, [0-9.]* GB\" ep && ! grep -q \"\$(printf '\\r')\" ep &&
\"$BIN\" verify -q out-c --pubkey k.pub --clean cl --progress 2>eq && [ ! -s eq ]"
check "clean.sha256 is what sha256sum -c checks in the copy's folder" sh -c '
cd cl && sha256sum -c --quiet ../out-c/clean.sha256'
check "summary.json counts the copy's files and bytes" $PY -c "
import json, os
c = json.load(open('out-c/summary.json'))['clean']
# (the owner mark, cl/.datavet-owner, is no file of the copy)
fs = [os.path.join(d, f) for d, _, n in os.walk('cl') for f in n if (d, f) != ('cl', '.datavet-owner')]
assert c['checksums'] == 'clean.sha256' and c['files'] == len(fs), c
assert c['bytes'] == sum(os.path.getsize(f) for f in fs), c"
rm -rf cl2 && cp -r cl cl2
f1=$(sed -n 1p out-c/clean.sha256 | cut -c67-)
f2=$(sed -n 2p out-c/clean.sha256 | cut -c67-)
printf 'x' | dd of="cl2/$f1" bs=1 seek=600 conv=notrunc 2>/dev/null
rm "cl2/$f2" && mkfifo "cl2/$f2"
echo extra >cl2/extra.txt
echo cut >"cl2/$f1.datavet-tmp"
timeout 20 "$BIN" verify out-c --pubkey k.pub --clean cl2 >vc2 2>ec2
rc=$?
check "verify --clean: a changed file, a FIFO in place of another and an added file named, exit 1, no hang" sh -c "
[ $rc -eq 1 ] && grep -qx 'datavet verify: $f1: SHA-256 differs from clean.sha256' ec2 &&
grep -qx 'datavet verify: $f2: not a regular file' ec2 &&
grep -qx 'datavet verify: extra.txt: not in clean.sha256 (added to the copy after the scan)' ec2 &&
grep -qx 'datavet verify: $f1.datavet-tmp: not in clean.sha256: a file of a --clean run that did not finish (rerun the scan or merge --clean, which removes it)' ec2 &&
grep -q '^cl2: cleaned copy NOT VERIFIED; [0-9]* files ok, 1 changed, 1 missing, 2 not listed' vc2 &&
grep -q '^out-c: verified' vc2"
# a file added where its path is longer than PATH_MAX (18 folders of 250 bytes: under the
# depth limit) was passed over without a word, and the copy verified
rm -rf cl3 && cp -r cl cl3
$PY -c "
import os
os.chdir('cl3')
for _ in range(18):
    os.mkdir('d' * 250)
    os.chdir('d' * 250)
open('hidden.tar', 'w').write('x')
"
"$BIN" verify out-c --pubkey k.pub --clean cl3 >vc3 2>ec3l
rc=$?
check "verify --clean: a file added below a path too long to examine is named, exit 1" sh -c "
[ $rc -eq 1 ] && grep -q 'cannot be examined' ec3l &&
grep -q '^cl3: cleaned copy NOT VERIFIED; [0-9]* files ok, 0 changed, 0 missing, 1 not listed' vc3"
rm -rf cl3
"$BIN" verify out --pubkey k.pub --clean cl >/dev/null 2>ec3
rc=$?
check "verify --clean of a scan without --clean: exit 2, says so" sh -c "
[ $rc -eq 2 ] && grep -q 'clean.sha256: missing: the scan wrote no cleaned copy' ec3"
rm -rf t15 && cp -r out-c t15 && echo changed >>t15/clean.sha256
"$BIN" verify t15 --pubkey k.pub --clean cl >vc4 2>ec4
rc=$?
# the copy is checked only against the clean.sha256 the manifest covers, from the bytes read
# for it (dv_verify_result.clean_sha256): an edited one is not parsed at all
check "an edited clean.sha256: OUTDIR not verified, and the copy not checked against it" sh -c "
[ $rc -eq 1 ] && grep -q 'clean.sha256: [0-9]* bytes, the manifest says' ec4 &&
grep -qx \"datavet verify: clean.sha256: its SHA-256 is not the manifest's (changed since OUTDIR was verified): the cleaned copy is not checked against it\" ec4 &&
! grep -q 'not a checksum line' ec4 &&
grep -q '^cl: cleaned copy NOT VERIFIED; 0 files ok, .* (clean.sha256 is not the one the manifest covers: nothing checked) (and OUTDIR' vc4"
if [ -n "$SSL" ]; then
    # hostile names in a clean.sha256 signed with the right key: refused, nothing outside read
    rm -rf t16 && cp -r out-c t16 && mkdir -p outside && mkfifo outside/pipe2 && ln -s ../outside cl/via
    {
        printf '%s  ../secret\n%s  /etc/hostname\n%s  a//b\n' "$D6" "$D6" "$D6"
        printf '\\%s  a\\qb\n%s  via\n' "$D6" "$D6"
    } >>t16/clean.sha256
    resign t16 k
    timeout 20 "$BIN" verify t16 --pubkey k.pub --clean cl >vc5 2>ec5
    rc=$?
    check "hostile names in a validly signed clean.sha256: each refused, a link not followed" sh -c "
[ $rc -eq 1 ] && [ \$(grep -c 'not a checksum line' ec5) -eq 4 ] && grep -qx 'datavet verify: via: not a regular file' ec5 &&
grep -q '^t16: verified' vc5"
    rm cl/via
fi

# a signed scan that could not read everything: verified (the files are as signed), and a
# line says that the scan itself is incomplete, with -q too; before, it said "verified" and
# nothing more, and an auditor could take the scan for whole
rm -rf dsi && cp -r ds/wds dsi && head -c 3000 ds/wds/00001.tar >dsi/00001.tar
# shellcheck disable=SC2086
"$BIN" scan -q dsi $L -o out-inc --clean cl-inc --sign k >/dev/null 2>err-inc
rc=$?
"$BIN" verify out-inc --pubkey k.pub >vi 2>ei
rci=$?
"$BIN" verify -q out-inc --pubkey k.pub >viq 2>eiq
rciq=$?
check "verify of a signed incomplete scan: exit 0, verified, and INCOMPLETE said with its counts (-q too)" sh -c "
[ $rc -eq 2 ] && [ $rci -eq 0 ] && [ $rciq -eq 0 ] && [ ! -s ei ] && [ ! -s eiq ] &&
re=\$($PY -c \"import json; print(json.load(open('out-inc/summary.json'))['counts']['read_errors'])\") &&
lo=\$($PY -c \"import json; print(json.load(open('out-inc/summary.json'))['clean']['shards_left_out'])\") &&
[ \$re -ge 1 ] && [ \$lo -eq 1 ] && grep -q '^out-inc: verified;' vi &&
line=\"out-inc: the verified scan is INCOMPLETE: \$re read error.* (summary.json counts.read_errors; errors.jsonl names them): shards or parts of shards were not read, and their items were not checked; 1 shard left out of the cleaned copy (clean.shards_left_out)\" &&
grep -qx \"\$line\" vi && grep -qx \"\$line\" viq && [ \$(wc -l <viq) -eq 1 ]"
if [ -n "$SSL" ]; then
    # an OUTDIR signed without summary.json: nothing tells whether the scan was whole
    tamper t19 && rm t19/summary.json && grep -v '"file":"summary.json"' out/manifest.jsonl >t19/manifest.jsonl
    resign t19 k
    "$BIN" verify -q t19 --pubkey k.pub >v19 2>e19
    rc=$?
    check "a verified OUTDIR without summary.json: completeness said to be unknown, exit 0" sh -c "
[ $rc -eq 0 ] && [ ! -s e19 ] &&
grep -qx 't19: whether the scan read everything is not known: no signed summary.json with counts.read_errors' v19"
fi
check "verify of a complete signed scan says nothing of completeness" sh -c "
! grep -q 'INCOMPLETE\\|not known' v-out vc && '$BIN' verify -q out --pubkey k.pub >vq && [ ! -s vq ]"

rm -rf t18 && cp -r out t18 && "$BIN" merge -q t18 >/dev/null 2>e18
check "a merge without --sign of a signed outdir removes the stale signature, saying so" sh -c "
[ ! -e t18/manifest.sig ] && [ ! -e t18/manifest.jsonl ] && grep -q 'manifest.sig of an earlier --sign were removed' e18"

# ---- errors
"$BIN" scan -q ds/laion -l md5.dvl -o out-plain >/dev/null 2>&1
"$BIN" verify out-plain --pubkey k.pub >/dev/null 2>e7
rc=$?
check "verify of an unsigned outdir: exit 2, says so" sh -c "[ $rc -eq 2 ] && grep -q 'manifest.sig: missing: the scan was not signed' e7"
"$BIN" verify out >/dev/null 2>e8
rc=$?
check "verify needs --pubkey or --any-key" test $rc -eq 2
"$BIN" scan -q ds/laion -l md5.dvl -o out-nokey --sign nokey >/dev/null 2>e9
rc=$?
check "scan --sign with no key: exit 2 before scanning" sh -c "
[ $rc -eq 2 ] && grep -q 'nokey: No such file' e9 && [ ! -e out-nokey/shards ]"
"$BIN" scan -q ds/laion -l md5.dvl -o out-nm --no-merge --sign k >/dev/null 2>e10
rc=$?
check "scan --no-merge --sign: refused (sign at the merge)" sh -c "[ $rc -eq 2 ] && grep -q 'give it to datavet merge' e10"
"$BIN" scan -q ds/laion $L -o out-split --no-merge >/dev/null 2>&1
"$BIN" merge -q out-split --sign k >/dev/null 2>&1
"$BIN" verify -q out-split --pubkey k.pub >v11 2>e11
rc=$?
check "scan --no-merge, then merge --sign: verifies" sh -c "[ $rc -eq 0 ] && [ ! -s v11 ] && [ ! -s e11 ]"
if [ -n "$SSL" ]; then
    openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret -out kenc 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out kec 2>/dev/null
    "$BIN" scan -q ds/laion -l md5.dvl -o out-enc --sign kenc </dev/null >/dev/null 2>e12
    rc12=$?
    "$BIN" scan -q ds/laion -l md5.dvl -o out-ec --sign kec >/dev/null 2>e13
    rc13=$?
    check "an encrypted key (no prompt) and a P-256 key: refused, named" sh -c "
[ $rc12 -eq 2 ] && grep -q 'kenc: not an unencrypted PEM private key' e12 &&
[ $rc13 -eq 2 ] && grep -q 'kec: not an Ed25519 key' e13"
fi
"$BIN" slurm submit ds/laion -l md5.dvl -o out-slurm --sign k >/dev/null 2>e14
rc=$?
check "slurm submit --sign: refused, pointing to merge" sh -c "[ $rc -eq 2 ] && grep -q 'give --sign to datavet merge' e14"
finish
