#!/bin/sh
# demo.sh - what `make demo` runs: hash a folder of images with datavet, print a readable summary.
# Usage: sh tools/demo.sh BIN SHARED BUILD. Exits 0 when some files fail to decode (that is part
# of the demo), non-zero when datavet itself cannot run or fails as a program.
set -u

die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

if [ $# -ne 3 ]; then
    echo "usage: sh tools/demo.sh BIN SHARED BUILD" >&2
    exit 2
fi
BIN=$1
SHARED=$2
BUILD=$3

[ -x "$BIN" ] || die "$BIN is not an executable file: run 'make build' first"
version=$("$BIN" --version 2>&1) || die "$BIN --version failed: $version"

# Milliseconds since the epoch (GNU date has %N; elsewhere whole seconds).
now_ms() {
    t=$(date +%s%N 2>/dev/null)
    case $t in
    '' | *[!0-9]*) echo $(($(date +%s) * 1000)) ;;
    *) echo $((t / 1000000)) ;;
    esac
}

jobs=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

if [ -d "$SHARED/photos/dev" ]; then
    input=$SHARED/photos/dev
    what="real photos from Debian packages ($SHARED/photos/MANIFEST.csv)"
else
    echo "************************************************************************"
    echo "NOTE: $SHARED is absent (no $SHARED/photos/dev)."
    echo "      Hashing a generated synthetic sample instead (gradients, shapes, noise)."
    echo "************************************************************************"
    mk=$BUILD/tools/datavet-mksample
    if [ ! -x "$mk" ]; then
        echo "demo: building datavet-mksample"
        cmake --build "$BUILD" --target datavet-mksample >/dev/null ||
            die "$mk is missing and could not be built"
    fi
    input=$BUILD/demo-sample
    rm -rf "$input"
    "$mk" "$input" || die "$mk failed"
    what="synthetic sample written by datavet-mksample"
fi

mkdir -p "$BUILD/demo" || die "cannot create $BUILD/demo"
out=$BUILD/demo/hashes.tsv
errlog=$BUILD/demo/hash.stderr
rm -f "$out" "$errlog"

echo
echo "== datavet demo: $version"
echo "input:    $input"
echo "          $what"
echo "command:  $BIN hash -j $jobs --dihedral -o $out $input"
t0=$(now_ms)
"$BIN" hash -j "$jobs" --dihedral -o "$out" "$input" 2>"$errlog"
rc=$?
t1=$(now_ms)

# 0: every file hashed; 1: some files failed (records say which). Anything else is datavet failing.
case $rc in
0 | 1) ;;
*)
    cat "$errlog" >&2
    die "datavet hash exited with status $rc"
    ;;
esac
[ -s "$out" ] || die "datavet hash wrote no records to $out"
if [ "$rc" -eq 1 ] && ! cut -f2 "$out" | grep -qx error; then
    cat "$errlog" >&2
    die "datavet hash exited with status 1 but no record failed"
fi

echo "records:  $out"
echo "stderr:   $errlog ($(wc -l <"$errlog") lines)"
echo

awk -v elapsed_ms=$((t1 - t0)) -v jobs="$jobs" -v root="$input/" '
function rel(p) { return index(p, root) == 1 ? substr(p, length(root) + 1) : p }
function find(x) { while (UF[x] != x) x = UF[x]; return x }

# Sort keys k[1..n] by count c[key] descending, then by name.
function sort_by_count(k, n, c,    i, j, t) {
    for (i = 2; i <= n; i++) {
        t = k[i]
        for (j = i - 1; j >= 1 && (c[k[j]] < c[t] || (c[k[j]] == c[t] && k[j] > t)); j--)
            k[j + 1] = k[j]
        k[j + 1] = t
    }
}

