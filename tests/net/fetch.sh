#!/bin/sh
# fetch.sh - tests of `datavet fetch` against tests/net/server.py on 127.0.0.1 (loopback only):
# exact status records for misbehaving routes, the SSRF guard both ways, hashes equal to
# `datavet hash` of the same files, match on fetch output, order for any -j, bounded memory.
# Usage: sh tests/net/fetch.sh BIN SHARED. Skips (visibly) without /usr/bin/python3.

[ $# -ge 1 ] || { echo "usage: sh tests/net/fetch.sh BIN [SHARED]" >&2; exit 2; }
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
SHARED=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
MKSAMPLE=$(dirname "$BIN")/tools/datavet-mksample
PY=/usr/bin/python3
LC_ALL=C
export LC_ALL
unset DV_SIMD http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
TAB=$(printf '\t')

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; [ -s "$T/why" ] && sed 's/^/#   /' "$T/why"; }
check() { name=$1; shift; : >"$T/why"; if "$@" >>"$T/why" 2>&1; then ok "$name"; else bad "$name"; fi; }
finish() { echo "fetch: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

if [ ! -x "$PY" ]; then
    echo "SKIP: $PY not found: the fetch tests need python3 for their HTTP server"
    exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-fetch.XXXXXX") || exit 2
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
[ -n "$KEEP" ] && trap "kill \$SRV 2>/dev/null" EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 2

# ---------------------------------------------------------------- images and server
mkdir img
if [ -n "$SHARED" ] && [ -d "$SHARED/photos/dev" ]; then
    IMGDIR=$SHARED/photos/dev
    # every JPEG, PNG and GIF, and every 8th WebP: about 140 files of all four formats
    ls "$IMGDIR" | awk '/\.(jpe?g|png|gif)$/ || (/\.webp$/ && n++ % 8 == 0)' >names.txt
    J=scratch__Outdoors_boardwalk.jpg
    SMALL=scratch__Outdoors_boardwalk.jpg
    echo "using $(wc -l <names.txt) images of $IMGDIR"
elif [ -x "$MKSAMPLE" ]; then
    "$MKSAMPLE" img 48 >/dev/null 2>&1 || { echo "not ok - generate sample"; exit 1; }
    IMGDIR=$T/img
    ls img | grep -v -e broken -e trunc >names.txt
    J=$(grep '\.jpg$' names.txt | head -n 1)
    SMALL=$J
    echo "SKIP: $SHARED/photos/dev absent: serving $(wc -l <names.txt) generated images instead"
else
    echo "SKIP: neither ../shared/photos/dev nor $MKSAMPLE: no images to serve"
    exit 0
fi
"$PY" "$HERE/server.py" "$IMGDIR" port 2>server.err &
SRV=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s port ] || { echo "not ok - server did not start"; cat server.err; exit 1; }
P=$(cat port)
U=http://127.0.0.1:$P

# col FILE NAME...: the named columns of a TSV file (header included), tab-separated
col() {
    f=$1
    shift
    awk -F "$TAB" -v want="$*" '
        NR == 1 { n = split(want, w, " "); for (i = 1; i <= NF; i++) idx[$i] = i }
        { line = ""; for (k = 1; k <= n; k++) line = line (k > 1 ? "\t" : "") $(idx[w[k]]); print line }' "$f"
}

FO="--allow-addr loopback --retry-wait 50 --max-bytes 1M"

