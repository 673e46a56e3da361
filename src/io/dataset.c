/* dataset.c - layout detection (LAION parquet, img2dataset, webdataset, image folders, URL
 * lists) and one item iterator over all of them: what `scan` and `inspect` read through. */
#include "../common/common.h"
#include "../match/list_internal.h"
#include "io_readers.h"
#include "parquet_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DS_MAX_DEPTH 32
#define DS_MAX_NAME 1024 /* of a shard name in an id made from it */
#define DS_MAX_FILES (1ull << 28)
#define DS_PROBLEMS_MAX (64u << 10)

typedef struct ds_shard {
    char *name, *path, *meta_path, *emb_path;
    char *emb_unused; /* emb_path when check_embedding refused it */
    char *text_emb;   /* text_emb_N.npy aligned with the shard's rows (kept in step by --clean) */
    char *emb_key;    /* the array used when emb_path is an .npz */
    uint64_t first_file, nfiles;
} ds_shard;

struct dv_dataset {
    const dv_alloc *alloc;
    dv_dataset_opts opts;
    dv_layout layout;
    char *root;
    ds_shard *shards;
    uint64_t nshards;
    char **files; /* image folders: every file, sorted */
    uint64_t nfiles;
    dv__dbuf problems;
};

void dv__dataset_skip(dv_dataset *ds, unsigned skip)
{
    if (ds) ds->opts.skip |= skip;
}

const char *dv_layout_name(dv_layout l)
{
    switch (l) {
    case DV_LAYOUT_PARQUET: return "parquet";
    case DV_LAYOUT_IMG2DATASET: return "img2dataset";
    case DV_LAYOUT_WEBDATASET: return "webdataset";
    case DV_LAYOUT_IMAGES: return "images";
    case DV_LAYOUT_URLLIST: return "url-list";
    default: return "unknown";
    }
}