BEGIN {
    FS = "\t"
    # pop[256 * x + y]: bits set in (x xor y) for bytes x, y (awk has no xor).
    for (a = 0; a < 256; a++)
        for (b = 0; b < 256; b++) {
            n = 0; x = a; y = b
            for (k = 0; k < 8; k++) { if (x % 2 != y % 2) n++; x = int(x / 2); y = int(y / 2) }
            pop[256 * a + b] = n
        }
    hex = "0123456789abcdef"
    for (a = 0; a < 16; a++) {
        nib[substr(hex, a + 1, 1)] = a
        nib[toupper(substr(hex, a + 1, 1))] = a
    }
}

NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    if (!("pdq" in col) || !("status" in col)) { print "demo: unexpected header: " $0; exit 3 }
    nv = 1; vname[0] = "orig"; vcol[0] = col["pdq"]
    for (i = 1; i <= NF; i++)
        if ($i ~ /^pdq_/) { vname[nv] = substr($i, 5); vcol[nv] = i; nv++ }
    next
}

{
    files++
    fmt = $col["format"] == "" ? "(unread)" : $col["format"]
    if (!(fmt in nfmt)) fmts[++nfmts] = fmt
    nfmt[fmt]++
    if ($col["status"] != "ok") {
        failed++
        r = $col["error"]
        p = index(r, $1)
        if (p > 0) r = substr(r, 1, p - 1) "<file>" substr(r, p + length($1))
        if (failed <= 5) firstfail[failed] = rel($1) ": " $col["error"]
        gsub(/[0-9]+/, "N", r)
        if (!(r in nreason)) reasons[++nreasons] = r
        nreason[r]++
        next
    }
    ok++
    h = $col["pdq"]
    if (h == "") next
    q = $col["quality"] + 0
    nq++
    if (q == 100) qb["100"]++
    else if (q >= 80) qb["80-99"]++
    else if (q >= 50) qb["50-79"]++
    else if (q >= 1) qb["1-49"]++
    else qb["0"]++
    if (q < 50) { lowq++; next }
    m++
    path[m] = rel($1)
    # H[32 * (8 * m + v) + k]: byte k of variant v. A[32 * m + k]: byte k of the original
    # times 256, so that pop[A + H] needs no more arithmetic in the inner loop.
    for (v = 0; v < nv; v++) {
        h = $vcol[v]
        base = 32 * (8 * m + v)
        for (k = 0; k < 32; k++) {
            H[base + k] = x = 16 * nib[substr(h, 2 * k + 1, 1)] + nib[substr(h, 2 * k + 2, 1)]
            if (v == 0) A[32 * m + k] = 256 * x
        }
    }
}