# ---------------------------------------------------------------- status records
cat >routes.txt <<EOF
$U/img/$J
$U/as-html/$J
$U/html-as-jpeg
$U/empty
$U/status/404
$U/status/410
$U/status/500
$U/status/501
$U/status/403
$U/flaky/429/1/k1/$J
$U/flaky/503/1/k2/$J
$U/flaky/503/5/k3/$J
$U/retry-after/100
$U/redirect/3/$J
$U/redirect/6/$J
$U/loop
$U/to?u=http://10.0.0.1/
$U/to?u=http://169.254.169.254/latest/meta-data/
$U/to?u=http://[::ffff:10.1.2.3]/
$U/to?u=http://[fd00::1]/
$U/to?u=file:///etc/passwd
$U/to?u=ftp://127.0.0.1/x
$U/endless
$U/cl-long/$J
$U/cl-short/$J
$U/gzip/$J
$U/gzip-bomb
$U/huge-cl
$U/reset
$U/ua/$J
ftp://example.com/x.jpg
gopher://example.com/
not a url
http://127.0.0.1:1/img/x.jpg
EOF
"$BIN" fetch $FO -j 2 routes.txt >routes.tsv 2>routes.err
rc=$?
size=$(wc -c <"$IMGDIR/$J" | tr -d ' ')
half=$((size / 2))
col routes.tsv path status http_code error_class bytes attempts final_url |
    sed "s|$U|U|g" | awk -F "$TAB" -v OFS="$TAB" '$4 == "too_big" && $5 > 1048576 { $5 = "over" } { print }' >got.tsv
