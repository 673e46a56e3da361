/* cmd_neighbors.c - `datavet neighbors`: exact nearest neighbours of seed embeddings among the
 * rows of .npy files (docs/knn.md), and concept flags; results are candidates, never matches. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static int sv_push(strvec *s, const char *p, size_t len)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        char **nv = realloc(s->v, nc * sizeof(*nv));
        if (nv == NULL) return -1;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n] = malloc(len + 1);
    if (s->v[s->n] == NULL) return -1;
    memcpy(s->v[s->n], p, len);
    s->v[s->n][len] = '\0';
    s->n++;
    return 0;
}

static void sv_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* number N of "img_emb_N.npy", or -1 */
static long emb_number(const char *name)
{
    const char *p = name + 8;
    char *end;
    long v;
    if (strncmp(name, "img_emb_", 8) != 0 || *p < '0' || *p > '9') return -1;
    errno = 0;
    v = strtol(p, &end, 10);
    if (errno != 0 || strcmp(end, ".npy") != 0) return -1;
    return v;
}

typedef struct numname {
    long n;
    char *name;
} numname;

static int cmp_num(const void *a, const void *b)
{
    const numname *x = a, *y = b;
    return x->n < y->n ? -1 : x->n > y->n;
}

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Add the embedding files of one --embeddings argument; meta gets the aligned parquet ("" if
 * none). */
static int collect(const char *arg, strvec *files, strvec *meta)
{
    char buf[4096];
    if (!is_dir(arg)) {
        /* DataComp: X.npz with its metadata X.parquet beside it */
        size_t l = strlen(arg);
        const char *m = "";
        if (l > 4 && strcmp(arg + l - 4, ".npz") == 0 && l - 4 + 9 <= sizeof(buf)) {
            memcpy(buf, arg, l - 4);
            memcpy(buf + l - 4, ".parquet", 9);
            if (is_file(buf)) m = buf;
        }
        return sv_push(files, arg, l) || sv_push(meta, m, strlen(m));
    }
    if (path_join(buf, sizeof(buf), arg, "img_emb") == 0 && is_dir(buf)) {
        /* LAION layout: DIR/img_emb/img_emb_N.npy with DIR/[metadata/]metadata_N.parquet */
        char embdir[4096];
        numname *nn = NULL;
        size_t n = 0, cap = 0;
        DIR *d = opendir(buf);
        struct dirent *de;
        memcpy(embdir, buf, sizeof(buf));
        if (d == NULL) return -1;
        while ((de = readdir(d)) != NULL) {
            long num = emb_number(de->d_name);
            if (num < 0) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                numname *t = realloc(nn, cap * sizeof(*nn));
                if (t == NULL) break;
                nn = t;
            }
            nn[n].n = num;
            nn[n++].name = strdup(de->d_name);
        }
        closedir(d);
        if (n > 1) qsort(nn, n, sizeof(*nn), cmp_num);
        for (size_t i = 0; i < n; i++) {
            char mp[4096], mn[64];
            const char *m = "";
            if (path_join(buf, sizeof(buf), embdir, nn[i].name) == 0) sv_push(files, buf, strlen(buf));
            /* metadata_<the same digits>.parquet, else metadata_<N>.parquet */
            for (int form = 0; form < 2 && m[0] == '\0'; form++) {
                char md[4096];
                if (form == 0)
                    snprintf(mn, sizeof(mn), "metadata_%.*s.parquet",
                             (int)(strlen(nn[i].name) - 12), nn[i].name + 8);
                else
                    snprintf(mn, sizeof(mn), "metadata_%ld.parquet", nn[i].n);
                if (path_join(mp, sizeof(mp), arg, mn) == 0 && is_file(mp)) m = mp;
                else if (path_join(md, sizeof(md), arg, "metadata") == 0 &&
                         path_join(mp, sizeof(mp), md, mn) == 0 && is_file(mp))
                    m = mp;
            }
            sv_push(meta, m, strlen(m));
            free(nn[i].name);
        }
        free(nn);
        return 0;
    }
    strvec names = {0};
    DIR *d = opendir(arg);
    struct dirent *de;
    if (d == NULL) return -1;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 4 && (strcmp(de->d_name + l - 4, ".npy") == 0 ||
                      strcmp(de->d_name + l - 4, ".npz") == 0))
            sv_push(&names, de->d_name, l);
    }
    closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n; i++)
        if (path_join(buf, sizeof(buf), arg, names.v[i]) == 0) {
            /* DataComp: X.npz with its metadata X.parquet beside it */
            size_t l = strlen(buf);
            char mp[4096];
            const char *m = "";
            if (strcmp(buf + l - 4, ".npz") == 0 && l - 4 + 9 <= sizeof(mp)) {
                memcpy(mp, buf, l - 4);
                memcpy(mp + l - 4, ".parquet", 9);
                if (is_file(mp)) m = mp;
            }
            sv_push(files, buf, l);
            sv_push(meta, m, strlen(m));
        }
    sv_free(&names);
    return 0;
}

static int read_text(const char *path, char **out, size_t *len)
{
    char err[256];
    void *b;
    if (dv_read_file(path, 1ull << 32, NULL, &b, len, err, sizeof(err)) != DV_OK) {
        cli_err("datavet neighbors: %s\n", err);
        return -1;
    }
    *out = b;
    return 0;
}

/* "key":<value> in one JSON line: copies a string value (no escapes needed for paths we
 * compare) or the digits of a number. */