END {
    if (files == 0) { print "no files were hashed"; exit 0 }
    secs = elapsed_ms / 1000
    printf "files:    %d (%d ok, %d failed)\n", files, ok, failed
    printf "time:     %.2f s with %d threads, %.0f files/s\n", secs, jobs, (secs > 0 ? files / secs : 0)
    sort_by_count(fmts, nfmts, nfmt)
    line = ""
    for (i = 1; i <= nfmts; i++) line = line (i > 1 ? ", " : "") fmts[i] " " nfmt[fmts[i]]
    print "formats:  " line
    if (failed > 0) {
        print "failures (reason, numbers shown as N):"
        sort_by_count(reasons, nreasons, nreason)
        for (i = 1; i <= nreasons; i++) printf "  %5d  %s\n", nreason[reasons[i]], reasons[i]
        printf "failed files%s:\n", (failed > 5 ? " (first 5)" : "")
        for (i = 1; i <= failed && i <= 5; i++) print "         " firstfail[i]
    }
    printf "PDQ quality of %d hashes: 100: %d, 80-99: %d, 50-79: %d, 1-49: %d, 0: %d\n", nq,
        qb["100"], qb["80-99"], qb["50-79"], qb["1-49"], qb["0"]
    printf "          %d with quality < 50 (too flat or too small to be used for matching)\n", lowq

    # The 5 closest pairs: distance of i to the best of the dihedral variants of j. A comparison
    # stops once it is worse than the current fifth best, or than 31 so that matches are counted.
    nbest = 0; thr = 257; nmatch = 0
    for (i = 1; i <= m; i++) UF[i] = i
    for (i = 1; i <= m; i++) {
        bi = 32 * i
        for (j = i + 1; j <= m; j++) {
            best = thr > 32 ? thr : 32; bv = -1
            for (v = 0; v < nv; v++) {
                bj = 32 * (8 * j + v); d = 0
                for (k = 0; k < 32; k += 4) {
                    d += pop[A[bi + k] + H[bj + k]] + pop[A[bi + k + 1] + H[bj + k + 1]] + \
                         pop[A[bi + k + 2] + H[bj + k + 2]] + pop[A[bi + k + 3] + H[bj + k + 3]]
                    if (d >= best) break
                }
                if (d < best) { best = d; bv = v }
            }
            if (bv < 0) continue
            if (best <= 31) {
                nmatch++
                ri = find(i); rj = find(j)
                if (ri < rj) UF[rj] = ri
                else if (rj < ri) UF[ri] = rj
            }
            if (best >= thr) continue
            for (p = (nbest < 5 ? nbest + 1 : 5); p > 1 && BD[p - 1] > best; p--) {
                BD[p] = BD[p - 1]; BI[p] = BI[p - 1]; BJ[p] = BJ[p - 1]; BV[p] = BV[p - 1]
            }
            BD[p] = best; BI[p] = i; BJ[p] = j; BV[p] = bv
            if (nbest < 5) nbest++
            if (nbest == 5) thr = BD[5]
        }
    }
    print ""
    if (nbest == 0) { print "closest PDQ pairs: fewer than 2 usable hashes"; exit 0 }
    printf "PDQ pairs:  %d of %d pairs of hashes with quality >= 50 match (distance <= 31)\n", nmatch, m * (m - 1) / 2
    printf "closest PDQ pairs\n"
    printf "(Hamming distance of 256 bits%s; <= 31 is a match):\n",
        (nv > 1 ? ", best of the 8 dihedral variants" : "")
    for (p = 1; p <= nbest; p++)
        printf "  %3d  %s  ~  %s%s%s\n", BD[p], path[BI[p]], path[BJ[p]],
            (BV[p] > 0 ? "  (" vname[BV[p]] " of the second)" : ""), (BD[p] <= 31 ? "  MATCH" : "")
    if (nmatch == 0) exit 0
    for (i = 1; i <= m; i++) {
        r = find(i)
        if (gsize[r]++ == 0) groots[++ngroups] = r
        if (gsize[r] <= 8) gmem[r] = gmem[r] (gsize[r] > 1 ? ", " : "") path[i]
        else if (gsize[r] == 9) gmem[r] = gmem[r] ", ..."
    }
    shown = 0
    for (g = 1; g <= ngroups; g++) if (gsize[groots[g]] > 1) shown++
    printf "near-duplicate groups (linked by matches): %d\n", shown
    shown = 0
    for (g = 1; g <= ngroups && shown < 10; g++) {
        r = groots[g]
        if (gsize[r] < 2) continue
        shown++
        printf "  %3d files: %s\n", gsize[r], gmem[r]
    }
}
' "$out" || die "summary failed"

# ---------------------------------------------------------------- the scan
# A planted sample dataset: LAION-style parquet (URLs, md5 column, punsafe) with aligned
# embeddings, two forms of img2dataset shards whose images are originals, re-encodings,
# half-size copies and mirror images, lists made from some of the originals.
mkds=$BUILD/tools/datavet-mkdataset
[ -x "$mkds" ] || cmake --build "$BUILD" --target datavet-mkdataset >/dev/null ||
    die "$mkds is missing and could not be built"
ds=$BUILD/demo/dataset
rm -rf "$ds" "$BUILD/demo/scan-laion" "$BUILD/demo/scan-wds" "$BUILD/demo/clean-wds" \
    "$BUILD/demo/scan-hf" "$BUILD/demo/demo.key" "$BUILD/demo/demo.key.pub"