cat >want.tsv <<EOF
path	status	http_code	error_class	bytes	attempts	final_url
U/img/$J	ok	200	ok	$size	1	U/img/$J
U/as-html/$J	ok	200	ok	$size	1	U/as-html/$J
U/html-as-jpeg	error	200	not_image	54	1	U/html-as-jpeg
U/empty	error	200	not_image	0	1	U/empty
U/status/404	error	404	http_404	24	1	U/status/404
U/status/410	error	410	http_404	24	1	U/status/410
U/status/500	error	500	http_5xx	24	3	U/status/500
U/status/501	error	501	http_5xx	24	1	U/status/501
U/status/403	error	403	http_4xx	24	1	U/status/403
U/flaky/429/1/k1/$J	ok	200	ok	$size	2	U/flaky/429/1/k1/$J
U/flaky/503/1/k2/$J	ok	200	ok	$size	2	U/flaky/503/1/k2/$J
U/flaky/503/5/k3/$J	error	503	http_5xx	17	3	U/flaky/503/5/k3/$J
U/retry-after/100	error	429	http_429	9	1	U/retry-after/100
U/redirect/3/$J	ok	200	ok	$size	1	U/redirect/0/$J
U/redirect/6/$J	error	302	too_many_redirects	0	1	U/redirect/1/$J
U/loop	error	302	too_many_redirects	0	1	U/loop
U/to?u=http://10.0.0.1/	error	302	blocked_private	0	1	http://10.0.0.1/
U/to?u=http://169.254.169.254/latest/meta-data/	error	302	blocked_private	0	1	http://169.254.169.254/latest/meta-data/
U/to?u=http://[::ffff:10.1.2.3]/	error	302	blocked_private	0	1	http://[::ffff:10.1.2.3]/
U/to?u=http://[fd00::1]/	error	302	blocked_private	0	1	http://[fd00::1]/
U/to?u=file:///etc/passwd	error	302	bad_scheme	0	1	file:///etc/passwd
U/to?u=ftp://127.0.0.1/x	error	302	bad_scheme	0	1	ftp://127.0.0.1/x
U/endless	error	200	too_big	over	1	U/endless
U/cl-long/$J	error	200	truncated	$size	3	U/cl-long/$J
U/cl-short/$J	error	200	ok	$half	1	U/cl-short/$J
U/gzip/$J	ok	200	ok	$size	1	U/gzip/$J
U/gzip-bomb	error	200	too_big	over	1	U/gzip-bomb
U/huge-cl	error	200	too_big	0	1	U/huge-cl
U/reset	error		reset	0	3	U/reset
U/ua/$J	ok	200	ok	$size	1	U/ua/$J
ftp://example.com/x.jpg	error		bad_scheme	0	0	ftp://example.com/x.jpg
gopher://example.com/	error		bad_scheme	0	0	gopher://example.com/
not a url	error		bad_url	0	0	not a url
http://127.0.0.1:1/img/x.jpg	error		connect	0	1	http://127.0.0.1:1/img/x.jpg
EOF
check "status records of misbehaving routes" diff want.tsv got.tsv
check "exit status 1 when some URLs failed" [ "$rc" -eq 1 ]
check "summary on stderr" grep -q "^datavet fetch: 34 URLs in .*: ok 8 not_image 2 http_404 2 http_429 1 http_4xx 1 http_5xx 3 connect 1 reset 1 truncated 1 too_big 3 too_many_redirects 2 blocked_private 4 bad_scheme 4 bad_url 1; 1 fetched but not decodable\$" routes.err
check "a failed URL named on stderr by its list and line" sh -c "
grep -qxF 'datavet fetch: routes.txt:5: $U/status/404: http_404: HTTP 404' routes.err &&
grep -qxF 'datavet fetch: routes.txt:33: not%20a%20url: bad_url: not an absolute URL' routes.err"
# the URL in a message is written as JSONL records write it (controls, spaces as %XX): a
# line break or an escape sequence in a listed URL cannot forge or erase a line of stderr
# (until 2026-12-07 both went to the terminal raw)
printf 'url\n"http://127.0.0.1:1/a\ndatavet fetch: all done\033[2K"\n"data:x\ny;base64,!!"\n' >forge.csv
"$BIN" fetch forge.csv >forge.tsv 2>forge.err
check "a URL with a line break and an escape: one message line, the bytes as %XX (data: as \\xHH)" sh -c "
[ \$(grep -c '^datavet fetch: all done' forge.err) -eq 0 ] && ! grep -q \"\$(printf '\\033')\" forge.err &&
grep -qxF 'datavet fetch: forge.csv:2: http://127.0.0.1:1/a%0Adatavet%20fetch:%20all%20done%1B[2K: blocked_private: refused to connect to 127.0.0.1: a loopback address' forge.err &&
grep -qxF 'datavet fetch: forge.csv:4: data:x\\x0Ay;base64,<2 bytes withheld>: bad_url: data: URI with bad base64' forge.err"
# base64 of an image in a URL's query is withheld in the records and the messages, the rest of
# the URL kept (until 2026-12-08 only data: URIs were redacted)
Q=$( { printf '\377\330\377\340\000\020JFIF\000\001\001'; head -c 120 /dev/zero | tr '\0' a; } | base64 -w0)
printf 'url\nhttp://127.0.0.1:1/a?img=%s&x=1\n' "$Q" >qimg.csv
"$BIN" fetch qimg.csv >qimg.tsv 2>qimg.err
"$BIN" fetch --format jsonl qimg.csv >qimg.jsonl 2>/dev/null
check "a base64 image in a URL's query: withheld in records and messages" sh -c "
grep -qxF 'datavet fetch: qimg.csv:2: http://127.0.0.1:1/a?img=<180 bytes withheld>&x=1: blocked_private: refused to connect to 127.0.0.1: a loopback address' qimg.err &&
grep -qF '\"path\":\"http://127.0.0.1:1/a?img=<180 bytes withheld>&x=1\",' qimg.jsonl &&
grep -qF '\"final_url\":\"http://127.0.0.1:1/a?img=<180 bytes withheld>&x=1\",' qimg.jsonl &&
[ \$(grep -c 'http://127.0.0.1:1/a?img=<180 bytes withheld>&x=1' qimg.tsv) -eq 1 ] &&
! grep -qF '/9j/4AAQ' qimg.err qimg.tsv qimg.jsonl"
# libcurl's detail quotes the host ("Could not resolve host: ..."), here a label no DNS name has,
# of a PNG's base64: withheld in the error field and the message as in the URL (until
# 2026-12-08 the URL was redacted in the path and query only, the detail not at all)
H=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg
printf 'url\nhttp://%s/x.png\n' "$H" >himg.csv
"$BIN" fetch himg.csv >himg.tsv 2>himg.err
"$BIN" fetch --format jsonl himg.csv >himg.jsonl 2>/dev/null
check "a base64 image in a host: withheld in the URL, the detail and the message" sh -c "
grep -qF 'http://<' himg.err && grep -qF '\"path\":\"http://<' himg.jsonl &&
! grep -qF 'iVBORw0KGgo' himg.err himg.tsv himg.jsonl"
# the detail stops at 255 bytes, as libcurl's does: after three 63-byte labels only 39 digits of
# the PNG label are left in it, fewer than a run needs, withheld as the start of one at the cut
# (until 2026-12-08 they were written)
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf 'url\nhttp://%s.%s.%s.%s/x.png\n' $A $A $A "$H" >hcut.csv
"$BIN" fetch hcut.csv >hcut.tsv 2>hcut.err
"$BIN" fetch --format jsonl hcut.csv >hcut.jsonl 2>/dev/null
check "a base64 image in a host cut at the detail's cap: withheld" sh -c "
grep -qF '.<39 bytes withheld>' hcut.tsv && grep -qF '.<39 bytes withheld>\"' hcut.jsonl &&
! grep -qF 'iVBORw0KGgo' hcut.err hcut.tsv hcut.jsonl"
# a CSV keeps a JSON-escaped '/' ("\/") as it is, so it reaches the redaction: read as '/'
printf 'url\nhttp://127.0.0.1:1/p?img=%s\n' "$(printf %s "$Q" | sed 's|/|\\/|g')" >esc.csv
"$BIN" fetch esc.csv >esc.tsv 2>esc.err
check "a base64 image with JSON-escaped slashes in a CSV URL: withheld" sh -c "
grep -qF 'http://127.0.0.1:1/p?img=<' esc.err && ! grep -qF '4AAQ' esc.err esc.tsv"
# a list whose header names no URL column is refused naming its columns: a cell that is base64
# of an image is withheld there too
printf 'name,%s\nx,y\n' "$Q" >hcol.csv
"$BIN" fetch hcol.csv >/dev/null 2>hcol.err
check "a base64 image in a header cell: withheld in the missing-column message" sh -c "
grep -qF \"hcol.csv:1: no column 'url' or 'image_url' (columns: 'name', '<180 bytes withheld>')\" hcol.err &&
! grep -qF '/9j/4AAQ' hcol.err"
# the message stops at 1023 bytes: a cell cut there with fewer than 64 digits of the image left
# is withheld from its first digits (until 2026-12-08 they were written)
printf 'name,%s,%s\nx,y,z\n' "$(head -c 900 /dev/zero | tr '\0' x)" "$Q" >hcolcut.csv
"$BIN" fetch hcolcut.csv >/dev/null 2>hcolcut.err
check "a base64 image in a header cell cut at the message's cap: withheld" sh -c "
grep -qF \"xxx', '<\" hcolcut.err && grep -qF ' bytes withheld>' hcolcut.err &&
! grep -qF '/9j/4AAQ' hcolcut.err"
md5_of() { md5sum "$1" | cut -c1-32; }

