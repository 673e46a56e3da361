/* mkdataset.c - datavet-mkdataset: a benign sample dataset with planted "known" items, for
 * `make demo`, the scan tests and scan_bench. Images come from a folder of photos (e.g.
 * ../shared/photos/dev) or are synthetic; the lists are made from some of them.
 *
 *   datavet-mkdataset OUT [--photos DIR] [--items N] [--shards S] [--marker TEXT]
 *
 * OUT/laion/metadata_NNNN.parquet  key, URL, TEXT, WIDTH, HEIGHT, punsafe, md5 (+ img_emb/)
 * OUT/wds/NNNNN.tar + .parquet     img2dataset-style shards: the images as originals,
 *                                  re-encoded, resized to half, or mirrored
 * OUT/hf/train-NNNNN.parquet        id, image (the webdataset shard's image bytes, in a binary
 *                                  column as Hugging Face datasets hold them; null where the
 *                                  item failed to download), caption
 * OUT/urls.csv                     url,caption
 * OUT/lists/{md5,pdq,url}.txt, terms.txt   the "known" lists and caption terms
 * OUT/expected.tsv                 the findings a scan must report: layout, id, hash_type
 * OUT/items.tsv                    id, PDQ (hex) and quality of each shard image as it is
 * Planted: item i is known when i % 7 == 0 (md5 + pdq lists), its URL is listed when
 * i % 11 == 0, punsafe 0.95 when i % 13 == 0, caption term when i % 17 == 0. */
#include "datavet.h"
#include "../tests/unit/imggen.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAXI 100000

typedef struct item {
    uint8_t *orig;      /* original file bytes */
    size_t orig_len;
    uint8_t *shard;     /* bytes put in the webdataset shard */
    size_t shard_len;
    uint32_t w, h;
    char md5[33];
    dv_pdq_result pdq_orig, pdq_shard;
    int has_pdq_orig, has_pdq_shard;
} item;

static void die(const char *m)
{
    fprintf(stderr, "datavet-mkdataset: %s\n", m);
    exit(2);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void mkdirs(const char *p)
{
    if (mkdir(p, 0755) != 0 && errno != EEXIST) die("cannot create a directory");
}

/* RGB pixels -> RGBA for the encoder, with an optional mirror and 2x box downscale */
static uint8_t *to_rgba(const dv_image *im, int mirror, int half, int *w_out, int *h_out)
{
    int w = (int)im->width, h = (int)im->height, ow = half ? w / 2 : w, oh = half ? h / 2 : h;
    uint8_t *px;
    if (ow < 8 || oh < 8) ow = w, oh = h, half = 0;
    px = malloc((size_t)ow * oh * 4);
    if (!px) die("out of memory");
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx = mirror ? ow - 1 - x : x;
            for (int c = 0; c < 3; c++) {
                unsigned v = 0, n = 0;
                for (int dy = 0; dy <= half; dy++)
                    for (int dx = 0; dx <= half; dx++) {
                        int yy = half ? 2 * y + dy : y, xx = half ? 2 * sx + dx : sx;
                        const uint8_t *p = im->pixels + (size_t)yy * im->stride +
                                           (size_t)xx * im->channels;
                        v += im->channels == 3 ? p[c] : p[0];
                        n++;
                    }
                px[((size_t)y * ow + x) * 4 + c] = (uint8_t)(v / n);
            }
            px[((size_t)y * ow + x) * 4 + 3] = 255;
        }
    *w_out = ow;
    *h_out = oh;
    return px;
}

/* ---- tar (ustar) */
static void tar_member(FILE *f, const char *name, const void *data, size_t len)
{
    uint8_t h[512];
    unsigned sum = 0;
    static const uint8_t zero[512];
    memset(h, 0, sizeof h);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)len);
    snprintf((char *)h + 136, 12, "%011o", 1700000000);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    fwrite(h, 1, 512, f);
    fwrite(data, 1, len, f);
    if (len % 512) fwrite(zero, 1, 512 - len % 512, f);
}

static void tar_end(FILE *f)
{
    static const uint8_t zero[1024];
    fwrite(zero, 1, 1024, f);
}

