#!/bin/sh
# terminal.sh - what datavet prints for people (stderr, the human-readable stdout of inspect,
# list info, verify, scan --plan) from hostile inputs holds nothing that acts on a terminal:
# names and values with ESC sequences, line feeds, C1 controls (U+009B), bidirectional
# controls and bytes that are not UTF-8 (a tar member, a parquet column and a footer key, a
# URL list's header, file names from a directory walk, an .npz member, a .dvl header, an
# OUTDIR) are written \xHH (datavet(1), "TEXT ON A TERMINAL"), while the records (JSONL, TSV,
# --head rows, errors.jsonl) keep their own documented escaping, byte for byte.
# Usage: sh tests/cli/terminal.sh BIN PQ_TOOL

TEST=terminal
PQT=${2:-}
case $PQT in /* | "") ;; *) PQT=$(pwd)/$PQT ;; esac
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"

# ./clean FILE...: no byte that could act on a terminal: C0 controls but tab and line feed,
# DEL, C1 controls (U+0080..U+009F), bidirectional controls, ill-formed UTF-8. Names the
# first one found. ./noctl FILE...: the brief form of it, for C0 controls and DEL (grep -P).
printf '#!/bin/sh\n! LC_ALL=C grep -naP %s "$@"\n' "'[\\x00-\\x08\\x0b-\\x1f\\x7f]'" >noctl
{ echo "#!$PY"; cat; } >clean <<'EOF'
import sys
bad = 0
for name in sys.argv[1:]:
    data = open(name, 'rb').read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        print('%s: not UTF-8 at byte %d: %r' % (name, e.start, data[max(0, e.start - 20):e.start + 8]))
        bad = 1
        continue
    for i, c in enumerate(text):
        o = ord(c)
        if (o < 0x20 and c not in '\t\n') or 0x7f <= o <= 0x9f or o in (0x61c, 0x200e, 0x200f) \
                or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069:
            print('%s: U+%04X at character %d: %r' % (name, o, i, text[max(0, i - 20):i + 8]))
            bad = 1
            break
sys.exit(bad)
EOF
chmod +x clean noctl

ESC=$(printf '\033')
TAB=$(printf '\t')
NL='
'
printf 'd41d8cd98f00b204e9800998ecf8427e\n' >l.txt
"$BIN" list build -q -o l.dvl l.txt || bad "list build"

# --------------------------------------------------------------- a webdataset tar
# a member named with ESC[2J and a line feed (not an image), and one named with an OSC title
# sequence that the end of the archive cuts: a decode error and a read error naming them
mkdir wds
"$PY" - <<'EOF'
import io, tarfile
def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open('wds/00000.tar', 'w', format=tarfile.USTAR_FORMAT) as t:
    add(t, 'a\x1b[2J\nb.jpg', b'not a jpeg at all')
    add(t, 'a\x1b[2J\nb.json', b'{"caption": "x"}')
    add(t, 'c\x1b]0;pwn\x07\u009b.jpg', b'\xff\xd8\xff' + b'x' * 3000)
data = open('wds/00000.tar', 'rb').read()
open('wds/00000.tar', 'wb').write(data[:2048 + 512 + 600])
EOF
"$BIN" inspect wds/00000.tar >tar.out 2>tar.err
echo $? >rc-tar
check "inspect of a tar: its human output and stderr hold no control byte" sh -c "
./clean tar.out tar.err && ./noctl tar.out tar.err"
check "... and the member is named, escaped" grep -qF \
    "problems: wds/00000.tar: member 'c\\x1B]0;pwn\\x07\\xC2\\x9B.jpg' at offset 2048" tar.out
"$BIN" scan wds -l l.dvl -o out-nm --no-merge >scan-nm.out 2>scan-nm.err
"$BIN" scan wds -l l.dvl -o out-wds >scan.out 2>scan.err
check "scan: stderr naming the unread member holds no control byte" sh -c "
./clean scan-nm.out scan-nm.err scan.out scan.err && ./noctl scan-nm.err scan.err &&
grep -qF \"the first: wds/00000.tar: member 'c\\x1B]0;pwn\\x07\\xC2\\x9B.jpg'\" scan-nm.err"
check "... while errors.jsonl keeps the names as JSON strings, exactly" sh -c "
grep -qF '\"id\":\"a\\u001b[2J\\nb\"' out-wds/errors.jsonl &&
grep -qF 'wds/00000.tar: a\\u001b[2J\\nb.jpg: not a JPEG' out-wds/errors.jsonl &&
grep -qF \"member 'c\\u001b]0;pwn\\u0007$(printf '\302\233').jpg'\" out-wds/errors.jsonl"

# a shard file named with a line feed, a tab and ESC: scan --plan keeps one line a shard
mkdir wds2
cp wds/00000.tar "wds2/0${TAB}${NL}${ESC}[2J.tar"
"$BIN" scan --plan wds2 >plan.out 2>plan.err
check "scan --plan: one line a shard, the name escaped" sh -c "
./clean plan.out plan.err && ./noctl plan.out plan.err && [ \$(wc -l <plan.out) -eq 1 ] &&
grep -qxF '0	0\\x09\\x0A\\x1B[2J	wds2/0\\x09\\x0A\\x1B[2J.tar' plan.out"

# --------------------------------------------------------------- forged lines
# names with a line feed followed by what reads as datavet's own message: a member of a tar
# that the end of the archive cuts (a read error, dv_scan_result.unread) and a URL list beside
# the tar (a dataset problem: stderr, dataset_problems.txt, summary.json, inspect). Texts of
# several lines are written escaped by the library, so no name starts a line of its own.
mkdir wds3
"$PY" - <<'EOF2'
import io, tarfile
def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
with tarfile.open('wds3/00000.tar', 'w', format=tarfile.USTAR_FORMAT) as t:
    add(t, 'a.json', b'{}')
    add(t, 'c\ndatavet scan: all clear.jpg', b'\xff\xd8\xff' + b'x' * 3000)
data = open('wds3/00000.tar', 'rb').read()
open('wds3/00000.tar', 'wb').write(data[:1024 + 512 + 600])
open('wds3/y\ndatavet scan: all clear\\x0A.csv', 'w').write('url\nhttp://a.test/b\n')
EOF2
"$BIN" scan wds3 -l l.dvl -o out-f3 --no-merge >f3nm.out 2>f3nm.err
"$BIN" scan wds3 -l l.dvl -o out-f3 >f3.out 2>f3.err
"$BIN" inspect wds3 >f3i.out 2>f3i.err
"$BIN" inspect --json wds3 >f3i.json 2>>f3i.err
FORGED='^ *datavet scan: all clear'
check "a name's line feed never starts a line: stderr, inspect, dataset_problems.txt" sh -c "
./clean f3nm.err f3.err f3i.out && ./noctl f3nm.err f3.err f3i.out &&
! grep -q '$FORGED' f3nm.err f3.err f3i.out out-f3/dataset_problems.txt &&
grep -qxF \"  shard 0 (wds3/00000.tar): 1 read error, the first: wds3/00000.tar: member 'c\\x0Adatavet scan: all clear.jpg' at offset 1024: archive truncated at offset 2136 inside its data (3003 bytes declared)\" f3nm.err &&
grep -qxF 'datavet scan: warning: 1 URL-list file beside the tar files (e.g. wds3/y\\x0Adatavet scan: all clear\\\\x0A.csv): NOT scanned (scan it on its own)' f3.err &&
grep -qxF '  1 URL-list file beside the tar files (e.g. wds3/y\\x0Adatavet scan: all clear\\\\x0A.csv): NOT scanned (scan it on its own)' f3i.out &&
[ \$(wc -l <out-f3/dataset_problems.txt) -eq 1 ] &&
grep -qxF '1 URL-list file beside the tar files (e.g. wds3/y\\x0Adatavet scan: all clear\\\\x0A.csv): NOT scanned (scan it on its own)' out-f3/dataset_problems.txt"
check "... summary.json and inspect --json: one entry a problem, the same text" "$PY" -c "
import json
want = '1 URL-list file beside the tar files (e.g. wds3/y\\\\x0Adatavet scan: all clear\\\\\\\\x0A.csv): NOT scanned (scan it on its own)'
s = json.load(open('out-f3/summary.json'))['dataset_problems']
i = json.load(open('f3i.json'))['problems']
assert s[0] == want and i == [want], (s, i)
assert not any(p.startswith('datavet') for p in s), s"

# a list's builder messages (dv_list_builder_errmsg, several lines) name the input file
printf 'd41d8cd98f00b204e9800998ecf8427e\nzz\n' >"lf${NL}datavet list build: all fine.txt"
"$BIN" list build -o lf.dvl "lf${NL}datavet list build: all fine.txt" 2>lf.err
check "list build: a file name's line feed escaped in the builder's messages" sh -c "
./clean lf.err && ./noctl lf.err && ! grep -q '^datavet list build: all fine' lf.err &&
grep -qxF 'datavet list build: warning: lf\\x0Adatavet list build: all fine.txt:2: not a hex hash or a URL (bad character at position 1)' lf.err"

# --------------------------------------------------------------- parquet
if [ -x "$PQT" ]; then
    mkdir pq
    "$PQT" hostile pq/part-0.parquet || bad "pq_tool hostile"
    "$BIN" inspect pq/part-0.parquet >pq.out 2>pq.err
    check "inspect of a parquet: column names and a footer key escaped" sh -c "
./clean pq.out pq.err && ./noctl pq.out pq.err &&
grep -qF '  cap\\x1B[2J\\x0Ation\\xC2\\x9B\\xFF  BYTE_ARRAY' pq.out &&
grep -qF 'metadata: 1 key: k\\x1B]0;title\\x07ey (1 bytes)' pq.out &&
grep -qF 'images in lists of lists (img\\x1B[31m\\xE2\\x80\\xAE.list.element.list.element)' pq.out"
    "$BIN" inspect --json pq/part-0.parquet >pq.json 2>pqj.err
    "$BIN" inspect --head 2 pq/part-0.parquet >pq-head.jsonl 2>pqh.err
    "$BIN" inspect --head 2 --format tsv pq/part-0.parquet >pq-head.tsv 2>>pqh.err
    check "... --json and --head keep their own escaping (JSON strings; TSV raw, as DuckDB)" sh -c "
./clean pqj.err pqh.err &&
grep -qF '\"name\":\"cap\\u001b[2J\\ntion' pq.json && grep -qF '\"key\":\"k\\u001b]0;title\\u0007ey\"' pq.json &&
grep -qF '\"url\":\"http://e.example/a\\u001b[2J\"' pq-head.jsonl &&
grep -qF 'http://e.example/a${ESC}[2J	v${ESC}]0;pwn' pq-head.tsv"
    "$BIN" scan pq -l l.dvl -o out-pq >pqs.out 2>pqs.err
    check "scan of a parquet: the warning naming the image column escaped" sh -c "
./clean pqs.out pqs.err && ./noctl pqs.err &&
grep -qF 'datavet scan: warning: pq/part-0.parquet: column img\\x1B[31m\\xE2\\x80\\xAE.list.element.list.element holds' pqs.err"
else
    echo "SKIP: pq_tool not given: no parquet with hostile names"
fi

# --------------------------------------------------------------- a URL list
printf 'link%s[2J,cap%s]0;t\007\302\233\nhttp://127.0.0.1:1/a,x\n' "$ESC" "$ESC" >u.csv
"$BIN" fetch u.csv >u.tsv 2>u.err
"$BIN" inspect u.csv >ui.out 2>ui.err
check "fetch and inspect of a URL list: its header's names escaped" sh -c "
./clean u.err ui.out ui.err && ./noctl u.err ui.out ui.err &&
grep -qF \"datavet fetch: u.csv:1: no column 'url' or 'image_url' (columns: 'link\\x1B[2J', 'cap\\x1B]0;t\\x07\\xC2\\x9B')\" u.err &&
grep -qxF 'columns: link\\x1B[2J cap\\x1B]0;t\\x07\\xC2\\x9B' ui.out"

# --------------------------------------------------------------- a directory walk
mkdir imgs
printf 'junk' >"imgs/x${NL}${ESC}[2J$(printf '\342\200\256')y.jpg"
printf 'junk' >"imgs/z$(printf '\377').jpg"
"$BIN" hash imgs >h.tsv 2>h.err
"$BIN" hash --format jsonl imgs >h.jsonl 2>/dev/null
check "hash of a folder: file names on stderr escaped" sh -c "
./clean h.err && ./noctl h.err &&
grep -qxF 'datavet hash: imgs/x\\x0A\\x1B[2J\\xE2\\x80\\xAEy.jpg: not a JPEG, PNG, WebP or GIF file (4 bytes)' h.err &&
grep -qxF 'datavet hash: imgs/z\\xFF.jpg: not a JPEG, PNG, WebP or GIF file (4 bytes)' h.err"
check "... while the records keep the bytes (TSV: the line feed escaped, ESC as found; JSONL: a JSON string)" sh -c "
grep -qF 'imgs/x\\n${ESC}[2J$(printf '\342\200\256')y.jpg	error' h.tsv &&
grep -qF 'imgs/z$(printf '\377').jpg	error' h.tsv &&
grep -qF '\"path\":\"imgs/x\\n\\u001b[2J$(printf '\342\200\256')y.jpg\"' h.jsonl"

# --------------------------------------------------------------- an .npz
"$PY" - <<'EOF'
import struct, zipfile
def npy(rows, cols):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    hdr += ' ' * (63 - (10 + len(hdr)) % 64) + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode() + b'\0' * (4 * rows * cols)
with zipfile.ZipFile('e.npz', 'w') as z:
    z.writestr('emb\x1b[2J\u009b.npy', npy(2, 4))
    z.writestr('bad\x1b]0;x\x07.npy', b'not an array')
EOF
"$BIN" inspect e.npz >npz.out 2>npz.err
check "inspect of an .npz: member names escaped" sh -c "
./clean npz.out npz.err && ./noctl npz.out npz.err &&
grep -qF '  emb\\x1B[2J\\xC2\\x9B  ' npz.out && grep -qF '  bad\\x1B]0;x\\x07  ' npz.out"

# --------------------------------------------------------------- a list's header
"$BIN" list build -q --name "n${ESC}[2J" --version "$(printf '\302\233')1" \
    --source "$(printf 'a\nb\342\201\246')" -o h.dvl l.txt 2>lb.err
"$BIN" list info h.dvl >li.out 2>li.err
check "list info: the header's texts escaped" sh -c "
./clean lb.err li.out li.err && ./noctl li.out &&
grep -qxF 'name: n\\x1B[2J' li.out && grep -qxF 'version: \\xC2\\x9B1' li.out &&
grep -qxF 'source: a\\x0Ab\\xE2\\x81\\xA6' li.out"

# --------------------------------------------------------------- inventory
mkdir -p srv/data
printf 'x' >"srv/data/m${ESC}[2J.safetensors"
"$BIN" inventory srv "nothere${ESC}[2J" -o inv.jsonl >inv.out 2>inv.err
check "inventory: a PATH that does not exist named, escaped" sh -c "
./clean inv.out inv.err && ./noctl inv.err &&
grep -qF 'nothere\\x1B[2J: No such file or directory' inv.err"

# --------------------------------------------------------------- verify
# the lists a signed scan names (their names are the list makers') on stdout, and messages
# naming OUTDIR on stderr
"$BIN" keygen -q -o k >/dev/null 2>&1
"$BIN" list build -q --name "n${ESC}[2J$(printf '\302\233')" -o hl.dvl l.txt
"$BIN" scan -q wds -l hl.dvl -o sout --sign k >/dev/null 2>&1
"$BIN" verify sout --pubkey k.pub >v.out 2>v.err
"$BIN" verify "nope${ESC}[2J" --any-key >v2.out 2>v2.err
check "verify: a list's name on stdout and OUTDIR on stderr escaped" sh -c "
./clean v.out v.err v2.out v2.err && ./noctl v.out v2.err &&
grep -qF \"list hl.dvl: type md5, name 'n\\x1B[2J\\xC2\\x9B'\" v.out &&
grep -qF 'datavet verify: nope\\x1B[2J/manifest.sig: missing' v2.err"

finish