# URLs a browser requests after percent-encoding (a space, UTF-8, '<', '"', a raw 0xFF,
# spaces around): fetched as a browser would (the route answers 400 to raw
# bytes), each record's final_url the URL requested
{
    printf 'url\n'
    printf '%s\n' "$U/wire/my photo/$J" "$U/wire/caf$(printf '\303\251') <1>/$J" \
        "$U/wire/a\"b\`c/$J" "$U/wire/raw$(printf '\377')byte/$J" "  $U/wire/around/$J  "
} >wire.tsv
"$BIN" fetch $FO -j 2 wire.tsv >wire.out 2>wire.err
col wire.out status http_code final_url | sed "s|$U|U|g" >wire.got
cat >wire.want <<EOF
status	http_code	final_url
ok	200	U/wire/my%20photo/$J
ok	200	U/wire/caf%C3%A9%20%3C1%3E/$J
ok	200	U/wire/a%22b%60c/$J
ok	200	U/wire/raw%FFbyte/$J
ok	200	U/wire/around/$J
EOF
check "URLs with spaces, UTF-8 and raw bytes fetched percent-encoded, as browsers do" diff wire.want wire.got
want_md5=$(md5_of "$IMGDIR/$J")
head -c "$half" "$IMGDIR/$J" >half.bin
check "gzip body hashes as the file" [ "$(col routes.tsv path md5 | grep "/gzip/" | cut -f2)" = "$want_md5" ]
check "JPEG served as text/html still hashes" [ "$(col routes.tsv path md5 | grep "/as-html/" | cut -f2)" = "$want_md5" ]
check "short Content-Length: the bytes received are hashed" [ "$(col routes.tsv path md5 | grep "/cl-short/" | cut -f2)" = "$(md5_of half.bin)" ]
check "HTML served as image/jpeg: digests but no PDQ" [ "$(col routes.tsv path md5 pdq | grep "/html-as-jpeg" | cut -f2-)" = "$(printf '<!doctype html><html><body>not an image</body></html>\n' | md5sum | cut -c1-32)$TAB" ]

