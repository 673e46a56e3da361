/* inventory.c - the copies of known datasets and models on a machine (docs/inventory.md).
 *
 * Walk the paths (links not followed, optionally one file system), keep the files whose names
 * say model, dataset, embeddings or card (or every regular file), hash them on a thread pool
 * (streamed, 1 MiB a read, the buffer zeroed after each file as a file can hold images),
 * describe parquet, npy and gguf files from their headers, look every digest up in the lists
 * and search the cards (and the metadata of safetensors and gguf models) for dataset names.
 * Records go out in byte order of the paths. */
#include "scan_internal.h"
#include "../common/common.h"
#include "../io/gguf.h"
#include "../io/io_readers.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define INV_MAX_DEPTH 64
#define INV_MAX_FILES (1u << 26)
#define INV_READ (1u << 20)
#define INV_CARD_MAX (1u << 20) /* bytes of a card searched for names */
#define INV_BIG (1u << 20)      /* .bin .msgpack .pkl below this are not taken as models */
#define INV_DETAIL 160

typedef struct ifile {
    char *path;
    uint64_t size;
    dv_inv_kind kind;
    /* filled by the hashing job */
    int via_link;           /* a link (by its name a model, dataset...) to a regular file */
    uint64_t dev, ino;      /* the file the walk found (through the link, for one) */
    dv_digests d;
    char detail[INV_DETAIL];
    int err;                /* 0, an errno, or -1: no longer a regular file (or no longer the
                               one the walk found: another at its path), -2: no memory,
                               -3: a folder deeper than INV_MAX_DEPTH, -4: a PATH that is
                               not a regular file or folder (a folder not walked, an entry
                               lstat failed on, a link named as a model stat failed on, or
                               such a PATH, has its errno, -3 or -4 set by the walk, and is
                               not read) */
    const char *name_found; /* cards: a term of the worker's names (all equal) */
} ifile;

typedef struct ilist {
    const char *path;
    dv_list *l;
    dv_list_info info;
    char digest[65];
} ilist;

typedef struct inv {
    const dv_inventory_opts *o;
    const dv_alloc *a;
    ifile *f;
    size_t n, cap;
    uint64_t skipped;
    unsigned algos;
    uint8_t **bufs;     /* one read buffer a worker */
    char **cards;       /* one card buffer a worker (INV_CARD_MAX + 1) */
    char **texts;       /* one gguf metadata text a worker (INV_CARD_MAX + 1), made when needed */
    dv__terms **names;  /* one copy a worker (the search keeps scratch), or NULL */
    unsigned nnames;
    /* progress */
    pthread_mutex_t mu;
    uint64_t done_files, done_bytes, total_bytes, last_ns;
} inv;

