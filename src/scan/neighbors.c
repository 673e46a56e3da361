/* neighbors.c - the scan's expansion stage (scan --neighbors-min-sim): the embedding rows of
 * match-tier items seed an exact inner-product search over every embedding file of the
 * dataset; rows found become candidates, with the seed that found them and the similarity. */
#include "scan_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct seed {
    uint64_t shard, row;
    char *id;
} seed;

typedef struct nb {
    uint64_t shard, row;
    float sim;
    uint32_t seed;
} nb;

static int cmp_nb(const void *x, const void *y)
{
    const nb *a = x, *b = y;
    if (a->shard != b->shard) return a->shard < b->shard ? -1 : 1;
    if (a->row != b->row) return a->row < b->row ? -1 : 1;
    if (a->sim != b->sim) return a->sim > b->sim ? -1 : 1;
    return a->seed < b->seed ? -1 : a->seed > b->seed;
}

static int cmp_u128(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static char *sdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s ? s : "", n);
    return p;
}

void dv__neighbors_free(dv__nbfinding *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        for (int k = 0; k < DV__REC_FINDING_FIELDS; k++) free(f[i].f[k]);
    free(f);
}

/* Seeds and match-tier items from the shard record files. */
static int read_seeds(const char *outdir, uint64_t nshards, seed **seeds, size_t *nseeds,
                      uint64_t **matches, size_t *nmatches, char *err, size_t cap)
{
    size_t cs = 0, cm = 0;
    for (uint64_t i = 0; i < nshards; i++) {
        char path[4096];
        FILE *f;
        char *line = NULL;
        size_t lcap = 0;
        ssize_t n;
        snprintf(path, sizeof path, "%s/shards/%06llu.rec", outdir, (unsigned long long)i);
        f = fopen(path, "r");
        if (!f) {
            dv__set_err(err, cap, "%s: %s", path, strerror(errno));
            return DV_EIO;
        }
        while ((n = dv__rec_getline(&line, &lcap, f)) > 0) {
            char *fl[DV__REC_FINDING_FIELDS + 1];
            uint64_t sh, row;
            if (line[n - 1] == '\n') line[n - 1] = '\0';
            if (line[0] != 'F') continue;
            size_t nf = dv__rec_split(line, fl, DV__REC_FINDING_FIELDS + 1);
            if (nf != DV__REC_FINDING_FIELDS + 1 && nf != DV__REC_FINDING_FIELDS_OLD + 1)
                continue;
            if (strcmp(fl[17], "match") != 0) continue;
            sh = strtoull(fl[3], NULL, 10);
            row = strtoull(fl[4], NULL, 10);
            if (*nmatches == cm) {
                size_t nc = cm ? cm * 2 : 64;
                uint64_t *nm = realloc(*matches, nc * 2 * sizeof(uint64_t));
                if (!nm) goto oom;
                *matches = nm;
                cm = nc;
            }
            (*matches)[2 * *nmatches] = sh;
            (*matches)[2 * *nmatches + 1] = row;
            (*nmatches)++;
            if (strcmp(fl[20], "-1") == 0 || fl[20][0] == '\0') continue;
            if (*nseeds > 0 && (*seeds)[*nseeds - 1].shard == sh && (*seeds)[*nseeds - 1].row == row)
                continue; /* the same item's other finding */
            if (*nseeds == cs) {
                size_t nc = cs ? cs * 2 : 64;
                seed *ns = realloc(*seeds, nc * sizeof(seed));
                if (!ns) goto oom;
                *seeds = ns;
                cs = nc;
            }
            (*seeds)[*nseeds].shard = sh;
            (*seeds)[*nseeds].row = strtoull(fl[20], NULL, 10);
            (*seeds)[*nseeds].id = sdup(fl[1]);
            if (!(*seeds)[*nseeds].id) goto oom;
            (*nseeds)++;
            continue;
        oom:
            free(line);
            fclose(f);
            return DV_ENOMEM;
        }
        free(line);
        fclose(f);
        if (n < -1) {
            dv__set_err(err, cap, "%s: %s", path,
                        n == DV_ETOOBIG ? "a record longer than 4 MiB" : "out of memory");
            return (int)n;
        }
    }
    if (*nmatches > 1) qsort(*matches, *nmatches, 2 * sizeof(uint64_t), cmp_u128);
    return DV_OK;
}

/* the search's progress (one worker at a time) as the merge's */
static void on_knn_progress(void *ctx, uint64_t done, uint64_t total)
{
    dv__mprog *m = ctx;
    m->p.done = done;
    m->p.total = total;
    dv__mprog_emit(m);
}