static char *ds_strdup(const dv_alloc *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = dv__malloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

static char *path_join(const dv_alloc *a, const char *dir, const char *name)
{
    size_t n1 = strlen(dir), n2 = strlen(name);
    char *p = dv__malloc(a, n1 + n2 + 2);
    if (!p) return NULL;
    memcpy(p, dir, n1);
    p[n1] = '/';
    memcpy(p + n1 + 1, name, n2 + 1);
    return p;
}

static void problem(dv_dataset *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(dv_dataset *ds, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    size_t n;
    va_start(ap, fmt); /* names escaped: a line feed in one never makes a line of its own */
    n = dv__text_vline(line, sizeof line, fmt, ap);
    va_end(ap);
    if (ds->problems.len + n + 2 > DS_PROBLEMS_MAX) return;
    if (dv__dbuf_append(ds->alloc, &ds->problems, line, n) == DV_OK)
        dv__dbuf_append(ds->alloc, &ds->problems, "\n", 2), ds->problems.len--;
}

/* ---------------------------------------------------------------- file classes */

enum { FC_OTHER, FC_PARQUET, FC_TAR, FC_LIST, FC_IMAGE, FC_NPY };

static const char *ext_of(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot;
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

/* A compressed dataset file (WIT's .tsv.gz, a .tar.gz or .tgz shard, a .jsonl.zst): datavet
 * reads none, so they are named rather than passed over. */
static int compressed_shard(const char *path)
{
    static const char *const z[] = {"gz", "bz2", "xz", "zst", "lz4", NULL};
    static const char *const inner[] = {"tar", "csv", "tsv", "jsonl", "json", "txt", "parquet",
                                        "npy", NULL};
    const char *e = ext_of(path), *base = strrchr(path, '/');
    size_t bl;
    char stem[256];
    int zipped = 0;
    if (strcasecmp(e, "tgz") == 0) return 1;
    for (int k = 0; z[k]; k++) zipped |= strcasecmp(e, z[k]) == 0;
    if (!zipped) return 0;
    base = base ? base + 1 : path;
    bl = strlen(base) - strlen(e) - 1;
    if (bl == 0 || bl >= sizeof stem) return 0;
    memcpy(stem, base, bl);
    stem[bl] = '\0';
    e = ext_of(stem);
    for (int k = 0; inner[k]; k++)
        if (strcasecmp(e, inner[k]) == 0) return 1;
    return 0;
}

static int classify(const char *path)
{
    const char *e = ext_of(path);
    if (strcasecmp(e, "parquet") == 0) return FC_PARQUET;
    if (strcasecmp(e, "tar") == 0) return FC_TAR;
    if (strcasecmp(e, "npy") == 0) return FC_NPY;
    if (strcasecmp(e, "csv") == 0 || strcasecmp(e, "tsv") == 0 || strcasecmp(e, "jsonl") == 0 ||
        strcasecmp(e, "txt") == 0)
        return FC_LIST;
    /* the formats datavet decodes, and those it recognises and reports as undecodable */
    if (strcasecmp(e, "jpg") == 0 || strcasecmp(e, "jpeg") == 0 || strcasecmp(e, "png") == 0 ||
        strcasecmp(e, "webp") == 0 || strcasecmp(e, "gif") == 0 || strcasecmp(e, "jfif") == 0 ||
        strcasecmp(e, "tif") == 0 || strcasecmp(e, "tiff") == 0 || strcasecmp(e, "bmp") == 0 ||
        strcasecmp(e, "heic") == 0 || strcasecmp(e, "heif") == 0 || strcasecmp(e, "avif") == 0 ||
        strcasecmp(e, "jxl") == 0)
        return FC_IMAGE;
    return FC_OTHER;
}

/* ---------------------------------------------------------------- directory walk */

typedef struct strvec {
    char **v;
    uint64_t n, cap;
} strvec;

static int sv_push(const dv_alloc *a, strvec *s, char *p)
{
    if (!p) return DV_ENOMEM;
    if (s->n == s->cap) {
        uint64_t nc = s->cap ? s->cap * 2 : 64;
        char **nv;
        if (nc > DS_MAX_FILES) {
            dv__free(a, p);
            return DV_ETOOBIG;
        }
        nv = dv__realloc(a, s->v, (size_t)nc * sizeof(char *));
        if (!nv) {
            dv__free(a, p);
            return DV_ENOMEM;
        }
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = p;
    return DV_OK;
}

static void sv_free(const dv_alloc *a, strvec *s)
{
    for (uint64_t i = 0; i < s->n; i++) dv__free(a, s->v[i]);
    dv__free(a, s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files under dir (hidden names skipped, symlinked directories not followed). */
/* hidden[0] counts the hidden names passed over, hidden[1] the folders too deep to walk. */
static int walk(const dv_alloc *a, const char *dir, int depth, strvec *out, uint64_t *hidden,
                char *err, size_t cap)
{
    DIR *d;
    struct dirent *e;
    int rc = DV_OK;
    if (depth > DS_MAX_DEPTH) {
        hidden[1]++;
        return DV_OK;
    }
    d = opendir(dir);
    if (!d) {
        dv__set_err(err, cap, "%s: cannot open directory: %s", dir, strerror(errno));
        return DV_EIO;
    }
    while (rc == DV_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        char *p;
        if (e->d_name[0] == '.') {
            /* named as a problem: a hidden image is not scanned */
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) hidden[0]++;
            continue;
        }
        p = path_join(a, dir, e->d_name);
        if (!p) {
            rc = DV_ENOMEM;
            break;
        }
        if (lstat(p, &st) != 0) {
            dv__free(a, p);
            continue;
        }
        if (S_ISLNK(st.st_mode) && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = sv_push(a, out, p);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(a, p, depth + 1, out, hidden, err, cap);
            dv__free(a, p);
        } else if (S_ISREG(st.st_mode)) {
            rc = sv_push(a, out, p);
        } else {
            dv__free(a, p);
        }
    }
    closedir(d);
    return rc;
}

/* ---------------------------------------------------------------- shards */

/* A copy of a file's path with its extension removed ("train/0000.parquet" -> "train/0000"). */
static char *shard_name(const dv_alloc *a, const char *rel)
{
    char *name = ds_strdup(a, rel), *dot, *slash;
    if (!name) return NULL;
    dot = strrchr(name, '.');
    slash = strrchr(name, '/');
    if (dot && dot != name && (!slash || dot > slash + 1)) *dot = '\0';
    return name;
}

/* Shards are named by their paths below the deepest folder that holds them all, so that
 * shards in one folder keep their file names ("metadata_0") and train/0000.parquet and
 * test/0000.parquet (Hugging Face's converted layout) stay apart. */
static int name_shards(dv_dataset *ds)
{
    size_t common;
    const char *p0;
    if (ds->nshards < 2 || ds->layout == DV_LAYOUT_IMAGES) return DV_OK;
    p0 = ds->shards[0].path;
    common = (size_t)(strrchr(p0, '/') ? strrchr(p0, '/') - p0 : 0);
    for (uint64_t i = 1; i < ds->nshards && common > 0; i++) {
        const char *p = ds->shards[i].path;
        size_t k = 0;
        while (k < common && p[k] == p0[k]) k++;
        if (k < common || p[k] != '/')
            while (k > 0 && p0[--k] != '/') {
            }
        common = k;
    }
    for (uint64_t i = 0; i < ds->nshards; i++) {
        ds_shard *s = &ds->shards[i];
        const char *rel = s->path + (common > 0 ? common + 1 : 0);
        char *name;
        if (common == 0 && strrchr(s->path, '/')) continue; /* no folder in common: keep */
        name = shard_name(ds->alloc, rel);
        if (!name) return DV_ENOMEM;
        dv__free(ds->alloc, s->name);
        s->name = name;
    }
    return DV_OK;
}

static int add_shard(dv_dataset *ds, const char *path, const char *meta, const char *emb)
{
    ds_shard *s;
    const char *base = strrchr(path, '/');
    char *name;
    if ((ds->nshards & (ds->nshards - 1)) == 0) {
        uint64_t nc = ds->nshards ? ds->nshards * 2 : 8;
        ds_shard *nv = dv__realloc(ds->alloc, ds->shards, (size_t)nc * sizeof(ds_shard));
        if (!nv) return DV_ENOMEM;
        ds->shards = nv;
    }
    s = &ds->shards[ds->nshards];
    memset(s, 0, sizeof *s);
    base = base ? base + 1 : path;
    name = shard_name(ds->alloc, base);
    if (!name) return DV_ENOMEM;
    s->name = name;
    s->path = ds_strdup(ds->alloc, path);
    s->meta_path = meta ? ds_strdup(ds->alloc, meta) : NULL;
    s->emb_path = emb ? ds_strdup(ds->alloc, emb) : NULL;
    ds->nshards++;
    if (!s->path || (meta && !s->meta_path) || (emb && !s->emb_path)) return DV_ENOMEM;
    return DV_OK;
}

/* The last run of digits in a file's base name, or -1 (metadata_12.parquet -> 12). */
static long long file_number(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *e, *end = NULL, *start;
    long long v = 0;
    base = base ? base + 1 : path;
    if (strncmp(base, "part-", 5) == 0 && isdigit((unsigned char)base[5])) {
        /* Spark's part-00001-<uuid>-c000.snappy.parquet: the part number, not the c000
         * every part ends in */
        start = end = base + 5;
        while (isdigit((unsigned char)*end)) end++;
        if (end - start > 15) return -1;
        for (const char *p = start; p < end; p++) v = v * 10 + (*p - '0');
        return v;
    }
    e = strrchr(base, '.');
    if (!e) e = base + strlen(base);
    for (const char *p = e; p > base; p--)
        if (isdigit((unsigned char)p[-1])) {
            end = p;
            break;
        }
    if (!end) return -1;
    start = end;
    while (start > base && isdigit((unsigned char)start[-1])) start--;
    if (end - start > 15) return -1;
    for (const char *p = start; p < end; p++) v = v * 10 + (*p - '0');
    return v;
}

/* Same directory and stem with another extension. */
static int same_stem(const char *a, const char *b)
{
    const char *ea = strrchr(a, '.'), *eb = strrchr(b, '.');
    size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
    return la == lb && memcmp(a, b, la) == 0;
}

/* How many files of v pred() holds for; *first: the first of them (NULL if none). */
static uint64_t sv_count_if(const strvec *v, int (*pred)(const char *), const char **first)
{
    uint64_t n = 0;
    *first = NULL;
    for (uint64_t i = 0; i < v->n; i++)
        if (pred(v->v[i]) && n++ == 0) *first = v->v[i];
    return n;
}

/* Remove from v (freeing them) the files drop() says go; the count removed. */
static uint64_t sv_drop_if(const dv_alloc *a, strvec *v, int (*drop)(const char *, const strvec *),
                           const strvec *img)
{
    uint64_t o = 0, n = v->n;
    for (uint64_t i = 0; i < n; i++) {
        if (drop(v->v[i], img)) dv__free(a, v->v[i]);
        else v->v[o++] = v->v[i];
    }
    v->n = o;
    return n - o;
}

/* The first path of the sorted img whose first k bytes are not below p's. */
static uint64_t lower_bound(const strvec *img, const char *p, size_t k)
{
    uint64_t lo = 0, hi = img->n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (strncmp(img->v[mid], p, k) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The file of v (sorted) with path's name but another extension: a binary search for
 * "stem." (so 10^6 shards pair in n log n, not n^2), then the few names sharing it. */
static const char *find_same_stem(const strvec *v, const char *path)
{
    const char *e = strrchr(path, '.');
    size_t stem;
    if (!e || strrchr(path, '/') > e) {
        for (uint64_t i = 0; i < v->n; i++)
            if (same_stem(v->v[i], path)) return v->v[i];
        return NULL;
    }
    stem = (size_t)(e - path) + 1;
    for (uint64_t j = lower_bound(v, path, stem); j < v->n && strncmp(v->v[j], path, stem) == 0;
         j++)
        if (same_stem(v->v[j], path)) return v->v[j];
    return NULL;
}

/* Whether p has an image's name with another extension (its caption or metadata). */
static int is_sidecar(const char *p, const strvec *img)
{
    const char *e = strrchr(p, '.');
    size_t stem;
    if (!e || strrchr(p, '/') > e) return 0; /* a dot in a folder's name, not an extension */
    stem = (size_t)(e - p) + 1;               /* "dir/img1." */
    for (uint64_t j = lower_bound(img, p, stem); j < img->n && strncmp(img->v[j], p, stem) == 0;
         j++)
        if (same_stem(img->v[j], p)) return 1;
    return 0;
}

/* The same, for a .txt only (a list file that is an image's caption). */
static int is_caption(const char *p, const strvec *img)
{
    return strcasecmp(ext_of(p), "txt") == 0 && is_sidecar(p, img);
}

/* Whether s contains w, ASCII case-insensitively. */
static int has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0) return 1;
    return 0;
}

/* Whether a .txt/.csv/.tsv/.jsonl file reads as a URL list: its first line names a url
 * column or holds a URL (a README or a file of prompts does not). */
static int url_list_like(const char *path)
{
    char b[4097], *p;
    const char *e = ext_of(path);
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 1; /* unreadable: left to the list reader to report */
    n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n <= 0) return 0;
    b[n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (b[i] == '\n' || b[i] == '\r' || b[i] == '\0') {
            b[i] = '\0';
            break;
        }
    p = b;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3; /* a UTF-8 byte order mark */
    while (*p == ' ' || *p == '\t') p++;
    if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0 ||
        strncasecmp(p, "data:image/", 11) == 0)
        return 1; /* a list of URLs (or a table whose first field is one) */
    if (strcasecmp(e, "jsonl") == 0)
        return has_word(p, "\"url\"") || has_word(p, "\"image_url\"");
    if (strcasecmp(e, "csv") == 0 || strcasecmp(e, "tsv") == 0) {
        /* a header with a url column */
        char *f = p, *end;
        for (;;) {
            size_t l;
            end = f + strcspn(f, ",\t");
            while (f < end && (*f == ' ' || *f == '"')) f++;
            l = (size_t)(end - f);
            while (l > 0 && (f[l - 1] == ' ' || f[l - 1] == '"')) l--;
            if ((l == 3 && strncasecmp(f, "url", 3) == 0) ||
                (l == 9 && strncasecmp(f, "image_url", 9) == 0) ||
                (l == 4 && strncasecmp(f, "link", 4) == 0))
                return 1;
            /* no header, a URL in another field (CC3M: caption TAB url), as the list
             * reader takes such a file */
            if ((l >= 7 && strncasecmp(f, "http://", 7) == 0) ||
                (l >= 8 && strncasecmp(f, "https://", 8) == 0))
                return 1;
            if (*end == '\0') break;
            f = end + 1;
        }
    }
    return 0;
}

/* A list file that does not read as a URL list (url_list_like). */
static int not_url_list(const char *p, const strvec *img)
{
    (void)img;
    return !url_list_like(p);
}

/* X.parquet beside a folder X/ of images (img2dataset's files format: its metadata). */
static int is_i2d_meta(const char *p, const strvec *img)
{
    size_t stem = strlen(p) - 8; /* ".parquet" */
    for (uint64_t j = lower_bound(img, p, stem); j < img->n && strncmp(img->v[j], p, stem) == 0;
         j++)
        if (img->v[j][stem] >= '/') return img->v[j][stem] == '/'; /* sorted: "X-", "X.", "X/" */
    return 0;
}

/* metadata.csv, metadata.jsonl or metadata.parquet (ImageFolder's metadata). */
static int is_metadata(const char *p, const strvec *img)
{
    const char *b = strrchr(p, '/');
    (void)img;
    b = b ? b + 1 : p;
    return strcmp(b, "metadata.csv") == 0 || strcmp(b, "metadata.jsonl") == 0 ||
           strcmp(b, "metadata.parquet") == 0;
}

/* The rows of the array of an .npz that opts.npz_key names (its only one without a key);
 * why says why none is used. Only the headers are read (a deflated one inflated no further). */
static int npz_rows(dv_dataset *ds, const char *path, uint64_t *rows, char **key, char *why,
                    size_t cap)
{
    dv_npz_member *m = NULL;
    size_t n = 0, i = 0;
    int rc = dv_npz_list(path, ds->alloc, &m, &n, why, cap);
    if (rc == DV_OK) rc = dv_npz_pick(m, n, ds->opts.npz_key, &i, why, cap);
    if (rc == DV_OK && !m[i].usable) {
        dv__set_err(why, cap, "array '%s' at offset %llu: %s", m[i].name,
                    (unsigned long long)m[i].offset, m[i].problem);
        rc = DV_EFORMAT;
    }
    if (rc == DV_OK) {
        *rows = m[i].info.rows;
        *key = ds_strdup(ds->alloc, m[i].name);
        if (!*key) rc = DV_ENOMEM;
    }
    dv_npz_list_free(ds->alloc, m);
    return rc;
}

static void check_embedding(dv_dataset *ds, ds_shard *s)
{
    dv_parquet_reader *pr = NULL;
    dv_npy *np = NULL;
    dv_npy_info ni;
    char err[512];
    dv_parquet_reader_opts po = {0};
    int is_npz;
    uint64_t rows = 0;
    if (!s->emb_path) return;
    is_npz = dv_npz_is_zip(s->emb_path);
    po.wipe = 1; /* its footer's statistics can hold whole values of an image column */
    po.alloc = ds->alloc;
    if (dv_parquet_reader_open(s->path, &po, &pr, err, sizeof err) != DV_OK) return;
    if (is_npz ? npz_rows(ds, s->emb_path, &rows, &s->emb_key, err, sizeof err) != DV_OK
               : dv_npy_open(s->emb_path, ds->alloc, &np, err, sizeof err) != DV_OK) {
        if (is_npz)
            problem(ds, "%s: NOT read as the embeddings of %s (--neighbors-min-sim does not "
                        "search it): %s", s->emb_path, s->path, err);
        else
            problem(ds, "%s: not used as the embeddings of %s: %s", s->emb_path, s->path, err);
        s->emb_unused = s->emb_path;
        s->emb_path = NULL;
    } else {
        if (!is_npz) {
            dv_npy_get_info(np, &ni);
            rows = ni.rows;
        }
        if (rows != dv_parquet_reader_num_rows(pr)) {
            problem(ds, "%s%s%s: %llu rows but %s has %llu: embeddings not aligned, not used",
                    s->emb_path, is_npz ? " array " : "", is_npz ? s->emb_key : "",
                    (unsigned long long)rows, s->path,
                    (unsigned long long)dv_parquet_reader_num_rows(pr));
            s->emb_unused = s->emb_path;
            s->emb_path = NULL;
        }
    }
    if (!s->emb_path) {
        dv__free(ds->alloc, s->emb_key);
        s->emb_key = NULL;
    }
    dv_npy_close(np);
    dv_parquet_reader_free(pr);
}

/* A list leaf that by its name holds images ("images.list.element.bytes", "img.list.item") */
static int image_like_name(const char *name)
{
    size_t n = strlen(name);
    return has_word(name, "image") || has_word(name, "img") || has_word(name, "jpg") ||
           has_word(name, "png") || (n > 6 && strcasecmp(name + n - 6, ".bytes") == 0);
}

static void check_image_lists(dv_dataset *ds, const char *path);

/* LAION's text_emb/text_emb_N.npy: not searched (they are not images), but rows of the shard,
 * so --clean keeps them in step; one whose rows differ is named and left out. */
static int check_text_embedding(dv_dataset *ds, ds_shard *s, const char *path)
{
    dv_parquet_reader *pr = NULL;
    dv_npy *np = NULL;
    dv_npy_info ni;
    char err[512];
    dv_parquet_reader_opts po = {0};
    po.wipe = 1;
    po.alloc = ds->alloc;
    if (dv_parquet_reader_open(s->path, &po, &pr, err, sizeof err) != DV_OK) return DV_OK;
    if (dv_npy_open(path, ds->alloc, &np, err, sizeof err) != DV_OK) {
        problem(ds, "%s: not read as the text embeddings of %s (not in a --clean copy): %s",
                path, s->path, err);
    } else {
        dv_npy_get_info(np, &ni);
        if (ni.rows != dv_parquet_reader_num_rows(pr))
            problem(ds, "%s: %llu rows but %s has %llu: text embeddings not aligned (not in a "
                        "--clean copy)", path, (unsigned long long)ni.rows, s->path,
                    (unsigned long long)dv_parquet_reader_num_rows(pr));
        else if (!(s->text_emb = ds_strdup(ds->alloc, path))) {
            dv_npy_close(np);
            dv_parquet_reader_free(pr);
            return DV_ENOMEM;
        }
    }
    dv_npy_close(np);
    dv_parquet_reader_free(pr);
    return DV_OK;
}

/* The length of path's folder part ("a/b/c.npy" -> 3, "c.npy" -> 0). */
static size_t dir_len(const char *path, size_t n)
{
    while (n > 0 && path[n - 1] != '/') n--;
    return n > 0 ? n - 1 : 0;
}

/* How near the embeddings file e sits to a metadata file m: 1 in m's folder, 2 in a folder
 * inside it (metadata_N.parquet + img_emb/), 3 in a folder beside m's (metadata/ +
 * img_emb/, as each of LAION-5B's subsets ships them), 0 elsewhere. */
static int emb_near(const char *m, const char *e)
{
    size_t md = dir_len(m, strlen(m)), ed = dir_len(e, strlen(e)), mp = dir_len(m, md),
           ep = dir_len(e, ed);
    if (ed == md && strncmp(m, e, md) == 0) return 1;
    if (ep == md && strncmp(m, e, md) == 0 && (md == 0 || e[md] == '/')) return 2;
    if (ed > mp && ep == mp && strncmp(m, e, mp) == 0 &&
        (mp == 0 || (m[mp] == '/' && e[ep] == '/')))
        return 3;
    return 0;
}

/* The .npy of m's number (image or text embeddings, text_: 1 or 0). Of several, the one
 * nearest m (emb_near) when only one is that near; else the first, and *several is set. */
typedef struct numidx {
    long long num;
    uint64_t j; /* index in the .npy list */
} numidx;

static int cmp_numidx(const void *a, const void *b)
{
    const numidx *x = a, *y = b;
    if (x->num != y->num) return x->num < y->num ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* by: the .npy files' numbers, sorted (so a metadata file's candidates are found by binary
 * search, and 10^6 shards pair in n log n) */
static const char *pick_npy(const strvec *npy, const numidx *by, const char *m, long long num,
                            int text, int *several)
{
    const char *first = NULL, *best = NULL;
    int nfound = 0, nbest = 0, rank = 4;
    uint64_t lo = 0, hi = npy->n;
    *several = 0;
    if (num < 0) return NULL;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (by[mid].num < num) lo = mid + 1;
        else hi = mid;
    }
    for (uint64_t k = lo; k < npy->n && by[k].num == num; k++) {
        const uint64_t j = by[k].j;
        const char *b;
        int r;
        b = strrchr(npy->v[j], '/');
        b = b ? b + 1 : npy->v[j];
        /* img_emb_N.npy aligns with metadata_N.parquet; text_emb files are not images */
        if ((strncmp(b, "text_", 5) == 0) != text) continue;
        if (nfound++ == 0) first = npy->v[j];
        r = emb_near(m, npy->v[j]);
        if (r == 0 || r > rank) continue;
        if (r < rank) rank = r, nbest = 0, best = npy->v[j];
        nbest++;
    }
    if (nbest == 1) return best;
    *several = nfound > 1;
    return first;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const char *const *)a, y = (uintptr_t) * (const char *const *)b;
    return (x > y) - (x < y);
}

/* Whether p is taken more than once in v (n sorted pointers). */
static int taken_twice(const char *const *v, uint64_t n, const char *p)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)v[mid] < (uintptr_t)p) lo = mid + 1;
        else hi = mid;
    }
    return lo + 1 < n && v[lo] == p && v[lo + 1] == p;
}