const char *dv_inv_kind_name(dv_inv_kind k)
{
    switch (k) {
    case DV_INV_MODEL: return "model";
    case DV_INV_DATASET: return "dataset";
    case DV_INV_EMBEDDINGS: return "embeddings";
    case DV_INV_CARD: return "card";
    case DV_INV_OTHER: return "other";
    }
    return "unknown";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Ollama's model store names each blob by its digest, with no extension:
 * ~/.ollama/models/blobs/sha256-<64 hex> (sha256:<hex> in early versions). */
static int is_ollama_blob(const char *base)
{
    if (strncmp(base, "sha256-", 7) != 0 && strncmp(base, "sha256:", 7) != 0) return 0;
    for (size_t i = 7; i < 7 + 64; i++)
        if (!((base[i] >= '0' && base[i] <= '9') || (base[i] >= 'a' && base[i] <= 'f'))) return 0;
    return base[7 + 64] == '\0';
}

/* What a file is, by its name (and size for names that are also used for small files). */
static dv_inv_kind classify(const char *base, uint64_t size)
{
    static const char *const model[] = {".safetensors", ".ckpt", ".pt", ".pth", ".gguf",
                                        ".onnx", ".h5"};
    static const char *const big[] = {".bin", ".msgpack", ".pkl"};
    static const char *const data[] = {".parquet", ".arrow", ".tar", ".tfrecord", ".zst"};
    for (size_t i = 0; i < sizeof model / sizeof *model; i++)
        if (ends_with(base, model[i])) return DV_INV_MODEL;
    for (size_t i = 0; i < sizeof big / sizeof *big; i++)
        if (ends_with(base, big[i]) && size >= INV_BIG) return DV_INV_MODEL;
    if (is_ollama_blob(base) && size >= INV_BIG) return DV_INV_MODEL; /* the weights (GGUF) */
    for (size_t i = 0; i < sizeof data / sizeof *data; i++)
        if (ends_with(base, data[i])) return DV_INV_DATASET;
    if (ends_with(base, ".npy") || ends_with(base, ".npz")) return DV_INV_EMBEDDINGS;
    if (strcasecmp(base, "README.md") == 0 || strcasecmp(base, "model_index.json") == 0 ||
        strcasecmp(base, "dataset_info.json") == 0 || strcasecmp(base, "dataset_infos.json") == 0 ||
        ends_with(base, ".yaml") || ends_with(base, ".yml"))
        return DV_INV_CARD;
    return 0;
}

static char *sdup(const dv_alloc *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = dv__malloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

/* A new zeroed entry for path at the end of the list (*out). */
static int push_file(inv *v, const char *path, ifile **out)
{
    ifile *f;
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 256;
        ifile *nf;
        if (nc > INV_MAX_FILES) return DV_ETOOBIG;
        nf = dv__realloc(v->a, v->f, nc * sizeof *nf);
        if (!nf) return DV_ENOMEM;
        v->f = nf;
        v->cap = nc;
    }
    f = &v->f[v->n];
    memset(f, 0, sizeof *f);
    if (!(f->path = sdup(v->a, path))) return DV_ENOMEM;
    v->n++;
    *out = f;
    return DV_OK;
}

/* force: a file named on its own, examined whatever its name; link: path is a link to it */
static int add_file(inv *v, const char *path, const struct stat *st, int force, int link)
{
    const char *base = strrchr(path, '/');
    dv_inv_kind k = classify(base ? base + 1 : path, (uint64_t)st->st_size);
    ifile *f;
    if ((v->o->skip_file && (uint64_t)st->st_dev == v->o->skip_dev &&
         (uint64_t)st->st_ino == v->o->skip_ino) ||
        (v->o->skip_file2 && (uint64_t)st->st_dev == v->o->skip_dev2 &&
         (uint64_t)st->st_ino == v->o->skip_ino2)) {
        v->skipped++; /* the output being written (or a link to it) */
        return DV_OK;
    }
    if (!k && !v->o->all_files && !force) {
        v->skipped++;
        return DV_OK;
    }
    DV_FORWARD_IF_ERROR(push_file(v, path, &f));
    f->size = (uint64_t)st->st_size;
    f->kind = k ? k : DV_INV_OTHER;
    f->via_link = link;
    f->dev = (uint64_t)st->st_dev;
    f->ino = (uint64_t)st->st_ino;
    return DV_OK;
}

/* A folder the walk cannot enter (unreadable, or too deep), an entry it cannot even lstat
 * (a path over PATH_MAX, a file removed mid-walk), a link named as a model whose target it
 * cannot stat (but for one that leads nowhere), or a PATH that is a FIFO, a device or a
 * socket, may hold copies: it is a record with an error, so that the inventory says what it
 * did not examine. */
static int add_unexamined(inv *v, const char *path, int err, const char *detail)
{
    ifile *f;
    DV_FORWARD_IF_ERROR(push_file(v, path, &f));
    f->kind = DV_INV_OTHER;
    f->err = err;
    snprintf(f->detail, sizeof f->detail, "%s", detail);
    return DV_OK;
}

static int walk(inv *v, const char *dir, dev_t dev, int depth)
{
    DIR *d;
    struct dirent *e;
    char *p = NULL;
    size_t cap = 0, dl = strlen(dir);
    int rc = DV_OK;
    if (depth > INV_MAX_DEPTH) return add_unexamined(v, dir, -3, "folder (not walked)");
    if (!(d = opendir(dir)))
        return add_unexamined(v, dir, errno ? errno : EACCES, "folder (not walked)");
    while (rc == DV_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        size_t need = dl + strlen(e->d_name) + 2;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (need > cap) {
            char *np = dv__realloc(v->a, p, need);
            if (!np) {
                rc = DV_ENOMEM;
                break;
            }
            p = np;
            cap = need;
        }
        snprintf(p, cap, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", e->d_name);
        if (lstat(p, &st) != 0) {
            rc = add_unexamined(v, p, errno ? errno : EIO, "not examined");
            continue;
        }
        if (v->o->one_file_system && st.st_dev != dev) {
            v->skipped++;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(v, p, dev, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(v, p, &st, 0, 0);
        } else if (S_ISLNK(st.st_mode) && classify(e->d_name, UINT64_MAX)) {
            /* a link named as a model or dataset (Hugging Face snapshots link to blobs) */
            if (stat(p, &st) != 0) {
                int err = errno ? errno : EIO;
                /* one that leads nowhere (its target gone, a loop) holds nothing; one whose
                 * target could not be looked at (a folder on the way unreadable, a path over
                 * PATH_MAX) may lead to a copy: a record with an error, as for lstat */
                if (err == ENOENT || err == ENOTDIR || err == ELOOP) v->skipped++;
                else rc = add_unexamined(v, p, err, "link (not followed)");
            } else if (S_ISREG(st.st_mode) && (!v->o->one_file_system || st.st_dev == dev) &&
                       classify(e->d_name, (uint64_t)st.st_size)) {
                rc = add_file(v, p, &st, 0, 1);
            } else {
                v->skipped++;
            }
        } else {
            v->skipped++; /* other links, devices, sockets, FIFOs */
        }
    }
    closedir(d);
    dv__free(v->a, p);
    return rc;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const ifile *)a)->path, ((const ifile *)b)->path);
}

