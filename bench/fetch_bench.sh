#!/bin/sh
# fetch_bench.sh - images/s of `datavet fetch -j 2` on N URLs (default 100,000) served by nginx
# on 127.0.0.1, next to `datavet hash -j 2` of the same files from disk, in one run.
# Usage: sh bench/fetch_bench.sh BIN SHARED [N] [extra datavet options, e.g. --fast]
# The JPEGs are the web-size ones (<= 1 MP) of SHARED/photos/dev, served through symlinks;
# URLs cycle over them with distinct query strings. Needs nginx (Debian nginx-light).
[ $# -ge 2 ] || { echo "usage: sh bench/fetch_bench.sh BIN SHARED [N] [options]" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
# absolute: the served files are symlinks made in a scratch directory
SHARED=$(cd "$2" 2>/dev/null && pwd) || { echo "fetch_bench: $2 not found" >&2; exit 2; }
N=${3:-100000}
shift 2
[ $# -gt 0 ] && shift
EXTRA="$*"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "fetch_bench: nginx not found (apt-get install nginx-light)" >&2; exit 2; }
[ -d "$SHARED/photos/dev" ] || { echo "fetch_bench: $SHARED/photos/dev not found" >&2; exit 2; }
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-fetchbench.XXXXXX") || exit 2
NPID=
cleanup() { [ -n "$NPID" ] && kill "$NPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$T"
mkdir "$T/www" "$T/tmp"

# web-size JPEGs: width x height <= 1,000,000 (from datavet hash's header sizes)
"$BIN" hash -q -a pdq "$SHARED"/photos/dev/*.jpg "$SHARED"/photos/dev/*.jpeg 2>/dev/null |
    awk -F '\t' 'NR > 1 && $2 == "ok" && $4 * $5 <= 1000000 { print $1 }' >"$T/files"
nf=$(wc -l <"$T/files")
[ "$nf" -gt 0 ] || { echo "fetch_bench: no web-size JPEGs found" >&2; exit 1; }
i=0
while read -r f; do
    ln -s "$f" "$T/www/$i.jpg"
    i=$((i + 1))
done <"$T/files"
bytes=$(cat "$T/files" | xargs cat | wc -c)

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + $$ % 20000)))
cat >"$T/nginx.conf" <<EOF
daemon off;
worker_processes 1;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
pid $T/nginx.pid;
error_log $T/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 10000000;
    keepalive_timeout 120;
    open_file_cache max=1000 inactive=60s;
    client_body_temp_path $T/tmp;
    types { image/jpeg jpg; }
    server {
        listen 127.0.0.1:$port backlog=4096;
        root $T/www;
        location / { }
    }
}
EOF
"$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/error.log" &
NPID=$!
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null ||
    [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done

awk -v n="$N" -v nf="$nf" -v u="http://127.0.0.1:$port/" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d.jpg?i=%d\n", u, i % nf, i }' >"$T/urls.txt"
awk -v n="$N" -v nf="$nf" -v d="$T/www/" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d.jpg\n", d, i % nf }' >"$T/paths.txt"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

echo "fetch_bench: $N URLs over $nf web-size JPEGs of $SHARED/photos/dev ($((bytes / nf)) bytes mean), nginx on 127.0.0.1:$port, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$EXTRA" ] && echo "fetch_bench: options $EXTRA"
# warm-up: page cache, nginx's file cache, the decoders
head -n 2000 "$T/urls.txt" | "$BIN" fetch -q -j 2 --allow-addr loopback -o /dev/null $EXTRA - || true

t0=$(now)
"$BIN" hash -q -j 2 $EXTRA -o "$T/disk.tsv" - <"$T/paths.txt"
t1=$(now)
"$BIN" fetch -q -j 2 --allow-addr loopback --connections 64 --per-host 64 $EXTRA -o "$T/net.tsv" "$T/urls.txt"
rc=$?
t2=$(now)
okn=$(awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "error_class") k = i; next } $k == "ok" && $2 == "ok"' "$T/net.tsv" | wc -l)
disk=$(rate "$N" "$t0" "$t1")
net=$(rate "$N" "$t1" "$t2")
echo "datavet hash  -j 2 (from disk):            $disk images/s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
echo "datavet fetch -j 2 (HTTP, loopback nginx): $net images/s ($(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }') s), $okn of $N fetched and hashed ok, exit $rc"
awk -v a="$net" -v b="$disk" 'BEGIN { printf "fetch / disk: %.2f (target >= 0.80); fetch >= 1000 images/s: %s\n", a / b, (a >= 1000) ? "yes" : "no" }'
# the fetcher's own ceiling: MD5 only (no decode, no PDQ), both ways
t3=$(now)
"$BIN" hash -q -j 2 -a md5 -o /dev/null - <"$T/paths.txt"
t4=$(now)
"$BIN" fetch -q -j 2 -a md5 --allow-addr loopback --connections 64 --per-host 64 -o /dev/null "$T/urls.txt"
t5=$(now)
echo "MD5 only (no decode): hash $(rate "$N" "$t3" "$t4") images/s, fetch $(rate "$N" "$t4" "$t5") images/s"
# same hashes both ways (the first file's record)
d1=$(awk -F '\t' 'NR == 2 { print $6 $8 $9 }' "$T/disk.tsv")
n1=$(awk -F '\t' 'NR == 2 { print $6 $8 $9 }' "$T/net.tsv")
[ "$d1" = "$n1" ] && echo "first record: same md5/sha256/pdq from disk and over HTTP" ||
    echo "first record DIFFERS: $d1 vs $n1"