static int json_field(const char *line, size_t len, const char *key, char *out, size_t cap)
{
    char pat[64];
    int pl = snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *end = line + len;
    if (pl < 0 || (size_t)pl >= sizeof(pat)) return -1;
    for (const char *p = line; p + pl <= end; p++) {
        if (memcmp(p, pat, (size_t)pl) != 0) continue;
        p += pl;
        while (p < end && *p == ' ') p++;
        size_t n = 0;
        if (p < end && *p == '"') {
            p++;
            while (p < end && *p != '"' && n + 1 < cap) {
                if (*p == '\\' && p + 1 < end) p++;
                out[n++] = *p++;
            }
        } else {
            while (p < end && (*p == '-' || (*p >= '0' && *p <= '9')) && n + 1 < cap)
                out[n++] = *p++;
        }
        out[n] = '\0';
        return 0;
    }
    return -1;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

typedef struct rowpos {
    uint64_t row;
    size_t pos;
} rowpos;

static int rowpos_cmp(const void *a, const void *b)
{
    const rowpos *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keep the first of each row, in order. A scan writes one match record per finding, so an
 * item matched by two lists (MD5 and URL) appears twice; it is one seed, as in the scan's own
 * neighbour stage (neighbor_seeds). */
static int unique_rows(uint64_t *rows, size_t *n)
{
    size_t m = *n, o = 0;
    if (m < 2) return 0;
    rowpos *rp = malloc(m * sizeof(*rp));
    unsigned char *drop = calloc(m, 1);
    if (rp == NULL || drop == NULL) {
        free(rp);
        free(drop);
        return -1;
    }
    for (size_t i = 0; i < m; i++) rp[i] = (rowpos){rows[i], i};
    qsort(rp, m, sizeof(*rp), rowpos_cmp);
    for (size_t i = 1; i < m; i++)
        if (rp[i].row == rp[i - 1].row) drop[rp[i].pos] = 1;
    for (size_t i = 0; i < m; i++)
        if (!drop[i]) rows[o++] = rows[i];
    *n = o;
    free(rp);
    free(drop);
    return 0;
}

/* global rows of seeds from --seed-ids or --from-scan */
static int seed_rows(dv_knn *k, const char *ids, const char *scan, uint64_t **rows_out,
                     size_t *n_out)
{
    char *text, path[4096];
    size_t len, n = 0, cap = 0;
    uint64_t *rows = NULL;
    const char *src = ids;
    if (scan != NULL) {
        if (path_join(path, sizeof(path), scan, "matches.jsonl") != 0) return -1;
        src = path;
    }
    if (read_text(src, &text, &len) != 0) return -1;
    size_t lineno = 0;
    for (char *p = text, *end = text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        uint64_t row = 0;
        int have = 0;
        lineno++;
        if (scan != NULL) {
            char tier[32], ef[4096], er[32];
            if (json_field(p, l, "tier", tier, sizeof(tier)) == 0 && strcmp(tier, "match") == 0 &&
                json_field(p, l, "emb_file", ef, sizeof(ef)) == 0 &&
                json_field(p, l, "emb_row", er, sizeof(er)) == 0) {
                unsigned long long r;
                if (cli_parse_u64(er, 0, &r) == 0)
                    for (size_t f = 0; f < dv_knn_num_files(k); f++) {
                        const char *fp;
                        uint64_t first, frows;
                        dv_knn_file(k, f, &fp, &first, &frows);
                        if ((strcmp(fp, ef) == 0 || strcmp(base_name(fp), base_name(ef)) == 0) &&
                            r < frows) {
                            row = first + r;
                            have = 1;
                            break;
                        }
                    }
                if (!have)
                    cli_err("datavet neighbors: %s:%zu: %s row %s is not in the embeddings\n",
                            src, lineno, ef, er);
            }
        } else {
            char tmp[128], *t1, *t2;
            size_t c = l < sizeof(tmp) - 1 ? l : sizeof(tmp) - 1;
            memcpy(tmp, p, c);
            tmp[c] = '\0';
            while (c > 0 && (tmp[c - 1] == '\r' || tmp[c - 1] == ' ')) tmp[--c] = '\0';
            t1 = tmp;
            while (*t1 == ' ' || *t1 == '\t') t1++;
            if (*t1 != '\0' && *t1 != '#') {
                unsigned long long a, b;
                int parsed;
                t2 = strpbrk(t1, " \t");
                if (t2 != NULL) {
                    *t2++ = '\0';
                    while (*t2 == ' ' || *t2 == '\t') t2++;
                    uint64_t first, frows;
                    parsed = cli_parse_u64(t1, 0, &a) == 0 && cli_parse_u64(t2, 0, &b) == 0;
                    if (parsed && dv_knn_file(k, (size_t)a, NULL, &first, &frows) == DV_OK &&
                        b < frows) {
                        row = first + b;
                        have = 1;
                    }
                } else {
                    parsed = cli_parse_u64(t1, 0, &a) == 0;
                    if (parsed && a < dv_knn_rows(k)) {
                        row = a;
                        have = 1;
                    }
                }
                if (!have) {
                    if (!parsed)
                        cli_err("datavet neighbors: %s:%zu: not \"FILE_INDEX ROW\" or a "
                                "row number (decimal)\n", src, lineno);
                    else
                        cli_err("datavet neighbors: %s:%zu: not a row of the embeddings "
                                "(%zu files, %llu rows)\n",
                                src, lineno, dv_knn_num_files(k), (unsigned long long)dv_knn_rows(k));
                    free(text);
                    free(rows);
                    return -1;
                }
            }
        }
        if (have) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                uint64_t *t = realloc(rows, cap * sizeof(*rows));
                if (t == NULL) {
                    cli_err("datavet neighbors: out of memory\n");
                    free(text);
                    free(rows);
                    return -1;
                }
                rows = t;
            }
            rows[n++] = row;
        }
        p += l + 1;
    }
    free(text);
    if (scan != NULL && unique_rows(rows, &n) != 0) {
        cli_err("datavet neighbors: out of memory\n");
        free(rows);
        return -1;
    }
    *rows_out = rows;
    *n_out = n;
    return 0;
}