/* ---------------------------------------------------------------- per file */

static int is_gguf(const ifile *f)
{
    const char *base = strrchr(f->path, '/');
    return f->kind == DV_INV_MODEL &&
           (ends_with(f->path, ".gguf") || is_ollama_blob(base ? base + 1 : f->path));
}

/* head: the first bytes of a gguf file (DV__GGUF_HEAD or all of a shorter one) */
static void describe_gguf(ifile *f, const uint8_t *head, size_t head_len)
{
    dv__gguf_info gi;
    int rc = dv__gguf_read(head, head_len, NULL, 0, &gi);
    if (rc == DV_OK)
        snprintf(f->detail, sizeof f->detail, "gguf v%u%s, %llu tensor%s, %llu key%s",
                 (unsigned)gi.version, gi.big_endian ? " big-endian" : "",
                 (unsigned long long)gi.tensors, gi.tensors == 1 ? "" : "s",
                 (unsigned long long)gi.keys, gi.keys == 1 ? "" : "s");
    else if (rc == DV_EFORMAT && head_len >= 8 && memcmp(head, "GGUF", 4) == 0)
        snprintf(f->detail, sizeof f->detail, "gguf (version %u: not read)", (unsigned)gi.version);
    else if (!ends_with(f->path, ".gguf"))
        snprintf(f->detail, sizeof f->detail, "ollama blob (not GGUF)");
    else
        snprintf(f->detail, sizeof f->detail, "gguf (not a GGUF header)");
}

/* fd: the file as hashed, still open: the detail is of the same bytes, whatever its path
 * names by now (the path is not opened again) */
