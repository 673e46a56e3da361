# knn_faiss.py - FAISS IndexFlatIP on knn_bench's data, in the same run, same thread count.
# Usage: knn_faiss.py EMB.npy SEEDS.npy K THREADS IDS_OUT; prints "faiss_s SECONDS".
import sys
import time

import faiss
import numpy as np

emb, seeds, k, threads, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
faiss.omp_set_num_threads(threads)
x = np.load(emb, mmap_mode="r").astype(np.float32)
q = np.load(seeds).astype(np.float32)
index = faiss.IndexFlatIP(x.shape[1])
index.add(x)
del x
t0 = time.perf_counter()
D, I = index.search(q, k)
dt = time.perf_counter() - t0
np.concatenate([I.astype(np.float64), D.astype(np.float64)], axis=1).tofile(out)
print("faiss_s %.3f" % dt, flush=True)