static int load_npy(const char *path, const char *key, size_t dims, float **out, size_t *n)
{
    dv_npy *np;
    dv_npy_info info;
    char err[512];
    if (dv_npy_open_any(path, key, NULL, &np, err, sizeof(err)) != DV_OK) {
        cli_err("datavet neighbors: %s\n", err);
        return -1;
    }
    dv_npy_get_info(np, &info);
    if (info.dims != dims || info.rows > (1u << 20)) {
        cli_err("datavet neighbors: %s: %llu x %llu, expected dims %zu and at most 2^20 rows\n",
                path, (unsigned long long)info.rows, (unsigned long long)info.dims, dims);
        dv_npy_close(np);
        return -1;
    }
    *out = malloc((size_t)(info.rows ? info.rows : 1) * dims * sizeof(float));
    if (*out == NULL || dv_npy_read_f32(np, 0, info.rows, *out, DV_SIMD_AUTO) != DV_OK) {
        dv_npy_close(np);
        return -1;
    }
    *n = (size_t)info.rows;
    dv_npy_close(np);
    return 0;
}

/* ---------------------------------------------------------------- metadata */

/* A result's metadata, as the outputs write it (out_text). */
typedef struct rowmeta {
    char *url, *caption, *key;
} rowmeta;

/* s[0..n) as every output of datavet writes such text (dv_text_utf8: URLs percent-encoded,
 * other text with U+FFFD), malloc'd; NULL when out of memory. neighbors.jsonl and
 * neighbors.parquet (STRING columns: valid UTF-8 only) then agree. */
static char *out_text(dv_text_kind kind, const char *s, size_t n)
{
    size_t need = dv_text_utf8(kind, s, n, NULL, 0) + 1;
    char *t = malloc(need);
    if (t != NULL) dv_text_utf8(kind, s, n, t, need);
    return t;
}

static int col_ci(dv_parquet_reader *r, const char *const *names, size_t nn)
{
    size_t nc = dv_parquet_reader_num_columns(r);
    for (size_t c = 0; c < nc; c++) {
        dv_parquet_column_info ci;
        if (dv_parquet_reader_column(r, c, &ci) != DV_OK || ci.nested ||
            ci.type != DV_PQ_BYTE_ARRAY)
            continue;
        for (size_t i = 0; i < nn; i++)
            if (strcasecmp(ci.name, names[i]) == 0) return (int)c;
    }
    return -1;
}

/* Fill meta[h] for every hit in file f (emb_path, of emb_rows rows) from its aligned parquet.
 * A parquet with another number of rows is not aligned (the scan does not use such a file
 * either): its ids and urls would name other rows, so none are given. */
/* The ids, urls and captions of the hits ord[0..n) (indexes into hits, all of one file, by
 * row) from that file's metadata pq: each row group that holds one of them is read once and
 * the hits in it taken in one pass, so the work is the hits plus the row groups, not their
 * product. */
