// refdriver: benchmark peer for datavet's hash_bench --reference (bench/reference/build.sh
// builds it against a checkout of facebook/ThreatExchange; nothing of the reference is in
// this repository). Images are loaded with CImg as upstream pdqio.cpp does.
//
//   refdriver -i            paths on stdin, one a line; full-size core:
//                           CImg load -> loadFloatLumaFromCImg on the full
//                           image -> pdqHash256FromFloatLuma (no pre-resize)
//   refdriver -i --preresize512
//                           upstream CLI behaviour: pdqHash256FromFile
//                           (sides > 512 resized to 512x512 first)
// Output per file: "hash,quality,path" (Hash256::format()), as
// pdq-photo-hasher -i prints it. Unreadable files: message on stderr, exit 1.
#include <pdq/cpp/hashing/pdqhashing.h>
#include <pdq/cpp/io/pdqio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

using namespace facebook::pdq::hashing;
using namespace cimg_library;

static bool hashFullSize(const char* filename, Hash256& hash, int& quality) {
  CImg<uint8_t> input;
  try {
    input.load(filename);
  } catch (const CImgIOException& ex) {
    return false;
  }
  int numRows, numCols;
  float* fullBuffer1 = loadFloatLumaFromCImg(input, numRows, numCols);
  float* fullBuffer2 = new float[numRows * numCols];
  float buffer64x64[64][64];
  float buffer16x64[16][64];
  float buffer16x16[16][16];
  pdqHash256FromFloatLuma(
      fullBuffer1,
      fullBuffer2,
      numRows,
      numCols,
      buffer64x64,
      buffer16x64,
      buffer16x16,
      hash,
      quality);
  delete[] fullBuffer1;
  delete[] fullBuffer2;
  return true;
}

static void usage(const char* argv0) {
  fprintf(stderr, "usage: %s -i [--preresize512] < list-of-paths\n", argv0);
  exit(2);
}

int main(int argc, char* argv[]) {
  bool onStdin = false, pre512 = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--files-on-stdin")) {
      onStdin = true;
    } else if (!strcmp(argv[i], "--preresize512")) {
      pre512 = true;
    } else {
      usage(argv[0]);
    }
  }
  if (!onStdin) {
    usage(argv[0]);
  }
  cimg::exception_mode(0); // CImg: no message boxes / stderr noise on errors

  int rc = 0;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) != -1) {
    if (len > 0 && line[len - 1] == '\n') {
      line[--len] = 0;
    }
    if (len == 0) {
      continue;
    }
    Hash256 hash;
    int quality = 0;
    bool ok;
    if (pre512) {
      int hw;
      float rs, hs;
      ok = pdqHash256FromFile(line, hash, quality, hw, rs, hs);
    } else {
      ok = hashFullSize(line, hash, quality);
    }
    if (!ok) {
      fprintf(stderr, "%s: could not decode \"%s\".\n", argv[0], line);
      rc = 1;
      continue;
    }
    printf("%s,%d,%s\n", hash.format().c_str(), quality, line);
  }
  free(line);
  fflush(stdout);
  return rc;
}