static int open_parquet_layout(dv_dataset *ds, const strvec *pq, const strvec *npy,
                               const strvec *npz)
{
    const char **emb = NULL, **text = NULL, **taken = NULL;
    numidx *npy_num = NULL;
    uint64_t ntaken = 0;
    int rc = DV_OK;
    if (pq->n > 0) check_image_lists(ds, pq->v[0]);
    if (npy->n > 0 && pq->n > 0) {
        emb = dv__calloc(ds->alloc, (size_t)pq->n, sizeof *emb);
        text = dv__calloc(ds->alloc, (size_t)pq->n, sizeof *text);
        taken = dv__calloc(ds->alloc, (size_t)pq->n * 2, sizeof *taken);
        npy_num = dv__malloc(ds->alloc, (size_t)npy->n * sizeof *npy_num);
        if (!emb || !text || !taken || !npy_num) {
            rc = DV_ENOMEM;
            goto out;
        }
        for (uint64_t j = 0; j < npy->n; j++) {
            npy_num[j].num = file_number(npy->v[j]);
            npy_num[j].j = j;
        }
        if (npy->n > 1) qsort(npy_num, (size_t)npy->n, sizeof *npy_num, cmp_numidx);
        for (uint64_t i = 0; i < pq->n; i++) {
            long long num = file_number(pq->v[i]);
            int several;
            emb[i] = pick_npy(npy, npy_num, pq->v[i], num, 0, &several);
            if (several)
                problem(ds, "%s: several .npy files share its number; using %s", pq->v[i],
                        emb[i]);
            text[i] = pick_npy(npy, npy_num, pq->v[i], num, 1, &several);
            if (emb[i]) taken[ntaken++] = emb[i];
            if (text[i]) taken[ntaken++] = text[i];
        }
        if (ntaken > 1) qsort(taken, (size_t)ntaken, sizeof *taken, cmp_ptr);
    }
    for (uint64_t i = 0; rc == DV_OK && i < pq->n; i++) {
        const char *e = emb ? emb[i] : NULL, *t = text ? text[i] : NULL;
        if ((e && taken_twice(taken, ntaken, e)) || (t && taken_twice(taken, ntaken, t))) {
            /* two metadata files of one number take the same embeddings (copies in two
             * folders, names whose last digits are not a part number): the rows of neither
             * can be trusted to be the embeddings' rows, so neither takes them */
            problem(ds, "%s: another metadata file has its number (%lld): %s%s%s not used "
                        "(embeddings not aligned; not in a --clean copy)", pq->v[i],
                    file_number(pq->v[i]), e ? e : "", e && t ? " and " : "", t ? t : "");
            e = t = NULL;
        }
        /* DataComp: X.npz beside X.parquet (its arrays, such as l14_img, rows aligned) */
        if (!e) e = find_same_stem(npz, pq->v[i]);
        rc = add_shard(ds, pq->v[i], NULL, e);
        if (rc != DV_OK) break;
        check_embedding(ds, &ds->shards[ds->nshards - 1]);
        if (t) rc = check_text_embedding(ds, &ds->shards[ds->nshards - 1], t);
    }
out:
    dv__free(ds->alloc, emb);
    dv__free(ds->alloc, text);
    dv__free(ds->alloc, taken);
    dv__free(ds->alloc, npy_num);
    return rc;
}

int dv_dataset_open(const char *path, const dv_dataset_opts *opts, dv_dataset **out,
                    char *errbuf, size_t errcap)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_dataset *ds;
    struct stat st;
    strvec all = {0}, pq = {0}, tar = {0}, list = {0}, img = {0}, npy = {0}, oth = {0};
    int rc = DV_OK, images_win = 0;
    uint64_t hidden[2] = {0, 0};

    *out = NULL;
    if (!path) return DV_EINVAL;
    if (stat(path, &st) != 0) {
        dv__set_err(errbuf, errcap, "%s: %s", path, strerror(errno));
        return DV_EIO;
    }
    ds = dv__calloc(a, 1, sizeof *ds);
    if (!ds) return DV_ENOMEM;
    ds->alloc = a;
    if (opts) ds->opts = *opts;
    ds->opts.skip &= ~DV__SKIP_MEMBER_DATA; /* library-internal: set by dv__dataset_skip only */
    if (ds->opts.max_image_bytes == 0) ds->opts.max_image_bytes = 256ull << 20;
    if (ds->opts.images_per_shard == 0)
        ds->opts.images_per_shard = DV_DATASET_DEFAULT_IMAGES_PER_SHARD;
    ds->root = ds_strdup(a, path);
    if (!ds->root) {
        dv__free(a, ds);
        return DV_ENOMEM;
    }
    {
        size_t n = strlen(ds->root);
        while (n > 1 && ds->root[n - 1] == '/') ds->root[--n] = '\0';
    }

    if (S_ISDIR(st.st_mode)) {
        rc = walk(a, ds->root, 0, &all, hidden, errbuf, errcap);
        if (rc == DV_OK && all.n > 1) qsort(all.v, (size_t)all.n, sizeof(char *), cmp_str);
    } else if (S_ISREG(st.st_mode) && compressed_shard(ds->root)) {
        /* not an image to sniff: a dataset file datavet cannot read as it is */
        dv__set_err(errbuf, errcap, "%s: a compressed file: datavet reads uncompressed .tar, "
                    ".parquet and URL-list files (decompress it first)", path);
        rc = DV_EFORMAT;
    } else if (S_ISREG(st.st_mode)) {
        rc = sv_push(a, &all, ds_strdup(a, ds->root));
    } else {
        dv__set_err(errbuf, errcap, "%s: not a file or directory", path);
        rc = DV_EINVAL;
    }
    /* classify, moving the strings into the per-class vectors */
    for (uint64_t i = 0; rc == DV_OK && i < all.n; i++) {
        strvec *to = NULL;
        switch (classify(all.v[i])) {
        case FC_PARQUET: to = &pq; break;
        case FC_TAR: to = &tar; break;
        case FC_LIST: to = &list; break;
        case FC_IMAGE: to = &img; break;
        case FC_NPY: to = &npy; break;
        default:
            if (S_ISREG(st.st_mode)) to = &img; /* one file given: sniffed when read */
            else to = &oth;                       /* named if the folder is of images */
            break;
        }
        if (to) {
            rc = sv_push(a, to, all.v[i]);
            all.v[i] = NULL;
        }
    }
    /* Files beside images that are not datasets of their own: a .txt with an image's stem
     * is its caption (kohya's LoRA folders, img2dataset's files format),
     * metadata.csv/.jsonl/.parquet is Hugging Face ImageFolder's metadata, and a text file
     * that does not read as a URL list is a README or prompts. Those set aside, a folder
     * with images and nothing else is an image folder; where tar, parquet or URL-list files
     * remain, they are the dataset (a repository's asset images are not) and the images are
     * named as not scanned. */
    if (rc == DV_OK && img.n > 0 && S_ISDIR(st.st_mode)) {
        uint64_t side = sv_drop_if(a, &list, is_caption, &img) +
                        sv_drop_if(a, &list, is_metadata, &img) +
                        sv_drop_if(a, &pq, is_metadata, &img) + sv_drop_if(a, &oth, is_sidecar, &img);
        uint64_t i2d = sv_drop_if(a, &pq, is_i2d_meta, &img);
        uint64_t text = sv_drop_if(a, &list, not_url_list, &img);
        images_win = tar.n == 0 && pq.n == 0 && list.n == 0;
        if (side > 0)
            problem(ds, "%llu caption or metadata %s beside the images (a file with an "
                        "image's name, such as its .txt caption; metadata.csv/.jsonl/.parquet): "
                        "not read", (unsigned long long)side, dv__pl(side, "file", "files"));
        if (i2d > 0)
            problem(ds, "%llu parquet %s beside a folder of images of the same name "
                        "(img2dataset's files format): its metadata, not read (URLs and hash "
                        "columns not checked: scan the parquet files on their own)",
                    (unsigned long long)i2d, dv__pl(i2d, "file", "files"));
        if (text > 0)
            problem(ds, "%llu text %s beside the images: not read", (unsigned long long)text,
                    dv__pl(text, "file that is not a URL list", "files that are not URL lists"));
        if (images_win && oth.n > 0)
            problem(ds, "%llu other %s beside the images (not an image, parquet, tar or list "
                        "by its name, e.g. %s): NOT scanned", (unsigned long long)oth.n,
                    dv__pl(oth.n, "file", "files"), oth.v[0]);
        if (!images_win)
            problem(ds, "%llu image %s beside the %s files: NOT scanned (scan the images "
                        "on their own, as a folder of their own)",
                    (unsigned long long)img.n, dv__pl(img.n, "file", "files"),
                    tar.n ? "tar" : pq.n ? "parquet" : "URL-list");
    }
    if (rc == DV_OK) {
        if (tar.n > 0) {
            uint64_t with = 0;
            for (uint64_t i = 0; i < tar.n; i++) with += find_same_stem(&pq, tar.v[i]) != NULL;
            ds->layout = with > 0 ? DV_LAYOUT_IMG2DATASET : DV_LAYOUT_WEBDATASET;
            for (uint64_t i = 0; rc == DV_OK && i < tar.n; i++) {
                const char *meta = find_same_stem(&pq, tar.v[i]);
                if (ds->layout == DV_LAYOUT_IMG2DATASET && !meta)
                    problem(ds, "%s: no %s.parquet next to it: read without metadata",
                            tar.v[i], "<stem>");
                rc = add_shard(ds, tar.v[i], meta, NULL);
            }
            if (pq.n > with)
                problem(ds, "%llu parquet %s without a tar shard of the same name ignored",
                        (unsigned long long)(pq.n - with), dv__pl(pq.n - with, "file", "files"));
        } else if (pq.n > 0 && !images_win) {
            strvec npz = {0}; /* (borrowed from oth) */
            uint64_t lone = 0;
            const char *lone1 = NULL;
            ds->layout = DV_LAYOUT_PARQUET;
            for (uint64_t i = 0; rc == DV_OK && i < oth.n; i++)
                if (strcasecmp(ext_of(oth.v[i]), "npz") == 0) {
                    if (npz.n == npz.cap) {
                        char **nv = dv__realloc(a, npz.v, (size_t)(npz.cap ? 2 * npz.cap : 16) *
                                                              sizeof(char *));
                        if (!nv) rc = DV_ENOMEM;
                        else npz.v = nv, npz.cap = npz.cap ? 2 * npz.cap : 16;
                    }
                    if (rc == DV_OK) npz.v[npz.n++] = oth.v[i];
                }
            if (rc == DV_OK) rc = open_parquet_layout(ds, &pq, &npy, &npz);
            for (uint64_t i = 0; rc == DV_OK && i < npz.n; i++)
                if (!find_same_stem(&pq, npz.v[i]) && lone++ == 0) lone1 = npz.v[i];
            if (rc == DV_OK && lone > 0)
                problem(ds, "%llu .npz %s without a .parquet of the same name beside %s "
                            "(e.g. %s; DataComp pairs X.npz with X.parquet): NOT read, so "
                            "--neighbors-min-sim does not search %s and a --clean copy does not "
                            "hold %s", (unsigned long long)lone, dv__pl(lone, "file", "files"),
                        dv__pl(lone, "it", "them"), lone1, dv__pl(lone, "it", "them"),
                        dv__pl(lone, "it", "them"));
            dv__free(a, npz.v);
        } else if (list.n > 0 && !images_win) {
            ds->layout = DV_LAYOUT_URLLIST;
            for (uint64_t i = 0; rc == DV_OK && i < list.n; i++)
                rc = add_shard(ds, list.v[i], NULL, NULL);
        } else if (img.n > 0) {
            uint64_t per = ds->opts.images_per_shard;
            ds->layout = DV_LAYOUT_IMAGES;
            ds->files = img.v;
            ds->nfiles = img.n;
            img.v = NULL;
            img.n = img.cap = 0;
            for (uint64_t f = 0; rc == DV_OK && f < ds->nfiles; f += per) {
                char nm[64];
                ds_shard *s;
                snprintf(nm, sizeof nm, "images-%06llu", (unsigned long long)(f / per));
                rc = add_shard(ds, ds->root, NULL, NULL);
                if (rc != DV_OK) break;
                s = &ds->shards[ds->nshards - 1];
                dv__free(a, s->name);
                s->name = ds_strdup(a, nm);
                if (!s->name) rc = DV_ENOMEM;
                s->first_file = f;
                s->nfiles = ds->nfiles - f < per ? ds->nfiles - f : per;
            }
        } else {
            const char *z1;
            uint64_t nz = sv_count_if(&oth, compressed_shard, &z1);
            dv__set_err(errbuf, errcap,
                        "%s: no dataset found (no .parquet, .tar, .csv/.tsv/.jsonl/.txt or image "
                        "files%s%s)",
                        path, npy.n ? "; .npy embeddings alone are read by `neighbors`" : "",
                        nz ? "; compressed files such as .tsv.gz or .tar.gz are not read: "
                             "decompress them first" : "");
            rc = DV_EFORMAT;
        }
        if (rc == DV_OK) rc = name_shards(ds);
        if (rc == DV_OK && hidden[0] > 0)
            problem(ds, "%llu hidden %s (names starting with '.'): not scanned",
                    (unsigned long long)hidden[0],
                    dv__pl(hidden[0], "file or folder", "files or folders"));
        if (rc == DV_OK && hidden[1] > 0)
            problem(ds, "%llu %s nested deeper than %d: not scanned",
                    (unsigned long long)hidden[1], dv__pl(hidden[1], "folder", "folders"),
                    DS_MAX_DEPTH);
        if (rc == DV_OK && !images_win) {
            /* (in an image folder they are among the other files named NOT scanned) */
            const char *z1;
            uint64_t nz = sv_count_if(&oth, compressed_shard, &z1);
            if (nz > 0)
                problem(ds, "%llu compressed %s (e.g. %s): NOT scanned: datavet reads "
                            "uncompressed .tar, .parquet and URL-list files (decompress %s "
                            "first)", (unsigned long long)nz, dv__pl(nz, "file", "files"), z1,
                        dv__pl(nz, "it", "them"));
        }
        if (rc == DV_OK && list.n > 0 && ds->layout != DV_LAYOUT_URLLIST &&
            ds->layout != DV_LAYOUT_IMAGES) {
            /* URL lists beside tar or parquet files: those are the dataset; say the lists
             * were not read (text files that are no URL list, a README, are not named) */
            const char *l1;
            uint64_t nl = sv_count_if(&list, url_list_like, &l1);
            if (nl > 0)
                problem(ds, "%llu URL-list %s beside the %s files (e.g. %s): NOT scanned "
                            "(scan %s on %s own)", (unsigned long long)nl,
                        dv__pl(nl, "file", "files"), tar.n ? "tar" : "parquet", l1,
                        dv__pl(nl, "it", "them"), dv__pl(nl, "its", "their"));
        }
        if (rc == DV_OK && ds->layout != DV_LAYOUT_PARQUET && npy.n > 0)
            problem(ds, "%llu .npy %s not aligned with this layout: ignored",
                    (unsigned long long)npy.n, dv__pl(npy.n, "file", "files"));
    }
    sv_free(a, &all);
    sv_free(a, &pq);
    sv_free(a, &tar);
    sv_free(a, &list);
    sv_free(a, &img);
    sv_free(a, &npy);
    sv_free(a, &oth);
    if (rc != DV_OK) {
        if (rc == DV_ENOMEM) dv__set_err(errbuf, errcap, "%s: out of memory", path);
        dv_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return DV_OK;
}