static void fetch_meta(const char *pq, const char *emb_path, uint64_t emb_rows,
                       const dv_knn_hit *hits, const size_t *ord, size_t n, rowmeta *meta)
{
    static const char *const url_names[] = {"url", "image_url"};
    static const char *const cap_names[] = {"caption", "text"};
    static const char *const key_names[] = {"key", "uid", "sample_id", "id"};
    dv_parquet_reader *r;
    char err[512];
    if (dv_parquet_reader_open(pq, NULL, &r, err, sizeof(err)) != DV_OK) {
        cli_err("datavet neighbors: %s (urls left out)\n", err);
        return;
    }
    if (dv_parquet_reader_num_rows(r) != emb_rows) {
        cli_err("datavet neighbors: warning: %s: %llu rows but %s has %llu: embeddings "
                "not aligned, its results carry no id, url or caption\n", emb_path,
                (unsigned long long)emb_rows, pq,
                (unsigned long long)dv_parquet_reader_num_rows(r));
        dv_parquet_reader_free(r);
        return;
    }
    int cols[3] = {col_ci(r, url_names, 2), col_ci(r, cap_names, 2), col_ci(r, key_names, 4)};
    size_t want[3], nw = 0;
    int slot[3] = {-1, -1, -1};
    for (int i = 0; i < 3; i++)
        if (cols[i] >= 0) {
            slot[i] = (int)nw;
            want[nw++] = (size_t)cols[i];
        }
    uint64_t first = 0;
    size_t at = 0; /* ord[at]: the first hit not in a row group before this one */
    for (size_t rg = 0; nw > 0 && at < n && rg < dv_parquet_reader_num_row_groups(r); rg++) {
        uint64_t nr = dv_parquet_reader_row_group_rows(r, rg);
        size_t end = at;
        while (end < n && hits[ord[end]].file_row - first < nr) end++;
        if (end > at) {
            dv_parquet_batch b[3];
            if (dv_parquet_reader_read_row_group(r, rg, want, nw, b) != DV_OK) {
                cli_err("datavet neighbors: %s\n", dv_parquet_reader_errmsg(r));
            } else {
                for (size_t q = at; q < end; q++) {
                    size_t h = ord[q];
                    char **dst[3] = {&meta[h].url, &meta[h].caption, &meta[h].key};
                    for (int i = 0; i < 3; i++) {
                        dv_parquet_value v;
                        if (slot[i] < 0 || *dst[i] != NULL) continue;
                        if (dv_parquet_batch_value(&b[slot[i]], hits[h].file_row - first, &v) ==
                                DV_OK &&
                            !v.is_null && (*dst[i] = malloc(v.len + 1)) != NULL) {
                            memcpy(*dst[i], v.bytes, v.len);
                            (*dst[i])[v.len] = '\0';
                            if (i == 0) { /* a data: URI's content, base64 of an image in the
                                           * query, never reaches the output */
                                char *c = cli_url_shown(*dst[i]);
                                free(*dst[i]);
                                *dst[i] = c;
                            } else if (i == 1) {
                                /* a caption that is or holds an image (a data: URI in an
                                 * HTML caption, base64 text) is shown as inspect --head
                                 * shows it: what it is and its size, never its content */
                                const char *img = cli_image_kind(v.bytes, v.len);
                                if (img != NULL) {
                                    char w[96];
                                    size_t wl = (size_t)snprintf(
                                        w, sizeof w, "<%s image, %zu bytes withheld>", img, v.len);
                                    char *c = malloc(wl + 1);
                                    if (c != NULL) memcpy(c, w, wl + 1);
                                    free(*dst[i]);
                                    *dst[i] = c;
                                }
                            }
                            /* as the JSONL and the Parquet file both write it */
                            if (*dst[i] != NULL) {
                                char *c = out_text(i == 0 ? DV_TEXT_URL : DV_TEXT_PLAIN,
                                                   *dst[i], strlen(*dst[i]));
                                free(*dst[i]);
                                *dst[i] = c;
                            }
                        }
                    }
                }
            }
        }
        at = end;
        first += nr;
    }
    dv_parquet_reader_free(r);
}
typedef struct rowhit {
    uint64_t row;
    size_t h;
} rowhit;

static int cmp_rowhit(const void *a, const void *b)
{
    const rowhit *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return (x->h > y->h) - (x->h < y->h);
}

/* Metadata of every hit whose file has a metadata file: the hits' indexes bucketed by file
 * (ord, from[f] .. from[f + 1]) and each bucket sorted by row, so each file is opened once
 * and read in one pass. 8 bytes a hit, and 16 a hit of the file with the most. */
static void fetch_all_meta(dv_knn *k, const strvec *meta, const dv_knn_hit *hits, size_t nhits,
                           rowmeta *rm)
{
    size_t nf = meta->n, *from = calloc(nf + 1, sizeof(size_t)), *ord = NULL, most = 0;
    rowhit *tmp = NULL;
    if (from == NULL || (ord = malloc((nhits ? nhits : 1) * sizeof(size_t))) == NULL) {
        cli_err("datavet neighbors: out of memory: results carry no id, url or caption\n");
        goto out;
    }
    for (size_t h = 0; h < nhits; h++)
        if (hits[h].file < nf) from[hits[h].file + 1]++;
    for (size_t f = 0; f < nf; f++) {
        if (from[f + 1] > most) most = from[f + 1];
        from[f + 1] += from[f];
    }
    {
        size_t *at = calloc(nf ? nf : 1, sizeof(size_t));
        if (at == NULL || (tmp = malloc((most ? most : 1) * sizeof(rowhit))) == NULL) {
            free(at);
            cli_err("datavet neighbors: out of memory: results carry no id, url or caption\n");
            goto out;
        }
        for (size_t h = 0; h < nhits; h++)
            if (hits[h].file < nf) ord[from[hits[h].file] + at[hits[h].file]++] = h;
        free(at);
    }
    for (size_t f = 0; f < nf; f++) {
        size_t a = from[f], n = from[f + 1] - a;
        const char *ep = "";
        uint64_t first = 0, frows = 0;
        if (n == 0 || meta->v[f][0] == '\0' || dv_knn_file(k, f, &ep, &first, &frows) != DV_OK)
            continue;
        for (size_t i = 0; i < n; i++) tmp[i] = (rowhit){hits[ord[a + i]].file_row, ord[a + i]};
        qsort(tmp, n, sizeof *tmp, cmp_rowhit);
        for (size_t i = 0; i < n; i++) ord[a + i] = tmp[i].h;
        fetch_meta(meta->v[f], ep, frows, hits, ord + a, n, rm);
    }
out:
    free(tmp);
    free(ord);
    free(from);
}

/* ---------------------------------------------------------------- output */

/* seedrow: the global row of each seed when taken from the dataset, else NULL; concept: the
 * output is concept flags (seed = concept index) */
