#!/bin/sh
# run.sh - golden CLI tests for datavet: exact stdout, stderr and exit status of each command.
# Usage: sh tests/cli/run.sh BIN SHARED (ctest passes the built datavet and ../shared).
# Images come from datavet-mksample (next to BIN, in tools/) or from SHARED; without either the
# tests that need them print a SKIP line. Prints "ok - NAME" / "not ok - NAME" per check.

if [ $# -ne 2 ]; then
    echo "usage: sh tests/cli/run.sh BIN SHARED" >&2
    exit 2
fi
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
SHARED=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MK=$(dirname "$BIN")/tools/datavet-mksample
LC_ALL=C
export LC_ALL
unset DV_SIMD

[ -x "$BIN" ] || {
    echo "run.sh: $BIN is not executable" >&2
    exit 2
}
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-cli.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
TAB=$(printf '\t')

# ---------------------------------------------------------------- harness

pass=0
fail=0
skip=0

# t NAME FUNC: FUNC returns 0 for ok; on failure what it wrote to $T/why is shown.
t() {
    name=$1
    : >"$T/why"
    if "$2"; then
        pass=$((pass + 1))
        echo "ok - $name"
    else
        fail=$((fail + 1))
        echo "not ok - $name"
        sed 's/^/#   /' "$T/why"
    fi
}

skipped() {
    skip=$((skip + 1))
    echo "SKIP: $2 ($1)"
}

# run CMD...: stdout to $T/out, stderr to $T/err, exit status in $rc.
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# runin FILE CMD...: the same with FILE on stdin.
runin() {
    f=$1
    shift
    "$@" <"$f" >"$T/out" 2>"$T/err"
    rc=$?
}

why() { printf '%s\n' "$@" >>"$T/why"; }

# row FIELD...: the fields joined by tabs, as one TSV line (without its newline).
row() {
    printf '%s' "$1"
    shift
    for x in "$@"; do printf '\t%s' "$x"; done
}

is_rc() {
    [ "$rc" -eq "$1" ] && return 0
    why "exit status $rc, expected $1; stderr:"
    head -n 10 "$T/err" >>"$T/why"
    return 1
}

# same EXPECTED GOT: byte-identical files, else a unified diff.
same() {
    cmp -s "$1" "$2" && return 0
    why "expected ($1) vs got ($2):"
    diff -u "$1" "$2" | head -n 40 >>"$T/why"
    return 1
}

is_empty() {
    [ ! -s "$1" ] && return 0
    why "expected $1 to be empty, got:"
    head -n 10 "$1" >>"$T/why"
    return 1
}

has() {
    grep -qF -- "$2" "$1" && return 0
    why "expected $1 to contain: $2" "got:"
    head -n 10 "$1" >>"$T/why"
    return 1
}

has_line() {
    grep -qxF -- "$2" "$1" && return 0
    why "expected $1 to have the line: $2" "got:"
    head -n 10 "$1" >>"$T/why"
    return 1
}

# The help text of one command as docs/datavet.1.md has it (the source of --help): the lines
# after "## datavet CMD" up to the next "## ", backticks removed.
doc_section() {
    awk -v cmd="$1" '
        /^## / { on = ($0 == "## datavet " cmd); next }
        on { gsub(/`/, ""); print }
    ' "$SRC/docs/datavet.1.md"
}

# The heading line, if the help output repeats it, is not part of the text being compared.
strip_heading() { sed '1{/^## datavet /d;}' "$1"; }

# Field N (a number, or a column name from the header) of the TSV record whose path is P.
field_of() {
    awk -F "$TAB" -v p="$1" -v n="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) n = i }
        NR > 1 && $1 == p { print $n }' "$3"
}

# Hamming distance of two hex PDQ hashes; 999 if either is not 64 hex digits.
hamming() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (length(a) != 64 || length(b) != 64 || (a b) ~ /[^0-9a-f]/) { print 999; exit }
        h = "0123456789abcdef"; d = 0
        for (i = 1; i <= 64; i++) {
            x = index(h, substr(a, i, 1)) - 1; y = index(h, substr(b, i, 1)) - 1
            for (k = 0; k < 4; k++) { if (x % 2 != y % 2) d++; x = int(x / 2); y = int(y / 2) }
        }
        print d }'
}

# ---------------------------------------------------------------- commands, help, usage

version=$(sed -n 's/^#define DV_VERSION_STRING "\(.*\)"$/\1/p' "$SRC/include/datavet.h")

c_version() {
    run "$BIN" --version
    is_rc 0 && is_empty "$T/err" || return 1
    grep -qxE "datavet $version \\(simd: (scalar|avx2|avx512)\\)" "$T/out" && return 0
    why "expected 'datavet $version (simd: scalar|avx2|avx512)', got:"
    cat "$T/out" >>"$T/why"
    return 1
}
t "--version prints 'datavet $version (simd: ...)'" c_version

c_version_cmd() {
    "$BIN" --version >"$T/v1" 2>&1
    run "$BIN" version
    is_rc 0 && is_empty "$T/err" && same "$T/v1" "$T/out"
}
t "version is the same as --version" c_version_cmd

c_version_simd() {
    export DV_SIMD=scalar
    run "$BIN" --version
    unset DV_SIMD
    is_rc 0 && is_empty "$T/err" && has_line "$T/out" "datavet $version (simd: scalar)"
}
t "DV_SIMD=scalar --version reports the scalar path" c_version_simd

cat >"$T/usage" <<'EOF'
usage: datavet [--version] [--help] <command> [<args>]

commands:
   hash       hash image files: PDQ, MD5, SHA-1, SHA-256
   list       build, describe and compare hash lists (.dvl)
   match      match datavet hash output against compiled hash lists
   fetch      download URL lists and hash the images in memory
   scan       scan a dataset against hash lists: matches, report, cleaned copy
   merge      write a scan's final outputs from its per-shard results
   slurm      run a scan as a Slurm array job: submit, status, wait, resubmit
   export     a scan's matches as hotline-report rows (CSV, JSON)
   inspect    describe a dataset file or directory; --head prints rows
   neighbors  exact nearest neighbours of seed embeddings (candidates)
   inventory  find copies of known datasets and models on a machine
   keygen     make an Ed25519 key pair for signing scans
   verify     check a signed scan's outputs against its manifest
   help       show help for datavet or one command
   version    print the version

'datavet help <command>' or 'datavet <command> --help' for details.
EOF

c_help() {
    run "$BIN" help
    is_rc 0 && is_empty "$T/err" && same "$T/usage" "$T/out"
}
t "help lists the commands" c_help

c_help_opt() {
    run "$BIN" --help
    is_rc 0 && is_empty "$T/err" && same "$T/usage" "$T/out"
}
t "--help is the same as help" c_help_opt

c_noargs() {
    run "$BIN"
    is_rc 2 && is_empty "$T/out" && same "$T/usage" "$T/err"
}
t "no command: usage on stderr, exit 2" c_noargs

c_help_hash() {
    doc_section hash >"$T/doc"
    [ -s "$T/doc" ] || {
        why "no '## datavet hash' section in docs/datavet.1.md"
        return 1
    }
    run "$BIN" help hash
    strip_heading "$T/out" >"$T/got"
    is_rc 0 && is_empty "$T/err" && same "$T/doc" "$T/got"
}
t "help hash is the docs/datavet.1.md section" c_help_hash

c_hash_help() {
    "$BIN" help hash >"$T/h1" 2>&1
    run "$BIN" hash --help
    is_rc 0 && is_empty "$T/err" && same "$T/h1" "$T/out" || return 1
    run "$BIN" hash -h
    is_rc 0 && same "$T/h1" "$T/out"
}
t "hash --help and hash -h print the same text as help hash" c_hash_help

c_help_others() {
    for c in help version; do
        doc_section "$c" >"$T/doc"
        run "$BIN" help "$c"
        strip_heading "$T/out" >"$T/got"
        is_rc 0 && is_empty "$T/err" && same "$T/doc" "$T/got" || return 1
    done
}
t "help help and help version are their docs/datavet.1.md sections" c_help_others

c_help_unknown() {
    run "$BIN" help frobnicate
    printf "datavet: no help for 'frobnicate'\n" >"$T/exp"
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err"
}
t "help on an unknown command: exit 2" c_help_unknown

# A crash must not write the process's memory (image bytes, decoded pixels) anywhere: datavet
# sets its core limit to 0 and makes itself not dumpable. Started with an unlimited core limit,
# blocked reading paths from a FIFO, then killed with SIGSEGV: its limits read 0, and where
# core_pattern names a plain file no core appears (one does for a process that allows it).
c_no_core() {
    d=$T/core
    mkdir -p "$d" && mkfifo "$d/paths" || {
        why "cannot make a FIFO"
        return 1
    }
    (
        cd "$d" || exit 1
        ulimit -c unlimited 2>/dev/null
        "$BIN" hash - <paths >out 2>err &
        pid=$!
        exec 3>paths
        i=0
        while [ "$i" -lt 50 ] && ! grep -q '^Max core file size' "/proc/$pid/limits" 2>/dev/null; do
            sleep 0.1
            i=$((i + 1))
        done
        sleep 0.3
        grep '^Max core file size' "/proc/$pid/limits" >limits 2>&1
        kill -SEGV "$pid"
        wait "$pid" 2>/dev/null
        exec 3>&-
    )
    grep -qE '^Max core file size +0 +0 ' "$d/limits" || {
        why "core limits of the running datavet are not 0 0:"
        cat "$d/limits" >>"$T/why"
        return 1
    }
    case $(cat /proc/sys/kernel/core_pattern 2>/dev/null) in
    "" | "|"* | /*) return 0 ;;
    esac
    if ls "$d" | grep -q '^core'; then
        why "a core file was written: $(ls "$d")"
        return 1
    fi
}
t "a crashing datavet writes no core file (core limit 0, not dumpable)" c_no_core

# A data: URI carries its content (an image) in the URL: fetch decodes it without a transfer
# and hashes it (the MD5 of the decoded bytes, as base64 -d gives them); bad base64 is
# bad_url; records and messages show the URI redacted, never the content, also when a C0
# control comes first (a browser, and the fetcher, skip it: the URI is decoded too).
c_data_uri() {
    p=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
    printf 'data:image/png;base64,%s\nDATA:image/png;BASE64,%s\ndata:image/png;base64,%s\n\013data:image/gif;base64,%s\n' \
        "$p" "$(printf %s "$p" | tr '+/' '-_')" 'iVBOR*w0K' "$p" >"$T/datauri.txt"
    md5=$(printf %s "$p" | base64 -d | md5sum | cut -c1-32)
    run "$BIN" fetch -a md5 "$T/datauri.txt"
    is_rc 1 && has "$T/out" "data:image/png;base64,<96 bytes withheld>	ok	png			$md5" &&
        has "$T/out" "data:image/png;BASE64,<96 bytes withheld>	ok	png			$md5" &&
        has "$T/out" "data:image/gif;base64,<96 bytes withheld>	ok	png			$md5" &&
        has "$T/err" "datavet fetch: $T/datauri.txt:3: data:image/png;base64,<9 bytes withheld>: bad_url" ||
        return 1
    if grep -q -F "$p" "$T/out" "$T/err"; then
        why "the data: URI's content was written"
        return 1
    fi
}
t "fetch: a data: URI is decoded, hashed and shown without its content" c_data_uri

# A URL that fails is named on stderr where it is, as a list's bad row is: the list and the
# line its record starts on (a quoted caption may go on over lines), stdin as "stdin"; the
# URLs after it are still fetched. None of these URLs is connected to. The URL is written as
# in JSONL (a space as %20), so that no byte of it can break or rewrite the line.
c_fetch_where() {
    printf 'url,caption\nftp://example.com/a.jpg,"two\nlines"\nnot a url,x\n' >"$T/where.csv"
    printf 'gopher://example.com/\n\nnot a url\n' >"$T/where.txt"
    run "$BIN" fetch -a md5 "$T/where.csv" "$T/where.txt"
    is_rc 1 &&
        has_line "$T/err" "datavet fetch: $T/where.csv:2: ftp://example.com/a.jpg: bad_scheme: only http and https URLs are fetched" &&
        has_line "$T/err" "datavet fetch: $T/where.csv:4: not%20a%20url: bad_url: not an absolute URL" &&
        has_line "$T/err" "datavet fetch: $T/where.txt:1: gopher://example.com/: bad_scheme: only http and https URLs are fetched" &&
        has_line "$T/err" "datavet fetch: $T/where.txt:3: not%20a%20url: bad_url: not an absolute URL" &&
        [ "$(cut -f2 "$T/out" | grep -cx error)" -eq 4 ] || return 1
    runin "$T/where.txt" "$BIN" fetch -a md5 -
    is_rc 1 && has_line "$T/err" "datavet fetch: stdin:3: not%20a%20url: bad_url: not an absolute URL"
}
t "fetch: a failed URL is named by its list and line" c_fetch_where

# ---------------------------------------------------------------- exit statuses, all commands

# same_err LINE: stderr is exactly LINE
same_err() {
    printf '%s\n' "$1" >"$T/want_err"
    same "$T/want_err" "$T/err"
}

# Every command: 0 done, 1 found something (where it has such a notion), 2 a usage error or a
# failure: an input that cannot be read, an output that cannot be written.
c_failure_is_2() {
    n=$T/nope
    for cmd in "list info $n.dvl" "list diff $n.dvl $n.dvl" "export -f csv $n" \
        "neighbors --embeddings $n --seed-ids /dev/null -k 1 -o $T/nb-out" "inspect $n" \
        "fetch $n.txt" "match --list $n.dvl $n.tsv" "inventory $n" "merge $n" \
        "verify $n --any-key" "slurm status $n" "hash -o $T/no/such/dir/h.tsv $n" \
        "fetch -o $T/no/such/dir/f.tsv /dev/null"; do
        # shellcheck disable=SC2086 # the command line, split on purpose
        run "$BIN" $cmd
        [ "$rc" -eq 2 ] && [ -s "$T/err" ] && continue
        why "datavet $cmd: exit $rc, want 2 and a message; stderr:"
        head -n 5 "$T/err" >>"$T/why"
        return 1
    done
    run "$BIN" list info "$n.dvl"
    same_err "datavet list info: $n.dvl: cannot open: No such file or directory" || return 1
    run "$BIN" fetch "$n.txt"
    same_err "datavet fetch: $n.txt: No such file or directory"
}
t "a failure exits 2 in every command, with one message" c_failure_is_2

# bad_value WANT CMD...: exit 2, nothing on stdout, and stderr is the one line WANT
bad_value() {
    bv_want=$1
    shift
    run "$BIN" "$@"
    is_rc 2 && is_empty "$T/out" && same_err "$bv_want"
}

c_bad_values() {
    bad_value "datavet fetch: --timeout 0: not a number from 0.001 to 86400" fetch --timeout 0 x &&
        bad_value "datavet fetch: --connect-timeout 1s: not a number from 0.001 to 86400" \
            fetch --connect-timeout 1s x &&
        bad_value "datavet fetch: --retries 21: not an integer from 0 to 20" fetch --retries 21 x &&
        bad_value "datavet fetch: --jobs 0: not an integer from 1 to 1024" fetch -j 0 x &&
        bad_value "datavet fetch: --max-bytes 0: not an integer from 1 to 1099511627776 (K, M, G: 1024s)" \
            fetch --max-bytes 0 x &&
        bad_value "datavet fetch: --max-redirects 6: not an integer from 0 to 5" \
            fetch --max-redirects 6 x &&
        bad_value "datavet inspect: --head x: not an integer of 0 or more (K, M, G: 1000s)" \
            inspect --head x x &&
        bad_value "datavet slurm submit: --shards-per-task 0: not an integer from 1 to 1000000000" \
            slurm submit ds -o o -k 0 &&
        bad_value "datavet slurm submit: --max-running x: not an integer from 0 to 1000000" \
            slurm submit ds -o o --max-running x &&
        bad_value "datavet slurm wait: --interval 0: not an integer from 1 to 86400" \
            slurm wait o --interval 0 &&
        bad_value "datavet slurm resubmit: --max-retries -1: not an integer from 0 to 1000000" \
            slurm resubmit o --max-retries -1
}
t "a bad option value names the option, its value and its range: exit 2" c_bad_values

# a --resolve entry curl would only fail transfer by transfer with is refused before any
bad_resolve() {
    run "$BIN" fetch --resolve "$1" /dev/null
    is_rc 2 && is_empty "$T/out" && {
        printf "datavet fetch: bad --resolve '%s' (HOST:PORT:ADDRESS[,ADDRESS...], as curl takes it)\n" "$1" >"$T/want_err"
        head -n 1 "$T/err" >"$T/err1" && same "$T/want_err" "$T/err1"
    }
}
c_bad_resolve() {
    for r in bad host:80 host:0:127.0.0.1 host:65536:127.0.0.1 host:80: host:80:1.2.3.4, \
        host:80:example.org :80:127.0.0.1 host:x:127.0.0.1 -host:80:127.0.0.1; do
        bad_resolve "$r" || return 1
    done
    for r in host:80:127.0.0.1 +host:443:[::1],10.0.0.1 host:8080:::1 -host:80; do
        : >"$T/none.txt"
        run "$BIN" fetch -q --resolve "$r" "$T/none.txt"
        is_rc 0 || return 1
    done
}
t "fetch: a malformed --resolve is refused before anything is fetched" c_bad_resolve

# summaries agree in number with their counts; no stray colon after an empty fetch
c_summaries() {
    run "$BIN" hash "$T/nope.png"
    is_rc 1 && has_line "$T/err" "datavet hash: 1 of 1 file failed" || return 1
    : >"$T/empty.txt"
    run "$BIN" fetch "$T/empty.txt"
    is_rc 0 || return 1
    grep -qxE 'datavet fetch: 0 URLs in [0-9.]+ s \([0-9]+/s\)' "$T/err" || {
        why "fetch of no URL: unexpected summary:"
        cat "$T/err" >>"$T/why"
        return 1
    }
    p=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
    printf 'data:image/png;base64,%s\n' "$p" >"$T/one.txt"
    run "$BIN" fetch -a md5 "$T/one.txt"
    is_rc 0 || return 1
    grep -qxE 'datavet fetch: 1 URL in [0-9.]+ s \([0-9]+/s\): ok 1' "$T/err" || {
        why "fetch of one URL: unexpected summary:"
        cat "$T/err" >>"$T/why"
        return 1
    }
}
t "summaries: 1 file, 1 URL, 0 URLs; no stray colon" c_summaries

c_unknown() {
    run "$BIN" frobnicate x
    printf "datavet: 'frobnicate' is not a datavet command. See 'datavet --help'.\n" >"$T/exp"
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err"
}
t "unknown command: exit 2 and a message on stderr" c_unknown

# bad_opt NAME EXPECTED_STDERR_LINE ARGS...: exit 2, nothing on stdout, the line on stderr.
bad_opt() {
    bo_line=$1
    shift
    run "$BIN" hash "$@"
    is_rc 2 && is_empty "$T/out" && has_line "$T/err" "$bo_line"
}

c_bad_long() {
    bad_opt "Try 'datavet hash --help'." --frobnicate x && has "$T/err" "frobnicate"
}
t "hash --frobnicate: exit 2" c_bad_long

c_bad_format() { bad_opt "datavet hash: bad --format 'xml' (tsv, csv or jsonl)" -f xml x; }
t "hash -f xml: exit 2" c_bad_format

c_bad_algo() { bad_opt "datavet hash: bad --algo 'md4' (use pdq,md5,sha1,sha256)" -a md4 x; }
t "hash -a md4: exit 2" c_bad_algo

c_bad_jobs() {
    bad_opt "datavet hash: --jobs many: not an integer from 0 to 1024" -j many x &&
        bad_opt "datavet hash: --jobs -3: not an integer from 0 to 1024" -j -3 x &&
        bad_opt "datavet hash: --jobs 1025: not an integer from 0 to 1024" --jobs 1025 x
}
t "hash -j many / -j -3 / --jobs 1025: exit 2, the option and its range named" c_bad_jobs

c_bad_pixels() {
    bad_opt "datavet hash: --max-pixels 0: not an integer of 1 or more (K, M, G: 1000s)" \
        --max-pixels 0 x &&
        bad_opt "datavet hash: --max-pixels 12q: not an integer of 1 or more (K, M, G: 1000s)" \
            --max-pixels 12q x &&
        bad_opt "datavet hash: --max-bytes 0: not an integer of 1 or more (K, M, G: 1024s)" \
            --max-bytes 0 x
}
t "hash --max-pixels 0 / 12q, --max-bytes 0: exit 2, the option named" c_bad_pixels

c_bad_dihedral() { bad_opt "datavet hash: --dihedral needs pdq in --algo" --dihedral -a md5 x; }
t "hash --dihedral -a md5: exit 2" c_bad_dihedral

c_missing_arg() { bad_opt "Try 'datavet hash --help'." -f; }
t "hash -f without its argument: exit 2" c_missing_arg

c_no_input() {
    bad_opt "datavet hash: no input (give files, directories or - for a list on stdin)"
}
t "hash with no arguments: exit 2" c_no_input

# ---------------------------------------------------------------- hashing the generated sample

TSV_HEADER=$(row path status format width height md5 sha1 sha256 pdq quality error)
S=$T/sample

# sf PATTERN: the one sample file whose name contains PATTERN.
sf() {
    for sf_f in "$S"/*"$1"*; do
        printf '%s\n' "$sf_f"
        return 0
    done
}

if [ -x "$MK" ] && "$MK" "$S" 48 >/dev/null 2>"$T/mkerr"; then
    have_sample=1
    # A few small ones in every format, for checks that run many times.
    set -- "$(sf a-resized)" "$(sf png-rgb-320)" "$(sf webp-lossy-640)" "$(sf gif-320)" \
        "$(sf png-grey16)" "$(sf jpeg-grey)"
    SMALL=$*
else
    have_sample=0
    [ -x "$MK" ] && sed 's/^/# /' "$T/mkerr"
fi

c_mk_repro() {
    "$MK" "$T/sample2" 12 >/dev/null 2>&1 || {
        why "$MK $T/sample2 12 failed"
        return 1
    }
    for f in "$T/sample2"/*; do
        same "$S/${f##*/}" "$f" || return 1
    done
    [ "$(ls "$S" | wc -l)" -eq 48 ] || {
        why "expected 48 files in the sample, got $(ls "$S" | wc -l)"
        return 1
    }
}

c_tsv() {
    run "$BIN" hash -j 1 "$S"
    cp "$T/out" "$T/full.tsv"
    cp "$T/err" "$T/full.err"
    is_rc 1 || return 1
    [ "$(head -n 1 "$T/out")" = "$TSV_HEADER" ] || {
        why "header line differs:" "expected: $TSV_HEADER" "got:      $(head -n 1 "$T/out")"
        return 1
    }
    ls "$S" | sed "s|^|$S/|" >"$T/exp"
    tail -n +2 "$T/out" | cut -f 1 >"$T/got"
    same "$T/exp" "$T/got" || return 1
    awk -F "$TAB" 'NF != 11 { print "line " NR " has " NF " fields"; bad = 1 } END { exit bad }' \
        "$T/out" >>"$T/why"
}

c_good_decode() {
    # Every non-broken sample image must give status ok: the sample covers palette+tRNS PNG,
    # 16-bit, grey+alpha, interlaced, CMYK, progressive, lossless WebP, animated GIF, ...
    awk -F "$TAB" 'NR > 1 && $1 !~ /broken/ && $2 != "ok" { print $1 ": " $NF; bad = 1 }
                   NR > 1 && $1 ~ /broken/ && $2 != "error" { print $1 ": expected an error"; bad = 1 }
                   END { exit bad }' "$T/full.tsv" >>"$T/why"
}

c_csv() {
    run "$BIN" hash -j 1 -f csv "$S"
    is_rc 1 || return 1
    # RFC 4180 fields back to TSV; must be the TSV records exactly.
    awk '{
        line = $0; n = 0; out = ""
        while (1) {
            if (substr(line, 1, 1) == "\"") {
                f = ""; i = 2
                while (1) {
                    c = substr(line, i, 1)
                    if (c == "") { print "unterminated quote on line " NR > "/dev/stderr"; exit 1 }
                    if (c == "\"") {
                        if (substr(line, i + 1, 1) == "\"") { f = f "\""; i += 2; continue }
                        i++; break
                    }
                    f = f c; i++
                }
                line = substr(line, i)
            } else {
                p = index(line, ","); if (p == 0) p = length(line) + 1
                f = substr(line, 1, p - 1); line = substr(line, p)
            }
            out = out (n++ ? "\t" : "") f
            if (line == "") break
            if (substr(line, 1, 1) != ",") {
                print "junk after a quoted field on line " NR > "/dev/stderr"
                exit 1
            }
            line = substr(line, 2)
            if (line == "") { out = out "\t"; break }
        }
        print out
    }' "$T/out" >"$T/csv.tsv" 2>>"$T/why" || return 1
    same "$T/full.tsv" "$T/csv.tsv"
}

c_jsonl() {
    run "$BIN" hash -j 1 -f jsonl "$S"
    is_rc 1 || return 1
    [ "$(wc -l <"$T/out")" -eq 48 ] || {
        why "expected 48 lines, got $(wc -l <"$T/out")"
        return 1
    }
    awk '!/^\{"path":/ || !/\}$/ { print "line " NR ": " $0; bad = 1 } END { exit bad }' \
        "$T/out" >>"$T/why" || return 1
    if command -v python3 >/dev/null 2>&1; then
        # Full parse, and the same values as the TSV records.
        python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    keys = ("path", "status", "format", "width", "height", "md5", "sha1", "sha256", "pdq",
            "quality", "error")
    print("\t".join(str(r.get(k, "")) for k in keys))
' "$T/out" >"$T/json.tsv" 2>>"$T/why" || return 1
        tail -n +2 "$T/full.tsv" >"$T/exp"
        same "$T/exp" "$T/json.tsv"
    fi
}

c_jobs() {
    run "$BIN" hash -j 4 "$S"
    is_rc 1 && same "$T/full.tsv" "$T/out" && same "$T/full.err" "$T/err"
}

c_simd() {
    for p in scalar avx2 avx512; do
        export DV_SIMD=$p
        if [ "$p" != scalar ] && ! "$BIN" --version | grep -q "simd: $p"; then
            unset DV_SIMD
            continue
        fi
        run "$BIN" hash -j 2 "$S"
        unset DV_SIMD
        is_rc 1 && same "$T/full.tsv" "$T/out" || {
            why "(with DV_SIMD=$p)"
            return 1
        }
    done
}

c_output() {
    run "$BIN" hash -o "$T/o.tsv" "$S"
    is_rc 1 && is_empty "$T/out" && same "$T/full.tsv" "$T/o.tsv" || return 1
    perms=$(ls -l "$T/o.tsv" | cut -c 1-10)
    [ "$perms" = "-rw-------" ] || { why "expected mode -rw------- (0600), got $perms"; return 1; }
    # a device given as the output keeps its mode (-o /dev/null must not make it 0600)
    before=$(stat -c %a /dev/null)
    "$BIN" hash -q -o /dev/null "$S" >/dev/null 2>&1
    [ "$(stat -c %a /dev/null)" = "$before" ] && return 0
    why "/dev/null mode changed from $before to $(stat -c %a /dev/null)"
    chmod "$before" /dev/null 2>/dev/null
    return 1
}

c_output_inside() {
    # the output inside the walked folder, there from an earlier run (-o) or the shell's
    # redirection: passed over, not hashed half-written as an input (an error record, exit 1)
    rm -rf "$T/oin"
    cp -r "$S" "$T/oin"
    "$BIN" hash -q -o "$T/oin/h.tsv" "$T/oin" >/dev/null 2>&1
    run "$BIN" hash -o "$T/oin/h.tsv" "$T/oin"
    is_rc 1 && ! grep -q "oin/h.tsv" "$T/oin/h.tsv" && ! grep -q "oin/h.tsv" "$T/err" || return 1
    rm -f "$T/oin/h.tsv"
    "$BIN" hash "$T/oin" >"$T/oin/r.tsv" 2>"$T/err"
    rc=$?
    is_rc 1 && ! grep -q "oin/r.tsv" "$T/oin/r.tsv" && ! grep -q "oin/r.tsv" "$T/err" || return 1
    sed "s|$T/oin/|$T/sample/|" "$T/oin/r.tsv" >"$T/oin.got"
    same "$T/full.tsv" "$T/oin.got" || return 1
    # -o naming a file given as a PATH would empty it before it is hashed: refused
    first=$(ls "$T/oin" | head -n 1)
    cp "$T/oin/$first" "$T/oin.keep"
    run "$BIN" hash -o "$T/oin/$first" "$T/oin/$first"
    is_rc 2 && is_empty "$T/out" && cmp -s "$T/oin.keep" "$T/oin/$first" &&
        has "$T/err" "datavet hash: -o $T/oin/$first is the input $T/oin/$first: refused"
}

c_output_bad() {
    run "$BIN" hash -o "$T/no/such/dir/o.tsv" $SMALL
    is_rc 2 && has "$T/err" "cannot write $T/no/such/dir/o.tsv"
}

c_jobs_zero() {
    # -j 0 must be refused as a usage error or mean "as many as CPUs"; either way it is safe
    run "$BIN" hash -j 1 $SMALL
    cp "$T/out" "$T/j1.tsv"
    run "$BIN" hash -j 0 $SMALL
    if [ "$rc" -eq 2 ]; then
        has "$T/err" "-j"
    else
        is_rc 0 && is_empty "$T/err" && same "$T/j1.tsv" "$T/out"
    fi
}

c_stdin() {
    # blank lines are skipped and CRLF line ends accepted
    printf '%s\n' $SMALL | awk 'NR == 2 { print "" } { printf "%s%s\n", $0, (NR == 3 ? "\r" : "") }' \
        >"$T/list"
    runin "$T/list" "$BIN" hash -
    is_rc 0 && is_empty "$T/err" && cp "$T/out" "$T/stdin.tsv" || return 1
    run "$BIN" hash $SMALL
    same "$T/out" "$T/stdin.tsv"
}

c_walk() {
    d=$T/tree
    mkdir -p "$d/a" "$d/b" "$d/e/empty" "$d/c/deep/er"
    cp "$(sf png-rgb-320)" "$d/z.png"
    cp "$(sf gif-320)" "$d/b/x.gif"
    cp "$(sf a-resized)" "$d/b-1.jpg"
    cp "$(sf webp-lossy-640)" "$d/a/2.webp"
    cp "$(sf jpeg-grey)" "$d/a/10.jpg"
    cp "$(sf png-grey16)" "$d/C.png"
    cp "$(sf gif-1x1)" "$d/c/deep/er/y.gif"
    # strcmp order inside each directory: "b" sorts before "b-1.jpg", upper case first
    cat >"$T/exp" <<EOF
$d/C.png
$d/a/10.jpg
$d/a/2.webp
$d/b/x.gif
$d/b-1.jpg
$d/c/deep/er/y.gif
$d/z.png
EOF
    for arg in "$d" "$d/"; do
        run "$BIN" hash -a md5 "$arg"
        is_rc 0 && is_empty "$T/err" || return 1
        tail -n +2 "$T/out" | cut -f 1 >"$T/got"
        same "$T/exp" "$T/got" || return 1
    done
}

c_errors() {
    good1=$(sf a-resized)
    good2=$(sf gif-320)
    corrupt=$(sf broken-truncated)
    text=$(sf broken-not-an-image)
    missing=$T/does-not-exist.png
    : >"$T/empty.png"
    run "$BIN" hash "$good1" "$missing" "$corrupt" "$T/empty.png" "$text" "$good2"
    is_rc 1 || return 1
    printf '%s\n' "$good1 ok" "$missing error" "$corrupt error" "$T/empty.png error" \
        "$text error" "$good2 ok" >"$T/exp"
    tail -n +2 "$T/out" | cut -f 1,2 | tr '\t' ' ' >"$T/got"
    same "$T/exp" "$T/got" || return 1
    # the error column is filled exactly for the failed records
    awk -F "$TAB" 'NR > 1 && (($2 == "ok") != ($11 == "")) { print "line " NR ": " $0; bad = 1 }
                   END { exit bad }' "$T/out" >>"$T/why" || return 1
    for f in "$missing" "$corrupt" "$T/empty.png" "$text"; do
        grep -q "^datavet hash: $f: ." "$T/err" || {
            why "no stderr line naming $f; stderr:"
            cat "$T/err" >>"$T/why"
            return 1
        }
    done
    has_line "$T/err" "datavet hash: 4 of 6 files failed" || return 1
    [ "$(wc -l <"$T/err")" -eq 5 ] || {
        why "expected 5 lines on stderr, got:"
        cat "$T/err" >>"$T/why"
        return 1
    }
    # digests of a file that could be read are given even when it does not decode
    [ "$(field_of "$corrupt" 6 "$T/out")" = "$(md5sum <"$corrupt" | cut -c 1-32)" ] || {
        why "no md5 for the truncated JPEG"
        return 1
    }
}

c_quiet() {
    run "$BIN" hash -q "$(sf a-resized)" "$(sf broken-truncated)"
    is_rc 1 || return 1
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^datavet hash: $(sf broken-truncated): " "$T/err" &&
        return 0
    why "expected only the error line on stderr, got:"
    cat "$T/err" >>"$T/why"
    return 1
}

c_algo_md5() {
    run "$BIN" hash --algo md5 $SMALL
    is_rc 0 && is_empty "$T/err" || return 1
    [ "$(head -n 1 "$T/out")" = "$(row path status format width height md5 error)" ] || {
        why "header: $(head -n 1 "$T/out")"
        return 1
    }
    awk -F "$TAB" 'NR > 1 && (NF != 7 || length($6) != 32 || $6 ~ /[^0-9a-f]/) {
                       print "line " NR ": " $0; bad = 1 }
                   END { exit bad }' "$T/out" >>"$T/why" || return 1
    run "$BIN" hash -a sha256,sha1 $SMALL
    [ "$(head -n 1 "$T/out")" = "$(row path status format width height sha1 sha256 error)" ] || {
        why "-a sha256,sha1 header: $(head -n 1 "$T/out")"
        return 1
    }
}

# digest_vs TOOL COLUMN: the column equals TOOL's output for every sample file (broken ones too).
digest_vs() {
    if ! command -v "$1" >/dev/null 2>&1; then
        why "$1 not installed"
        return 1
    fi
    (cd "$S" && "$1" -- *) | awk -v dir="$S/" '{ print dir substr($0, index($0, "  ") + 2) "\t" $1 }' \
        >"$T/exp"
    tail -n +2 "$T/full.tsv" | cut -f "1,$2" >"$T/got"
    same "$T/exp" "$T/got"
}
c_md5() { digest_vs md5sum 6; }
c_sha1() { digest_vs sha1sum 7; }
c_sha256() { digest_vs sha256sum 8; }

DIH="pdq_rot90 pdq_rot180 pdq_rot270 pdq_flipx pdq_flipy pdq_flipplus1 pdq_flipminus1"

c_dihedral() {
    run "$BIN" hash --dihedral -j 2 "$S"
    cp "$T/out" "$T/dih.tsv"
    is_rc 1 || return 1
    # shellcheck disable=SC2086 # $DIH is a list of column names
    exp=$(row path status format width height md5 sha1 sha256 pdq quality $DIH error)
    [ "$(head -n 1 "$T/out")" = "$exp" ] || {
        why "header differs:" "expected: $exp" "got:      $(head -n 1 "$T/out")"
        return 1
    }
    # the first 10 columns and the error column are the records without --dihedral
    cut -f 1-10,18 "$T/out" >"$T/got"
    same "$T/full.tsv" "$T/got" || return 1
    awk -F "$TAB" 'NR > 1 && $2 == "ok" { for (i = 11; i <= 17; i++)
                       if (length($i) != 64 || $i ~ /[^0-9a-f]/) {
                           print "line " NR " column " i ": " $i; bad = 1 } }
                   END { exit bad }' "$T/out" >>"$T/why"
}

# A copy turned a quarter clockwise matches the original's pdq_rot270 (PDQ's rot90 is a quarter
# turn counterclockwise, as in the reference's bridge-2-rotate-90.jpg) and a left-right mirror
# matches pdq_flipy; both within the PDQ match threshold of 31 bits.
c_dihedral_match() {
    for pair in "b-orig b-rot90cw pdq_rot270" "b-orig b-mirrored-lr pdq_flipy" \
        "c-orig c-rot90cw pdq_rot270" "a-orig a-mirrored-lr pdq_flipy"; do
        set -- $pair
        want=$(field_of "$(sf "$1")" "$3" "$T/dih.tsv")
        got=$(field_of "$(sf "$2")" pdq "$T/dih.tsv")
        d=$(hamming "$want" "$got")
        [ "$d" -le 31 ] || {
            why "$2 is $d bits from $3 of $1 ($want vs $got)"
            return 1
        }
    done
}

c_max_pixels() {
    set -- "$(sf a-resized)" "$(sf jpeg-3000x2000)" "$(sf png-rgb16)" "$(sf webp-lossy-640)" \
        "$(sf gif-320)" "$(sf jpeg-tiny-4x4)" "$(sf gif-1x1)"
    run "$BIN" hash --max-pixels 1000 "$@"
    is_rc 1 || return 1
    for f in "$1" "$2" "$3" "$4" "$5"; do
        [ "$(field_of "$f" 2 "$T/out")" = error ] &&
            field_of "$f" 11 "$T/out" | grep -q "over the limit of 1000 (--max-pixels)" &&
            grep -q "^datavet hash: $f: .*1000" "$T/err" || {
            why "no --max-pixels error for $f:"
            grep -F "$f" "$T/out" "$T/err" >>"$T/why"
            return 1
        }
    done
    [ "$(field_of "$6" 2 "$T/out")" = ok ] && [ "$(field_of "$7" 2 "$T/out")" = ok ] || {
        why "images under the limit must still hash"
        cat "$T/out" >>"$T/why"
        return 1
    }
}

c_max_bytes() {
    big=$(sf jpeg-1920x1080)
    run "$BIN" hash --max-bytes 1k "$(sf gif-1x1)" "$big"
    is_rc 1 && [ "$(field_of "$(sf gif-1x1)" 2 "$T/out")" = ok ] &&
        [ "$(field_of "$big" 2 "$T/out")" = error ] && has "$T/err" "over the limit of 1024"
}

c_fast() {
    set -- "$(sf jpeg-3000x2000)" "$(sf jpeg-1920x1080)" "$(sf c-orig)"
    run "$BIN" hash -a pdq --fast "$@"
    is_rc 0 && is_empty "$T/err" || return 1
    for f in "$@"; do
        a=$(field_of "$f" pdq "$T/out")
        b=$(field_of "$f" pdq "$T/full.tsv")
        d=$(hamming "$a" "$b")
        [ "$d" -le 31 ] || {
            why "$f: --fast PDQ is $d bits from the exact one"
            return 1
        }
    done
}

c_names() {
    d=$T/names
    mkdir -p "$d"
    odd="we,ird${TAB}na\\me \"q\".png"
    cp "$(sf png-rgb-320)" "$d/$odd"
    m=$(md5sum <"$d/$odd" | cut -c 1-32)
    run "$BIN" hash -a md5 "$d/$odd"
    is_rc 0 && has_line "$T/out" "$(row "$d/we,ird\\tna\\\\me \"q\".png" ok png "" "" "$m" "")" ||
        return 1
    run "$BIN" hash -a md5 -f csv "$d/$odd"
    has_line "$T/out" "\"$d/we,ird${TAB}na\\me \"\"q\"\".png\",ok,png,,,$m," || return 1
    run "$BIN" hash -a md5 -f jsonl "$d/$odd"
    has "$T/out" "{\"path\":\"$d/we,ird\\tna\\\\me \\\"q\\\".png\",\"status\":\"ok\""
}

# a file name that is not UTF-8 (byte 0xFF, as Latin-1 names are): kept byte for byte in tsv
# (it names the file), U+FFFD in jsonl (JSON is UTF-8, as every JSON output of datavet)
c_names_utf8() {
    d=$T/names8
    mkdir -p "$d"
    odd=$(printf 'caf\351.png')
    cp "$(sf png-rgb-320)" "$d/$odd"
    m=$(md5sum <"$d/$odd" | cut -c 1-32)
    run "$BIN" hash -a md5 "$d/$odd"
    is_rc 0 && has_line "$T/out" "$(row "$d/$odd" ok png "" "" "$m" "")" || return 1
    run "$BIN" hash -a md5 -f jsonl "$d/$odd"
    has "$T/out" "{\"path\":\"$d/caf$(printf '\357\277\275').png\",\"status\":\"ok\""
}

# many small files (batches of 2 x 128 a thread; 119 lines in 0.25 s before): with stderr not
# a terminal, a plain line at most every 5 seconds (and the last), no control sequences
c_progress_rate() {
    d=$T/many
    mkdir -p "$d" && (cd "$d" && seq 1 30000 | xargs touch) || return 1
    /usr/bin/python3 -c "
import subprocess, time
t = time.monotonic()
r = subprocess.run(['$BIN', 'hash', '-a', 'md5', '--progress', '-o', '/dev/null', '$d'],
                   capture_output=True)
assert r.returncode == 0, r.returncode
el = time.monotonic() - t
assert b'\\r' not in r.stderr and b'\\033' not in r.stderr, r.stderr[:300]
n = sum(1 for l in r.stderr.split(b'\\n') if l.startswith(b'hash: '))
assert 1 <= n <= el / 5 + 2, (n, el)"
}

c_clean_stderr() {
    run "$BIN" hash -j 2 $SMALL
    is_rc 0 && is_empty "$T/err" && [ "$(wc -l <"$T/out")" -eq 7 ] || {
        why "expected 6 records, exit 0 and an empty stderr"
        return 1
    }
}

c_progress() {
    run "$BIN" hash --progress $SMALL
    is_rc 0 || return 1
    esc=$(printf '\033')
    cr=$(printf '\r')
    # not a terminal: plain lines, the last "hash: 6 files  N files/s  T.Ts", no control
    # sequences (a log file is not a terminal)
    tail -n 1 "$T/err" | grep -qE "^hash: 6 files  [0-9]+ files/s  [0-9]+\.[0-9]s\$" &&
        ! grep -q "$cr" "$T/err" && ! grep -q "$esc" "$T/err" || {
        why "unexpected progress output:"
        od -c "$T/err" | head -n 10 >>"$T/why"
        return 1
    }
    # a terminal (script(1) gives it one): one line drawn over itself, ended at the end
    command -v script >/dev/null 2>&1 || return 0
    script -q -e -c "'$BIN' hash --progress -o /dev/null $SMALL" /dev/null >"$T/tty" 2>&1 &&
        tr '\r' '\n' <"$T/tty" | grep -qE "^${esc}\\[Khash: 6 files  [0-9]+ files/s" || {
        why "no progress line drawn in place on a terminal:"
        od -c "$T/tty" | head -n 10 >>"$T/why"
        return 1
    }
}

# a narrow terminal (20 columns): the line is cut under the width, so that it never wraps (a
# wrapped line is not drawn over itself: each update left rows behind)
c_progress_width() {
    command -v script >/dev/null 2>&1 || return 0
    script -q -e -c "stty cols 20; '$BIN' hash --progress -o /dev/null $SMALL" /dev/null \
        >"$T/tty" 2>&1 || return 1
    /usr/bin/python3 -c "
import re, sys
d = open('$T/tty', 'rb').read()
seg = [s for s in re.split(rb'\r\x1b\[K', d)[1:] if s.strip()]
assert seg, d[:300]
for s in seg:
    s = s.split(b'\r')[0].split(b'\n')[0]
    assert len(s.decode()) <= 19, (len(s), s)
assert any(s.startswith(b'hash: 6 files') for s in seg), seg" || {
        why "a line over 19 columns drawn on a 20-column terminal:"
        od -c "$T/tty" | head -n 10 >>"$T/why"
        return 1
    }
}

# the walk of a folder on a terminal: the files found so far, before the hashing's lines (a
# tree of millions of files takes a minute to list; nothing was drawn meanwhile)
c_progress_walk() {
    command -v script >/dev/null 2>&1 || return 0
    mkdir -p "$T/walk/a" && cp $SMALL "$T/walk/a/" || return 1
    script -q -e -c "'$BIN' hash -o /dev/null '$T/walk'" /dev/null >"$T/tty" 2>&1 || return 1
    tr '\r' '\n' <"$T/tty" | grep -q "^$(printf '\033')\\[Khash: listing files, 1 found" || {
        why "no line while the folder was listed:"
        od -c "$T/tty" | head -n 10 >>"$T/why"
        return 1
    }
}

# a line as each group of files is done, not each batch of 256 files a thread: 10 photos of
# 16 MB on one thread are groups of 5 (64 MiB), so "5/10" is drawn before the end
c_progress_groups() {
    big=$SHARED/photos/dev/mate-backgrounds__abstract_Elephants_5640x3172.jpg
    command -v script >/dev/null 2>&1 && [ -f "$big" ] || return 0
    mkdir -p "$T/groups" && for i in 0 1 2 3 4 5 6 7 8 9; do
        ln -sf "$big" "$T/groups/p$i.jpg" || return 1
    done
    script -q -e -c "'$BIN' hash -j 1 -a md5,pdq -o /dev/null '$T/groups'" /dev/null \
        >"$T/tty" 2>&1 || return 1
    tr '\r' '\n' <"$T/tty" | grep -q "^$(printf '\033')\\[Khash: 5/10 files" || {
        why "no line before the batch of 10 was done:"
        od -c "$T/tty" | head -n 10 >>"$T/why"
        return 1
    }
}

# --progress of fetch and inventory into a file: plain lines too (scan, merge and verify:
# scan.sh, sign.sh)
c_progress_other() {
    printf 'not a url\nalso not\n' >"$T/bad-urls.txt"
    run "$BIN" fetch --progress -o /dev/null "$T/bad-urls.txt"
    # a list whose size is known: the share of it done (the ETA once it is under way); the
    # last line, the count and the time
    is_rc 1 && grep -qx "fetch: 0 URLs  0 URLs/s  0%" "$T/err" &&
        grep -qE "^fetch: 2 URLs  [0-9]+ URLs/s  [0-9.]+s\$" "$T/err" &&
        ! grep -q "$(printf '\r')" "$T/err" && ! grep -q "$(printf '\033')" "$T/err" || {
        why "fetch --progress:"
        od -c "$T/err" | head -n 10 >>"$T/why"
        return 1
    }
    mkdir -p "$T/inv" && cp $SMALL "$T/inv/" && printf 'x' >"$T/inv/model.safetensors"
    run "$BIN" inventory --progress -a -o /dev/null "$T/inv"
    grep -qE "^inventory: ([0-9]+)/\1 files, " "$T/err" &&
        ! grep -q "$(printf '\r')" "$T/err" && ! grep -q "$(printf '\033')" "$T/err" || {
        why "inventory --progress:"
        od -c "$T/err" | head -n 10 >>"$T/why"
        return 1
    }
}

SAMPLE_TESTS="c_mk_repro:datavet-mksample output is deterministic
c_tsv:hash (tsv): exact header, one record per file in sorted order, 11 fields
c_good_decode:hash: every sample image decodes except the 2 broken files
c_csv:hash -f csv: RFC 4180 records equal the tsv records
c_jsonl:hash -f jsonl: one JSON object per file, same values as tsv
c_jobs:hash -j 1 and -j 4: byte-identical stdout and stderr
c_simd:hash: same records with every available DV_SIMD path
c_jobs_zero:hash -j 0: a usage error or the same records as -j 1
c_output:hash -o FILE: same records, FILE has mode 0600, nothing on stdout
c_output_inside:hash -o FILE or > FILE inside the walked folder: not hashed; -o PATH: refused
c_output_bad:hash -o into a missing directory: exit 2 (a failure) with a message
c_stdin:hash - (paths on stdin) gives the same records as arguments
c_walk:hash DIR walks recursively in sorted (strcmp) order
c_errors:hash: missing, truncated, empty and non-image files give error records, stderr lines, exit 1
c_quiet:hash -q: error lines only, no summary
c_algo_md5:hash --algo md5 (and sha256,sha1): only those columns
c_md5:hash: md5 column equals md5sum
c_sha1:hash: sha1 column equals sha1sum
c_sha256:hash: sha256 column equals sha256sum
c_dihedral:hash --dihedral: 7 more pdq_* columns, the rest unchanged
c_dihedral_match:hash --dihedral: rotated and mirrored copies match the matching variant
c_max_pixels:hash --max-pixels 1000: larger images fail with a message naming the limit
c_max_bytes:hash --max-bytes 1k: larger files fail with a message naming the limit
c_fast:hash --fast: PDQ of big JPEGs within 31 bits of the exact hash
c_names:hash: odd file names are escaped in tsv, quoted in csv, escaped in jsonl
c_names_utf8:hash: a file name that is not UTF-8 is kept in tsv, has U+FFFD in jsonl
c_clean_stderr:hash: a clean run to a non-terminal stderr prints nothing on stderr
c_progress:hash --progress: plain lines on a non-terminal stderr, drawn in place on a terminal
c_progress_other:fetch and inventory --progress: plain lines on a non-terminal stderr
c_progress_rate:hash --progress: a line at most every 5 s over 30,000 files, not a terminal
c_progress_width:hash --progress on a 20-column terminal: the line cut to 19 columns
c_progress_walk:hash of a folder on a terminal: the files found while it is listed
c_progress_groups:hash -j 1 of 10 large photos on a terminal: a line after each group of 5"

# Run each "func:name" line of $1, or print a SKIP line for each with reason $2.
run_list() {
    printf '%s\n' "$1" >"$T/list.txt"
    while IFS=: read -r fn desc; do
        if [ -n "$2" ]; then skipped "$desc" "$2"; else t "$desc" "$fn" </dev/null; fi
    done <"$T/list.txt"
}

if [ "$have_sample" = 1 ]; then
    run_list "$SAMPLE_TESTS" ""
elif [ -x "$MK" ]; then
    run_list "$SAMPLE_TESTS" "datavet-mksample failed"
else
    run_list "$SAMPLE_TESTS" "$MK not built"
fi

# ---------------------------------------------------------------- conformance with ../shared

# pdq_csv EXPECTED_CSV [OPTIONS]: hash,quality,path of each image as datavet gives it.
pdq_vs() {
    exp=$1
    shift
    cut -d , -f 3 "$exp" | sed "s|^pdq/|$SHARED/pdq/|" >"$T/list"
    runin "$T/list" "$BIN" hash -a pdq -f csv -j 2 "$@" -
    is_rc 0 && is_empty "$T/err" || return 1
    awk -F , -v p="$SHARED/" 'NR > 1 { print $6 "," $7 "," substr($1, length(p) + 1) }' "$T/out" \
        >"$T/got"
    same "$exp" "$T/got"
}

c_pdq_full() { pdq_vs "$SHARED/pdq/expected/cpp-core-fullsize-no-preresize.csv"; }
c_pdq_preresize() { pdq_vs "$SHARED/pdq/expected/cpp-ref-pdq.csv" --pdq-preresize512; }

c_pdq_dihedral() {
    exp=$SHARED/pdq/expected/cpp-ref-pdqdih-across.csv
    cut -d , -f 10 "$exp" | sed "s|^pdq/|$SHARED/pdq/|" >"$T/list"
    runin "$T/list" "$BIN" hash -a pdq -f csv -j 2 --dihedral --pdq-preresize512 -
    is_rc 0 && is_empty "$T/err" || return 1
    awk -F , -v p="$SHARED/" 'NR > 1 { print $6 "," $8 "," $9 "," $10 "," $11 "," $12 "," $13 "," \
        $14 "," $7 "," substr($1, length(p) + 1) }' "$T/out" >"$T/got"
    same "$exp" "$T/got"
}

c_pdq_preresized_png() {
    man=$SHARED/pdq/preresized/MANIFEST.csv
    tail -n +2 "$man" | cut -d , -f 1 | sed "s|^|$SHARED/pdq/|" >"$T/list"
    runin "$T/list" "$BIN" hash -a pdq -f csv -
    is_rc 0 && is_empty "$T/err" || return 1
    tail -n +2 "$man" | cut -d , -f 1,6,7 >"$T/exp"
    awk -F , -v p="$SHARED/pdq/" 'NR > 1 { print substr($1, length(p) + 1) "," $6 "," $7 }' "$T/out" \
        >"$T/got"
    same "$T/exp" "$T/got"
}

SHARED_TESTS="c_pdq_full:PDQ of pdq/data equals cpp-core-fullsize-no-preresize.csv (hash and quality)
c_pdq_preresize:--pdq-preresize512 equals cpp-ref-pdq.csv (hash and quality)
c_pdq_dihedral:--dihedral --pdq-preresize512 equals cpp-ref-pdqdih-across.csv
c_pdq_preresized_png:PDQ of pdq/preresized PNGs equals their cli_ref_hash"

if [ -f "$SHARED/pdq/expected/cpp-core-fullsize-no-preresize.csv" ]; then
    run_list "$SHARED_TESTS" ""
else
    run_list "$SHARED_TESTS" "../shared absent"
fi

[ "$skip" -gt 0 ] && echo "cli: $skip skipped"
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