static void describe_body(ifile *f, int fd, const uint8_t *head, size_t head_len)
{
    char err[256];
    if (is_gguf(f)) {
        describe_gguf(f, head, head_len);
        return;
    }
    if (f->kind == DV_INV_EMBEDDINGS && ends_with(f->path, ".npy")) {
        dv_npy *np = NULL;
        dv_npy_info ni;
        static const char *const dt[] = {"?", "float16", "float32", "float64"};
        if (dv__npy_open_fd(fd, f->path, NULL, &np, err, sizeof err) == DV_OK) {
            dv_npy_get_info(np, &ni);
            snprintf(f->detail, sizeof f->detail, "npy %s %llux%llu",
                     (unsigned)ni.dtype < 4 ? dt[ni.dtype] : "?", (unsigned long long)ni.rows,
                     (unsigned long long)ni.dims);
            dv_npy_close(np);
        } else {
            snprintf(f->detail, sizeof f->detail, "npy (not a float matrix datavet reads)");
        }
        return;
    }
    if (f->kind == DV_INV_EMBEDDINGS && ends_with(f->path, ".npz")) {
        /* its arrays from their headers (a deflated one is not inflated past its header) */
        static const char *const dt[] = {"?", "float16", "float32", "float64"};
        dv_npz_member *m = NULL;
        size_t n = 0, len;
        if (dv__npz_list_fd(fd, f->path, NULL, &m, &n, err, sizeof err) != DV_OK) {
            snprintf(f->detail, sizeof f->detail, "npz (not a ZIP of arrays datavet reads)");
            return;
        }
        len = (size_t)snprintf(f->detail, sizeof f->detail, "npz");
        for (size_t i = 0; i < n && len < sizeof f->detail; i++) {
            int k = m[i].usable
                        ? snprintf(f->detail + len, sizeof f->detail - len, "%s %s %s %llux%llu",
                                   i ? "," : "", m[i].name,
                                   (unsigned)m[i].info.dtype < 4 ? dt[m[i].info.dtype] : "?",
                                   (unsigned long long)m[i].info.rows,
                                   (unsigned long long)m[i].info.dims)
                        : snprintf(f->detail + len, sizeof f->detail - len, "%s %s (not read)",
                                   i ? "," : "", m[i].name);
            if (k < 0) break;
            len += (size_t)k;
        }
        dv_npz_list_free(NULL, m);
        return;
    }
    if (ends_with(f->path, ".parquet")) {
        dv_parquet_reader *r = NULL;
        dv_parquet_reader_opts po = {0};
        po.wipe = 1; /* footer statistics can hold whole values of an image column */
        if (dv__parquet_reader_open_fd(fd, f->path, &po, &r, err, sizeof err) == DV_OK) {
            static const char *const url[] = {"url", "URL", "image_url"};
            int has_url = 0, is_list = 0;
            for (size_t i = 0; i < 3; i++) has_url |= dv_parquet_reader_find_column(r, url[i]) >= 0;
            snprintf(f->detail, sizeof f->detail, "parquet: %llu rows, %zu columns%s%s",
                     (unsigned long long)dv_parquet_reader_num_rows(r),
                     dv_parquet_reader_num_columns(r), has_url ? ", urls" : "",
                     dv_image_column_pick(r, NULL, &is_list) >= 0 ? ", images" : "");
            dv_parquet_reader_free(r);
        } else {
            snprintf(f->detail, sizeof f->detail, "parquet (unreadable: not described)");
        }
        return;
    }
    {
        const char *base = strrchr(f->path, '/'), *dot;
        base = base ? base + 1 : f->path;
        dot = strrchr(base, '.');
        snprintf(f->detail, sizeof f->detail, "%s",
                 f->kind == DV_INV_CARD || !dot ? base : dot + 1);
    }
}

/* The detail, and " (link)" for a file reached through a link, whatever its kind. */
static void describe(ifile *f, int fd, const uint8_t *head, size_t head_len)
{
    describe_body(f, fd, head, head_len);
    if (f->via_link) {
        size_t n = strlen(f->detail);
        snprintf(f->detail + n, sizeof f->detail - n, " (link)");
    }
}

/* The progress callback, at most every 0.2 s (or now, with last), under v->mu. */
static void report(inv *v, int last)
{
    uint64_t now;
    if (!v->o->progress) return;
    now = dv__mono_ns();
    if (!last && now - v->last_ns < 200000000u) return;
    v->last_ns = now;
    v->o->progress(v->o->progress_ctx, v->done_files, v->n, v->done_bytes, v->total_bytes);
}

