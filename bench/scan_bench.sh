#!/bin/sh
# scan_bench.sh - items/s of `datavet scan` over webdataset shards of web-size JPEGs against a
# 10^6-entry PDQ list and a 10^6-entry MD5 list, next to `datavet hash` alone on the same
# images (extracted to a folder), both with -j JOBS, in one run: the ratio is what counts.
# Usage: sh bench/scan_bench.sh BUILD_DIR [ITEMS] [JOBS] [PHOTOS_DIR]
set -eu
B=$(cd "${1:?usage: scan_bench.sh BUILD_DIR [ITEMS] [JOBS] [PHOTOS]}" && pwd)
N=${2:-20000}
J=${3:-2}
PHOTOS=${4:-$(dirname "$0")/../../shared/photos/dev}
# absolute, before the cd below (a relative path silently fell back to small synthetic images)
[ -d "$PHOTOS" ] && PHOTOS=$(cd "$PHOTOS" && pwd)
D=$B/datavet
MK=$B/tools/datavet-mkdataset
W=$(mktemp -d "${TMPDIR:-/tmp}/datavet-scanbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
now() { date +%s.%N; }

P=
if [ -d "$PHOTOS" ]; then P="--photos $PHOTOS"; else echo "scan_bench: no $PHOTOS: synthetic images (not web-size)"; fi
echo "scan_bench: $N items, -j $J, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(nproc) CPUs"
# shellcheck disable=SC2086
"$MK" ds $P --items "$N" --shards $(( (N + 9999) / 10000 * 4 )) >/dev/null
# 10^6-entry lists: random entries plus the planted ones
/usr/bin/python3 - <<'EOF'
import random
r = random.Random(7)
with open('pdq1m.txt', 'w') as f:
    for l in open('ds/lists/pdq.txt'): f.write(l)
    for i in range(1000000): f.write('%064x,100\n' % r.getrandbits(256))
with open('md51m.txt', 'w') as f:
    for l in open('ds/lists/md5.txt'): f.write(l)
    for i in range(1000000): f.write('%032x\n' % r.getrandbits(128))
EOF
"$D" list build -q -o pdq.dvl pdq1m.txt
"$D" list build -q -o md5.dvl md51m.txt
mkdir img
for t in ds/wds/*.tar; do tar -xf "$t" -C img --wildcards '*.jpg'; done
# warm the page cache for both sides
cat ds/wds/*.tar >/dev/null
cat img/* >/dev/null
n=$(ls img | wc -l)

# CPU seconds (user + sys) are printed too: on a shared machine they move less than wall time
t0=$(now)
/usr/bin/time -f "%U %S" -o cpu.hash "$D" hash -q -j "$J" -o hash.tsv img
t1=$(now)
/usr/bin/time -f "%U %S" -o cpu.scan "$D" scan -q ds/wds -l pdq.dvl -l md5.dvl -o out -j "$J" >/dev/null || true
t2=$(now)
ch=$(tail -n 1 cpu.hash | awk '{ print $1 + $2 }')
cs=$(tail -n 1 cpu.scan | awk '{ print $1 + $2 }')
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v ch="$ch" -v cs="$cs" 'BEGIN {
    h = n / (b - a); s = n / (c - b);
    printf "datavet hash -j: %d images in %.2f s: %.0f images/s (%.2f CPU s)\n", n, b - a, h, ch;
    printf "datavet scan -j: %d images in %.2f s: %.0f images/s (%.2f CPU s; 10^6 PDQ + 10^6 MD5 entries)\n", n, c - b, s, cs;
    printf "ratio scan/hash: %.2f wall, %.2f CPU (target >= 0.90)\n", s / h, ch / cs }'