void dv_dataset_free(dv_dataset *ds)
{
    if (!ds) return;
    for (uint64_t i = 0; i < ds->nshards; i++) {
        dv__free(ds->alloc, ds->shards[i].name);
        dv__free(ds->alloc, ds->shards[i].path);
        dv__free(ds->alloc, ds->shards[i].meta_path);
        dv__free(ds->alloc, ds->shards[i].emb_path);
        dv__free(ds->alloc, ds->shards[i].emb_unused);
        dv__free(ds->alloc, ds->shards[i].text_emb);
        dv__free(ds->alloc, ds->shards[i].emb_key);
    }
    for (uint64_t i = 0; i < ds->nfiles; i++) dv__free(ds->alloc, ds->files[i]);
    dv__free(ds->alloc, ds->files);
    dv__free(ds->alloc, ds->shards);
    dv__free(ds->alloc, ds->problems.p);
    dv__free(ds->alloc, ds->root);
    dv__free(ds->alloc, ds);
}

dv_layout dv_dataset_layout(const dv_dataset *ds) { return ds ? ds->layout : DV_LAYOUT_UNKNOWN; }
uint64_t dv_dataset_num_shards(const dv_dataset *ds) { return ds ? ds->nshards : 0; }
const char *dv_dataset_root(const dv_dataset *ds) { return ds ? ds->root : NULL; }

const char *dv_dataset_file(const dv_dataset *ds, uint64_t i)
{
    return ds && i < ds->nfiles ? ds->files[i] : NULL;
}
const char *dv_dataset_problems(const dv_dataset *ds)
{
    return ds && ds->problems.p ? (const char *)ds->problems.p : "";
}

int dv_dataset_shard(const dv_dataset *ds, uint64_t i, dv_shard_info *out)
{
    const ds_shard *s;
    if (!ds || !out) return DV_EINVAL;
    if (i >= ds->nshards) return DV_ERANGE;
    s = &ds->shards[i];
    out->index = i;
    out->name = s->name;
    out->path = s->path;
    out->meta_path = s->meta_path;
    out->emb_path = s->emb_path;
    out->first_file = s->first_file;
    out->nfiles = s->nfiles;
    out->emb_unused = s->emb_unused;
    out->text_emb_path = s->text_emb;
    out->emb_key = s->emb_key;
    return DV_OK;
}

/* ---------------------------------------------------------------- column roles */

/* COL_IMGPATH: the path beside a struct's image bytes (Hugging Face's image {bytes, path}),
 * read to tell a row whose image is kept outside the file; after COL_IMAGE (pq_fill) */
enum { COL_URL, COL_CAPTION, COL_ID, COL_MD5, COL_SHA1, COL_SHA256, COL_PUNSAFE, COL_STATUS,
       COL_IMAGE, COL_IMGPATH, NROLES };

static int name_in(const char *name, const char *const *cands)
{
    for (; *cands; cands++)
        if (strcasecmp(name, *cands) == 0) return 1;
    return 0;
}

static int role_matches(int role, const char *name, const dv_dataset_opts *o)
{
    static const char *const url[] = {"url", "image_url", NULL};
    static const char *const cap[] = {"caption", "text", NULL};
    static const char *const id[] = {"key", "uid", "sample_id", "id", NULL};
    static const char *const md5[] = {"md5", NULL};
    static const char *const sha1[] = {"sha1", NULL};
    static const char *const sha256[] = {"sha256", NULL};
    static const char *const pun[] = {"punsafe", "nsfw", NULL};
    static const char *const st[] = {"status", NULL};
    switch (role) {
    case COL_URL: return o->url_col ? strcmp(name, o->url_col) == 0 : name_in(name, url);
    case COL_CAPTION:
        return o->caption_col ? strcmp(name, o->caption_col) == 0 : name_in(name, cap);
    case COL_ID: return o->id_col ? strcmp(name, o->id_col) == 0 : name_in(name, id);
    case COL_MD5: return name_in(name, md5);
    case COL_SHA1: return name_in(name, sha1);
    case COL_SHA256: return name_in(name, sha256);
    case COL_PUNSAFE: return o->punsafe_col ? strcmp(name, o->punsafe_col) == 0 : name_in(name, pun);
    case COL_STATUS: return name_in(name, st);
    default: return 0;
    }
}

dv_image_column dv_image_column_kind(const dv_parquet_column_info *ci, const char *image_col)
{
    static const char *const flat[] = {"image.bytes", "image", "img.bytes", "img", "jpg",
                                       "jpeg", "png", "webp", "image_bytes", NULL};
    if (ci == NULL || ci->type != DV_PQ_BYTE_ARRAY) return DV_IMGCOL_NONE;
    if (image_col ? strcmp(ci->name, image_col) != 0 : ci->is_string) return DV_IMGCOL_NONE;
    if (!ci->nested) return image_col || name_in(ci->name, flat) ? DV_IMGCOL_FLAT : DV_IMGCOL_NONE;
    if (!image_col && !image_like_name(ci->name)) return DV_IMGCOL_NONE;
    return ci->max_rep == 1 ? DV_IMGCOL_LIST : DV_IMGCOL_DEEP;
}

int64_t dv_image_column_pick(const dv_parquet_reader *r, const char *image_col, int *is_list)
{
    int64_t list = -1;
    for (size_t c = 0; c < dv_parquet_reader_num_columns(r); c++) {
        dv_parquet_column_info ci;
        dv_image_column k;
        if (dv_parquet_reader_column(r, c, &ci) != DV_OK) continue;
        k = dv_image_column_kind(&ci, image_col);
        if (k == DV_IMGCOL_FLAT) {
            if (is_list) *is_list = 0;
            return (int64_t)c;
        }
        if (k == DV_IMGCOL_LIST && list < 0) list = (int64_t)c;
    }
    if (is_list) *is_list = list >= 0;
    return list;
}

/* Images in lists of lists are not read (lists one level deep are). Say so, from the first
 * file's schema, rather than scan as if the dataset had no images. */
static void check_image_lists(dv_dataset *ds, const char *path)
{
    dv_parquet_reader_opts po = {0};
    dv_parquet_reader *pr = NULL;
    char err[512];
    po.wipe = 1;
    po.alloc = ds->alloc;
    if (dv_parquet_reader_open(path, &po, &pr, err, sizeof err) != DV_OK) return;
    /* the column the shard reader takes (pq_open), and the list columns it leaves */
    int64_t chosen = dv_image_column_pick(pr, ds->opts.image_col, NULL);
    for (size_t c = 0; c < dv_parquet_reader_num_columns(pr); c++) {
        dv_parquet_column_info ci;
        dv_image_column k;
        if (dv_parquet_reader_column(pr, c, &ci) != DV_OK || (int64_t)c == chosen) continue;
        k = dv_image_column_kind(&ci, ds->opts.image_col);
        if (k != DV_IMGCOL_LIST && k != DV_IMGCOL_DEEP) continue;
        if (k == DV_IMGCOL_DEEP)
            problem(ds, "%s: column %s holds binary values in lists of lists (images, by its "
                        "name): datavet reads lists one level deep, so they are NOT scanned",
                    path, ci.name);
        else
            problem(ds, "%s: column %s holds binary values in a list (images, by its name) "
                        "besides the image column the scan reads: they are NOT scanned "
                        "(--image-col picks the column)",
                    path, ci.name);
    }
    if (ds->opts.id_col && dv_parquet_reader_find_column(pr, ds->opts.id_col) < 0)
        problem(ds, "%s: no column '%s' (--id-col): ids are made of the shard's name and the "
                    "row", path, ds->opts.id_col);
    dv_parquet_reader_free(pr);
}


static int digest_blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* A digest given as hex text or (raw: a binary parquet value) raw bytes: 1 with it in out, 0
 * if the value is empty (or blanks only: absent), -1 if it is neither (a wrong length, a
 * non-hex character): the item says so (dv_item.bad_digest) and the scan reports it, as a bad
 * URL. Blanks around the hex are dropped, as list build drops them from a list's lines:
 * " D41D...7E\n" is that MD5, not an absent one, which would go unchecked and unsaid. Text (a
 * URL list's field, a .json member, a STRING parquet column) is hex only: 16 characters are
 * no MD5. */
static int parse_digest(const uint8_t *v, size_t len, uint8_t *out, size_t n, int raw)
{
    if (raw && len == n) {
        memcpy(out, v, n);
        return 1;
    }
    while (len > 2 * n && digest_blank(v[0])) v++, len--;
    while (len > 2 * n && digest_blank(v[len - 1])) len--;
    if (dv__hex_decode((const char *)v, len, out, n) == 0) return 1;
    while (len > 0 && digest_blank(v[len - 1])) len--;
    return len == 0 ? 0 : -1;
}

/* A hash column's value into it: have or bad_digest gets algo's bit (a later well-formed value
 * of a .json wins over a bad one), and digest_text says whether it was text. 1 if there was a
 * value, 0 if it was absent. */
static int take_digest(dv_item *it, unsigned algo, const uint8_t *v, size_t len, uint8_t *out,
                       size_t n, int raw)
{
    int rc = parse_digest(v, len, out, n, raw);
    if (rc > 0) it->have |= algo, it->bad_digest &= ~algo;
    else if (rc < 0) it->bad_digest |= algo;
    if (rc != 0) it->digest_text = raw ? it->digest_text & ~algo : it->digest_text | algo;
    return rc != 0;
}

/* The same, of a .json member: text, so hex only (a JSON string of 16 characters is no MD5);
 * digest_json says where the value came from */
static void take_json_digest(dv_item *it, unsigned algo, const uint8_t *v, size_t len,
                             uint8_t *out, size_t n)
{
    if (take_digest(it, algo, v, len, out, n, 0)) it->digest_json |= algo;
}

/* ---------------------------------------------------------------- shard readers */

typedef struct meta_row {
    char *key, *url, *caption, *status;
    unsigned have, bad_digest, digest_text;
    uint8_t md5[16], sha1[20], sha256[32];
    int has_punsafe;
    double punsafe;
    int seen;
    int64_t sample;     /* the sample joined with it, -1 if none (yet) */
    const char *id_why; /* its key is null, empty, has a NUL (pq_fill): it has none */
    uint64_t first;     /* 1 + the first row of its key, where an earlier row has it; else 0 */
} meta_row;

struct dv_shard_reader {
    const dv_dataset *ds;
    const dv_alloc *alloc;
    dv_shard_info info;
    dv_layout layout;
    char err[1024];
    uint64_t lost;
    /* parquet */
    dv_parquet_reader *pq;
    int64_t col[NROLES];
    size_t cols[NROLES], ncols, slot[NROLES];
    /* a hash role's column is text (STRING/UTF8): its values are hex, never raw bytes */
    int col_text[NROLES];
    dv_parquet_batch batch[NROLES];
    char image_name[128]; /* the image column's name */
    char limage_name[160]; /* a list column's image: "NAME[k]", k its place in the row's list */
    /* images in a list column (several a row): read with dv_parquet_reader_read_list */
    int64_t img_list;     /* its column, -1 if none */
    dv_parquet_batch lbatch;
    const uint64_t *lrs;  /* row i's entries: [lrs[i], lrs[i + 1]) */
    int lpend;            /* more images of row lrow to give, from entry le */
    uint64_t lrow, le;
    unsigned lidx;        /* list_index of the last of them given */
    int img_unread;       /* the current row group's flat image column could not be read:
                             its rows are given without images (reported once) */
    size_t rg, nrg;
    uint64_t rg_row, rg_rows, row_base;
    /* tar */
    int fd;
    dv_tar_reader *tar;
    int tar_done;
    /* the sample being given, one item an image part: its next image part (nparts: none
     * left) and that item's list_index */
    dv_wds_sample wds;
    size_t wds_next;
    unsigned wds_idx;
    /* a link member's target read again (seekable input), zeroed as the caller moves on */
    dv__dbuf linkbuf;
    size_t link_len;
    char pending[1000]; /* a reader-level error the next call reports (metadata unread) */
    /* img2dataset metadata, loaded whole (one shard's rows) */
    meta_row *meta;
    uint64_t nmeta, next_unseen;
    uint64_t *mslots; /* open-addressing table of meta index + 1 by key */
    uint64_t nslots;
    /* text lists */
    dv_textlist *tl;
    /* image folders */
    uint64_t file_i;
    void *filebuf;
    size_t filelen;
    /* scratch for the current item */
    dv__dbuf s_id, s_url, s_cap, s_status;
    /* the decoded content of a data: URI (an image), zeroed as the caller moves on */
    uint8_t *duri;
    size_t duri_cap, duri_len;
    char idbuf[DS_MAX_NAME + 32];
    dv__dbuf jscratch;
    /* ids: why the current row's id column gave no id (pq_fill), the message said of it
     * (dv_item.id_msg), whether a file without the --id-col named was said yet, and the
     * .parquet row the current tar sample was joined with (its later images go with it) */
    const char *id_why;
    char idmsg[3000];
    int id_col_said;
    int64_t cur_meta;
    char id_colname[160]; /* "column NAME" of a parquet file's id column */
};

static void set_str(dv_shard_reader *r, dv__dbuf *b, const void *p, size_t n, const char **out)
{
    b->len = 0;
    if (dv__dbuf_reserve(r->alloc, b, n + 1) != DV_OK) {
        *out = NULL;
        return;
    }
    memcpy(b->p, p, n);
    b->p[n] = '\0';
    *out = (const char *)b->p;
}

/* A caption: a NUL byte reads as a space, as a URL list's does (dv_textlist_row), so that
 * --flag-terms sees the words after it rather than a caption cut short. */
static void set_caption(dv_shard_reader *r, const void *p, size_t n, const char **out)
{
    set_str(r, &r->s_cap, p, n, out);
    for (size_t k = 0; *out && k < n; k++)
        if (r->s_cap.p[k] == 0) r->s_cap.p[k] = ' ';
}

static void item_init(const dv_shard_reader *r, dv_item *it)
{
    memset(it, 0, sizeof *it);
    it->shard = r->info.index;
    it->sample = -1;
    it->emb_row = -1;
}

void dv__item_where(dv_layout layout, const dv_shard_info *sh, const dv_item *it, char *buf,
                    size_t cap)
{
    const char *id = it->id ? it->id : "";
    switch (layout) {
    case DV_LAYOUT_URLLIST:
        snprintf(buf, cap, "%s:%llu", sh->path, (unsigned long long)it->line);
        return;
    case DV_LAYOUT_IMAGES:
        snprintf(buf, cap, "%s", it->image_name ? it->image_name : sh->path);
        return;
    case DV_LAYOUT_WEBDATASET:
    case DV_LAYOUT_IMG2DATASET:
        if (it->sample >= 0) {
            snprintf(buf, cap, "%s: sample %lld (key %s)", sh->path, (long long)it->sample, id);
            return;
        }
        if (sh->meta_path) {
            snprintf(buf, cap, "%s: row %llu (key %s)", sh->meta_path,
                     (unsigned long long)it->row, id);
            return;
        }
        break;
    default: break;
    }
    snprintf(buf, cap, "%s: row %llu", sh->path, (unsigned long long)it->row);
}

/* "NAME:ROW" (the name cut at DS_MAX_NAME bytes), written without printf: a metadata scan
 * makes one for every row */
static void default_id(dv_shard_reader *r, dv_item *it)
{
    char digits[20];
    size_t nl, nd = 0;
    uint64_t v = it->row;
    if (it->id) return;
    nl = strnlen(r->info.name, DS_MAX_NAME);
    memcpy(r->idbuf, r->info.name, nl);
    r->idbuf[nl++] = ':';
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd) r->idbuf[nl++] = digits[--nd];
    r->idbuf[nl] = '\0';
    it->id = r->idbuf;
}