if [ -d "$SHARED/photos/dev" ]; then
    "$mkds" "$ds" --photos "$SHARED/photos/dev" --items 200 --shards 4 || die "$mkds failed"
else
    "$mkds" "$ds" --items 200 --shards 4 || die "$mkds failed"
fi
"$BIN" list build -q --name demo-known-md5 --version 1 -o "$ds/lists/md5.dvl" "$ds/lists/md5.txt" || die "list build failed"
"$BIN" list build -q --name demo-known-pdq --version 1 -o "$ds/lists/pdq.dvl" "$ds/lists/pdq.txt" || die "list build failed"
"$BIN" list build -q --name demo-known-urls --version 1 -t url -o "$ds/lists/url.dvl" "$ds/lists/url.txt" || die "list build failed"
lists="-l $ds/lists/md5.dvl -l $ds/lists/pdq.dvl -l $ds/lists/url.dvl --flag-punsafe 0.9 --flag-terms $ds/lists/terms.txt --dihedral"
echo
echo "(each scan gets every list and flag; its warnings name what it could not check, such as"
echo " a PDQ list on metadata without images, or --flag-punsafe without a punsafe column)"
echo "== scan 1: LAION-style metadata ($ds/laion): hash columns, URLs, punsafe, caption terms"
# shellcheck disable=SC2086
"$BIN" scan "$ds/laion" $lists -o "$BUILD/demo/scan-laion" -j "$jobs"
[ $? -le 1 ] || die "scan failed"
echo
echo "== scan 2: img2dataset shards ($ds/wds): image bytes hashed in memory, PDQ after re-encode/resize/mirror, with --clean, signed"
"$BIN" keygen -q -o "$BUILD/demo/demo.key" >/dev/null || die "keygen failed"
# shellcheck disable=SC2086
"$BIN" scan "$ds/wds" $lists -o "$BUILD/demo/scan-wds" -j "$jobs" --clean "$BUILD/demo/clean-wds" --decoys 3 \
    --sign "$BUILD/demo/demo.key"
[ $? -le 1 ] || die "scan failed"
"$BIN" verify -q "$BUILD/demo/scan-wds" --pubkey "$BUILD/demo/demo.key.pub" \
    --clean "$BUILD/demo/clean-wds" || die "verify failed"
echo
echo "== scan 3: Hugging Face-style parquet ($ds/hf): the images in a binary 'image' column, hashed in memory"
# shellcheck disable=SC2086
"$BIN" scan "$ds/hf" $lists -o "$BUILD/demo/scan-hf" -j "$jobs"
[ $? -le 1 ] || die "scan failed"
for o in scan-laion scan-wds scan-hf; do
    awk -v o="$o" '
        /"match":/ { gsub(/[ ,]/, ""); split($0, a, ":"); m = a[2] }
        /"candidate":/ { gsub(/[ ,]/, ""); split($0, a, ":"); c = a[2] }
        END { printf "%s: %s matches, %s candidates (candidates need outside verification)\n", o, m, c }' \
        "$BUILD/demo/$o/summary.json"
    echo "  findings by hash type:"
    sed -n '/"per_hash_type"/,/}/p' "$BUILD/demo/$o/summary.json" | grep -v per_hash_type | grep -v '}' | sed 's/^ */    /'
done
echo
echo "report:         $BUILD/demo/scan-wds/report.html (and scan-laion/, scan-hf/ beside it)"
echo "findings:       $BUILD/demo/scan-wds/matches.parquet, matches.jsonl; removal list: removal.txt"
echo "cleaned copy:   $BUILD/demo/clean-wds (re-scan it: no findings)"
echo "signed:         $BUILD/demo/scan-wds/manifest.jsonl, manifest.sig: verified with demo.key.pub,"
echo "                and the cleaned copy against clean.sha256"
echo "                ('datavet verify $BUILD/demo/scan-wds --pubkey $BUILD/demo/demo.key.pub --clean $BUILD/demo/clean-wds')"