# max_bytes is for the body of a 2xx answer: a dead link with an error page over it is
# http_404 (the page read up to 256 KiB and dropped), a redirect whose own body is over it
# is followed (both were too_big)
printf '%s\n' "$U/status-long/404/2000000" "$U/redirect-long/$J" >long.txt
"$BIN" fetch $FO --retries 0 long.txt >long.tsv 2>/dev/null
check "max_bytes: a long 404 page is http_404, a redirect with a long body is followed" [ \
    "$(col long.tsv http_code error_class | tail -n +2 | tr '\n\t' ' :')" = "404:http_404 200:ok " ]

# an error page cut short (closed before its Content-Length) is the answer its status says,
# not a truncated body to retry (until 2026-12-07: truncated, 3 attempts); a 5xx is retried
# as a 5xx is
printf '%s\n' "$U/status-cut/404" "$U/status-cut/403" "$U/status-cut/503" >cut.txt
"$BIN" fetch $FO cut.txt >cut.tsv 2>cut.err
got=$(col cut.tsv http_code error_class attempts | tail -n +2 | tr '\n\t' ' :')
check "a truncated error page: its HTTP class and message, retried only as that class is" sh -c "
[ '$got' = '404:http_404:1 403:http_4xx:1 503:http_5xx:3 ' ] &&
grep -qxF 'datavet fetch: cut.txt:1: $U/status-cut/404: http_404: HTTP 404' cut.err"

# the slow drip trips the low-speed limit; a total timeout cuts it too
printf '%s\n' "$U/drip" >drip.txt
"$BIN" fetch $FO --retries 0 --low-speed 100 --low-speed-time 1 drip.txt >drip.tsv 2>/dev/null
check "slow drip: low-speed cutoff" [ "$(col drip.tsv error_class attempts | tail -n 1)" = "timeout${TAB}1" ]
"$BIN" fetch $FO --retries 1 --timeout 0.5 drip.txt >drip2.tsv 2>/dev/null
check "slow drip: total timeout, retried once" [ "$(col drip2.tsv error_class attempts | tail -n 1)" = "timeout${TAB}2" ]
printf '%s\n' "$U/ua/$J" >ua.txt
"$BIN" fetch $FO --user-agent "curl/8" ua.txt >ua.tsv 2>/dev/null
check "--user-agent is sent" [ "$(col ua.tsv http_code error_class | tail -n 1)" = "403${TAB}http_4xx" ]