/* An item whose id column (or --id-col) gave it no id: named by shard and row (default_id),
 * and said (dv_item.id_msg; the scan's error bad_id) in one form for every layout: where, the
 * column and why, and the id it has instead (docs/scan.md, "Ids"). */
static void id_note(dv_shard_reader *r, dv_item *it, const char *where, const char *what,
                    const char *why)
{
    default_id(r, it);
    snprintf(r->idmsg, sizeof r->idmsg, "%.900s: %.200s %s: the item's id is %s", where, what,
             why, it->id);
    it->id_msg = r->idmsg;
}

/* A file without the --id-col named (a parquet file, an img2dataset shard's .parquet, a
 * CSV/TSV list's header, a TXT list): said once, with its first item; its items are named by
 * shard and row. */
static void id_col_missing(dv_shard_reader *r, dv_item *it, const char *file, const char *then)
{
    if (r->id_col_said || !r->ds->opts.id_col) return;
    r->id_col_said = 1;
    default_id(r, it);
    snprintf(r->idmsg, sizeof r->idmsg, "%.900s: no column '%.200s' (--id-col): %s", file,
             r->ds->opts.id_col, then);
    it->id_msg = r->idmsg;
}

/* Whether the caller said it will not use role's values (dv_dataset_opts.skip). */
static int role_skipped(int role, unsigned skip)
{
    switch (role) {
    case COL_CAPTION: return (skip & DV_SKIP_CAPTION) != 0;
    case COL_MD5: return (skip & DV_SKIP_MD5) != 0;
    case COL_SHA1: return (skip & DV_SKIP_SHA1) != 0;
    case COL_SHA256: return (skip & DV_SKIP_SHA256) != 0;
    case COL_PUNSAFE: return (skip & DV_SKIP_PUNSAFE) != 0;
    default: return 0;
    }
}

static int pq_open(dv_shard_reader *r, const char *path)
{
    dv_parquet_reader_opts po = {0};
    po.alloc = r->alloc;
    po.wipe = 1; /* an image column's bytes must not outlive their row group */
    DV_FORWARD_IF_ERROR(dv_parquet_reader_open(path, &po, &r->pq, r->err, sizeof r->err));
    int is_list = 0;
    int64_t img;
    for (int role = 0; role < NROLES; role++) {
        r->col[role] = -1;
        if (role_skipped(role, r->ds->opts.skip)) continue;
        for (size_t c = 0; role < COL_IMAGE && c < dv_parquet_reader_num_columns(r->pq); c++) {
            dv_parquet_column_info ci;
            if (dv_parquet_reader_column(r->pq, c, &ci) != DV_OK || ci.nested) continue;
            /* an unsafe score is a number: LAION-400M's NSFW column is a tag ("UNLIKELY") */
            if (role == COL_PUNSAFE && ci.type != DV_PQ_FLOAT && ci.type != DV_PQ_DOUBLE) continue;
            if (role_matches(role, ci.name, &r->ds->opts)) {
                /* punsafe before nsfw, wherever they stand */
                if (r->col[role] >= 0 && strcasecmp(ci.name, "punsafe") != 0) continue;
                r->col[role] = (int64_t)c;
                r->col_text[role] = ci.is_string;
                if (role != COL_PUNSAFE || strcasecmp(ci.name, "punsafe") == 0) break;
            }
        }
        if (r->col[role] >= 0) {
            r->slot[role] = r->ncols;
            r->cols[r->ncols++] = (size_t)r->col[role];
        }
        if (role == COL_ID && r->col[role] >= 0) {
            dv_parquet_column_info ci;
            if (dv_parquet_reader_column(r->pq, (size_t)r->col[role], &ci) == DV_OK)
                snprintf(r->id_colname, sizeof r->id_colname, "column %.120s", ci.name);
        }
    }
    /* the image column: a flat one (read with the row group), else a list (read apart) */
    img = dv_image_column_pick(r->pq, r->ds->opts.image_col, &is_list);
    r->img_list = is_list ? img : -1;
    if (img >= 0) {
        dv_parquet_column_info ci;
        if (dv_parquet_reader_column(r->pq, (size_t)img, &ci) == DV_OK)
            snprintf(r->image_name, sizeof r->image_name, "%s", ci.name);
    }
    if (img >= 0 && !is_list) {
        /* X.bytes with a string X.path beside it: a row with the path and no bytes names an
         * image kept outside the file, which the scan cannot hash: counted, not passed over */
        size_t n = strlen(r->image_name);
        char pname[sizeof r->image_name];
        int64_t pc;
        dv_parquet_column_info ci;
        if (n > 6 && strcmp(r->image_name + n - 6, ".bytes") == 0) {
            snprintf(pname, sizeof pname, "%.*s.path", (int)(n - 6), r->image_name);
            pc = dv_parquet_reader_find_column(r->pq, pname);
            if (pc >= 0 && dv_parquet_reader_column(r->pq, (size_t)pc, &ci) == DV_OK &&
                !ci.nested && ci.type == DV_PQ_BYTE_ARRAY) {
                r->col[COL_IMGPATH] = pc;
                r->slot[COL_IMGPATH] = r->ncols;
                r->cols[r->ncols++] = (size_t)pc;
            }
        }
        /* last, so that the other columns can be read without it (pq_next) */
        r->col[COL_IMAGE] = img;
        r->slot[COL_IMAGE] = r->ncols;
        r->cols[r->ncols++] = (size_t)img;
    }
    r->nrg = dv_parquet_reader_num_row_groups(r->pq);
    return DV_OK;
}

/* Whether an image column's value counts as an image: a default-named column's only where it
 * looks like one. */
static int is_image_value(const dv_shard_reader *r, const dv_parquet_value *v)
{
    return !v->is_null && v->len > 0 &&
           (r->ds->opts.image_col != NULL || dv_image_kind(v->bytes, v->len) != NULL);
}

/* Value v of row i (of the current row group) as the item's image, or its problem; lpos: its
 * place in the row's list of images (0-based), -1 for a flat column. */
static void take_image(dv_shard_reader *r, dv_item *it, const dv_parquet_value *v, uint64_t i,
                       int64_t lpos)
{
    const char *name = r->image_name;
    if (lpos >= 0) {
        /* an image of a list is named by its place in it, so an error says which one */
        snprintf(r->limage_name, sizeof r->limage_name, "%s[%lld]", r->image_name,
                 (long long)lpos);
        name = r->limage_name;
    }
    if (!is_image_value(r, v)) {
        /* a named column's empty value is an image of 0 bytes (an error the scan names), but
         * beside a path it is an image kept outside the file (counted as path-only) */
        dv_parquet_value pv;
        if (r->ds->opts.image_col != NULL && !v->is_null && v->len == 0 &&
            !(r->col[COL_IMGPATH] >= 0 &&
              dv_parquet_batch_value(&r->batch[r->slot[COL_IMGPATH]], i, &pv) == DV_OK &&
              !pv.is_null && pv.len > 0)) {
            it->image_name = name;
            it->image = (const uint8_t *)"";
            it->image_len = 0;
        }
        return;
    }
    it->image_name = name;
    if (v->len > r->ds->opts.max_image_bytes) {
        it->problem = DV_ETOOBIG;
        snprintf(r->err, sizeof r->err,
                 "%s: row %llu: column %s: image of %zu bytes, over the limit of %llu",
                 r->info.path, (unsigned long long)(r->row_base + i), name, v->len,
                 (unsigned long long)r->ds->opts.max_image_bytes);
        it->problem_msg = r->err;
        return;
    }
    it->image = v->bytes;
    it->image_len = v->len;
}

/* The next entry from e on (below end) of the list column that is an image, or end. */
static uint64_t next_list_image(const dv_shard_reader *r, uint64_t e, uint64_t end)
{
    for (; e < end; e++) {
        dv_parquet_value v;
        if (dv_parquet_batch_value(&r->lbatch, e, &v) == DV_OK && is_image_value(r, &v)) break;
    }
    return e;
}

/* Fill the metadata fields of it from row i of the current row group (id_only: the id). */
/* Row i's columns into it; with later, its id and URL only (a later image of the row). */
static void pq_fill(dv_shard_reader *r, uint64_t i, dv_item *it, int later)
{
    dv_parquet_value v;
    for (int role = 0; role < NROLES; role++) {
        const dv_parquet_batch *b;
        if (r->col[role] < 0 || (later && role != COL_ID && role != COL_URL)) continue;
        if (r->img_unread && (role == COL_IMAGE || role == COL_IMGPATH)) continue;
        b = &r->batch[r->slot[role]];
        if (dv_parquet_batch_value(b, i, &v) != DV_OK) continue;
        if (role == COL_ID && v.is_null) r->id_why = "is null";
        if (v.is_null) continue;
        switch (role) {
        case COL_URL:
            if (b->type == DV_PQ_BYTE_ARRAY) set_str(r, &r->s_url, v.bytes, v.len, &it->url);
            break;
        case COL_CAPTION:
            if (b->type == DV_PQ_BYTE_ARRAY) set_caption(r, v.bytes, v.len, &it->caption);
            break;
        case COL_STATUS:
            if (b->type == DV_PQ_BYTE_ARRAY)
                set_str(r, &r->s_status, v.bytes, v.len, &it->status);
            break;
        case COL_ID:
            /* an empty id, or one a NUL would cut short (as a C string it would name another
             * row), is none: the row is named by shard and row, and the scan says so */
            if (b->type == DV_PQ_BYTE_ARRAY || b->type == DV_PQ_FIXED_LEN_BYTE_ARRAY) {
                if (v.len == 0) r->id_why = "is empty";
                else if (memchr(v.bytes, '\0', v.len)) r->id_why = "holds a NUL byte";
                else set_str(r, &r->s_id, v.bytes, v.len, &it->id);
            } else if (b->type == DV_PQ_INT64 || b->type == DV_PQ_INT32) {
                snprintf(r->idbuf, sizeof r->idbuf, "%lld",
                         (long long)(b->type == DV_PQ_INT64 ? v.i64 : v.i32));
                it->id = r->idbuf;
            } else {
                r->id_why = "is neither text nor an integer";
            }
            break;
        /* raw bytes only from a binary column (BYTE_ARRAY without a STRING annotation,
         * FIXED_LEN_BYTE_ARRAY): a string of 16 characters is text, no MD5 */
        case COL_MD5:
            if (v.bytes)
                take_digest(it, DV_ALGO_MD5, v.bytes, v.len, it->md5, 16, !r->col_text[role]);
            break;
        case COL_SHA1:
            if (v.bytes)
                take_digest(it, DV_ALGO_SHA1, v.bytes, v.len, it->sha1, 20, !r->col_text[role]);
            break;
        case COL_SHA256:
            if (v.bytes)
                take_digest(it, DV_ALGO_SHA256, v.bytes, v.len, it->sha256, 32,
                            !r->col_text[role]);
            break;
        case COL_IMAGE: take_image(r, it, &v, i, -1); break;
        case COL_IMGPATH: {
            dv_parquet_value iv;
            if (v.len > 0 &&
                (dv_parquet_batch_value(&r->batch[r->slot[COL_IMAGE]], i, &iv) != DV_OK ||
                 iv.is_null || iv.len == 0))
                it->image_path_only = 1;
            break;
        }
        case COL_PUNSAFE:
            if (b->type == DV_PQ_FLOAT) it->punsafe = v.f32, it->has_punsafe = 1;
            else if (b->type == DV_PQ_DOUBLE) it->punsafe = v.f64, it->has_punsafe = 1;
            if (it->has_punsafe && it->punsafe != it->punsafe) it->has_punsafe = 0; /* NaN */
            break;
        default: break;
        }
    }
}

