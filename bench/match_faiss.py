# match_faiss.py - FAISS binary indexes on match_bench's codes, for comparison in the same run.
# Usage: match_faiss.py codes.bin queries.bin n_multihash n_flat radius; prints "key value" lines.
import sys
import time

import faiss
import numpy as np


def main():
    codes_path, queries_path = sys.argv[1], sys.argv[2]
    n_mh, n_flat, radius = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    faiss.omp_set_num_threads(1)  # per-thread figures, as match_bench
    codes = np.fromfile(codes_path, dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(queries_path, dtype=np.uint8).reshape(-1, 32)
    # FAISS binary range_search keeps distances < radius; datavet's radius is inclusive.
    frad = radius + 1

    t0 = time.perf_counter()
    mh = faiss.IndexBinaryMultiHash(256, 16, 16)
    mh.nflip = radius // 16  # 16 slots of 16 bits: 1 flip covers radius 31, as in datavet
    mh.add(codes)
    print("multihash_build_s %.3f" % (time.perf_counter() - t0), flush=True)
    q = np.ascontiguousarray(queries[:n_mh])
    t0 = time.process_time()  # CPU time, as match_bench (one thread)
    lims, _, _ = mh.range_search(q, frad)
    dt = time.process_time() - t0
    print("multihash_qps %.1f %d" % (len(q) / dt, int(lims[-1])), flush=True)
    del mh

    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    q = np.ascontiguousarray(queries[:n_flat])
    t0 = time.process_time()
    lims, _, _ = flat.range_search(q, frad)
    dt = time.process_time() - t0
    print("flat_qps %.1f %d" % (len(q) / dt, int(lims[-1])), flush=True)


if __name__ == "__main__":
    main()