/* ---- parquet */
typedef struct pqcol {
    const char *name;
    dv_pq_type type;
    int binary; /* a BYTE_ARRAY without the STRING annotation */
} pqcol;

static dv_parquet_writer *pq_open(const char *path, const pqcol *c, size_t n)
{
    dv_parquet_field f[16];
    dv_parquet_writer_opts o = {0};
    dv_parquet_writer *w;
    char err[256];
    memset(f, 0, sizeof f);
    for (size_t i = 0; i < n; i++) {
        f[i].name = c[i].name;
        f[i].type = c[i].type;
        f[i].optional = 1;
        f[i].is_string = c[i].type == DV_PQ_BYTE_ARRAY && !c[i].binary;
    }
    o.codec = DV_PQ_SNAPPY;
    o.row_group_rows = 100; /* img2dataset writes row groups this small */
    if (dv_parquet_writer_create(path, f, n, &o, &w, err, sizeof err) != DV_OK) die(err);
    return w;
}

static dv_parquet_value vs(const char *s)
{
    dv_parquet_value v;
    memset(&v, 0, sizeof v);
    v.bytes = (const uint8_t *)s;
    v.len = strlen(s);
    return v;
}

static dv_parquet_value vi(int64_t x)
{
    dv_parquet_value v;
    memset(&v, 0, sizeof v);
    v.i64 = x;
    v.i32 = (int32_t)x;
    return v;
}

static dv_parquet_value vd(double x)
{
    dv_parquet_value v;
    memset(&v, 0, sizeof v);
    v.f64 = x;
    return v;
}

static void caption_of(int i, char *out, size_t cap)
{
    static const char *const words[] = {"a", "photo", "of", "the", "mountain", "lake",
                                        "city", "cat", "garden", "sunset", "beach", "forest"};
    snprintf(out, cap, "%s %s %s %s%s", words[i % 12], words[(i / 3) % 12], words[(i / 7) % 12],
             words[(i / 5) % 12], i % 17 == 0 ? " with Forbidden-Term inside" : "");
}