/* Next parquet row: 1, 0 at the end, DV_ECORRUPT for a skipped row group. */
/* A row group none of whose columns the scan reads (none it knows, or only an image list): its
 * row count is only what the footer claims, and a file claiming 2^45 rows would have the
 * reader give that many items. So its smallest column is read all the same, which holds it
 * to the rows its data has (and to the reader's size limits); a file of no columns has no
 * rows to give. */
static int pq_witness(dv_shard_reader *r)
{
    dv__pq_column_data cd;
    size_t n = dv_parquet_reader_num_columns(r->pq), best = 0;
    int64_t least = -1;
    if (r->rg_rows == 0) return DV_OK;
    if (n == 0) {
        snprintf(r->err, sizeof r->err, "%s: row group %zu claims %llu rows but the file has no "
                 "columns", r->info.path, r->rg, (unsigned long long)r->rg_rows);
        return DV_ECORRUPT;
    }
    for (size_t c = 0; c < n; c++) { /* the column of fewest bytes, not an image column */
        dv_parquet_chunk_info ci;
        if (dv_parquet_reader_chunk(r->pq, r->rg, c, &ci) == DV_OK &&
            (least < 0 || ci.compressed_size < least))
            least = ci.compressed_size, best = c;
    }
    return dv__pq_read_column(r->pq, r->rg, best, 0, &cd);
}

static int pq_next(dv_shard_reader *r, dv_item *it, uint64_t *row_out)
{
    if (r->lpend) {
        /* the row's next image: an item of its own, with the row's id and URL for the
         * record (its metadata went with the first, so nothing is matched twice) */
        uint64_t i = r->lrow, end = r->lrs[i + 1];
        dv_parquet_value v;
        pq_fill(r, i, it, 1);
        it->list_index = ++r->lidx;
        dv_parquet_batch_value(&r->lbatch, r->le, &v);
        take_image(r, it, &v, i, (int64_t)(r->le - r->lrs[i]));
        r->le = next_list_image(r, r->le + 1, end);
        r->lpend = r->le < end;
        *row_out = r->row_base + i;
        return 1;
    }
    while (r->rg_row >= r->rg_rows) {
        int rc;
        /* the caller is done with the row group's items: its images go */
        if (r->col[COL_IMAGE] >= 0 || r->img_list >= 0) dv_parquet_reader_wipe(r->pq);
        if (r->rg >= r->nrg) return 0;
        r->row_base += r->rg_rows;
        r->rg_row = 0;
        r->rg_rows = dv_parquet_reader_row_group_rows(r->pq, r->rg);
        rc = r->ncols ? dv_parquet_reader_read_row_group(r->pq, r->rg, r->cols, r->ncols,
                                                         r->batch)
                      : pq_witness(r);
        r->img_unread = 0;
        if (rc != DV_OK && rc != DV_ENOMEM && r->col[COL_IMAGE] >= 0 && r->ncols > 1) {
            /* a damaged (or too big) image column costs the row group its images, not its
             * metadata: read again without it (the last column), and if that works, scan
             * the rows for the rest and report the images not read, once */
            char why[600];
            snprintf(why, sizeof why, "%s", dv_parquet_reader_errmsg(r->pq));
            rc = dv_parquet_reader_read_row_group(r->pq, r->rg, r->cols, r->ncols - 1, r->batch);
            if (rc == DV_OK) {
                r->img_unread = 1;
                snprintf(r->err, sizeof r->err,
                         "%.599s (image column %.127s of row group %zu, rows %llu-%llu: their "
                         "images are NOT checked; their other columns are)",
                         why, r->image_name, r->rg, (unsigned long long)r->row_base,
                         (unsigned long long)(r->row_base + r->rg_rows - 1));
                r->rg++;
                if (r->rg_rows > 0) return DV_ECORRUPT;
                continue;
            }
        }
        r->lrs = NULL;
        if (rc == DV_OK && r->img_list >= 0) {
            /* a list that cannot be read costs the row group its images, not its metadata,
             * as a flat column does (above): its rows are given without images, and the
             * images not read are one read error for the row group */
            int lrc = dv_parquet_reader_read_list(r->pq, r->rg, (size_t)r->img_list, &r->lbatch,
                                                  &r->lrs);
            if (lrc == DV_ENOMEM) {
                rc = lrc;
            } else if (lrc != DV_OK) {
                r->lrs = NULL;
                snprintf(r->err, sizeof r->err,
                         "%.599s (image list column %.127s of row group %zu, rows %llu-%llu: "
                         "their images are NOT checked; their other columns are)",
                         dv_parquet_reader_errmsg(r->pq), r->image_name, r->rg,
                         (unsigned long long)r->row_base,
                         (unsigned long long)(r->row_base + r->rg_rows - 1));
                r->rg++;
                if (r->rg_rows > 0) return DV_ECORRUPT;
                continue;
            }
        }
        r->rg++;
        if (rc != DV_OK) {
            if (dv_parquet_reader_num_columns(r->pq) > 0) /* else pq_witness said why */
                snprintf(r->err, sizeof r->err, "%s", dv_parquet_reader_errmsg(r->pq));
            r->lost += r->rg_rows;
            r->rg_row = r->rg_rows;
            if (rc == DV_ENOMEM) return rc;
            return DV_ECORRUPT;
        }
    }
    pq_fill(r, r->rg_row, it, 0);
    if (r->img_list >= 0 && r->lrs != NULL) {
        /* the row's first image goes with its metadata; the others follow as items */
        uint64_t i = r->rg_row, end = r->lrs[i + 1], e = next_list_image(r, r->lrs[i], end);
        if (e < end) {
            dv_parquet_value v;
            dv_parquet_batch_value(&r->lbatch, e, &v);
            take_image(r, it, &v, i, (int64_t)(e - r->lrs[i]));
            r->le = next_list_image(r, e + 1, end);
            r->lpend = r->le < end;
            r->lrow = i;
            r->lidx = 0;
        }
    }
    *row_out = r->row_base + r->rg_row;
    r->rg_row++;
    return 1;
}

/* ---- img2dataset: the shard's parquet loaded into a key table */

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static char *dup_opt(const dv_alloc *a, const char *s, int *oom)
{
    char *p;
    if (!s) return NULL;
    p = ds_strdup(a, s);
    if (!p) *oom = 1;
    return p;
}

static int meta_load(dv_shard_reader *r)
{
    int rc;
    uint64_t n, row;
    int oom = 0;
    dv_item it;
    DV_FORWARD_IF_ERROR(pq_open(r, r->info.meta_path));
    n = dv_parquet_reader_num_rows(r->pq);
    if (n > (1ull << 26)) {
        snprintf(r->err, sizeof r->err, "%s: %llu rows: too many for one shard",
                 r->info.meta_path, (unsigned long long)n);
        return DV_ETOOBIG;
    }
    r->meta = dv__calloc(r->alloc, (size_t)n + 1, sizeof(meta_row));
    r->nslots = 16;
    while (r->nslots < 2 * n) r->nslots *= 2;
    r->mslots = dv__calloc(r->alloc, (size_t)r->nslots, sizeof(uint64_t));
    if (!r->meta || !r->mslots) return DV_ENOMEM;
    for (;;) {
        meta_row *m;
        item_init(r, &it);
        r->id_why = NULL;
        rc = pq_next(r, &it, &row);
        if (rc == 0) break;
        if (rc == DV_ECORRUPT) continue; /* rows lost are counted; tar samples still read */
        if (rc < 0) return rc;
        if (r->nmeta >= n) break;
        m = &r->meta[r->nmeta];
        m->key = dup_opt(r->alloc, it.id, &oom);
        m->url = dup_opt(r->alloc, it.url, &oom);
        m->caption = dup_opt(r->alloc, it.caption, &oom);
        m->status = dup_opt(r->alloc, it.status, &oom);
        m->have = it.have;
        m->bad_digest = it.bad_digest;
        m->digest_text = it.digest_text;
        memcpy(m->md5, it.md5, 16);
        memcpy(m->sha1, it.sha1, 20);
        memcpy(m->sha256, it.sha256, 32);
        m->has_punsafe = it.has_punsafe;
        m->punsafe = it.punsafe;
        m->sample = -1;
        m->id_why = r->id_why;
        if (oom) return DV_ENOMEM;
        if (m->key) {
            uint64_t s = hash_key(m->key) & (r->nslots - 1);
            /* a key an earlier row has: the first such row (the table is filled in row order,
             * so the first along the probe) */
            for (; r->mslots[s]; s = (s + 1) & (r->nslots - 1))
                if (!m->first && strcmp(r->meta[r->mslots[s] - 1].key, m->key) == 0)
                    m->first = r->mslots[s];
            r->mslots[s] = r->nmeta + 1;
        }
        r->nmeta++;
    }
    return DV_OK;
}

/* The row a sample of key joins: the first of the key's rows not joined yet, in row order
 * (a key several rows have joins its samples with them in turn), else the key's first row,
 * joined already (the caller joins the sample with none); NULL if no row has the key. */
static meta_row *meta_find(dv_shard_reader *r, const char *key, uint64_t *idx)
{
    uint64_t s;
    meta_row *seen = NULL;
    uint64_t seen_idx = 0;
    if (!r->mslots || !key) return NULL;
    s = hash_key(key) & (r->nslots - 1);
    while (r->mslots[s]) {
        meta_row *m = &r->meta[r->mslots[s] - 1];
        if (m->key && strcmp(m->key, key) == 0) {
            if (!m->seen) {
                *idx = r->mslots[s] - 1;
                return m;
            }
            if (!seen) seen = m, seen_idx = r->mslots[s] - 1;
        }
        s = (s + 1) & (r->nslots - 1);
    }
    if (seen) *idx = seen_idx;
    return seen;
}

/* A row whose key an earlier row has (meta_row.first): said with its item, sample or not. */
static void meta_repeat(dv_shard_reader *r, const meta_row *m, uint64_t idx, dv_item *it)
{
    if (!m->first) return;
    snprintf(r->idmsg, sizeof r->idmsg,
             "%.600s: row %llu (key %.200s): the key of row %llu too: samples of one key are "
             "joined with its rows in turn, and removal.txt names each item by its row",
             r->info.meta_path, (unsigned long long)idx, m->key, (unsigned long long)(m->first - 1));
    it->id_msg = r->idmsg;
}

/* One digest kind of a sample whose key is in the .parquet, over what its .json gave (it): the
 * row's value where the row has one, well-formed or not; else the .json's stands, which a row
 * without the column or with a null would otherwise drop unchecked. A well-formed .json value
 * that the row's is not (another digest, or the row's no digest) is kept in alt and checked as
 * well: a disagreement between the two is no reason to leave either unchecked. */
static void meta_digest(const meta_row *m, dv_item *it, unsigned algo, const uint8_t *row,
                        uint8_t *d, uint8_t *alt, size_t n)
{
    if (!((m->have | m->bad_digest) & algo)) return;
    if ((it->have & algo) && !((m->have & algo) && memcmp(d, row, n) == 0)) {
        memcpy(alt, d, n);
        it->digest_alt |= algo;
    }
    it->have = (it->have & ~algo) | (m->have & algo);
    it->bad_digest = (it->bad_digest & ~algo) | (m->bad_digest & algo);
    it->digest_text = (it->digest_text & ~algo) | (m->digest_text & algo);
    it->digest_json &= ~algo; /* the row's column, not the .json's */
    memcpy(d, row, n);
}

/* A text field of a sample whose key is in the .parquet (url, caption, status), over what its
 * .json gave (*v): the row's where it has one (not null, not empty), else the .json's, which a
 * row without the column or with a null would otherwise drop. Where both give one and they
 * differ, the .json's is kept in *alt (url, caption: checked as well, as a digest is). */
static void meta_str(const char *row, const char **v, const char **alt)
{
    if (!row || !*row) return;
    if (alt && *v && **v && strcmp(*v, row) != 0) *alt = *v;
    *v = row;
}

static void meta_fill(const meta_row *m, dv_item *it)
{
    meta_str(m->url, &it->url, &it->url_alt);
    meta_str(m->caption, &it->caption, &it->caption_alt);
    meta_str(m->status, &it->status, NULL);
    if (m->key) it->id = m->key;
    meta_digest(m, it, DV_ALGO_MD5, m->md5, it->md5, it->alt_md5, 16);
    meta_digest(m, it, DV_ALGO_SHA1, m->sha1, it->sha1, it->alt_sha1, 20);
    meta_digest(m, it, DV_ALGO_SHA256, m->sha256, it->sha256, it->alt_sha256, 32);
    /* of two scores the higher, so that either one at or over --flag-punsafe flags the sample */
    if (m->has_punsafe && (!it->has_punsafe || m->punsafe > it->punsafe))
        it->punsafe = m->punsafe;
    it->has_punsafe |= m->has_punsafe;
}

/* ---- webdataset samples */

/* By the extension's last part: 000.seg.png and 000.PNG are images too. */
static int is_image_ext(const char *ext)
{
    static const char *const e[] = {"jpg", "jpeg", "png", "webp", "gif", "jfif", NULL};
    const char *dot = strrchr(ext, '.');
    return name_in(dot ? dot + 1 : ext, e);
}

/* A part of a sample that is an image: one with an image extension (readable, too big to be
 * read, which is then the item's problem, or a hard link or symlink, whose target's bytes are
 * the image), or any readable part whose bytes start as an image does (an image under an
 * unusual extension). */