# ---------------------------------------------------------------- the progress share
# A list that cannot be opened when its turn comes (removed since the run began) has no URL
# left to fetch: the share (and ETA) counts its bytes as done. Until 2026-12-07 they stayed in
# the total only, so the share of the lists after it never came near 100 %. --connections 1
# --max-held 1 give a window of 72 URLs: pb.txt is opened only once pa.txt's held transfers
# (server route /hold) are let go, after pb.txt is removed.
if command -v script >/dev/null 2>&1; then
    rm -f go go.seen go2 go2.seen
    awk -v u="$U/hold/$J?f=$T/go" 'BEGIN { for (i = 0; i < 100; i++) print u "&i=" i }' >pa.txt
    awk 'BEGIN { for (i = 0; i < 5000; i++) print "# a comment line that only adds bytes to the list" }' >pb.txt
    echo "$U/img/$J" >>pb.txt
    echo "$U/hold/$J?f=$T/go2" >pc.txt
    script -q -e -c "stty cols 200; '$BIN' fetch $FO --connections 1 --max-held 1 -a md5 -o /dev/null pa.txt pb.txt pc.txt" \
        /dev/null >ptty 2>&1 &
    SP=$!
    i=0
    while [ ! -e go.seen ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
    rm -f pb.txt
    : >go
    i=0
    while [ ! -e go2.seen ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
    sleep 0.5
    : >go2
    wait $SP
    check "a list gone when its turn comes counts as done in the progress share" $PY -c "
import re
d = open('ptty', 'rb').read().decode('utf-8', 'replace')
assert 'pb.txt: No such file or directory' in d, d[-500:]
p = [int(x) for x in re.findall(r'(\\d+)%', d)]
assert p and p[-1] >= 90, (p[-5:], d[-300:])"
else
    echo "SKIP: script(1) not found: the progress share is not checked"
fi

# ---------------------------------------------------------------- the SSRF guard
printf '%s\n' "$U/img/$J" "http://localhost:$P/img/$J" >local.txt
"$BIN" fetch -q local.txt >noallow.tsv 2>noallow.err
rc=$?
check "without --allow-private 127.0.0.1 and localhost are refused" [ "$(col noallow.tsv error_class | tail -n +2 | sort | uniq -c | tr -s ' ')" = " 2 blocked_private" ]
check "... exit 1" [ "$rc" -eq 1 ]
check "... and the reason names the address" grep -q "refused to connect to 127.0.0.1: a loopback address" noallow.tsv
"$BIN" fetch local.txt >/dev/null 2>noallow2.err
check "... and stderr says how to allow such addresses, once" sh -c "
[ \$(grep -c 'allow-addr' noallow2.err) -eq 1 ] &&
grep -qxF 'datavet fetch: 2 URLs refused by the address guard (not global unicast: loopback, private, link-local, multicast or reserved); --allow-addr CLASS or --allow-private to fetch from such addresses (docs/fetch.md)' noallow2.err"
"$BIN" fetch -q --allow-private local.txt >allow.tsv 2>/dev/null
rc=$?
check "--allow-private reaches 127.0.0.1 and localhost" [ "$(col allow.tsv error_class | tail -n +2 | sort -u)" = "ok" ]
check "... exit 0" [ "$rc" -eq 0 ]
"$BIN" fetch -q --allow-addr private,link-local local.txt >lo.tsv 2>/dev/null
check "allowing private and link-local does not allow loopback" [ "$(col lo.tsv error_class | tail -n +2 | sort -u)" = "blocked_private" ]
# the guard looks at the address connected to, not at the URL text
printf '%s\n' "http://images.example:$P/img/$J" >named.txt
"$BIN" fetch -q --resolve "images.example:$P:127.0.0.1" named.txt >r1.tsv 2>/dev/null
check "a name resolving to 127.0.0.1 is refused" [ "$(col r1.tsv error_class | tail -n 1)" = "blocked_private" ]
"$BIN" fetch -q --allow-addr loopback --resolve "images.example:$P:127.0.0.1" named.txt >r2.tsv 2>/dev/null
check "... and reached with --allow-addr loopback" [ "$(col r2.tsv error_class | tail -n 1)" = "ok" ]
"$BIN" fetch -q --allow-addr loopback --resolve "images.example:$P:192.168.7.7" named.txt >r3.tsv 2>/dev/null
check "a name resolving to 192.168.7.7 is refused with loopback allowed" [ "$(col r3.tsv error_class | tail -n 1)" = "blocked_private" ]
# a name with a refused address before an allowed one: the record is what the allowed one
# answered (until 2026-12-07: http_404 whose error was the refused address's)
printf '%s\n' "http://two.example:$P/status/404" "http://two.example:$P/img/$J" >two.txt
"$BIN" fetch -q --allow-addr loopback --resolve "two.example:$P:10.0.0.1,127.0.0.1" two.txt >two.tsv 2>/dev/null
check "a refused address, then an allowed one: its answer, its error text" [ \
    "$(col two.tsv error_class error http_code | tail -n +2 | tr '\n\t' '|:')" = "http_404:HTTP 404:404|ok::200|" ]
printf '%s\n' "http://[::ffff:127.0.0.1]:$P/img/$J" "http://0.0.0.0:$P/img/$J" "http://[::1]:$P/img/$J" >mapped.txt
"$BIN" fetch -q --allow-addr private mapped.txt >m.tsv 2>/dev/null
check "IPv4-mapped loopback, 0.0.0.0 and ::1 are refused" [ "$(col m.tsv error_class | tail -n +2 | sort -u)" = "blocked_private" ]

# ---------------------------------------------------------------- hashes equal datavet hash
sed "s|^|$U/img/|" names.txt >imgs.txt
(cd "$IMGDIR" && "$BIN" hash -q --dihedral $(cat "$T/names.txt")) >disk.tsv 2>/dev/null
"$BIN" fetch $FO --max-bytes 32M --dihedral -j 3 imgs.txt >net.tsv 2>/dev/null
ncol=$(head -n 1 disk.tsv | awk -F "$TAB" '{ print NF }')
cut -f2-"$ncol" disk.tsv >a.tsv
cut -f2-"$ncol" net.tsv >b.tsv
check "fetched images hash exactly as datavet hash of the files ($(wc -l <names.txt) images)" diff a.tsv b.tsv
check "fetch output has the hash columns first, then the status columns" [ "$(head -n 1 net.tsv | cut -f"$((ncol + 1))"-)" = "http_code${TAB}error_class${TAB}bytes${TAB}elapsed_ms${TAB}final_url${TAB}attempts" ]
"$BIN" fetch $FO --max-bytes 32M --dihedral -j 1 --connections 3 imgs.txt >net1.tsv 2>/dev/null
cut -f1-"$ncol" net.tsv >c.tsv
cut -f1-"$ncol" net1.tsv >d.tsv
check "output order is input order for -j 1 and -j 3" diff c.tsv d.tsv
"$BIN" fetch $FO --max-bytes 32M -f jsonl "$T/imgs.txt" >net.jsonl 2>/dev/null
check "JSONL: one object per URL with the status fields" [ "$(grep -c '"error_class":"ok","bytes":[0-9]*,"elapsed_ms":[0-9]*,"final_url":"http[^"]*","attempts":1}$' net.jsonl)" -eq "$(wc -l <names.txt)" ]
# a URL holding bytes that cannot stand in one (0xFF, a space): JSONL writes it percent-encoded,
# as every JSON output of datavet writes URLs; TSV keeps the bytes (the URL as listed)
printf '%s/img/a\377b c.jpg\n' "$U" >u8.txt
"$BIN" fetch $FO -f jsonl u8.txt >u8.jsonl 2>/dev/null
"$BIN" fetch $FO u8.txt >u8.tsv 2>/dev/null
check "JSONL: a URL that is not UTF-8 is percent-encoded (%FF, %20), TSV keeps its bytes" sh -c "
grep -q '^{\"path\":\"$U/img/a%FFb%20c.jpg\",' u8.jsonl && tail -n 1 u8.tsv | grep -q \"^\$(cat u8.txt)\$(printf '\t')\""
"$BIN" fetch $FO --max-bytes 32M -f csv "$T/imgs.txt" >net.csv 2>/dev/null
check "CSV: a header and one line per URL" [ "$(wc -l <net.csv)" -eq "$(($(wc -l <names.txt) + 1))" ]

# URL lists in every form the text-list reader reads
{ echo "key,url,caption"; awk -v u="$U/img/" '{ printf "%d,%s%s,\"a, b\"\n", NR, u, $0 }' names.txt | head -n 5; } >list.csv
{ printf 'key\timage_url\n'; awk -v u="$U/img/" '{ printf "%d\t%s%s\n", NR, u, $0 }' names.txt | head -n 5; } >list.tsv
awk -v u="$U/img/" '{ printf "{\"url\": \"%s%s\", \"n\": %d}\n", u, $0, NR }' names.txt | head -n 5 >list.jsonl
"$BIN" fetch $FO list.csv >l1.tsv 2>/dev/null && "$BIN" fetch $FO --url-col image_url list.tsv >l2.tsv 2>/dev/null &&
    "$BIN" fetch $FO list.jsonl >l3.tsv 2>/dev/null && head -n 5 imgs.txt | "$BIN" fetch $FO - >l4.tsv 2>/dev/null
for k in 1 2 3 4; do col l$k.tsv path status md5 pdq error_class >s$k.tsv; done
check "CSV, TSV (--url-col), JSONL and stdin lists give the same records" sh -c "cmp s1.tsv s2.tsv && cmp s1.tsv s3.tsv && cmp s1.tsv s4.tsv && [ \$(grep -c '	ok	' s1.tsv) -eq 5 ]"

# datavet match reads fetch output: the path column is the URL
awk -F "$TAB" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "md5") k = i; next } NR <= 3 { print $k }' disk.tsv >md5.txt
"$BIN" list build -q --name known-md5 --version 1 -o md5.dvl md5.txt 2>/dev/null
"$BIN" match -q --list md5.dvl net.tsv >match.tsv 2>/dev/null
rc=$?
check "datavet match finds the fetched images by URL" sh -c "[ $rc -eq 1 ] && [ \$(tail -n +2 match.tsv | cut -f1 | grep -c '^$U/img/') -eq 2 ]"

# usage errors
"$BIN" fetch --connections 0 imgs.txt >/dev/null 2>&1
check "--connections 0 is a usage error" [ $? -eq 2 ]
"$BIN" fetch >/dev/null 2>&1
check "no list is a usage error" [ $? -eq 2 ]
"$BIN" fetch --allow-addr everything imgs.txt >/dev/null 2>&1
check "a bad --allow-addr is a usage error" [ $? -eq 2 ]
"$BIN" fetch -q -o out.tsv imgs.txt 2>/dev/null
check "-o creates the file with mode 0600" [ "$(stat -c %a out.tsv)" = 600 ]
cp imgs.txt self.txt
ln -s self.txt self-link.txt
"$BIN" fetch --allow-addr loopback -o self-link.txt self.txt >/dev/null 2>self.err
check "-o naming the URL list (through a link too): exit 2, the list kept, the reason said" sh -c "
    [ $? -eq 2 ] && cmp -s imgs.txt self.txt &&
    grep -q 'datavet fetch: -o self-link.txt is the URL list self.txt: refused' self.err"

# ---------------------------------------------------------------- memory stays bounded
if grep -q __asan_init "$BIN" 2>/dev/null; then
    echo "SKIP: $BIN is built with AddressSanitizer: its RSS says nothing about datavet's"
elif [ -x /usr/bin/time ]; then
    awk -v u="$U/img/$SMALL" 'BEGIN { for (i = 0; i < 1000; i++) print u "?i=" i }' >k1.txt
    awk -v u="$U/img/$SMALL" 'BEGIN { for (i = 0; i < 10000; i++) print u "?i=" i }' >k10.txt
    /usr/bin/time -f %M -o rss1 "$BIN" fetch $FO --connections 16 --per-host 16 -a md5 -o k1.tsv k1.txt 2>/dev/null
    t0=$(date +%s)
    /usr/bin/time -f %M -o rss10 "$BIN" fetch $FO --connections 16 --per-host 16 -a md5 -o k10.tsv k10.txt 2>/dev/null
    t1=$(date +%s)
    r1=$(tail -n 1 rss1)
    r10=$(tail -n 1 rss10)
    echo "# max RSS: 1,000 URLs $r1 KiB, 10,000 URLs $r10 KiB ($((t1 - t0)) s)"
    check "10,000 URLs fetched, all ok" [ "$(col k10.tsv error_class | tail -n +2 | grep -c '^ok$')" -eq 10000 ]
    check "max RSS under 64 MiB for 10,000 URLs ($r10 KiB)" [ "$r10" -lt 65536 ]
    check "max RSS grows by under 4 MiB from 1,000 to 10,000 URLs ($r1 -> $r10 KiB)" [ $((r10 - r1)) -lt 4096 ]
else
    echo "SKIP: /usr/bin/time not found: memory bound not measured"
fi

kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
SRV=
finish