int main(int argc, char **argv)
{
    const char *out = NULL, *photos = NULL, *marker = NULL;
    int nitems = 120, nshards = 4;
    char **files = NULL;
    size_t nfiles = 0, capf = 0;
    item *it;
    dv_decoder *dec;
    dv_hasher *hs;
    dv_hasher_opts ho = {0};
    char p[4096];
    FILE *f;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--photos") == 0 && i + 1 < argc) photos = argv[++i];
        else if (strcmp(argv[i], "--items") == 0 && i + 1 < argc) nitems = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--shards") == 0 && i + 1 < argc) nshards = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--marker") == 0 && i + 1 < argc) marker = argv[++i];
        else if (argv[i][0] != '-' && !out) out = argv[i];
        else die("usage: datavet-mkdataset OUT [--photos DIR] [--items N] [--shards S] [--marker TEXT]");
    }
    if (!out || nitems < 1 || nitems > MAXI || nshards < 1 || nshards > nitems) die("bad arguments");
    if (photos) {
        DIR *d = opendir(photos);
        struct dirent *e;
        if (!d) die("cannot open the photo folder");
        while ((e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 5 || e->d_name[0] == '.') continue;
            if (strcasecmp(e->d_name + l - 4, ".jpg") != 0 && strcasecmp(e->d_name + l - 4, ".png") != 0 &&
                strcasecmp(e->d_name + l - 5, ".webp") != 0)
                continue;
            if (nfiles == capf) {
                capf = capf ? capf * 2 : 256;
                files = realloc(files, capf * sizeof(char *));
                if (!files) die("out of memory");
            }
            snprintf(p, sizeof p, "%s/%s", photos, e->d_name);
            files[nfiles++] = strdup(p);
        }
        closedir(d);
        qsort(files, nfiles, sizeof(char *), cmpstr);
        if (nfiles == 0) die("no photos");
    }
    it = calloc((size_t)nitems, sizeof(item));
    dec = dv_decoder_create(NULL);
    ho.algos = DV_ALGO_ALL;
    ho.dihedral = 1;
    hs = dv_hasher_create(&ho);
    if (!it || !dec || !hs) die("out of memory");

    for (int i = 0; i < nitems; i++) {
        item *x = &it[i];
        dv_image im;
        dv_hash_result hr;
        int w, h, variant = i % 4;
        uint8_t *px;
        if (nfiles) {
            char err[256];
            void *buf;
            if (dv_read_file(files[(size_t)i % nfiles], 64u << 20, NULL, &buf, &x->orig_len, err,
                             sizeof err) != DV_OK)
                die(err);
            x->orig = buf;
            if ((size_t)i >= nfiles) variant = 1 + (i / (int)nfiles) % 3; /* a repeat: a variant */
        } else {
            uint8_t *sp = ig_pixels(160 + (i % 5) * 40, 120 + (i % 3) * 40, IG_PAT_SHAPES,
                                    (const uint8_t[4]){(uint8_t)(i * 37), (uint8_t)(i * 91), (uint8_t)(i * 13), 255},
                                    (uint32_t)i * 2654435761u + 1);
            x->orig = ig_jpeg(sp, 160 + (i % 5) * 40, 120 + (i % 3) * 40, IG_JPEG_RGB, 92,
                              &x->orig_len);
            free(sp);
        }
        if (!x->orig) die("cannot make an image");
        if (dv_hasher_hash(hs, x->orig, x->orig_len, &hr) == DV_OK && hr.has_pdq) {
            x->pdq_orig = hr.pdq;
            x->has_pdq_orig = 1;
        }
        dv_hex_encode(hr.digests.md5, 16, x->md5);
        x->w = hr.width;
        x->h = hr.height;
        if (variant == 0 || dv_decoder_decode(dec, x->orig, x->orig_len, &im) != DV_OK) {
            x->shard = x->orig;
            x->shard_len = x->orig_len;
        } else {
            px = to_rgba(&im, variant == 3, variant == 2, &w, &h);
            x->shard = ig_jpeg(px, w, h, IG_JPEG_RGB, 80, &x->shard_len);
            free(px);
            if (!x->shard) die("cannot encode");
        }
        if (marker) {
            /* a COM segment right after SOI carries the marker inside the image bytes */
            size_t ml = strlen(marker);
            if (x->shard_len > 2 && x->shard[0] == 0xFF && x->shard[1] == 0xD8 && ml < 60000) {
                uint8_t *nb = malloc(x->shard_len + ml + 4);
                if (!nb) die("out of memory");
                memcpy(nb, x->shard, 2);
                nb[2] = 0xFF, nb[3] = 0xFE;
                nb[4] = (uint8_t)((ml + 2) >> 8), nb[5] = (uint8_t)(ml + 2);
                memcpy(nb + 6, marker, ml);
                memcpy(nb + 6 + ml, x->shard + 2, x->shard_len - 2);
                if (x->shard != x->orig) free(x->shard);
                x->shard = nb;
                x->shard_len += ml + 4;
            }
        }
        if (dv_hasher_hash(hs, x->shard, x->shard_len, &hr) == DV_OK && hr.has_pdq) {
            x->pdq_shard = hr.pdq;
            x->has_pdq_shard = 1;
        }
    }

    mkdirs(out);
    snprintf(p, sizeof p, "%s/laion", out), mkdirs(p);
    snprintf(p, sizeof p, "%s/laion/img_emb", out), mkdirs(p);
    snprintf(p, sizeof p, "%s/wds", out), mkdirs(p);
    snprintf(p, sizeof p, "%s/hf", out), mkdirs(p);
    snprintf(p, sizeof p, "%s/lists", out), mkdirs(p);

    {
        static const pqcol laion[] = {{"key", DV_PQ_BYTE_ARRAY, 0}, {"URL", DV_PQ_BYTE_ARRAY, 0},
                                      {"TEXT", DV_PQ_BYTE_ARRAY, 0}, {"WIDTH", DV_PQ_INT64, 0},
                                      {"HEIGHT", DV_PQ_INT64, 0},  {"punsafe", DV_PQ_DOUBLE, 0},
                                      {"md5", DV_PQ_BYTE_ARRAY, 0}};
        static const pqcol i2d[] = {{"key", DV_PQ_BYTE_ARRAY, 0}, {"url", DV_PQ_BYTE_ARRAY, 0},
                                    {"caption", DV_PQ_BYTE_ARRAY, 0}, {"status", DV_PQ_BYTE_ARRAY, 0},
                                    {"width", DV_PQ_INT64, 0}, {"height", DV_PQ_INT64, 0}};
        static const pqcol hf[] = {{"id", DV_PQ_BYTE_ARRAY, 0}, {"image", DV_PQ_BYTE_ARRAY, 1},
                                   {"caption", DV_PQ_BYTE_ARRAY, 0}};
        int per = (nitems + nshards - 1) / nshards;
        uint32_t rs = 12345;
        /* unit vectors; item i % 7 == 3 is a near copy (similarity > 0.97) of item i - 3, a
         * known one, so neighbour expansion has planted candidates to find */
        float *allemb = calloc((size_t)nitems * 16 + 1, sizeof(float));
        if (!allemb) die("out of memory");
        for (int i = 0; i < nitems; i++) {
            double nrm = 0;
            float *e = allemb + (size_t)i * 16;
            for (int d = 0; d < 16; d++) {
                float g = (float)((int)(ig_rand(&rs) % 2001) - 1000) / 1000.0f;
                if (i % 7 == 3) g = allemb[(size_t)(i - 3) * 16 + d] + g * 0.05f;
                e[d] = g;
                nrm += (double)g * g;
            }
            for (int d = 0; d < 16; d++) e[d] /= (float)sqrt(nrm);
        }
        for (int s = 0; s < nshards; s++) {
            dv_parquet_writer *lw, *iw, *hw;
            FILE *tf, *ef;
            int a = s * per, b = a + per < nitems ? a + per : nitems;
            float *emb;
            char err[256];
            snprintf(p, sizeof p, "%s/laion/metadata_%04d.parquet", out, s);
            lw = pq_open(p, laion, 7);
            snprintf(p, sizeof p, "%s/wds/%05d.parquet", out, s);
            iw = pq_open(p, i2d, 6);
            snprintf(p, sizeof p, "%s/hf/train-%05d.parquet", out, s);
            hw = pq_open(p, hf, 3);
            snprintf(p, sizeof p, "%s/wds/%05d.tar", out, s);
            tf = fopen(p, "wb");
            if (!tf) die("cannot write a tar");
            emb = calloc((size_t)(b - a) * 16 + 1, sizeof(float));
            for (int i = a; i < b; i++) {
                char key[32], url[96], cap[160], json[512], name[64];
                dv_parquet_value v[7];
                double nrm = 0;
                snprintf(key, sizeof key, "%09d", i);
                snprintf(url, sizeof url, "http://img%d.example.com/photos/%d.jpg", i % 5, i);
                caption_of(i, cap, sizeof cap);
                v[0] = vs(key), v[1] = vs(url), v[2] = vs(cap), v[3] = vi(it[i].w);
                v[4] = vi(it[i].h), v[5] = vd(i % 13 == 0 ? 0.95 : 0.05), v[6] = vs(it[i].md5);
                if (dv_parquet_writer_write_row(lw, v) != DV_OK) die("parquet write");
                v[3] = vs(i % 9 == 4 ? "failed_to_download" : "success");
                v[4] = vi(it[i].w), v[5] = vi(it[i].h);
                if (dv_parquet_writer_write_row(iw, v) != DV_OK) die("parquet write");
                v[0] = vs(key), v[2] = vs(cap);
                memset(&v[1], 0, sizeof v[1]);
                if (i % 9 == 4) {
                    v[1].is_null = 1;
                } else {
                    v[1].bytes = it[i].shard;
                    v[1].len = it[i].shard_len;
                }
                if (dv_parquet_writer_write_row(hw, v) != DV_OK) die("parquet write");
                if (i % 9 != 4) {
                    snprintf(json, sizeof json,
                             "{\"key\": \"%s\", \"url\": \"%s\", \"caption\": \"%s\", \"status\": \"success\"}",
                             key, url, cap);
                    snprintf(name, sizeof name, "%s.jpg", key);
                    tar_member(tf, name, it[i].shard, it[i].shard_len);
                    snprintf(name, sizeof name, "%s.txt", key);
                    tar_member(tf, name, cap, strlen(cap));
                    snprintf(name, sizeof name, "%s.json", key);
                    tar_member(tf, name, json, strlen(json));
                }
                (void)nrm;
                memcpy(emb + (size_t)(i - a) * 16, allemb + (size_t)i * 16, 16 * sizeof(float));
            }
            tar_end(tf);
            fclose(tf);
            if (dv_parquet_writer_close(lw) != DV_OK || dv_parquet_writer_close(iw) != DV_OK ||
                dv_parquet_writer_close(hw) != DV_OK)
                die("parquet close");
            dv_parquet_writer_free(hw);
            dv_parquet_writer_free(lw);
            dv_parquet_writer_free(iw);
            snprintf(p, sizeof p, "%s/laion/img_emb/img_emb_%04d.npy", out, s);
            ef = fopen(p, "wb");
            if (!ef || dv_npy_write_fd(fileno(ef), DV_NPY_F16, emb, (uint64_t)(b - a), 16, err,
                                       sizeof err) != DV_OK)
                die("npy write");
            fclose(ef);
            free(emb);
        }
        {
            /* expected neighbour candidates of a laion scan with the md5 and url lists and
             * --neighbors-min-sim 0.9, by brute force over the float16-rounded vectors:
             * seeds are the match-tier items (md5 of a known original, or a listed URL) */
            FILE *g;
            char *ismatch = calloc((size_t)nitems + 1, 1);
            snprintf(p, sizeof p, "%s/expected-neighbors.tsv", out);
            g = fopen(p, "w");
            if (!g || !ismatch) die("cannot write");
            for (size_t x = 0; x < (size_t)nitems * 16; x++)
                allemb[x] = dv_f16_to_f32_scalar(dv_f32_to_f16(allemb[x]));
            for (int i = 0; i < nitems; i++) {
                for (int j = 0; j < nitems; j += 7)
                    if (strcmp(it[j].md5, it[i].md5) == 0) ismatch[i] = 1;
                if (i % 11 == 0) ismatch[i] = 1;
            }
            for (int i = 0; i < nitems; i++) {
                int found = 0;
                if (ismatch[i]) continue;
                for (int j = 0; j < nitems && !found; j++) {
                    double dot = 0;
                    if (!ismatch[j]) continue;
                    for (int d = 0; d < 16; d++)
                        dot += (double)allemb[(size_t)i * 16 + d] * allemb[(size_t)j * 16 + d];
                    if (dot >= 0.9) found = 1;
                }
                if (found) fprintf(g, "laion\t%09d\tneighbors\n", i);
            }
            fclose(g);
            free(ismatch);
        }
        free(allemb);
    }
    /* URL list, lists, terms */
    snprintf(p, sizeof p, "%s/urls.csv", out);
    f = fopen(p, "w");
    fprintf(f, "url,caption\n");
    for (int i = 0; i < nitems; i++) {
        char cap[160];
        caption_of(i, cap, sizeof cap);
        fprintf(f, "http://img%d.example.com/photos/%d.jpg,\"%s\"\n", i % 5, i, cap);
    }
    fclose(f);
    {
        FILE *fm, *fp, *fu, *ft;
        snprintf(p, sizeof p, "%s/lists/md5.txt", out), fm = fopen(p, "w");
        snprintf(p, sizeof p, "%s/lists/pdq.txt", out), fp = fopen(p, "w");
        snprintf(p, sizeof p, "%s/lists/url.txt", out), fu = fopen(p, "w");
        snprintf(p, sizeof p, "%s/lists/terms.txt", out), ft = fopen(p, "w");
        if (!fm || !fp || !fu || !ft) die("cannot write lists");
        for (int i = 0; i < nitems; i++) {
            if (i % 7 == 0) {
                char hex[65];
                fprintf(fm, "%s\n", it[i].md5);
                if (it[i].has_pdq_orig && it[i].pdq_orig.quality >= 50) {
                    dv_pdq_to_hex(&it[i].pdq_orig.hash[0], hex);
                    fprintf(fp, "%s,%d\n", hex, it[i].pdq_orig.quality);
                }
            }
            if (i % 11 == 0) fprintf(fu, "http://IMG%d.example.com:80/photos/%d.jpg\n", i % 5, i);
        }
        fprintf(ft, "# caption terms (whole words, case-folded)\nforbidden-term\nnever used term\n");
        fclose(fm), fclose(fp), fclose(fu), fclose(ft);
    }
    /* the shard images' own PDQ, for the findings' item_pdq */
    snprintf(p, sizeof p, "%s/items.tsv", out);
    f = fopen(p, "w");
    if (!f) die("cannot write items.tsv");
    for (int i = 0; i < nitems; i++) {
        char hex[65];
        if (i % 9 == 4 || !it[i].has_pdq_shard) continue;
        dv_pdq_to_hex(&it[i].pdq_shard.hash[0], hex);
        fprintf(f, "%09d\t%s\t%d\n", i, hex, it[i].pdq_shard.quality);
    }
    fclose(f);
    /* expected findings, computed here by brute force, independently of the scan's index */
    snprintf(p, sizeof p, "%s/expected.tsv", out);
    f = fopen(p, "w");
    for (int i = 0; i < nitems; i++) {
        char key[32];
        snprintf(key, sizeof key, "%09d", i);
        /* laion: metadata md5 (known md5 set: duplicates of a known original also match) */
        for (int j = 0; j < nitems; j += 7)
            if (strcmp(it[j].md5, it[i].md5) == 0) {
                fprintf(f, "laion\t%s\tmd5\n", key);
                break;
            }
        if (i % 11 == 0) fprintf(f, "laion\t%s\turl\nwds\t%s\turl\n", key, key);
        if (i % 13 == 0) fprintf(f, "laion\t%s\tpunsafe\n", key);
        if (i % 17 == 0)
            fprintf(f, "laion\t%s\tterms\nwds\t%s\tterms\nhf\t%s\tterms\n", key, key, key);
        if (i % 9 == 4) continue; /* not in the shards */
        if (!marker) {
            /* shard bytes: md5 of the bytes, PDQ of the decoded image (dihedral) */
            dv_digests d;
            char hex[33];
            dv_digests_compute(DV_ALGO_MD5, it[i].shard, it[i].shard_len, &d);
            dv_hex_encode(d.md5, 16, hex);
            for (int j = 0; j < nitems; j += 7)
                if (strcmp(it[j].md5, hex) == 0) {
                    fprintf(f, "wds\t%s\tmd5\nhf\t%s\tmd5\n", key, key);
                    break;
                }
        }
        if (it[i].has_pdq_shard && it[i].pdq_shard.quality >= 50) {
            for (int j = 0; j < nitems; j += 7) {
                int best = 256;
                if (!it[j].has_pdq_orig || it[j].pdq_orig.quality < 50) continue;
                for (int v = 0; v < 8; v++) {
                    int dd = dv_pdq_distance(&it[i].pdq_shard.hash[v], &it[j].pdq_orig.hash[0]);
                    if (dd < best) best = dd;
                }
                if (best <= 31)
                    fprintf(f, "wds\t%s\tpdq\t%09d\nhf\t%s\tpdq\t%09d\n", key, j, key, j);
            }
        }
    }
    fclose(f);
    printf("datavet-mkdataset: %d items in %d shards under %s (%s images)\n", nitems, nshards,
           out, nfiles ? "photo" : "synthetic");
    for (int i = 0; i < nitems; i++) {
        if (it[i].shard != it[i].orig) free(it[i].shard);
        if (nfiles) dv_free_buffer(NULL, it[i].orig);
        else free(it[i].orig);
    }
    free(it);
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    dv_hasher_free(hs);
    dv_decoder_free(dec);
    return 0;
}
