#!/bin/sh
# neighbors.sh - datavet neighbors vs FAISS IndexFlatIP (neighbors_faiss.py), plus usage errors.
# Usage: neighbors.sh DATAVET
set -eu
DV=$1
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
set +e
"$DV" neighbors -o "$W/x" >/dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || { echo "FAIL: usage error should exit 2, got $rc"; exit 1; }
if ! /usr/bin/python3 -c "import faiss, numpy" 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 cannot import faiss and numpy (apt-get install python3-faiss)"
    exit 0
fi
/usr/bin/python3 "$HERE/neighbors_faiss.py" "$DV" "$W"
