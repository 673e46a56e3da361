#!/bin/sh
# scan_bench.sh - items/s of `datavet scan` over webdataset shards of web-size JPEGs against a
# 10^6-entry PDQ list and a 10^6-entry MD5 list, next to `datavet hash` alone on the same
# images (extracted to a folder), both with -j JOBS, in one run: the ratio is what counts.
# Usage: sh bench/scan_bench.sh BUILD_DIR [ITEMS] [JOBS] [PHOTOS_DIR]
# Over 10,000 items, a 10,000-item dataset is generated and its shards (and the extracted
# images) are repeated as hard links up to ITEMS: both sides then read the same bytes from
# the page cache, and the lists and the index are the same size at any ITEMS.
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
N0=$N
[ "$N0" -gt 10000 ] && N0=10000
# shellcheck disable=SC2086
"$MK" ds $P --items "$N0" --shards 4 >/dev/null
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
mkdir -p img/r0
for t in ds/wds/*.tar; do tar -xf "$t" -C img/r0 --wildcards '*.jpg'; done
R=$(( (N + N0 - 1) / N0 ))
if [ "$R" -gt 1 ]; then
    echo "scan_bench: $N0 generated items repeated $R times (hard links)"
    r=1
    while [ "$r" -lt "$R" ]; do
        for s in 0 1 2 3; do
            for e in tar parquet; do
                ln "ds/wds/0000$s.$e" "ds/wds/$(printf %05d $(( r * 4 + s ))).$e"
            done
        done
        mkdir "img/r$r"
        ln img/r0/* "img/r$r/"
        r=$(( r + 1 ))
    done
fi
# warm the page cache for both sides
cat ds/wds/0000?.tar >/dev/null
cat img/r0/* >/dev/null
n=$(find img -name '*.jpg' | wc -l)

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