static int is_image_part(const dv_wds_part *p)
{
    if (is_image_ext(p->ext))
        return p->data != NULL || p->member.skip == DV_TAR_SKIP_TOOBIG ||
               p->member.skip == DV_TAR_SKIP_HARDLINK || p->member.skip == DV_TAR_SKIP_SYMLINK;
    return p->data != NULL && p->member.size >= 12 &&
           dv_image_sniff(p->data, (size_t)p->member.size) != DV_FMT_UNKNOWN;
}

/* The first image part of the current sample from part i on, nparts if none. */
static size_t next_image_part(const dv_shard_reader *r, size_t i)
{
    while (i < r->wds.nparts && !is_image_part(&r->wds.parts[i])) i++;
    return i;
}

/* Fields of a sample's .json (img2dataset writes url, caption, key, status, hashes). Read
 * leniently: a nested member (DataComp's face_bboxes), many members or a caption with a
 * stray byte must not cost the sample its URL and hash columns. */
#define WDS_JSON_MEMBERS 256

/* Rank of a .json key for the url or caption role, as a JSONL URL list ranks it
 * (dv__name_rank: docs/readers.md, JSONL), whatever the keys' order. */
static int json_rank(const dv_shard_reader *r, int role, const char *key)
{
    const char *named = role == COL_URL ? r->ds->opts.url_col : r->ds->opts.caption_col;
    return dv__name_rank(role == COL_URL ? 0 : 1, named, (const uint8_t *)key, strlen(key));
}

static void json_fill(dv_shard_reader *r, const uint8_t *p, size_t n, dv_item *it)
{
    dv__jmember m[WDS_JSON_MEMBERS];
    const char *why;
    int nm, url_at[4], cap_at[4];
    /* what cannot be read at all (not a JSON object, over 1 MiB) is said on the item: its
     * url, caption and hash columns are then absent, not merely empty */
    it->meta_unread = 1;
    if (n > (1u << 20)) return;
    r->jscratch.len = 0;
    if (dv__dbuf_reserve(r->alloc, &r->jscratch, n + 1) != DV_OK) return;
    nm = dv__json_members((const char *)p, n, (char *)r->jscratch.p, m, WDS_JSON_MEMBERS,
                          DV__JSON_LENIENT, &why);
    if (nm >= 0) it->meta_unread = 0;
    for (int k = 0; k < 4; k++) url_at[k] = cap_at[k] = -1;
    for (int i = 0; i < nm; i++) {
        char key[64];
        int rk;
        /* a name holding a NUL (\u0000) is none datavet reads: as a C string it would be
         * another (url for "url\u0000x") */
        if (m[i].keylen >= sizeof key || memchr(m[i].key, '\0', m[i].keylen)) continue;
        memcpy(key, m[i].key, m[i].keylen);
        key[m[i].keylen] = '\0';
        /* url and caption as a JSONL URL list takes them: per rank the last value, a null
         * clearing it */
        if ((rk = json_rank(r, COL_URL, key)) >= 0 && m[i].kind != DV__J_TRUE &&
            m[i].kind != DV__J_FALSE)
            url_at[rk] = m[i].kind == DV__J_NULL ? -1 : i;
        if ((rk = json_rank(r, COL_CAPTION, key)) >= 0 && m[i].kind != DV__J_TRUE &&
            m[i].kind != DV__J_FALSE)
            cap_at[rk] = m[i].kind == DV__J_NULL ? -1 : i;
        if (m[i].kind != DV__J_STRING && m[i].kind != DV__J_NUMBER) continue;
        for (int role = 0; role < NROLES; role++) {
            if (!role_matches(role, key, &r->ds->opts)) continue;
            switch (role) {
            case COL_STATUS:
                if (!it->status) set_str(r, &r->s_status, m[i].val, m[i].vallen, &it->status);
                break;
            case COL_MD5:
                if (!(it->have & DV_ALGO_MD5))
                    take_json_digest(it, DV_ALGO_MD5, (const uint8_t *)m[i].val, m[i].vallen,
                                     it->md5, 16);
                break;
            case COL_SHA1:
                if (!(it->have & DV_ALGO_SHA1))
                    take_json_digest(it, DV_ALGO_SHA1, (const uint8_t *)m[i].val, m[i].vallen,
                                     it->sha1, 20);
                break;
            case COL_SHA256:
                if (!(it->have & DV_ALGO_SHA256))
                    take_json_digest(it, DV_ALGO_SHA256, (const uint8_t *)m[i].val, m[i].vallen,
                                     it->sha256, 32);
                break;
            case COL_PUNSAFE:
                /* punsafe wins over nsfw, in any order */
                if (m[i].kind == DV__J_NUMBER &&
                    (!it->has_punsafe || strcasecmp(key, "punsafe") == 0)) {
                    char tmp[64];
                    size_t l = m[i].vallen < 63 ? m[i].vallen : 63;
                    memcpy(tmp, m[i].val, l);
                    tmp[l] = '\0';
                    it->punsafe = strtod(tmp, NULL);
                    it->has_punsafe = 1;
                }
                break;
            default: break;
            }
        }
    }
    for (int k = 0; k < 4; k++) {
        if (url_at[k] < 0) continue;
        if (m[url_at[k]].vallen && memchr(m[url_at[k]].val, '\0', m[url_at[k]].vallen))
            it->url_nul = 1; /* as a C string another URL: none, and the scan says so */
        else
            set_str(r, &r->s_url, m[url_at[k]].val, m[url_at[k]].vallen, &it->url);
        break;
    }
    for (int k = 0; k < 4; k++) {
        if (cap_at[k] < 0) continue;
        set_caption(r, m[cap_at[k]].val, m[cap_at[k]].vallen, &it->caption);
        break;
    }
}

/* The metadata of a sample (or row) goes with its first item only: a later image of it keeps
 * the id and URL, for the record, and nothing is matched or flagged twice. */
static void later_item(dv_item *it)
{
    it->caption = NULL;
    it->caption_alt = NULL;
    it->url_alt = NULL;
    it->url_nul = 0;
    it->status = NULL;
    it->have = 0;
    it->bad_digest = 0;
    it->digest_json = 0;
    it->digest_text = 0;
    it->digest_alt = 0;
    it->has_punsafe = 0;
    it->meta_unread = 0;
}

/* A sample's id: the basename part of its key (the path up to the basename's first dot). */
static const char *key_base(const char *key)
{
    const char *b = strrchr(key, '/');
    return b ? b + 1 : key;
}

/* 1 with an item, 0 at the end of the archive. Every image part of a sample is an item of its
 * own (list_index 0, 1, ...: a sample of 000.jpg and 000.png is two images to check); a sample
 * without one is one item without an image. */
static int tar_next(dv_shard_reader *r, dv_item *it)
{
    const dv_wds_sample *s = &r->wds;
    const dv_wds_part *img = NULL, *json = NULL, *txt = NULL;
    if (r->tar_done) return 0;
    if (r->wds_idx == 0) {
        int rc = dv_tar_reader_next_sample(r->tar, &r->wds);
        if (rc == 0) {
            r->tar_done = 1;
            return 0;
        }
        if (rc < 0) {
            snprintf(r->err, sizeof r->err, "%s", dv_tar_reader_errmsg(r->tar));
            r->tar_done = 1;
            return rc;
        }
        r->wds_idx = 0;
        if (r->ds->opts.skip & DV__SKIP_MEMBER_DATA) {
            /* ids only: one item a sample, nothing of its members read */
            it->list_index = 0;
            it->sample = (int64_t)s->index;
            it->row = s->index;
            it->id = key_base(s->key);
            return 1;
        }
        r->wds_next = next_image_part(r, 0);
    }
    for (size_t i = 0; i < s->nparts; i++) {
        const dv_wds_part *p = &s->parts[i];
        if (!p->data) continue;
        if (strcasecmp(p->ext, "json") == 0) json = p;
        else if (strcasecmp(p->ext, "txt") == 0) txt = p;
    }
    if (r->wds_next < s->nparts) {
        img = &s->parts[r->wds_next];
        r->wds_next = next_image_part(r, r->wds_next + 1);
    }
    it->list_index = r->wds_idx;
    /* 0 again once the sample is given whole: the next call reads the next sample */
    r->wds_idx = r->wds_next < s->nparts ? r->wds_idx + 1 : 0;
    it->sample = (int64_t)s->index;
    it->row = s->index;
    it->id = key_base(s->key);
    if (json) json_fill(r, json->data, (size_t)json->member.size, it);
    if (txt && !it->caption)
        set_caption(r, txt->data, (size_t)txt->member.size, &it->caption);
    if (it->list_index) later_item(it);
    if (img && img->data) {
        it->image = img->data;
        it->image_len = (size_t)img->member.size;
        it->image_name = img->member.path;
    } else if (img && img->member.skip != DV_TAR_SKIP_TOOBIG) {
        /* a link: its target's bytes, read again; or the item says why they cannot be */
        const uint8_t *d;
        uint64_t n;
        int rc = dv__tar_reader_link_data(r->tar, &img->member, r->ds->opts.max_image_bytes,
                                          &r->linkbuf, &d, &n);
        /* what was read into linkbuf, whole or cut short by a failure, is zeroed as the
         * caller moves on */
        if (r->linkbuf.len > r->link_len) r->link_len = r->linkbuf.len;
        if (rc == DV_ENOMEM) return rc;
        it->image_name = img->member.path;
        if (rc == DV_OK) {
            it->image = d;
            it->image_len = (size_t)n;
        } else {
            it->problem = rc;
            snprintf(r->err, sizeof r->err, "%s", dv_tar_reader_errmsg(r->tar));
            it->problem_msg = r->err;
        }
    } else if (img) {
        it->problem = DV_ETOOBIG;
        it->image_name = img->member.path;
        snprintf(r->err, sizeof r->err, "%s: member %s is %llu bytes, over the limit",
                 r->info.path, img->member.path, (unsigned long long)img->member.size);
        it->problem_msg = r->err;
    }
    return 1;
}

