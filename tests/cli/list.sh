#!/bin/sh
# list.sh - golden CLI tests for `datavet list build|info|diff`: exact stdout, stderr and exit status.
# Usage: sh tests/cli/list.sh BIN (ctest passes the built datavet). Inputs are written here, in a
# temporary directory. Prints "ok - NAME" / "not ok - NAME" per check, then "list: N passed, M failed".

if [ $# -ne 1 ]; then
    echo "usage: sh tests/cli/list.sh BIN" >&2
    exit 2
fi
case $1 in /*) BIN=$1 ;; *) BIN=$(pwd)/$1 ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LC_ALL=C
export LC_ALL
unset SOURCE_DATE_EPOCH

[ -x "$BIN" ] || {
    echo "list.sh: $BIN is not executable" >&2
    exit 2
}
T=$(mktemp -d "${TMPDIR:-/tmp}/datavet-list.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 2

# ---------------------------------------------------------------- harness

pass=0
fail=0

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

run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

runin() {
    f=$1
    shift
    "$@" <"$f" >"$T/out" 2>"$T/err"
    rc=$?
}

why() { printf '%s\n' "$@" >>"$T/why"; }

is_rc() {
    [ "$rc" -eq "$1" ] && return 0
    why "exit status $rc, expected $1; stderr:"
    head -n 10 "$T/err" >>"$T/why"
    return 1
}

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

has_line() {
    grep -qxF -- "$2" "$1" && return 0
    why "expected $1 to have the line: $2" "got:"
    head -n 10 "$1" >>"$T/why"
    return 1
}

# same_err LINE: stderr is exactly LINE
same_err() {
    printf '%s\n' "$1" >"$T/exp_err"
    same "$T/exp_err" "$T/err"
}

lacks() {
    grep -qF -- "$2" "$1" || return 0
    why "expected $1 not to contain: $2"
    return 1
}

doc_section() {
    awk -v cmd="$1" '
        /^## / { on = ($0 == "## datavet " cmd); next }
        on { gsub(/`/, ""); print }
    ' "$SRC/docs/datavet.1.md"
}

strip_heading() { sed '1{/^## datavet /d;}' "$1"; }

# ---------------------------------------------------------------- fixtures

MD5_A=d41d8cd98f00b204e9800998ecf8427e
MD5_B=900150983cd24fb0d6963f7d28e17f72
MD5_C=f96b697d7cb7938d525a2f31aaf161d0
SHA1_A=a9993e364706816aba3e25717850c26c9cd0d89d
PDQ_A=d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22
PDQ_B=e4cc89d91c623842f8d1f1d9a398e78c9f199a3bf87925f2b7e11e0bf061b064
# SHA-256 of the sorted entries as docs/dvl-format.md defines it (checked against Python)
DIGEST_AB=36cdd37cbfa5d21883dba028da4b9e9626c7bcd8d408f08a9c806b0e6a0526e7
DIGEST_PDQ=789c0f35e46a8f17d451470bd717b74cc34640ca1ae1dfb64f41260d992ad9dd

printf '%s\n%s\n' $MD5_A $MD5_B >two.txt
printf 'md5,id\r\n%s,\r\n%s,\r\n%s,\r\n' $MD5_B $MD5_A $MD5_B >two.csv
printf '# list\n%s\n\nnot-a-hash\n%s\n%s\n%s0\n' $MD5_A $MD5_B $MD5_A $MD5_C >bad.txt
printf '%s,100,a.jpg\n%s,40,b.jpg\n' $PDQ_A $PDQ_B >pdq.txt
printf '%s\n%s\n' $MD5_A $SHA1_A >mixed.txt
printf '%s\n%s\n%s\n' $MD5_B $MD5_C ffffffffffffffffffffffffffffffff >new.txt
printf 'HTTP://Example.COM:80/a b#x\nhttps://example.org\n' >urls.txt

# ---------------------------------------------------------------- usage and help

c_help() {
    doc_section list >"$T/doc"
    [ -s "$T/doc" ] || {
        why "no '## datavet list' section in docs/datavet.1.md"
        return 1
    }
    run "$BIN" help list
    strip_heading "$T/out" >"$T/got"
    is_rc 0 && is_empty "$T/err" && same "$T/doc" "$T/got" || return 1
    for args in "list --help" "list -h" "list build --help" "list info --help" "list diff -h"; do
        # shellcheck disable=SC2086
        run "$BIN" $args
        strip_heading "$T/out" >"$T/got"
        is_rc 0 && is_empty "$T/err" && same "$T/doc" "$T/got" || return 1
    done
}
t "help list, list --help and list SUB --help print the docs/datavet.1.md section" c_help

c_in_usage() {
    run "$BIN" --help
    has_line "$T/out" "   list       build, describe and compare hash lists (.dvl)"
}
t "list is in the command table" c_in_usage

c_nosub() {
    run "$BIN" list
    printf '%s\n' "datavet list: missing subcommand (build, info or diff)" \
        "usage: datavet list build -o OUT.dvl [options] INPUT..." \
        "       datavet list info FILE.dvl" "       datavet list diff [-q] [--progress] OLD.dvl NEW.dvl" \
        "Try 'datavet list --help'." >"$T/exp"
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err" || return 1
    run "$BIN" list frob
    printf '%s\n' "datavet list: 'frob' is not a list subcommand (build, info or diff)" \
        "usage: datavet list build -o OUT.dvl [options] INPUT..." \
        "       datavet list info FILE.dvl" "       datavet list diff [-q] [--progress] OLD.dvl NEW.dvl" \
        "Try 'datavet list --help'." >"$T/exp"
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err"
}
t "list without or with an unknown subcommand: exit 2" c_nosub

# bad_usage EXPECTED_FIRST_LINE ARGS...: exit 2, nothing on stdout, the line then the hint.
bad_usage() {
    bu_line=$1
    shift
    run "$BIN" list "$@"
    is_rc 2 && is_empty "$T/out" && has_line "$T/err" "$bu_line" &&
        has_line "$T/err" "Try 'datavet list --help'." || return 1
    [ ! -e out.dvl ] || {
        why "out.dvl was written"
        return 1
    }
}

c_usage() {
    bad_usage "datavet list build: no output file (-o NAME.dvl)" build two.txt &&
        bad_usage "datavet list build: no input (give files, or - for stdin)" build -o out.dvl &&
        bad_usage "datavet list build: - (stdin) given more than once" build -o out.dvl - - &&
        bad_usage "datavet list info: give one .dvl file" info &&
        bad_usage "datavet list info: give one .dvl file" info a b &&
        bad_usage "datavet list diff: give two .dvl files: OLD NEW" diff a &&
        bad_usage "Try 'datavet list --help'." build --frob -o out.dvl two.txt || return 1
    run "$BIN" list build --type md4 -o out.dvl two.txt
    is_rc 2 && has_line "$T/err" "datavet list build: bad --type 'md4' (md5, sha1, sha256, pdq, url, url-md5, url-sha1 or url-sha256)" || return 1
    run "$BIN" list build --type none -o out.dvl two.txt
    is_rc 2 || return 1
    run "$BIN" list build --max-bytes 0 -o out.dvl two.txt
    is_rc 2 && has_line "$T/err" "datavet list build: --max-bytes 0: not an integer of 1 or more (K, M, G: 1024s)"
}
t "usage errors: exit 2, nothing written" c_usage

# ---------------------------------------------------------------- build and info

c_build() {
    SOURCE_DATE_EPOCH=0 run "$BIN" list build -o two.dvl --name "Test list" --version 7 \
        --source hotline two.txt
    cat >"$T/exp" <<EOF
datavet list build: two.txt: lines 2, entries 2, bad lines 0
datavet list build: wrote two.dvl: type md5, entries 2, duplicates merged 0, bad lines skipped 0
datavet list build: digest $DIGEST_AB
EOF
    is_rc 0 && is_empty "$T/out" && same "$T/exp" "$T/err" || return 1
    mode=$(stat -c %a two.dvl 2>/dev/null || stat -f %Lp two.dvl)
    [ "$mode" = 600 ] || {
        why "mode $mode, expected 600"
        return 1
    }
    [ "$(ls -A | grep -c tmp)" -eq 0 ] || {
        why "a temporary file was left: $(ls -A)"
        return 1
    }
}
t "build: summary on stderr, nothing on stdout, mode 0600" c_build

c_info() {
    run "$BIN" list info two.dvl
    cat >"$T/exp" <<EOF
format: dvl 1
type: md5
entries: 2
with id: 0
with label: 0
name: Test list
version: 7
source: hotline
created: 1970-01-01T00:00:00Z (0)
digest: $DIGEST_AB
EOF
    is_rc 0 && is_empty "$T/err" && same "$T/exp" "$T/out"
}
t "info: header fields and digest" c_info

c_reproducible() {
    # same entries from another format, order and with duplicates: the same bytes
    SOURCE_DATE_EPOCH=0 run "$BIN" list build -q -o csv.dvl --name "Test list" --version 7 \
        --source hotline two.csv
    is_rc 0 && is_empty "$T/err" && same two.dvl csv.dvl || return 1
    SOURCE_DATE_EPOCH=0 runin two.txt "$BIN" list build -q -o stdin.dvl --name "Test list" \
        --version 7 --source hotline -
    is_rc 0 && same two.dvl stdin.dvl
}
t "SOURCE_DATE_EPOCH: the same entries give byte-identical files (CSV, stdin)" c_reproducible

c_dups_and_bad() {
    run "$BIN" list build -o bad.dvl bad.txt
    cat >"$T/exp" <<EOF
datavet list build: warning: bad.txt:4: not a hex hash or a URL (bad character at position 1)
datavet list build: warning: bad.txt:7: 33 hex digits: not an MD5 (32), SHA-1 (40) or SHA-256/PDQ (64) hash
datavet list build: bad.txt: lines 7, entries 3, bad lines 2
datavet list build: wrote bad.dvl: type md5, entries 2, duplicates merged 1, bad lines skipped 2
datavet list build: digest $DIGEST_AB
EOF
    is_rc 0 && is_empty "$T/out" && same "$T/exp" "$T/err"
}
t "bad lines are skipped with FILE:LINE: reason, duplicates merged" c_dups_and_bad

c_strict() {
    run "$BIN" list build --strict -o strict.dvl bad.txt
    cat >"$T/exp" <<EOF
datavet list build: bad.txt:4: not a hex hash or a URL (bad character at position 1)
datavet list build: stopped at the first bad line (--strict); nothing written
EOF
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err" || return 1
    [ ! -e strict.dvl ] || {
        why "strict.dvl was written"
        return 1
    }
}
t "--strict: the first bad line fails the build, nothing written" c_strict

# a list whose entries changed after it was written (a key bit flipped, sort order kept): list
# info, list diff and match refuse it, naming the file, rather than vouch for its digest
c_tampered() {
    run "$BIN" list build -q -o tam.dvl two.txt
    is_rc 0 || return 1
    /usr/bin/python3 -c "
import struct
b = bytearray(open('tam.dvl', 'rb').read())
off = struct.unpack_from('<Q', b, 80 + 16)[0]
b[off + 16 + 15] ^= 0x01
open('tam.dvl', 'wb').write(b)
"
    msg="tam.dvl: its entries do not give the digest in its header (changed or damaged after it was written): build the list again"
    run "$BIN" list info tam.dvl
    is_rc 2 && is_empty "$T/out" && has_line "$T/err" "datavet list info: $msg" || return 1
    run "$BIN" list diff tam.dvl tam.dvl
    is_rc 2 && has_line "$T/err" "datavet list diff: $msg" || return 1
    printf 'path\tmd5\n' >empty.tsv
    run "$BIN" match -l tam.dvl empty.tsv
    is_rc 2 && has_line "$T/err" "datavet match: $msg"
}
t "a list changed after it was written: refused by list info, list diff and match" c_tampered

# 64 hex digits alone: SHA-256 or PDQ? Not guessed (a PDQ list read as SHA-256 matches nothing)
c_ambiguous64() {
    printf '# hashes\n%064d\n%063d1\n' 0 0 >h64.txt
    run "$BIN" list build -o h64.dvl h64.txt
    cat >"$T/exp" <<EOF
datavet list build: h64.txt:2: 64 hex digits are a SHA-256 or a PDQ hash, and nothing says which: give the list's type (list build --type sha256 or --type pdq), a header naming the column, or PDQ's hash,quality form
EOF
    is_rc 2 && is_empty "$T/out" && same "$T/exp" "$T/err" || return 1
    [ ! -e h64.dvl ] || {
        why "h64.dvl was written"
        return 1
    }
    for ty in sha256 pdq; do
        run "$BIN" list build -q --type $ty -o h64.dvl h64.txt
        is_rc 0 || return 1
        run "$BIN" list info h64.dvl
        has_line "$T/out" "type: $ty" && has_line "$T/out" "entries: 2" || return 1
    done
    printf 'sha256\n%064d\n' 0 >h64.csv
    run "$BIN" list build -q -o h64c.dvl h64.csv
    is_rc 0 && run "$BIN" list info h64c.dvl && has_line "$T/out" "type: sha256"
}
t "64 hex digits need a type: refused without one, sha256 or pdq with --type or a header" c_ambiguous64

# nothing but bad lines (a wrong --type, most likely) is not a list; an empty input still is
c_all_bad() {
    printf 'abc x\n0123456789abcdef0123456789abcdef0123456789\n' >allbad.txt
    run "$BIN" list build -q -t md5 -o allbad.dvl allbad.txt
    is_rc 2 && is_empty "$T/out" &&
        has_line "$T/err" "datavet list build: no entries, 2 bad lines (is --type or the format wrong?); nothing written" ||
        return 1
    [ ! -e allbad.dvl ] || {
        why "allbad.dvl was written"
        return 1
    }
    : >none.txt
    run "$BIN" list build -q -t md5 -o none.dvl none.txt
    is_rc 0 && [ -s none.dvl ]
}
t "a build of nothing but bad lines fails, nothing written; an empty input makes an empty list" c_all_bad

c_mixed() {
    run "$BIN" list build -o mixed.dvl mixed.txt
    is_rc 2 && has_line "$T/err" "datavet list build: mixed.txt:2: a sha1 hash in a md5 list: a list has one hash type (--type picks one and skips the others)" ||
        return 1
    [ ! -e mixed.dvl ] || return 1
    run "$BIN" list build -q --type sha1 -o mixed.dvl mixed.txt
    is_rc 0 && is_empty "$T/err" || return 1
    run "$BIN" list info mixed.dvl
    has_line "$T/out" "type: sha1" && has_line "$T/out" "entries: 1"
}
t "mixed types fail; --type keeps one" c_mixed

c_pdq() {
    SOURCE_DATE_EPOCH=0 run "$BIN" list build -o pdq.dvl pdq.txt
    is_rc 0 && has_line "$T/err" "datavet list build: digest $DIGEST_PDQ" || return 1
    run "$BIN" list info pdq.dvl
    is_rc 0 && has_line "$T/out" "type: pdq" && has_line "$T/out" "entries: 2"
}
t "ThreatExchange PDQ text: a pdq list with its digest" c_pdq

c_urls() {
    run "$BIN" list build -q -o urls.dvl urls.txt
    is_rc 0 || return 1
    run "$BIN" list info urls.dvl
    is_rc 0 && has_line "$T/out" "type: url" && has_line "$T/out" "entries: 2" || return 1
    run "$BIN" list build -q --type url-sha256 -o urlh.dvl urls.txt
    is_rc 0 || return 1
    run "$BIN" list info urlh.dvl
    has_line "$T/out" "type: url-sha256" && has_line "$T/out" "entries: 2"
}
t "URL lists and URL-hash lists" c_urls

c_never_entries() {
    # no subcommand prints a key, an id or a URL from the list
    for f in "$T"/out "$T"/err; do : >"$f"; done
    : >"$T/all"
    for args in "info two.dvl" "info pdq.dvl" "info urls.dvl" "diff two.dvl bad.dvl" \
        "build -o x.dvl bad.txt" "build --strict -o x.dvl bad.txt"; do
        # shellcheck disable=SC2086
        "$BIN" list $args >>"$T/all" 2>&1
    done
    lacks "$T/all" $MD5_A && lacks "$T/all" $MD5_B && lacks "$T/all" d41d8cd98f &&
        lacks "$T/all" $PDQ_A && lacks "$T/all" example.com && lacks "$T/all" $MD5_C
}
t "lists are never echoed: no key or URL on stdout or stderr" c_never_entries

c_quiet() {
    run "$BIN" list build -q -o q.dvl bad.txt
    is_rc 0 && is_empty "$T/out" && is_empty "$T/err"
}
t "-q: nothing on stderr" c_quiet

# ---------------------------------------------------------------- diff

c_diff() {
    run "$BIN" list build -q -o new.dvl new.txt
    is_rc 0 || return 1
    run "$BIN" list diff two.dvl new.dvl
    cat >"$T/exp" <<EOF
type: md5
old entries: 2
new entries: 3
added: 2
retracted: 1
unchanged: 1
EOF
    is_rc 0 && is_empty "$T/err" && same "$T/exp" "$T/out" || return 1
    run "$BIN" list diff two.dvl two.dvl
    is_rc 0 && has_line "$T/out" "added: 0" && has_line "$T/out" "retracted: 0"
}
t "diff: added, retracted and unchanged counts; exit 0 whether the lists differ or not" c_diff

c_diff_types() {
    run "$BIN" list diff two.dvl pdq.dvl
    is_rc 2 && is_empty "$T/out" &&
        has_line "$T/err" "datavet list diff: OLD is a md5 list and NEW a pdq list: nothing to compare"
}
t "diff of lists of different types: exit 2" c_diff_types

c_full() {
    [ -w /dev/full ] || { echo "# /dev/full missing: skipped"; return 0; }
    "$BIN" list diff two.dvl new.dvl >/dev/full 2>"$T/err"
    rc=$?
    is_rc 2 && has_line "$T/err" "datavet list diff: write failed: No space left on device" || return 1
    "$BIN" list info two.dvl >/dev/full 2>"$T/err"
    rc=$?
    is_rc 2 && has_line "$T/err" "datavet list info: write failed: No space left on device"
}
t "info and diff: a failed write to stdout is exit 2, named" c_full

# ---------------------------------------------------------------- failures

c_corrupt() {
    head -c 100 two.dvl >cut.dvl
    run "$BIN" list info cut.dvl
    is_rc 2 && is_empty "$T/out" &&
        has_line "$T/err" "datavet list info: cut.dvl: header truncated: the file is 100 bytes, the header needs 192" ||
        return 1
    printf 'hello, world\n' >text.dvl
    run "$BIN" list info text.dvl
    is_rc 2 && has_line "$T/err" "datavet list info: text.dvl: not a datavet list: no \"DVLIST\" magic at offset 0 (it looks like text: compile a hash list with 'datavet list build -o LIST.dvl FILE' first, docs/list-formats.md)" ||
        return 1
    # a text list given to scan or match as it came says how to compile it; other bytes do not
    printf '%s\n' d41d8cd98f00b204e9800998ecf8427e >md5.txt
    run "$BIN" match --list md5.txt /dev/null
    is_rc 2 && grep -qF "md5.txt: not a datavet list: no \"DVLIST\" magic at offset 0 (it looks like text: compile a hash list with 'datavet list build" "$T/err" ||
        return 1
    printf '\001\002\003\004\005\006\007\010\011' >bin.dvl
    run "$BIN" list info bin.dvl
    is_rc 2 && has_line "$T/err" "datavet list info: bin.dvl: not a datavet list: no \"DVLIST\" magic at offset 0" ||
        return 1
    # a key byte changed so the keys are out of order
    cp two.dvl flip.dvl
    printf '\377' | dd of=flip.dvl bs=1 seek=256 conv=notrunc 2>/dev/null
    run "$BIN" list info flip.dvl
    is_rc 2 && has_line "$T/err" "datavet list info: flip.dvl: section keys at offset 272: entry 1 is not above entry 0 (keys must be sorted and unique)" ||
        return 1
    run "$BIN" list diff two.dvl missing.dvl
    is_rc 2 && same_err "datavet list diff: missing.dvl: cannot open: No such file or directory" ||
        return 1
    run "$BIN" list info missing.dvl
    is_rc 2 && is_empty "$T/out" &&
        same_err "datavet list info: missing.dvl: cannot open: No such file or directory"
}
t "corrupt, foreign and missing files: exit 2 with the field and offset, said once" c_corrupt

c_read_fail() {
    run "$BIN" list build -o x.dvl nonexistent.txt
    is_rc 2 && has_line "$T/err" "datavet list build: nonexistent.txt: cannot open: No such file or directory" ||
        return 1
    run "$BIN" list build --max-bytes 10 -o x.dvl two.txt
    is_rc 2 && has_line "$T/err" "datavet list build: two.txt: file is 66 bytes, over the limit of 10" ||
        return 1
    runin two.txt "$BIN" list build --max-bytes 10 -o x.dvl -
    is_rc 2 && has_line "$T/err" "datavet list build: <stdin>: input exceeds a configured limit (see --max-bytes)" ||
        return 1
    run "$BIN" list build -o "$T/no/such/dir/x.dvl" two.txt
    is_rc 2 && grep -q "^datavet list build: $T/no/such/dir/x.dvl: cannot create a temporary file next to it: No such file or directory\$" "$T/err" || {
        why "unexpected stderr:"
        cat "$T/err" >>"$T/why"
        return 1
    }
}
t "unreadable input, --max-bytes, unwritable output: exit 2" c_read_fail

c_empty() {
    : >empty.txt
    run "$BIN" list build -o e.dvl empty.txt
    is_rc 2 && has_line "$T/err" "datavet list build: the list is empty and has no hash type: nothing to write" ||
        return 1
    run "$BIN" list build -q --type pdq -o e.dvl empty.txt
    is_rc 0 || return 1
    run "$BIN" list info e.dvl
    has_line "$T/out" "entries: 0" && has_line "$T/out" "type: pdq"
}
t "an empty input: an error without --type, an empty list with it" c_empty

# a list built from datavet hash output takes the paths as labels: a path that is not UTF-8 is
# written as found in TSV and CSV and with U+FFFD in JSONL, and labels are stored as valid
# UTF-8, so the three give the same list (digest included)
c_hash_formats() {
    mkdir hx || return 1
    printf 1 >"hx/a$(printf '\377\376')b"
    printf 2 >"hx/c$(printf '\t')x\\y$(printf '\303')"
    printf 3 >"hx/d$(printf '\303\251')"
    for f in tsv csv jsonl; do
        "$BIN" hash -a md5 -f $f hx >hx.$f 2>/dev/null || { why "hash -f $f"; return 1; }
        run "$BIN" list build -q -o hx-$f.dvl hx.$f
        is_rc 0 || return 1
        "$BIN" list info hx-$f.dvl | grep '^digest: ' >digest-$f
    done
    grep -q "$(printf '\377')" hx.tsv || { why "the TSV lost the bytes"; return 1; }
    cmp -s digest-tsv digest-csv && cmp -s digest-tsv digest-jsonl || {
        why "digests differ:"
        cat digest-tsv digest-csv digest-jsonl >>"$T/why"
        return 1
    }
    # the label as stored: U+FFFD for each ill-formed sequence, the rest as found
    "$BIN" match -q -f jsonl -l hx-tsv.dvl hx.tsv >m.jsonl
    grep -qF '"entry_label":"hx/a'"$(printf '\357\277\275\357\277\275')"'b"' m.jsonl &&
        grep -qF '"entry_label":"hx/c\tx\\y'"$(printf '\357\277\275')"'"' m.jsonl &&
        grep -qF '"entry_label":"hx/d'"$(printf '\303\251')"'"' m.jsonl || {
        why "labels:"
        cat m.jsonl >>"$T/why"
        return 1
    }
}
t "hash output as TSV, CSV or JSONL builds the same list (labels stored as UTF-8)" c_hash_formats

# list info and list diff build no lookup index (16-32 bytes an entry; they look no key up):
# their peak memory is the mapped lists' and little more. Until 2026-12-07 an MD5 list of
# 2x10^6 entries (32 MB) took 33.5 MB more for the index (the peak of list info ~80 MB).
# (ru_maxrss of the child, in KiB)
peak_kib() {
    /usr/bin/python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
c_info_no_index() {
    awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "%032x\n", i }' >big.txt
    awk 'BEGIN { for (i = 1000000; i < 3000000; i++) printf "%032x\n", i }' >big2.txt
    run "$BIN" list build -q -o big.dvl big.txt
    is_rc 0 || return 1
    run "$BIN" list build -q -o big2.dvl big2.txt
    is_rc 0 || return 1
    size=$(($(wc -c <big.dvl) / 1024))
    # (a sanitizer build's shadow memory and quarantine are no measure: peaks not compared)
    asan=0
    grep -qaE '__(asan|tsan)_init' "$BIN" && asan=1
    kib=$(peak_kib "$BIN" list info big.dvl) || { why "list info failed"; return 1; }
    [ "$asan" -eq 1 ] || [ "$kib" -lt $((size + 24 * 1024)) ] ||
        { why "list info: peak $kib KiB for a list of $size KiB"; return 1; }
    kib=$(peak_kib "$BIN" list diff big.dvl big2.dvl) || { why "list diff failed"; return 1; }
    [ "$asan" -eq 1 ] || [ "$kib" -lt $((2 * size + 24 * 1024)) ] ||
        { why "list diff: peak $kib KiB for two lists of $size KiB"; return 1; }
    "$BIN" list diff big.dvl big2.dvl >d.out
    grep -qx 'added: 1000000' d.out && grep -qx 'retracted: 1000000' d.out ||
        { cat d.out >>"$T/why"; return 1; }
}
t "list info and list diff build no lookup index: their memory is the lists'" c_info_no_index

# list build streams each input through a window of a few MiB and holds what its entries are
# (16 bytes an MD5 here), never the text: 2x10^6 random MD5 lines (66 MB) build within the
# list's size + 32 MiB, from a file and from a pipe. Until 2026-12-07 the input was read whole
# and each entry held ~100 bytes: 165 MB for this list of 31 MB.
c_build_streams() {
    awk 'BEGIN { srand(7); for (i = 0; i < 2000000; i++) printf "%08x%08x%08x%08x\n",
        rand() * 4294967296, rand() * 4294967296, rand() * 4294967296, rand() * 4294967296 }' >rand.txt
    SOURCE_DATE_EPOCH=1 run "$BIN" list build -q --name r -o rand.dvl rand.txt
    is_rc 0 || return 1
    size=$(($(wc -c <rand.dvl) / 1024))
    asan=0
    grep -qaE '__(asan|tsan)_init' "$BIN" && asan=1
    kib=$(peak_kib "$BIN" list build -q -o rand2.dvl rand.txt) || { why "list build failed"; return 1; }
    [ "$asan" -eq 1 ] || [ "$kib" -lt $((size + 32 * 1024)) ] ||
        { why "list build: peak $kib KiB for a list of $size KiB"; return 1; }
    kib=$(peak_kib sh -c "cat rand.txt | '$BIN' list build -q -o rand3.dvl -") ||
        { why "list build from a pipe failed"; return 1; }
    [ "$asan" -eq 1 ] || [ "$kib" -lt $((size + 32 * 1024)) ] ||
        { why "list build from a pipe: peak $kib KiB for a list of $size KiB"; return 1; }
    # the same list from the file, the pipe, and the file behind standard input
    SOURCE_DATE_EPOCH=1 "$BIN" list build -q --name r -o rand3.dvl - <rand.txt &&
        cmp -s rand.dvl rand3.dvl || { why "stdin built another list"; return 1; }
    cat rand.txt | SOURCE_DATE_EPOCH=1 "$BIN" list build -q --name r -o rand3.dvl - &&
        cmp -s rand.dvl rand3.dvl || { why "a pipe built another list"; return 1; }
}
t "list build streams its input: its memory is the entries'" c_build_streams

# From a pipe, whose size is not known, the records grow as they come: 10^7 MD5s (a list of
# 156 MiB) build within the list's size + 32 MiB, as from a file. Until 2026-12-08 they grew
# by realloc, which glibc moved to a new mapping past 128 MiB, copying them: 310 MB at the peak
# (179 MB from the file).
c_build_pipe_grows() {
    asan=0
    grep -qaE '__(asan|tsan)_init' "$BIN" && asan=1
    [ "$asan" -eq 0 ] || return 0
    kib=$(peak_kib sh -c "awk 'BEGIN { srand(11); for (i = 0; i < 10000000; i++)
        printf \"%08x%08x%08x%08x\\n\", rand() * 4294967296, rand() * 4294967296,
        rand() * 4294967296, rand() * 4294967296 }' | '$BIN' list build -q -o huge.dvl -") ||
        { why "list build from a pipe failed"; return 1; }
    size=$(($(wc -c <huge.dvl) / 1024))
    rm -f huge.dvl
    [ "$size" -gt $((150 * 1024)) ] || { why "list of $size KiB: entries lost"; return 1; }
    [ "$kib" -lt $((size + 32 * 1024)) ] ||
        { why "list build from a pipe: peak $kib KiB for a list of $size KiB"; return 1; }
}
t "list build from a pipe: 10^7 entries within the list's size + 32 MiB" c_build_pipe_grows

# Line numbers and the reading of a CSV carry on across the window, file or pipe; a line longer
# than the window (4 MiB) is one bad line, and reading goes on at the next.
c_build_window() {
    {
        echo "md5,label"
        awk 'BEGIN { for (i = 0; i < 300000; i++) {
            if (i == 150000) printf "zz,\"open\n"; else printf "%032x,\"l\n%d\"\n", i, i % 7 } }'
        awk 'BEGIN { for (i = 0; i < 5000000; i++) printf "a" }'
        printf '\n%032x,last\n' 999999999
    } >w.csv
    for src in file pipe; do
        if [ $src = file ]; then
            run "$BIN" list build -o w.dvl w.csv
            name=w.csv
        else
            runin w.csv "$BIN" list build -o w.dvl -
            name="<stdin>"
        fi
        is_rc 0 || return 1
        has_line "$T/err" "datavet list build: warning: $name:300002: text after a closing quote" &&
            has_line "$T/err" "datavet list build: warning: $name:600001: record longer than 1 MiB" &&
            has_line "$T/err" "datavet list build: $name: lines 600002, entries 300000, bad lines 2" ||
            return 1
    done
}
t "list build: line numbers across the window; a record longer than it is one bad line" c_build_window

# the progress line: entries, rate, share of a regular file (none of a pipe); --progress on a
# pipe: plain lines, the last at 100%; -q: none; not asked, on a pipe: none. list diff: stages.
c_build_progress() {
    awk 'BEGIN { for (i = 0; i < 300000; i++) printf "%032x\n", i * 7919 }' >pr.txt
    "$BIN" list build --progress -o pr.dvl pr.txt 2>e || return 1
    grep -qE '^list build: pr.txt: 300000 entries, [0-9]+ entries/s, 100%$' e &&
        grep -qx 'list build: writing pr.dvl: 300000 entries' e &&
        ! grep -q "$(printf '\r')" e || { cat e >>"$T/why"; return 1; }
    "$BIN" list build --progress -o pr.dvl - <pr.txt 2>e || return 1
    grep -qE '^list build: <stdin>: 300000 entries, [0-9]+ entries/s, 100%$' e ||
        { cat e >>"$T/why"; return 1; }
    cat pr.txt | "$BIN" list build --progress -o pr.dvl - 2>e || return 1
    grep -qE '^list build: <stdin>: 300000 entries, [0-9]+ entries/s$' e ||
        { cat e >>"$T/why"; return 1; }
    "$BIN" list build -q --progress -o pr.dvl pr.txt 2>e && [ ! -s e ] || { cat e >>"$T/why"; return 1; }
    "$BIN" list build -o pr.dvl pr.txt 2>e && ! grep -q '^list build:' e || { cat e >>"$T/why"; return 1; }
    # the open's check of the keys' order is a stage of its own (until 2026-12-08 none showed)
    "$BIN" list diff --progress pr.dvl pr.dvl >/dev/null 2>e || return 1
    grep -qE '^list diff: opening OLD: 300000 of 300000 entries, [0-9]+ entries/s, 100%$' e &&
        grep -qE '^list diff: opening NEW: 300000 of 300000 entries, [0-9]+ entries/s, 100%$' e &&
        [ "$(sed -n 1p e | cut -d: -f2)" = " opening OLD" ] &&
        grep -qE '^list diff: checking OLD: 300000 of 300000 entries, [0-9]+ entries/s, 100%$' e &&
        grep -qE '^list diff: checking NEW: 300000 of 300000 entries, [0-9]+ entries/s, 100%$' e &&
        grep -qE '^list diff: comparing: 600000 of 600000 entries, [0-9]+ entries/s, 100%$' e ||
        { cat e >>"$T/why"; return 1; }
    "$BIN" list diff -q --progress pr.dvl pr.dvl >/dev/null 2>e && [ ! -s e ] || return 1
    "$BIN" list diff pr.dvl pr.dvl >/dev/null 2>e && [ ! -s e ] || return 1
    command -v script >/dev/null 2>&1 || return 0
    script -qc "'$BIN' list build -o pr.dvl pr.txt" /dev/null >tty 2>&1
    tr '\r' '\n' <tty | grep -qE "^$(printf '\033')\\[Klist build: pr.txt: [0-9]+ entries" &&
        tr '\r' '\n' <tty | grep -q "^$(printf '\033')\\[Kdatavet list build: " || { od -c tty | head >>"$T/why"; return 1; }
    script -qc "'$BIN' list diff pr.dvl pr.dvl" /dev/null >tty 2>&1
    tr '\r' '\n' <tty | grep -qE "^$(printf '\033')\\[Klist diff: comparing: " || { od -c tty | head >>"$T/why"; return 1; }
}
t "list build and list diff: a progress line on a terminal and with --progress, none with -q" c_build_progress

echo "list: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