static void hash_job(void *ctx, size_t job, unsigned worker)
{
    inv *v = ctx;
    ifile *f = &v->f[job];
    uint8_t *buf = v->bufs[worker];
    EVP_MD_CTX *c[3] = {NULL, NULL, NULL};
    const EVP_MD *md[3] = {EVP_sha256(), EVP_sha1(), EVP_md5()};
    unsigned want[3] = {DV_ALGO_SHA256, DV_ALGO_SHA1, DV_ALGO_MD5};
    size_t card_len = 0, head_len = 0;
    char *card;
    int st_header, gguf;
    uint8_t head[DV__GGUF_HEAD]; /* a gguf file's header, for its detail */
    uint64_t got = 0;
    size_t used = 0;
    int fd = -1, ok = 1;
    struct stat st;
    if (f->err) goto progress; /* not examined by the walk (add_unexamined) */
    fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (f->via_link ? 0 : O_NOFOLLOW));
    /* not blocking on a FIFO, not following a link the walk did not (O_NOFOLLOW), and the
     * very file the walk found (its name said what it is; the output being written was
     * passed over by its dev/ino): else an error record, nothing read */
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino) {
        f->err = fd < 0 ? errno : -1;
        if (fd >= 0) close(fd);
        goto progress;
    }
    /* cards, and the JSON header of a safetensors file (its __metadata__ can name the
     * training data: kohya's LoRA trainer records ss_dataset_dirs, ss_tag_frequency...) */
    st_header = f->kind == DV_INV_MODEL && ends_with(f->path, ".safetensors");
    /* and the metadata of a gguf file (general.datasets, general.dataset.N.name, ...) */
    gguf = is_gguf(f);
    card = (f->kind == DV_INV_CARD || st_header || gguf) && v->names ? v->cards[worker] : NULL;
    for (int i = 0; i < 3 && ok; i++)
        if (v->algos & want[i]) ok = (c[i] = EVP_MD_CTX_new()) && EVP_DigestInit_ex(c[i], md[i], NULL) == 1;
    while (ok) {
        ssize_t n = read(fd, buf, INV_READ);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            f->err = errno;
            ok = 0;
            break;
        }
        if (n == 0) break;
        if ((size_t)n > used) used = (size_t)n;
        for (int i = 0; i < 3; i++)
            if (c[i]) EVP_DigestUpdate(c[i], buf, (size_t)n);
        if (card && card_len < INV_CARD_MAX) {
            size_t k = (size_t)n < INV_CARD_MAX - card_len ? (size_t)n : INV_CARD_MAX - card_len;
            memcpy(card + card_len, buf, k);
            card_len += k;
        }
        if (gguf && head_len < sizeof head) {
            size_t k = (size_t)n < sizeof head - head_len ? (size_t)n : sizeof head - head_len;
            memcpy(head + head_len, buf, k);
            head_len += k;
        }
        got += (uint64_t)n;
        pthread_mutex_lock(&v->mu);
        v->done_bytes += (uint64_t)n;
        report(v, 0); /* a big file moves the line too */
        pthread_mutex_unlock(&v->mu);
    }
    memset(buf, 0, used); /* the file may have held images */
    if (ok) {
        unsigned int len;
        uint8_t *out[3] = {f->d.sha256, f->d.sha1, f->d.md5};
        for (int i = 0; i < 3; i++)
            if (c[i] && EVP_DigestFinal_ex(c[i], out[i], &len) == 1) f->d.have |= want[i];
        f->size = got;
        if (card) {
            /* a NUL inside ends the text searched: cards are text */
            const char *text = card;
            card[card_len] = '\0';
            if (st_header) {
                /* 8 bytes of little-endian header length, then the JSON header */
                uint64_t hl = 0;
                for (int i = 7; i >= 0 && card_len >= 8; i--) hl = hl << 8 | (uint8_t)card[i];
                if (card_len < 8) text = "";
                else {
                    if (hl < card_len - 8) card[8 + hl] = '\0';
                    text = card + 8;
                }
            } else if (gguf) {
                /* its string values as "key: value" lines (not the tokenizer's); the metadata
                 * past the bytes kept is not searched */
                dv__gguf_info gi;
                char **t = &v->texts[worker];
                if (!*t) *t = dv__malloc(v->a, INV_CARD_MAX + 1);
                if (!*t) ok = 0;
                else if (dv__gguf_read(card, card_len, *t, INV_CARD_MAX + 1, &gi) == DV_OK)
                    text = *t;
                else text = "";
            }
            if (!ok) f->err = -2;
            else if (dv__terms_find(v->names[worker], text, &f->name_found) < 0)
                f->name_found = NULL;
        }
        if (ok) describe(f, fd, head, head_len);
    } else if (!f->err) {
        f->err = -2;
    }
    close(fd);
    for (int i = 0; i < 3; i++) EVP_MD_CTX_free(c[i]);
progress:
    pthread_mutex_lock(&v->mu);
    v->done_files++;
    report(v, v->done_files == v->n);
    pthread_mutex_unlock(&v->mu);
}

/* ---------------------------------------------------------------- run */

