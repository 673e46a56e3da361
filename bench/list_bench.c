/* list_bench.c - dv_list_find on lists of N entries (MD5 and URL), with the hash index that
 * dv_list_open builds against the binary search (the same list, its index dropped), in one run:
 * nanoseconds a lookup and the ratio. Half the queries are entries, half are not (a metadata
 * scan mostly asks about keys that are absent). */
#include "bench_clock.h"
#include "datavet.h"
#include "match/list_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

/* URL i of a list (or, with salt, of the queries that are not in it) */
static size_t url_of(uint64_t i, uint64_t salt, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "https://cdn%llu.images-example.com/uploads/%016llx/%llu.jpg",
                            (unsigned long long)(i % 997),
                            (unsigned long long)(i * 0x9E3779B97F4A7C15ull ^ salt),
                            (unsigned long long)i);
}

static double run(const dv_list *l, const uint8_t *q, const size_t *qlen, size_t stride, size_t nq,
                  long *found)
{
    double t = bench_now();
    long f = 0;
    for (size_t i = 0; i < nq; i++) f += dv_list_find(l, q + i * stride, qlen[i]) >= 0;
    *found = f;
    return (bench_now() - t) / (double)nq * 1e9;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, nq = 2000000;
    int rounds = 3, opt;
    while ((opt = getopt(argc, argv, "n:q:r:")) != -1) {
        if (opt == 'n') n = strtoull(optarg, NULL, 10);
        else if (opt == 'q') nq = strtoull(optarg, NULL, 10);
        else if (opt == 'r') rounds = atoi(optarg);
        else {
            fprintf(stderr, "usage: list_bench [-n ENTRIES] [-q QUERIES] [-r ROUNDS]\n");
            return 2;
        }
    }
    printf("list_bench: %zu entries, %zu queries (half present), one thread, best of %d\n", n,
           nq, rounds);
    for (int type = 0; type < 2; type++) {
        const size_t stride = type == 0 ? 16 : 96;
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        uint8_t *q = malloc(nq * stride), *buf;
        size_t *qlen = malloc(nq * sizeof *qlen), len;
        dv_list *l, *bs;
        char err[256];
        uint64_t s = 42;
        double best[2] = {1e30, 1e30};
        long found[2] = {0, 0};
        if (!b || !q || !qlen) return 1;
        for (size_t i = 0; i < n; i++) {
            uint8_t k[96];
            size_t kl = 16;
            if (type == 0) {
                uint64_t a = rng(&s) ^ rng(&s) << 32, c = rng(&s) ^ rng(&s) << 32;
                memcpy(k, &a, 8);
                memcpy(k + 8, &c, 8);
            } else {
                kl = url_of(i, 0, (char *)k, sizeof k);
            }
            if (dv_list_builder_add(b, type == 0 ? DV_HT_MD5 : DV_HT_URL, k, kl, NULL, NULL, -1) !=
                DV_OK)
                return 1;
        }
        if (dv__list_builder_to_buffer(b, &(dv_list_meta){"bench", "1", "list_bench"}, 1, &buf,
                                       &len, NULL) != DV_OK ||
            dv_list_open_buffer(buf, len, &l, err, sizeof err) != DV_OK ||
            dv_list_open_buffer(buf, len, &bs, err, sizeof err) != DV_OK)
            return 1;
        dv__list_drop_index(bs);
        for (size_t i = 0; i < nq; i++) {
            uint64_t e = rng(&s) % n;
            if (type == 0) {
                dv_list_entry en;
                if (i % 2 == 0 && dv_list_get_entry(l, e, &en) == DV_OK) {
                    memcpy(q + i * stride, en.key, 16);
                } else {
                    uint64_t a = rng(&s) ^ rng(&s) << 32, c = rng(&s);
                    memcpy(q + i * stride, &a, 8);
                    memcpy(q + i * stride + 8, &c, 8);
                }
                qlen[i] = 16;
            } else {
                qlen[i] = url_of(e, i % 2 ? 0x5A5A : 0, (char *)q + i * stride, stride);
            }
        }
        for (int r = 0; r < rounds; r++) {
            double a = run(l, q, qlen, stride, nq, &found[0]);
            double c = run(bs, q, qlen, stride, nq, &found[1]);
            if (a < best[0]) best[0] = a;
            if (c < best[1]) best[1] = c;
        }
        printf("%-4s hash index %7.1f ns/lookup, binary search %7.1f ns/lookup: %.2fx "
               "(found %ld / %ld)\n",
               type == 0 ? "md5" : "url", best[0], best[1], best[1] / best[0], found[0],
               found[1]);
        if (found[0] != found[1]) {
            fprintf(stderr, "list_bench: the two lookups disagree\n");
            return 1;
        }
        dv_list_close(l);
        dv_list_close(bs);
        free(buf);
        free(q);
        free(qlen);
        dv_list_builder_free(b);
    }
    return 0;
}
