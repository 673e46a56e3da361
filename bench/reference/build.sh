#!/bin/sh
# Builds refdriver, the reference C++ PDQ as a benchmark peer for
# `hash_bench --reference "refdriver -i"` (docs/performance.md, "Image hashing"). Nothing of the
# reference is in this repository: give the root of a checkout of
# facebook/ThreatExchange (the folder that holds pdq/cpp) and an output path.
#   apt-get install -y g++ cimg-dev libjpeg-dev libpng-dev
#   sh bench/reference/build.sh ~/ThreatExchange /tmp/refdriver
set -e
[ $# -eq 2 ] && [ -d "$1/pdq/cpp" ] || {
    echo "usage: build.sh THREATEXCHANGE_CHECKOUT OUTPUT" >&2
    exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
S="$1/pdq/cpp"
# CImg's in-process codecs: without cimg_use_jpeg it decodes through an ImageMagick child
g++ -std=c++11 -O3 -I"$1" -I"$S" -Dcimg_use_jpeg -Dcimg_use_png -Dcimg_display=0 \
    "$here/refdriver.cpp" \
    "$S/common/pdqhashtypes.cpp" "$S/hashing/pdqhashing.cpp" "$S/hashing/torben.cpp" \
    "$S/downscaling/downscaling.cpp" "$S/io/pdqio.cpp" \
    -o "$2" -ljpeg -lpng -lz -lm -lpthread