int dv_inventory_run(const dv_inventory_opts *o,
                     int (*cb)(void *ud, const dv_inventory_record *r), void *ud,
                     dv_inventory_result *out, char *errbuf, size_t errcap)
{
    inv v;
    ilist *ls = NULL;
    dv__terms *names = NULL;
    dv_pool *pool = NULL;
    dv_inventory_hit *hits = NULL;
    void *names_text = NULL;
    char **real = NULL; /* realpath of each PATH */
    size_t names_len = 0;
    int rc = DV_OK;
    if (!o || !cb || !out || (o->npaths && !o->paths) || (o->nlists && !o->lists))
        return DV_EINVAL;
    memset(out, 0, sizeof *out);
    memset(&v, 0, sizeof v);
    v.o = o;
    v.a = o->alloc;
    v.algos = DV_ALGO_SHA256;
    if (o->nlists) {
        ls = dv__calloc(v.a, o->nlists, sizeof *ls);
        hits = dv__calloc(v.a, o->nlists, sizeof *hits);
        if (!ls || !hits) rc = DV_ENOMEM;
    }
    for (size_t i = 0; rc == DV_OK && i < o->nlists; i++) {
        ls[i].path = o->lists[i];
        rc = dv_list_open(o->lists[i], &ls[i].l, errbuf, errcap);
        if (rc != DV_OK) break;
        {
            char e[256];
            if ((rc = dv_list_verify(ls[i].l, e, sizeof e)) != DV_OK) {
                dv__set_err(errbuf, errcap, "%s: %s", o->lists[i], e);
                break;
            }
        }
        dv_list_get_info(ls[i].l, &ls[i].info);
        dv_hex_encode(ls[i].info.digest, 32, ls[i].digest);
        if (ls[i].info.type == DV_HT_MD5) v.algos |= DV_ALGO_MD5;
        else if (ls[i].info.type == DV_HT_SHA1) v.algos |= DV_ALGO_SHA1;
        else if (ls[i].info.type != DV_HT_SHA256) {
            dv__set_err(errbuf, errcap,
                        "%s: a %s list: inventory looks up file digests (md5, sha1, sha256)",
                        o->lists[i], dv_hash_type_name(ls[i].info.type));
            rc = DV_EINVAL;
        }
    }
    if (rc == DV_OK && o->names_path) {
        /* read once; each worker parses its own copy (the search keeps scratch) */
        rc = dv_read_file(o->names_path, 64u << 20, v.a, &names_text, &names_len, errbuf, errcap);
        if (rc == DV_OK)
            rc = dv__terms_parse(o->names_path, names_text, names_len, v.a, &names, errbuf, errcap);
    }
    /* PATHs that are, or lie inside, another PATH (hf ./hf hf/snapshots) are walked once,
     * as part of it: compared by their real paths */
    if (rc == DV_OK && o->npaths && !(real = dv__calloc(v.a, o->npaths, sizeof *real)))
        rc = DV_ENOMEM;
    for (size_t i = 0; rc == DV_OK && i < o->npaths; i++) {
        char e[128];
        if (!(real[i] = realpath(o->paths[i], NULL))) {
            dv__set_err(errbuf, errcap, "%s: %s", o->paths[i],
                        strerror_r(errno, e, sizeof e) == 0 ? e : "cannot be examined");
            rc = DV_EINVAL;
        }
    }
    for (size_t i = 0; rc == DV_OK && i < o->npaths; i++) {
        struct stat st, lst;
        int covered = 0;
        for (size_t j = 0; j < o->npaths && !covered; j++) {
            size_t n = strlen(real[j]);
            struct stat si, sj;
            if (j == i) continue;
            if (strcmp(real[i], real[j]) == 0) covered = j < i;
            else covered = strncmp(real[i], real[j], n) == 0 &&
                           (real[i][n] == '/' || (n == 1 && real[j][0] == '/'));
            /* with -x the walk of PATH j stays on j's file system: a PATH on another one
             * mounted inside it (inventory -x / /data) is never reached by it */
            if (covered && o->one_file_system &&
                (stat(real[i], &si) != 0 || stat(real[j], &sj) != 0 || si.st_dev != sj.st_dev))
                covered = 0;
        }
        /* a link given as a PATH is followed, as find -H does */
        if (covered && stat(o->paths[i], &st) == 0 && S_ISREG(st.st_mode) &&
            lstat(o->paths[i], &lst) == 0 && !S_ISLNK(lst.st_mode) && !o->all_files) {
            /* a file inside another PATH: the walk takes it only by its name */
            const char *b = strrchr(real[i], '/');
            covered = classify(b ? b + 1 : real[i], (uint64_t)st.st_size) != 0;
        }
        /* the walk passes FIFOs, devices and sockets over: one named as a PATH is said */
        if (covered && stat(o->paths[i], &st) == 0 && !S_ISDIR(st.st_mode) &&
            !S_ISREG(st.st_mode))
            covered = 0;
        if (covered) continue;
        if (stat(o->paths[i], &st) != 0 || lstat(o->paths[i], &lst) != 0) {
            char e[128];
            dv__set_err(errbuf, errcap, "%s: %s", o->paths[i],
                        strerror_r(errno, e, sizeof e) == 0 ? e : "cannot be examined");
            rc = DV_EINVAL;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(&v, o->paths[i], st.st_dev, 0);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(&v, o->paths[i], &st, 1, S_ISLNK(lst.st_mode));
        } else {
            /* named to be examined, and not: said, never passed over in silence */
            rc = add_unexamined(&v, o->paths[i], -4,
                                S_ISFIFO(st.st_mode)  ? "FIFO (not read)"
                                : S_ISCHR(st.st_mode) ? "character device (not read)"
                                : S_ISBLK(st.st_mode) ? "block device (not read)"
                                : S_ISSOCK(st.st_mode) ? "socket (not read)"
                                                       : "not a file (not read)");
        }
    }
    if (rc == DV_ENOMEM) dv__set_err(errbuf, errcap, "out of memory");
    if (rc == DV_ETOOBIG) dv__set_err(errbuf, errcap, "over %u files", INV_MAX_FILES);
    if (rc == DV_OK && v.n > 1) {
        size_t k = 1;
        if (v.n > 1) qsort(v.f, v.n, sizeof *v.f, cmp_file);
        /* overlapping PATHs (/data /data/x) find files twice: once each */
        for (size_t i = 1; i < v.n; i++) {
            if (strcmp(v.f[i].path, v.f[k - 1].path) == 0) dv__free(v.a, v.f[i].path);
            else v.f[k++] = v.f[i];
        }
        v.n = k;
    }
    for (size_t i = 0; i < v.n; i++) v.total_bytes += v.f[i].size;
    if (rc == DV_OK && v.n > 0) {
        unsigned nt;
        pool = dv_pool_create(o->threads, v.a);
        if (!pool) rc = DV_ENOMEM;
        nt = pool ? dv_pool_threads(pool) : 0;
        if (rc == DV_OK && (!(v.bufs = dv__calloc(v.a, nt, sizeof *v.bufs)) ||
                            !(v.cards = dv__calloc(v.a, nt, sizeof *v.cards)) ||
                            !(v.texts = dv__calloc(v.a, nt, sizeof *v.texts))))
            rc = DV_ENOMEM;
        if (rc == DV_OK && names && !(v.names = dv__calloc(v.a, nt, sizeof *v.names)))
            rc = DV_ENOMEM;
        v.nnames = v.names ? nt : 0;
        for (unsigned t = 0; rc == DV_OK && t < nt; t++) {
            if (!(v.bufs[t] = dv__malloc(v.a, INV_READ))) rc = DV_ENOMEM;
            if (v.names) {
                if (rc == DV_OK && !(v.cards[t] = dv__malloc(v.a, INV_CARD_MAX + 1)))
                    rc = DV_ENOMEM;
                if (rc == DV_OK)
                    rc = t == 0 ? (v.names[0] = names, DV_OK)
                                : dv__terms_parse(o->names_path, names_text, names_len, v.a,
                                                  &v.names[t], errbuf, errcap);
            }
        }
        if (rc == DV_OK) {
            pthread_mutex_init(&v.mu, NULL);
            rc = dv_pool_run(pool, v.n, hash_job, &v);
            pthread_mutex_destroy(&v.mu);
        }
        for (unsigned t = 0; v.bufs && t < nt; t++) dv__free(v.a, v.bufs[t]);
        for (unsigned t = 0; v.cards && t < nt; t++) dv__free(v.a, v.cards[t]);
        for (unsigned t = 0; v.texts && t < nt; t++) dv__free(v.a, v.texts[t]);
        dv__free(v.a, v.bufs);
        dv__free(v.a, v.cards);
        dv__free(v.a, v.texts);
        dv_pool_free(pool);
        if (rc == DV_ENOMEM) dv__set_err(errbuf, errcap, "out of memory");
        else if (rc != DV_OK && rc != DV_EIO) dv__set_err(errbuf, errcap, "cannot start the hashing threads");
    }
    out->skipped = v.skipped;
    for (size_t i = 0; rc == DV_OK && i < v.n; i++) {
        ifile *f = &v.f[i];
        dv_inventory_record r;
        char errtext[128];
        memset(&r, 0, sizeof r);
        r.path = f->path;
        r.kind = f->kind;
        r.detail = f->detail;
        r.bytes = f->size;
        r.hits = hits;
        if (f->err) {
            if (f->err == -1)
                snprintf(errtext, sizeof errtext, "no longer the regular file the walk found");
            else if (f->err == -2) snprintf(errtext, sizeof errtext, "out of memory");
            else if (f->err == -3)
                snprintf(errtext, sizeof errtext, "deeper than %d folders below its PATH",
                         INV_MAX_DEPTH);
            else if (f->err == -4)
                snprintf(errtext, sizeof errtext, "not a regular file or folder");
            else if (strerror_r(f->err, errtext, sizeof errtext) != 0)
                snprintf(errtext, sizeof errtext, "error %d", f->err);
            r.error = errtext;
        } else {
            if (f->d.have & DV_ALGO_SHA256) dv_hex_encode(f->d.sha256, 32, r.sha256);
            if (f->d.have & DV_ALGO_SHA1) dv_hex_encode(f->d.sha1, 20, r.sha1);
            if (f->d.have & DV_ALGO_MD5) dv_hex_encode(f->d.md5, 16, r.md5);
            for (size_t k = 0; k < o->nlists; k++) {
                const ilist *l = &ls[k];
                const uint8_t *key = l->info.type == DV_HT_MD5    ? f->d.md5
                                     : l->info.type == DV_HT_SHA1 ? f->d.sha1
                                                                  : f->d.sha256;
                unsigned need = l->info.type == DV_HT_MD5    ? DV_ALGO_MD5
                                : l->info.type == DV_HT_SHA1 ? DV_ALGO_SHA1
                                                             : DV_ALGO_SHA256;
                int64_t e = (f->d.have & need)
                                ? dv_list_find(l->l, key, dv_hash_type_size(l->info.type))
                                : -1;
                dv_list_entry en;
                dv_inventory_hit *h;
                if (e < 0 || dv_list_get_entry(l->l, (uint64_t)e, &en) != DV_OK) continue;
                h = &hits[r.nhits++];
                memset(h, 0, sizeof *h);
                h->list = l->path;
                h->list_name = l->info.name ? l->info.name : "";
                h->list_version = l->info.version ? l->info.version : "";
                h->list_type = dv_hash_type_name(l->info.type);
                memcpy(h->list_digest, l->digest, 65);
                h->entry_id = en.id;
                h->label = en.label;
            }
            r.name_found = f->name_found;
        }
        out->files++;
        out->bytes += f->err ? 0 : f->size;
        out->matches += r.nhits > 0;
        out->candidates += r.name_found != NULL;
        out->errors += f->err != 0;
        if (cb(ud, &r) != 0) break;
    }
    for (size_t i = 0; i < v.n; i++) dv__free(v.a, v.f[i].path);
    dv__free(v.a, v.f);
    for (size_t i = 0; ls && i < o->nlists; i++) dv_list_close(ls[i].l);
    dv__free(v.a, ls);
    dv__free(v.a, hits);
    if (v.names) { /* [0] is names */
        for (unsigned t = 1; t < v.nnames; t++) dv__terms_free(v.names[t]);
        dv__free(v.a, v.names);
    }
    dv__terms_free(names);
    dv_free_buffer(v.a, names_text);
    for (size_t i = 0; real && i < o->npaths; i++) free(real[i]);
    dv__free(v.a, real);
    return rc;
}
