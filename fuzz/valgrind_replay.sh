#!/bin/sh
# valgrind_replay.sh - every fuzz corpus replayed under valgrind (memcheck). It sees what the
# sanitizers cannot, such as a FILE used after fclose (glibc frees it internally).
# Usage: valgrind_replay.sh CORPUS_DIR REPLAY_BIN...
# Skips, saying so, where valgrind is not installed (make test installs it).
set -u
corpus=$1
shift
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind not found (apt-get install valgrind); fuzz corpora not replayed under it"
    exit 0
fi
fails=0
n=0
for bin in "$@"; do
    name=${bin##*/replay_}
    n=$((n + 1))
    if ! valgrind -q --error-exitcode=99 --leak-check=no "$bin" "$corpus/$name" >/dev/null 2>"${TMPDIR:-/tmp}/vg_replay_$$.txt"; then
        echo "FAIL: $name under valgrind:"
        head -n 30 "${TMPDIR:-/tmp}/vg_replay_$$.txt"
        fails=$((fails + 1))
    fi
done
rm -f "${TMPDIR:-/tmp}/vg_replay_$$.txt"
echo "$((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