static int open_input(dv_shard_reader *r)
{
    r->fd = open(r->info.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (r->fd >= 0) return DV_OK;
    snprintf(r->err, sizeof r->err, "%s: cannot open: %s", r->info.path, strerror(errno));
    return DV_EIO;
}

int dv_shard_reader_open(const dv_dataset *ds, uint64_t shard, dv_shard_reader **out,
                         char *errbuf, size_t errcap)
{
    dv_shard_reader *r;
    int rc = DV_OK;
    *out = NULL;
    if (!ds || shard >= ds->nshards) return DV_EINVAL;
    r = dv__calloc(ds->alloc, 1, sizeof *r);
    if (!r) return DV_ENOMEM;
    r->ds = ds;
    r->alloc = ds->alloc;
    r->fd = -1;
    r->layout = ds->layout;
    dv_dataset_shard(ds, shard, &r->info);
    switch (ds->layout) {
    case DV_LAYOUT_PARQUET: rc = pq_open(r, r->info.path); break;
    case DV_LAYOUT_IMG2DATASET:
    case DV_LAYOUT_WEBDATASET: {
        dv_tar_opts to = {0};
        if (r->info.meta_path) {
            rc = meta_load(r);
            if (rc == DV_ENOMEM) break;
            if (rc != DV_OK) {
                /* metadata that cannot be read costs its rows, not the tar's images: the
                 * first next() reports it, then the tar is read without metadata */
                snprintf(r->pending, sizeof r->pending, "%.900s (the tar is read without it)",
                         r->err);
                r->err[0] = '\0';
                rc = DV_OK;
            }
        }
        to.max_member = ds->opts.max_image_bytes;
        to.alloc = r->alloc;
        r->tar = dv_tar_reader_create(&to);
        if (!r->tar) {
            rc = DV_ENOMEM;
            break;
        }
        /* ids only: no member's bytes are read, a link's target's neither */
        if (ds->opts.skip & DV__SKIP_MEMBER_DATA) dv__tar_reader_headers_only(r->tar, 1);
        else dv__tar_reader_link_index(r->tar, DV__TAR_LINK_INDEX);
        rc = open_input(r);
        if (rc != DV_OK) break;
        rc = dv_tar_reader_open_fd(r->tar, r->fd, r->info.path);
        if (rc != DV_OK) snprintf(r->err, sizeof r->err, "%s", dv_tar_reader_errmsg(r->tar));
        break;
    }
    case DV_LAYOUT_URLLIST: {
        dv_textlist_opts lo = {0};
        const unsigned all = DV_SKIP_MD5 | DV_SKIP_SHA1 | DV_SKIP_SHA256;
        lo.url_col = ds->opts.url_col;
        lo.caption_col = ds->opts.caption_col;
        /* md5, sha1 and sha256 columns, as a parquet file's are found */
        lo.hash_cols = (ds->opts.skip & all) != all;
        /* the id column, as a parquet file's: a named one must be there (as a named caption
         * column), else key, uid, sample_id or id if there is one */
        lo.id = 1;
        lo.id_col = ds->opts.id_col;
        lo.alloc = r->alloc;
        r->tl = dv_textlist_create(&lo);
        if (!r->tl) {
            rc = DV_ENOMEM;
            break;
        }
        rc = open_input(r);
        if (rc != DV_OK) break;
        rc = dv_textlist_open_fd(r->tl, r->fd, r->info.path);
        if (rc != DV_OK) snprintf(r->err, sizeof r->err, "%s", dv_textlist_errmsg(r->tl));
        break;
    }
    case DV_LAYOUT_IMAGES: r->file_i = 0; break;
    default: rc = DV_EINVAL; break;
    }
    if (rc != DV_OK) {
        if (rc == DV_ENOMEM && r->err[0] == '\0')
            snprintf(r->err, sizeof r->err, "%s: out of memory", r->info.path);
        dv__set_err(errbuf, errcap, "%s", r->err);
        dv_shard_reader_free(r);
        return rc;
    }
    *out = r;
    return DV_OK;
}

/* An item whose URL is a base64 data: URI carries its image in the URL: decode it into
 * r->duri as the item's image bytes. Content that is neither named image/ by the URI nor
 * signed as an image is left alone (the item has no image); bad base64 or content over the
 * limit make the item's problem. */
static void data_uri_image(dv_shard_reader *r, dv_item *it)
{
    size_t len, cap, got = 0, mo = 0, ml = 0, lim = r->ds->opts.max_image_bytes;
    char where[900]; /* (r->err holds it and the reason) */
    int rc;
    if (it->image || it->problem || !it->url || it->list_index) return;
    len = strlen(it->url);
    rc = dv_data_uri_decode(it->url, len, NULL, 0, NULL, NULL, NULL);
    if (rc == DV_EINVAL) return; /* no base64 data: URI */
    cap = 3 * (len / 4) + 3;
    if (cap > lim) cap = lim;
    if (cap > r->duri_cap) {
        if (r->duri) memset(r->duri, 0, r->duri_cap);
        dv__free(r->alloc, r->duri);
        r->duri_cap = 0;
        r->duri = dv__malloc(r->alloc, cap);
        if (!r->duri) {
            it->problem = DV_ENOMEM;
            dv__item_where(r->layout, &r->info, it, where, sizeof where);
            snprintf(r->err, sizeof r->err, "%s: no memory for a data: URI's content", where);
            it->problem_msg = r->err;
            return;
        }
        r->duri_cap = cap;
    }
    rc = dv_data_uri_decode(it->url, len, r->duri, cap, &got, &mo, &ml);
    /* zeroed at the next call; on failure, the bytes decoded so far as well */
    r->duri_len = rc == DV_OK ? got : cap;
    if (rc != DV_OK) {
        it->problem = rc == DV_ETOOBIG ? DV_ETOOBIG : DV_ECORRUPT;
        dv__item_where(r->layout, &r->info, it, where, sizeof where);
        snprintf(r->err, sizeof r->err, "%s: data: URI: %s", where,
                 rc == DV_ETOOBIG ? "content over the image size limit" : "bad base64");
        it->problem_msg = r->err;
        it->image_name = DV__DATA_URI_NAME;
        return;
    }
    if (got == 0 ||
        (!dv_image_kind(r->duri, got) && !(ml >= 6 && strncasecmp(it->url + mo, "image/", 6) == 0)))
        return;
    it->image = r->duri;
    it->image_len = got;
    it->image_name = DV__DATA_URI_NAME;
}

static int next_item(dv_shard_reader *r, dv_item *it);

int dv_shard_reader_next(dv_shard_reader *r, dv_item *it)
{
    int rc;
    if (!r || !it) return DV_EINVAL;
    if (r->duri_len) {
        memset(r->duri, 0, r->duri_len);
        r->duri_len = 0;
    }
    rc = next_item(r, it);
    if (rc == 1) data_uri_image(r, it);
    return rc;
}

static int next_item(dv_shard_reader *r, dv_item *it)
{
    int rc;
    item_init(r, it);
    if (r->link_len) {
        memset(r->linkbuf.p, 0, r->link_len);
        r->link_len = 0;
        r->linkbuf.len = 0;
    }
    if (r->filebuf) {
        /* the previous image's bytes are dropped as soon as the caller moves on */
        memset(r->filebuf, 0, r->filelen);
        dv_free_buffer(r->alloc, r->filebuf);
        r->filebuf = NULL;
    }
    switch (r->layout) {
    case DV_LAYOUT_PARQUET: {
        uint64_t row;
        r->id_why = NULL;
        rc = pq_next(r, it, &row);
        if (rc != 1) return rc;
        it->row = row;
        if (r->info.emb_path) it->emb_row = (int64_t)row;
        if (r->col[COL_ID] < 0) {
            id_col_missing(r, it, r->info.path,
                           "its rows are named by shard and row (NAME:ROW)");
        } else if (r->id_why && it->list_index == 0) {
            char where[800];
            snprintf(where, sizeof where, "%.600s: row %llu", r->info.path,
                     (unsigned long long)row);
            id_note(r, it, where, r->id_colname, r->id_why);
        }
        default_id(r, it);
        return 1;
    }
    case DV_LAYOUT_WEBDATASET:
    case DV_LAYOUT_IMG2DATASET:
        if (r->pending[0]) {
            snprintf(r->err, sizeof r->err, "%s", r->pending);
            r->pending[0] = '\0';
            return DV_ECORRUPT;
        }
        rc = tar_next(r, it);
        if (rc < 0) return rc;
        if (rc == 1) {
            if (r->meta) {
                uint64_t idx = 0;
                meta_row *m = NULL;
                if (it->list_index == 0) {
                    r->cur_meta = -1;
                    m = meta_find(r, it->id, &idx);
                    if (m && m->seen) {
                        /* a sample of a key whose rows were all joined with earlier samples:
                         * joined with none, as a sample not in the metadata, so that removing
                         * it (by row) removes no other (--clean) */
                        snprintf(r->idmsg, sizeof r->idmsg,
                                 "%.600s: sample %lld (key %.200s): the key of sample %lld too, "
                                 "which is joined with row %llu of %.600s: this sample is "
                                 "joined with no row",
                                 r->info.path, (long long)it->sample, it->id,
                                 (long long)m->sample, (unsigned long long)idx,
                                 r->info.meta_path);
                        it->id_msg = r->idmsg;
                        m = NULL;
                    }
                } else if (r->cur_meta >= 0) { /* a later image of the sample: its row */
                    idx = (uint64_t)r->cur_meta;
                    m = &r->meta[idx];
                }
                if (m) {
                    meta_fill(m, it);
                    if (it->list_index) {
                        later_item(it);
                    } else {
                        m->seen = 1;
                        m->sample = it->sample;
                        r->cur_meta = (int64_t)idx;
                        meta_repeat(r, m, idx, it);
                    }
                    it->row = idx;
                } else {
                    it->row = r->nmeta + (uint64_t)it->sample; /* not in the metadata */
                }
            }
            if (r->meta && r->col[COL_ID] < 0 && !it->id_msg)
                id_col_missing(r, it, r->info.meta_path,
                               "no sample is joined with its rows, which are named by shard "
                               "and row");
            default_id(r, it);
            return 1;
        }
        /* after the archive: metadata rows whose sample is not in it (failed downloads) */
        while (r->meta && r->next_unseen < r->nmeta) {
            meta_row *m = &r->meta[r->next_unseen];
            uint64_t idx = r->next_unseen++;
            if (m->seen) continue;
            meta_fill(m, it);
            it->row = idx;
            if (m->id_why) {
                char where[800];
                snprintf(where, sizeof where, "%.600s: row %llu", r->info.meta_path,
                         (unsigned long long)idx);
                id_note(r, it, where, r->id_colname, m->id_why);
            }
            meta_repeat(r, m, idx, it);
            if (m->status && strcmp(m->status, "success") == 0) {
                it->problem = DV_ECORRUPT;
                snprintf(r->err, sizeof r->err, "%s: row %llu (key %s) has status success but "
                         "no sample in %s", r->info.meta_path, (unsigned long long)idx,
                         m->key ? m->key : "?", r->info.path);
                it->problem_msg = r->err;
            }
            default_id(r, it);
            return 1;
        }
        return 0;
    case DV_LAYOUT_URLLIST: {
        dv_textlist_row tr;
        rc = dv_textlist_next(r->tl, &tr);
        if (rc == DV_ECORRUPT || rc == DV_ETOOBIG) {
            snprintf(r->err, sizeof r->err, "%s", dv_textlist_errmsg(r->tl));
            r->lost++;
            return DV_ECORRUPT;
        }
        if (rc != 1) {
            if (rc < 0) snprintf(r->err, sizeof r->err, "%s", dv_textlist_errmsg(r->tl));
            return rc;
        }
        it->row = tr.row - 1;
        it->line = tr.line;
        it->url = tr.url;
        it->caption = tr.caption;
        /* hex text only (a field of 16 characters is no MD5), blanks around it dropped */
        if (tr.md5 && !role_skipped(COL_MD5, r->ds->opts.skip))
            take_digest(it, DV_ALGO_MD5, (const uint8_t *)tr.md5, tr.md5_len, it->md5, 16, 0);
        if (tr.sha1 && !role_skipped(COL_SHA1, r->ds->opts.skip))
            take_digest(it, DV_ALGO_SHA1, (const uint8_t *)tr.sha1, tr.sha1_len, it->sha1, 20, 0);
        if (tr.sha256 && !role_skipped(COL_SHA256, r->ds->opts.skip))
            take_digest(it, DV_ALGO_SHA256, (const uint8_t *)tr.sha256, tr.sha256_len, it->sha256,
                        32, 0);
        /* an empty id (a CSV field has no null) or one a NUL would cut short, which would name
         * another row, gets NAME:ROW as a row without an id does, and is said */
        if (tr.id && tr.id_len > 0 && memchr(tr.id, '\0', tr.id_len) == NULL) {
            set_str(r, &r->s_id, tr.id, tr.id_len, &it->id);
        } else if (tr.id_missing == 1) { /* the file has no such column */
            id_col_missing(r, it, r->info.path,
                           "its rows are named by shard and row (NAME:ROW)");
        } else if (tr.id_missing == 2 || tr.id || tr.id_null) {
            char where[800], what[300];
            snprintf(where, sizeof where, "%.600s:%llu", r->info.path,
                     (unsigned long long)tr.line);
            const char *idn = r->ds->opts.id_col ? r->ds->opts.id_col : tr.id_name;
            if (idn)
                snprintf(what, sizeof what, "%s '%.200s'",
                         tr.id_missing == 2 ? "member" : "column", idn);
            else
                snprintf(what, sizeof what, "the id");
            id_note(r, it, where, what,
                    tr.id_missing == 2 ? "is not in the record"
                    : !tr.id           ? "is null"
                    : tr.id_len == 0   ? "is empty"
                                       : "holds a NUL byte");
        }
        default_id(r, it);
        return 1;
    }
    case DV_LAYOUT_IMAGES: {
        const char *path;
        void *buf;
        size_t len;
        if (r->file_i >= r->info.nfiles) return 0;
        path = r->ds->files[r->info.first_file + r->file_i];
        it->row = r->file_i++;
        it->image_name = path;
        it->id = path;
        {
            size_t rl = strlen(r->ds->root);
            if (strncmp(path, r->ds->root, rl) == 0 && path[rl] == '/') it->id = path + rl + 1;
        }
        rc = dv_read_file(path, r->ds->opts.max_image_bytes, r->alloc, &buf, &len, r->err,
                          sizeof r->err);
        if (rc == DV_ENOMEM) return rc;
        if (rc != DV_OK) {
            it->problem = rc;
            it->problem_msg = r->err;
            return 1;
        }
        r->filebuf = buf;
        r->filelen = len;
        it->image = buf;
        it->image_len = len;
        return 1;
    }
    default: return DV_EINVAL;
    }
}

uint64_t dv_shard_reader_lost(const dv_shard_reader *r) { return r ? r->lost : 0; }

double dv__shard_reader_fraction(const dv_shard_reader *r)
{
    uint64_t done = 0, total = 0;
    struct stat st;
    if (!r) return -1;
    if (r->tar) { /* (an img2dataset shard's metadata is loaded whole first) */
        done = dv__tar_reader_pos(r->tar, &total);
    } else if (r->pq) {
        total = dv_parquet_reader_num_rows(r->pq);
        done = r->row_base + r->rg_row;
    } else if (r->tl) {
        done = dv_textlist_offset(r->tl);
        if (r->fd >= 0 && fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
            total = (uint64_t)st.st_size;
    } else if (r->layout == DV_LAYOUT_IMAGES) {
        done = r->file_i;
        total = r->info.nfiles;
    }
    if (total == 0) return -1;
    return done >= total ? 1.0 : (double)done / (double)total;
}
const char *dv_shard_reader_errmsg(const dv_shard_reader *r) { return r ? r->err : ""; }

void dv_shard_reader_free(dv_shard_reader *r)
{
    if (!r) return;
    if (r->duri) memset(r->duri, 0, r->duri_cap);
    dv__free(r->alloc, r->duri);
    /* a data: URI is an image in base64 */
    if (r->s_url.p) memset(r->s_url.p, 0, r->s_url.cap);
    if (r->filebuf) {
        memset(r->filebuf, 0, r->filelen);
        dv_free_buffer(r->alloc, r->filebuf);
    }
    if (r->linkbuf.p) memset(r->linkbuf.p, 0, r->linkbuf.cap);
    dv__free(r->alloc, r->linkbuf.p);
    dv_parquet_reader_free(r->pq);
    dv_tar_reader_free(r->tar);
    dv_textlist_free(r->tl);
    if (r->fd >= 0) close(r->fd);
    for (uint64_t i = 0; r->meta && i < r->nmeta; i++) {
        dv__free(r->alloc, r->meta[i].key);
        dv__free(r->alloc, r->meta[i].url);
        dv__free(r->alloc, r->meta[i].caption);
        dv__free(r->alloc, r->meta[i].status);
    }
    dv__free(r->alloc, r->meta);
    dv__free(r->alloc, r->mslots);
    dv__free(r->alloc, r->s_id.p);
    dv__free(r->alloc, r->s_url.p);
    dv__free(r->alloc, r->s_cap.p);
    dv__free(r->alloc, r->s_status.p);
    dv__free(r->alloc, r->jscratch.p);
    dv__free(r->alloc, r);
}