int dv__neighbors_expand(const char *outdir, const char *dataset, const dv_dataset_opts *dso,
                         uint64_t nshards, float min_sim, size_t k, dv__nbfinding **out,
                         size_t *nout, uint64_t *nseeds_out, uint64_t *nbad_out,
                         unsigned threads, dv__mprog *prog, char *err, size_t cap)
{
    seed *seeds = NULL;
    size_t nseeds = 0, nmatches = 0, nn = 0;
    uint64_t *matches = NULL;
    dv_dataset *ds = NULL;
    dv_knn *kn = NULL;
    dv_knn_opts ko = {0};
    uint64_t *file_shard = NULL, *shard_file = NULL;
    float *sv = NULL;
    dv_knn_hit *hits = NULL;
    size_t nhits = 0;
    nb *nbs = NULL;
    dv__nbfinding *res = NULL;
    int rc;

    *out = NULL;
    *nout = 0;
    *nseeds_out = 0;
    *nbad_out = 0;
    rc = read_seeds(outdir, nshards, &seeds, &nseeds, &matches, &nmatches, err, cap);
    if (rc != DV_OK || nseeds == 0) goto done;
    rc = dv_dataset_open(dataset, dso, &ds, err, cap);
    if (rc != DV_OK) goto done;
    ko.npz_key = dso ? dso->npz_key : NULL;
    ko.threads = threads;
    if (prog && prog->fn) {
        ko.progress = on_knn_progress;
        ko.progress_ctx = prog;
    }
    kn = dv_knn_create(&ko);
    file_shard = calloc(dv_dataset_num_shards(ds) + 1, sizeof(uint64_t));
    shard_file = calloc(dv_dataset_num_shards(ds) + 1, sizeof(uint64_t));
    if (!kn || !file_shard || !shard_file) {
        rc = DV_ENOMEM;
        goto done;
    }
    for (uint64_t i = 0; i < dv_dataset_num_shards(ds); i++) {
        dv_shard_info sh;
        dv_dataset_shard(ds, i, &sh);
        shard_file[i] = UINT64_MAX;
        if (!sh.emb_path) continue;
        rc = dv_knn_add_file(kn, sh.emb_path);
        if (rc != DV_OK) {
            dv__set_err(err, cap, "%s", dv_knn_errmsg(kn));
            goto done;
        }
        shard_file[i] = dv_knn_num_files(kn) - 1;
        file_shard[dv_knn_num_files(kn) - 1] = i;
    }
    if (dv_knn_num_files(kn) == 0) goto done;
    {
        size_t dims = (size_t)dv_knn_dims(kn), used = 0;
        dv_knn_query q;
        sv = malloc(nseeds * dims * sizeof(float) + 1);
        if (!sv) {
            rc = DV_ENOMEM;
            goto done;
        }
        /* seeds[i] is moved to seeds[used] or dropped (its id freed); either way seeds[i]
         * no longer owns an id, so an early exit frees each id once */
        for (size_t i = 0; i < nseeds; i++) {
            uint64_t first, rows;
            int keep = 0;
            if (seeds[i].shard < dv_dataset_num_shards(ds) &&
                shard_file[seeds[i].shard] != UINT64_MAX) {
                dv_knn_file(kn, (size_t)shard_file[seeds[i].shard], NULL, &first, &rows);
                if (seeds[i].row < rows) {
                    const float *v = sv + used * dims;
                    int finite = 1, nonzero = 0;
                    rc = dv_knn_get_row(kn, first + seeds[i].row, sv + used * dims);
                    if (rc != DV_OK) goto done;
                    /* NaN or infinite values score NaN against every row, a zero vector 0:
                     * such a seed finds nothing (or, below a cut-off of 0, everything); it
                     * is counted and left out */
                    for (size_t d = 0; d < dims; d++) {
                        finite &= isfinite(v[d]) != 0;
                        nonzero |= v[d] != 0.0f;
                    }
                    keep = finite && nonzero;
                    if (!keep) (*nbad_out)++;
                }
            }
            if (keep) {
                seed t = seeds[i];
                seeds[i].id = NULL;
                seeds[used++] = t;
            } else {
                free(seeds[i].id);
                seeds[i].id = NULL;
            }
        }
        nseeds = used;
        *nseeds_out = used;
        if (used == 0) goto done;
        memset(&q, 0, sizeof q);
        q.k = k ? k + 1 : 0; /* each seed finds itself first */
        q.has_min_sim = 1;
        q.min_sim = min_sim;
        dv__mprog_stage(prog, DV_MERGE_NEIGHBORS, dv_knn_rows(kn), 0);
        rc = dv_knn_search(kn, sv, used, dims, &q, &hits, &nhits);
        if (rc != DV_OK) {
            dv__set_err(err, cap, "neighbors: %s", dv_knn_errmsg(kn));
            goto done;
        }
    }
    nbs = malloc((nhits + 1) * sizeof(nb));
    if (!nbs) {
        rc = DV_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nhits; i++) {
        uint64_t key[2];
        key[0] = file_shard[hits[i].file];
        key[1] = hits[i].file_row;
        /* matches (the seeds among them) are not candidates of themselves */
        if (bsearch(key, matches, nmatches, 2 * sizeof(uint64_t), cmp_u128)) continue;
        nbs[nn].shard = key[0];
        nbs[nn].row = key[1];
        nbs[nn].sim = hits[i].similarity;
        nbs[nn].seed = hits[i].seed;
        nn++;
    }
    if (nn > 1) qsort(nbs, nn, sizeof(nb), cmp_nb);
    {
        /* one candidate per row: the seed with the highest similarity */
        size_t w = 0;
        for (size_t i = 0; i < nn; i++)
            if (w == 0 || nbs[w - 1].shard != nbs[i].shard || nbs[w - 1].row != nbs[i].row)
                nbs[w++] = nbs[i];
        nn = w;
    }
    res = calloc(nn + 1, sizeof(dv__nbfinding));
    if (!res) {
        rc = DV_ENOMEM;
        goto done;
    }
    /* ids and URLs of the rows found, one pass over each shard that has any */
    for (size_t i = 0; i < nn && rc == DV_OK;) {
        uint64_t sh = nbs[i].shard;
        dv_shard_reader *r = NULL;
        dv_shard_info si;
        dv_item it;
        size_t j = i;
        int got;
        dv_dataset_shard(ds, sh, &si);
        rc = dv_shard_reader_open(ds, sh, &r, err, cap);
        if (rc != DV_OK) break;
        while (j < nn && nbs[j].shard == sh && (got = dv_shard_reader_next(r, &it)) != 0) {
            if (got == DV_ECORRUPT) continue;
            if (got < 0) break;
            while (j < nn && nbs[j].shard == sh && nbs[j].row < it.row) j++; /* row lost */
            if (j < nn && nbs[j].shard == sh && nbs[j].row == it.row) {
                char **f = res[j].f;
                char num[64];
                f[0] = sdup(it.id);
                f[1] = sdup(si.name);
                snprintf(num, sizeof num, "%llu", (unsigned long long)sh);
                f[2] = sdup(num);
                snprintf(num, sizeof num, "%llu", (unsigned long long)it.row);
                f[3] = sdup(num);
                if (it.url != NULL) { /* no image inside it is written (dv_url_redact) */
                    size_t rcap = DV_URL_REDACT_BOUND(strlen(it.url));
                    char *red = malloc(rcap);
                    f[4] = red ? sdup(dv_url_redact(it.url, red, rcap)) : NULL;
                    free(red);
                } else {
                    f[4] = sdup("");
                }
                f[5] = sdup("neighbors");
                f[6] = sdup("neighbors");
                snprintf(num, sizeof num, "%.9g", (double)nbs[j].sim);
                f[7] = sdup(num);
                for (int z = 8; z <= 12; z++) f[z] = sdup("");
                f[13] = sdup("-1");
                f[14] = sdup("");
                f[15] = sdup(num);
                f[16] = sdup("candidate");
                f[17] = sdup(seeds[nbs[j].seed].id);
                f[18] = sdup(si.emb_path);
                snprintf(num, sizeof num, "%llu", (unsigned long long)nbs[j].row);
                f[19] = sdup(num);
                /* the item's hashes: its image was not read again */
                for (int z = 20; z < DV__REC_FINDING_FIELDS; z++) f[z] = sdup("");
                for (int z = 0; z < DV__REC_FINDING_FIELDS; z++)
                    if (!f[z]) rc = DV_ENOMEM;
                j++;
            }
        }
        dv_shard_reader_free(r);
        while (i < nn && nbs[i].shard == sh) i++;
    }
    if (rc == DV_OK) {
        /* rows whose item could not be read again are left out */
        size_t w = 0;
        for (size_t i = 0; i < nn; i++) {
            if (res[i].f[0]) res[w++] = res[i];
        }
        *out = res;
        *nout = w;
        res = NULL;
    }
done:
    dv__neighbors_free(res, nn);
    free(nbs);
    if (kn) dv_knn_hits_free(kn, hits);
    dv_knn_free(kn);
    free(sv);
    free(file_shard);
    free(shard_file);
    for (size_t i = 0; i < nseeds; i++) free(seeds[i].id);
    free(seeds);
    free(matches);
    dv_dataset_free(ds);
    return rc;
}