static int write_results(const char *outdir, const char *stem, dv_knn *k, const strvec *meta,
                         const dv_knn_hit *hits, size_t nhits, const uint64_t *seedrow,
                         int concept)
{
    char path[4096], name[64], tmp[4200], jpath[4096], jtmp[4200];
    rowmeta *rm = calloc(nhits ? nhits : 1, sizeof(*rm));
    FILE *f = NULL;
    int rc = 0, fd, unsynced = 0;
    if (rm == NULL) return -1;
    fetch_all_meta(k, meta, hits, nhits, rm);
    snprintf(name, sizeof(name), "%s.jsonl", stem);
    /* both outputs written beside (STEM.jsonl.tmp, STEM.parquet.tmp; a link planted there
     * removed, not followed), synced, then put in place: the earlier STEM.parquet removed,
     * STEM.jsonl renamed, STEM.parquet renamed last. A run killed or failed midway leaves no
     * file cut short under an output's name, and never one run's .jsonl beside another's
     * .parquet: a .jsonl without its .parquet is of a run that did not finish */
    jtmp[0] = tmp[0] = '\0';
    if (path_join(jpath, sizeof(jpath), outdir, name) != 0 ||
        (size_t)snprintf(jtmp, sizeof(jtmp), "%s.tmp", jpath) >= sizeof(jtmp)) {
        cli_err("datavet neighbors: %s/%s: path too long\n", outdir, name);
        jtmp[0] = '\0';
        rc = -1;
        goto out;
    }
    fd = dv_file_open_new(jtmp, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        cli_err("datavet neighbors: cannot write %s: %s\n", jtmp, strerror(errno));
        if (fd >= 0) close(fd);
        rc = -1;
        goto out;
    }
    for (size_t h = 0; h < nhits; h++) {
        const dv_knn_hit *x = &hits[h];
        const char *fp;
        dv_knn_file(k, x->file, &fp, NULL, NULL);
        fprintf(f, "{\"%s\":%u,", concept ? "concept" : "seed", x->seed);
        if (seedrow) fprintf(f, "\"seed_row\":%llu,", (unsigned long long)seedrow[x->seed]);
        if (!concept) fprintf(f, "\"rank\":%u,", x->rank);
        fprintf(f, "\"row\":%llu,\"file_index\":%u,\"emb_file\":", (unsigned long long)x->row,
                x->file);
        cli_json_str(f, fp);
        fprintf(f, ",\"emb_row\":%llu,\"similarity\":%.9g", (unsigned long long)x->file_row,
                (double)x->similarity);
        if (rm[h].key) {
            fputs(",\"id\":", f);
            cli_json_str(f, rm[h].key);
        }
        if (rm[h].url) {
            fputs(",\"url\":", f);
            cli_json_str(f, rm[h].url);
        }
        if (rm[h].caption) {
            fputs(",\"caption\":", f);
            cli_json_str(f, rm[h].caption);
        }
        fprintf(f, ",\"source\":\"%s\",\"tier\":\"candidate\"}\n", concept ? "concepts" : "neighbors");
    }
    {
        int bad = fflush(f) != 0 || ferror(f) || dv_file_sync(fileno(f)) != DV_OK, e = errno;
        if (fclose(f) != 0 && !bad) bad = 1, e = errno;
        f = NULL;
        if (bad) {
            cli_err("datavet neighbors: cannot write %s: %s\n", jtmp, strerror(e ? e : EIO));
            rc = -1;
            goto out;
        }
    }

    /* the same as Parquet */
    dv_parquet_field fields[] = {
        {.name = concept ? "concept" : "seed", .type = DV_PQ_INT64},
        {.name = "seed_row", .type = DV_PQ_INT64, .optional = 1},
        {.name = "rank", .type = DV_PQ_INT32},
        {.name = "row", .type = DV_PQ_INT64},
        {.name = "file_index", .type = DV_PQ_INT32},
        {.name = "emb_file", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
        {.name = "emb_row", .type = DV_PQ_INT64},
        {.name = "similarity", .type = DV_PQ_FLOAT},
        {.name = "id", .type = DV_PQ_BYTE_ARRAY, .is_string = 1, .optional = 1},
        {.name = "url", .type = DV_PQ_BYTE_ARRAY, .is_string = 1, .optional = 1},
        {.name = "caption", .type = DV_PQ_BYTE_ARRAY, .is_string = 1, .optional = 1},
        {.name = "tier", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    };
    dv_parquet_writer *w;
    /* 0600, and a link planted at the temporary name is removed, not followed */
    dv_parquet_writer_opts po = {.codec = DV_PQ_ZSTD, .create_new = 1, .sync = 1};
    char err[512];
    snprintf(name, sizeof(name), "%s.parquet", stem);
    err[0] = '\0';
    if (path_join(path, sizeof(path), outdir, name) != 0 ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
        dv_parquet_writer_create(tmp, fields, sizeof(fields) / sizeof(fields[0]), &po, &w, err,
                                 sizeof(err)) != DV_OK) {
        cli_err("datavet neighbors: %s\n", err[0] ? err : "path too long");
        tmp[0] = '\0'; /* (not created, or removed by the failed create) */
        rc = -1;
        goto out;
    }
    for (size_t h = 0; h < nhits && rc == 0; h++) {
        const dv_knn_hit *x = &hits[h];
        const char *fp;
        char *fpt;
        dv_knn_file(k, x->file, &fp, NULL, NULL);
        dv_parquet_value v[12];
        memset(v, 0, sizeof(v));
        v[0].i64 = x->seed;
        if (seedrow) v[1].i64 = (int64_t)seedrow[x->seed];
        else v[1].is_null = 1;
        v[2].i32 = (int32_t)x->rank;
        v[3].i64 = (int64_t)x->row;
        v[4].i32 = (int32_t)x->file;
        fpt = out_text(DV_TEXT_PLAIN, fp, strlen(fp));
        if (fpt == NULL) {
            rc = -1;
            break;
        }
        v[5].bytes = (const uint8_t *)fpt;
        v[5].len = strlen(fpt);
        v[6].i64 = (int64_t)x->file_row;
        v[7].f32 = x->similarity;
        const char *ms[3] = {rm[h].key, rm[h].url, rm[h].caption};
        for (int i = 0; i < 3; i++) {
            v[8 + i].is_null = ms[i] == NULL;
            v[8 + i].bytes = (const uint8_t *)ms[i];
            v[8 + i].len = ms[i] ? strlen(ms[i]) : 0;
        }
        v[11].bytes = (const uint8_t *)"candidate";
        v[11].len = 9;
        if (dv_parquet_writer_write_row(w, v) != DV_OK) rc = -1;
        free(fpt);
    }
    if (rc == 0 && dv_parquet_writer_close(w) != DV_OK) rc = -1;
    if (rc != 0) cli_err("datavet neighbors: %s\n", dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w); /* (removes tmp when it was not closed whole) */
    if (rc == 0 && unlink(path) != 0 && errno != ENOENT) {
        cli_err("datavet neighbors: cannot replace %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && dv_file_rename(jtmp, jpath) != DV_OK) {
        int e = errno;
        /* placed, only the folder's sync failed: the .parquet still goes in place, so that
         * the pair is whole, and the run fails */
        if (cli_rename_placed_err("neighbors", jtmp, jpath, e)) unsynced = 1;
        else {
            cli_err("datavet neighbors: cannot write %s: %s\n", jpath, strerror(e));
            rc = -1;
        }
    }
    if (rc == 0 && dv_file_rename(tmp, path) != DV_OK) {
        int e = errno;
        if (!cli_rename_placed_err("neighbors", tmp, path, e))
            cli_err("datavet neighbors: cannot write %s: %s\n", path, strerror(e));
        rc = -1;
    }
    if (unsynced) rc = -1;
out:
    if (f != NULL) fclose(f);
    /* what was not put in place (after a rename whose folder's sync failed: nothing) */
    if (rc != 0 && jtmp[0]) unlink(jtmp);
    if (rc != 0 && tmp[0]) unlink(tmp);
    for (size_t h = 0; h < nhits; h++) {
        free(rm[h].url);
        free(rm[h].caption);
        free(rm[h].key);
    }
    free(rm);
    return rc;
}

static int parse_pass(const char *s, dv_knn_pass *out)
{
    if (strcmp(s, "auto") == 0) *out = DV_KNN_PASS_AUTO;
    else if (strcmp(s, "direct") == 0) *out = DV_KNN_PASS_DIRECT;
    else if (strcmp(s, "blas") == 0) *out = DV_KNN_PASS_BLAS;
    else if (strcmp(s, "int8") == 0) *out = DV_KNN_PASS_INT8;
    else return -1;
    return 0;
}

static int parse_float(const char *opt, const char *s, float *out)
{
    double v;
    if (cli_opt_num("neighbors", opt, s, -HUGE_VAL, HUGE_VAL, &v) != 0) return -1;
    *out = (float)v;
    return 0;
}

/* A seed that cannot find anything says so, rather than leaving an empty or meaningless
 * result to be read as "nothing near it": NaN or infinite values score NaN against every row
 * (never a result), and a zero vector scores 0 against every row. what: "seed" or "concept";
 * rows: the seeds' global rows when taken from the dataset, else NULL. */
static void warn_bad_seeds(const float *v, size_t n, size_t dims, const char *what,
                           const uint64_t *rows)
{
    size_t nonfinite = 0, zero = 0;
    for (size_t i = 0; i < n; i++) {
        int fin = 1, nz = 0;
        for (size_t d = 0; d < dims; d++) {
            fin &= isfinite(v[i * dims + d]) != 0;
            nz |= v[i * dims + d] != 0.0f;
        }
        if (fin && nz) continue;
        if (!fin) nonfinite++;
        else zero++;
        if (nonfinite + zero <= 8) {
            cli_err("datavet neighbors: warning: %s %zu", what, i);
            if (rows != NULL) cli_err(" (row %llu)", (unsigned long long)rows[i]);
            cli_err("%s\n",
                    !fin ? " has NaN or infinite values: its scores are NaN, which never match"
                         : " is all zeros: every row scores 0 against it");
        }
    }
    if (nonfinite + zero > 8)
        cli_err("datavet neighbors: warning: %zu %ss in all with NaN, infinite or only "
                "zero values\n", nonfinite + zero, what);
    if (n == 0) cli_err("datavet neighbors: warning: no %ss: nothing searched\n", what);
}

/* the progress line on a terminal (progress_line.h: at most 10 times a second, cut to the
 * terminal's width): rows scored, rate, ETA */
typedef struct nb_progress {
    const char *what;
    double t0;
    cli_progress pl;
} nb_progress;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    nb_progress *p = ctx;
    double el = cli_now_s() - p->t0, rate = el > 0 ? (double)done / el : 0;
    if (done >= total) {
        cli_progress_end(&p->pl, 0);
        return;
    }
    if (rate <= 0 || !cli_progress_due(&p->pl, 0)) return;
    char eta[40];
    cli_fmt_eta(eta, sizeof eta, "  ", (double)(total - done) / rate);
    cli_progress_put(&p->pl, "neighbors: %s %llu/%llu rows  %.0f rows/s%s", p->what,
                     (unsigned long long)done, (unsigned long long)total, rate, eta);
}

int cmd_neighbors(int argc, char **argv)
{
    static const struct option opts[] = {
        {"embeddings", required_argument, NULL, 'e'}, {"seeds-npy", required_argument, NULL, 's'},
        {"seed-ids", required_argument, NULL, 'i'},   {"from-scan", required_argument, NULL, 'f'},
        {"min-sim", required_argument, NULL, 'm'},    {"concepts", required_argument, NULL, 'c'},
        {"concept-min", required_argument, NULL, 't'}, {"pass", required_argument, NULL, 'p'},
        {"block-rows", required_argument, NULL, 'b'}, {"keep-self", no_argument, NULL, 'K'},
        {"quiet", no_argument, NULL, 'q'},            {"help", no_argument, NULL, 'h'},
        {"npz-key", required_argument, NULL, 'Z'},    {NULL, 0, NULL, 0}};
    strvec embs = {0}, files = {0}, meta = {0};
    const char *seeds_npy = NULL, *seed_ids = NULL, *from_scan = NULL, *outdir = NULL;
    const char *concepts = NULL;
    unsigned long long kk = 0, jobs = 0, brows = 0;
    int has_k = 0, has_min = 0, has_cmin = 0, quiet = 0, keep_self = 0, opt, ret = 2;
    float min_sim = 0, cmin = 0;
    dv_knn_opts ko = {0};
    nb_progress prog = {.what = "seeds"};
    dv_knn *k = NULL;
    float *seeds = NULL;
    size_t nseeds = 0;
    uint64_t *srows = NULL;
    dv_knn_hit *hits = NULL;
    size_t nhits = 0;

    optind = 1;
    cli_getopt_name(argv, "datavet neighbors");
    while ((opt = getopt_long(argc, argv, "e:s:i:f:k:m:j:o:c:t:p:b:Kqh", opts, NULL)) != -1) {
        switch (opt) {
        case 'e': sv_push(&embs, optarg, strlen(optarg)); break;
        case 's': seeds_npy = optarg; break;
        case 'i': seed_ids = optarg; break;
        case 'f': from_scan = optarg; break;
        case 'k':
            if (cli_opt_uint("neighbors", "-k", optarg, CLI_DIGITS, 1, 1u << 24, &kk) != 0)
                goto bad;
            has_k = 1;
            break;
        case 'm':
            if (parse_float("--min-sim", optarg, &min_sim) != 0) goto bad;
            has_min = 1;
            break;
        case 'j':
            if (cli_opt_uint("neighbors", "-j", optarg, CLI_DIGITS, 0, 1024, &jobs) != 0) goto bad;
            break;
        case 'o': outdir = optarg; break;
        case 'c': concepts = optarg; break;
        case 't':
            if (parse_float("--concept-min", optarg, &cmin) != 0) goto bad;
            has_cmin = 1;
            break;
        case 'p':
            if (parse_pass(optarg, &ko.pass) != 0) {
                cli_bad_opt("neighbors", "--pass", optarg, "not auto, direct, blas or int8");
                goto bad;
            }
            break;
        case 'b':
            if (cli_opt_uint("neighbors", "--block-rows", optarg, CLI_DIGITS, 1, ULLONG_MAX,
                             &brows) != 0)
                goto bad;
            break;
        case 'K': keep_self = 1; break;
        case 'Z': ko.npz_key = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': cli_print_help(stdout, "neighbors"); ret = 0; goto done;
        default: goto usage;
        }
    }
    for (int i = optind; i < argc; i++) sv_push(&embs, argv[i], strlen(argv[i]));
    {
        int nsrc = (seeds_npy != NULL) + (seed_ids != NULL) + (from_scan != NULL);
        const char *why = embs.n == 0 ? "no --embeddings given"
                          : outdir == NULL ? "no -o OUTDIR given"
                          : nsrc > 1 ? "give one of --seeds-npy, --seed-ids and --from-scan"
                          : nsrc == 0 && concepts == NULL
                              ? "no seeds (--seeds-npy, --seed-ids, --from-scan) or --concepts"
                          : concepts != NULL && !has_cmin ? "--concepts needs --concept-min"
                          : nsrc == 1 && !has_k && !has_min ? "seeds need -k or --min-sim"
                                                            : NULL;
        if (why != NULL) {
            cli_usage("neighbors", "%s", why);
            goto bad;
        }
    }
    for (size_t i = 0; i < embs.n; i++)
        if (collect(embs.v[i], &files, &meta) != 0) {
            cli_err("datavet neighbors: cannot read %s: %s\n", embs.v[i], strerror(errno));
            goto done;
        }
    if (files.n == 0) {
        cli_err("datavet neighbors: no .npy or .npz files found\n");
        goto done;
    }
    ko.threads = (unsigned)jobs;
    ko.block_rows = brows;
    cli_progress_init(&prog.pl, quiet, 0); /* a terminal only */
    if (prog.pl.show) {
        ko.progress = on_progress;
        ko.progress_ctx = &prog;
    }
    k = dv_knn_create(&ko);
    if (k == NULL) goto done;
    for (size_t i = 0; i < files.n; i++)
        if (dv_knn_add_file(k, files.v[i]) != DV_OK) {
            cli_err("datavet neighbors: %s\n", dv_knn_errmsg(k));
            goto done;
        }
    if (mkdir(outdir, 0700) != 0 && errno != EEXIST) {
        cli_err("datavet neighbors: cannot create %s: %s\n", outdir, strerror(errno));
        goto done;
    }
    size_t dims = (size_t)dv_knn_dims(k);
    dv_knn_query q = {.k = has_k ? (size_t)kk : 0, .has_min_sim = has_min, .min_sim = min_sim};
    if (seeds_npy != NULL) {
        if (load_npy(seeds_npy, ko.npz_key, dims, &seeds, &nseeds) != 0) goto done;
    } else if (seed_ids != NULL || from_scan != NULL) {
        if (seed_rows(k, seed_ids, from_scan, &srows, &nseeds) != 0) goto done;
        seeds = malloc((nseeds ? nseeds : 1) * dims * sizeof(float));
        if (seeds == NULL) goto done;
        for (size_t i = 0; i < nseeds; i++)
            if (dv_knn_get_row(k, srows[i], seeds + i * dims) != DV_OK) goto done;
        /* a seed from the dataset finds itself; ask for one more and drop it */
        if (!keep_self && q.k > 0) q.k++;
    }
    if (seeds != NULL) warn_bad_seeds(seeds, nseeds, dims, "seed", srows);
    if (seeds != NULL || srows != NULL) {
        prog.t0 = cli_now_s();
        int rc = dv_knn_search(k, seeds, nseeds, dims, &q, &hits, &nhits);
        cli_progress_end(&prog.pl, 0); /* (a search that failed midway left it drawn) */
        if (rc != DV_OK) {
            cli_err("datavet neighbors: %s\n", dv_knn_errmsg(k));
            goto done;
        }
        if (srows != NULL && !keep_self) {
            size_t o = 0;
            for (size_t h = 0; h < nhits; h++) {
                dv_knn_hit x = hits[h];
                if (x.row == srows[x.seed]) continue;
                if (o > 0 && hits[o - 1].seed == x.seed) x.rank = hits[o - 1].rank + 1;
                else x.rank = 0;
                if (has_k && x.rank >= kk) continue;
                hits[o++] = x;
            }
            nhits = o;
        }
        if (write_results(outdir, "neighbors", k, &meta, hits, nhits, srows, 0) != 0) goto done;
        if (!quiet) {
            dv_knn_stats st;
            dv_knn_get_stats(k, &st);
            const unsigned long long rows = dv_knn_rows(k);
            cli_err("datavet neighbors: %zu %s, %llu %s in %zu %s: %zu %s "
                    "(pass %s, %s, rescored %llu)\n",
                    nseeds, cli_plural(nseeds, "seed", "seeds"), rows,
                    cli_plural(rows, "row", "rows"), files.n, cli_plural(files.n, "file", "files"),
                    nhits, cli_plural(nhits, "candidate", "candidates"),
                    dv_knn_pass_name(st.pass), dv_simd_name(st.simd),
                    (unsigned long long)st.rescored);
        }
    }
    if (concepts != NULL) {
        float *cv = NULL;
        size_t nc = 0;
        dv_knn_hit *ch = NULL;
        size_t nch = 0, o = 0;
        dv_knn_query cq = {.k = 0, .has_min_sim = 1, .min_sim = cmin};
        if (load_npy(concepts, ko.npz_key, dims, &cv, &nc) != 0) goto done;
        warn_bad_seeds(cv, nc, dims, "concept", NULL);
        prog.what = "concepts";
        prog.t0 = cli_now_s();
        int rc = dv_knn_search(k, cv, nc, dims, &cq, &ch, &nch);
        cli_progress_end(&prog.pl, 0);
        free(cv);
        if (rc != DV_OK) {
            cli_err("datavet neighbors: %s\n", dv_knn_errmsg(k));
            goto done;
        }
        /* one flag per row: the concept that scores highest (lowest index on ties) */
        dv_knn_hit *best = malloc((nch ? nch : 1) * sizeof(*best));
        if (best == NULL) {
            dv_knn_hits_free(k, ch);
            goto done;
        }
        for (size_t h = 0; h < nch; h++) best[h] = ch[h];
        dv_knn_hits_free(k, ch);
        /* sort by row, similarity desc, concept */
        for (size_t gap = nch / 2; gap > 0; gap /= 2) /* shell sort: no qsort ctx needed */
            for (size_t i = gap; i < nch; i++)
                for (size_t j = i; j >= gap; j -= gap) {
                    dv_knn_hit *a = &best[j - gap], *b = &best[j];
                    int sw = a->row > b->row ||
                             (a->row == b->row && (a->similarity < b->similarity ||
                                                   (a->similarity == b->similarity &&
                                                    a->seed > b->seed)));
                    if (!sw) break;
                    dv_knn_hit t = *a;
                    *a = *b;
                    *b = t;
                }
        for (size_t h = 0; h < nch; h++)
            if (h == 0 || best[h].row != best[h - 1].row) {
                best[o] = best[h];
                best[o++].rank = 0;
            }
        rc = write_results(outdir, "concepts", k, &meta, best, o, NULL, 1);
        if (!quiet)
            cli_err("datavet neighbors: %zu %s flagged by %zu %s\n", o,
                    cli_plural(o, "row", "rows"), nc, cli_plural(nc, "concept", "concepts"));
        free(best);
        if (rc != 0) goto done;
    }
    ret = 0;
    goto done;
usage: /* getopt named the option */
    cli_usage("neighbors", NULL);
bad:
    ret = 2;
done:
    dv_knn_hits_free(k, hits);
    dv_knn_free(k);
    free(seeds);
    free(srows);
    sv_free(&embs);
    sv_free(&files);
    sv_free(&meta);
    return ret;
}
