/* sign.c - signed manifests of a scan's outdir (docs/signing.md).
 *
 * manifest.jsonl: one flat JSON object a line; the first names the manifest format, the key
 * and the scan (dataset, layout, shards, SHA-256 of scan.params), then one line per list the
 * scan was checked against (from scan.params), then one per file of outdir in byte order of
 * the names (name, bytes, SHA-256). manifest.sig: one flat object with the Ed25519 signature
 * of manifest.jsonl's bytes and the public key. Both are deterministic. Verification checks
 * the signature (against a trusted public key when one is given), every listed file, and
 * that outdir holds nothing unlisted. */
#include "scan_internal.h"
#include "../common/common.h"
#include "../match/list_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST "manifest.jsonl"
#define SIGFILE "manifest.sig"
#define FORMAT "datavet-scan-manifest/1"
#define MAX_MANIFEST (256u << 20) /* bytes of manifest.jsonl read back */
#define MAX_SIGFILE 4096u
#define MAX_SUMMARY (256u << 20) /* bytes of summary.json read to see what the scan read */
#define MAX_DEPTH 8
#define MAX_FILES (1u << 24)
#define PATH_CAP 4096

static int ed_sign(EVP_PKEY *k, const void *msg, size_t len, uint8_t sig[64]);

/* The key id: SHA-256 of the raw public key, hex. */
static void key_id(const uint8_t pub[32], char id[65])
{
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(pub, 32, md, &n, EVP_sha256(), NULL);
    dv_hex_encode(md, 32, id);
}

/* PEM pass phrases are not asked for: a library never prompts. */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static EVP_PKEY *read_key(const char *path, int private_key, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    EVP_PKEY *k;
    if (!f) {
        dv__set_err(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    k = private_key ? PEM_read_PrivateKey(f, NULL, no_pass, NULL)
                    : PEM_read_PUBKEY(f, NULL, no_pass, NULL);
    fclose(f);
    if (!k) {
        dv__set_err(err, cap, "%s: not a%s PEM %s key", path, private_key ? "n unencrypted" : "",
                    private_key ? "private" : "public");
        return NULL;
    }
    if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        dv__set_err(err, cap, "%s: not an Ed25519 key", path);
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

static int raw_public(EVP_PKEY *k, uint8_t pub[32])
{
    size_t n = 32;
    return EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32 ? 0 : -1;
}

int dv_sign_keygen(const char *key_path, const char *pub_path, char id_hex[65], char *errbuf,
                   size_t errcap)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx;
    uint8_t pub[32];
    FILE *f = NULL;
    int fd, rc = DV_EIO;
    if (!key_path || !pub_path) return DV_EINVAL;
    ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1 ||
        raw_public(k, pub) != 0) {
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(k);
        dv__set_err(errbuf, errcap, "cannot make an Ed25519 key");
        return DV_ENOMEM;
    }
    EVP_PKEY_CTX_free(ctx);
    fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        dv__set_err(errbuf, errcap, "%s: %s", key_path,
                    errno == EEXIST ? "exists: not replaced" : strerror(errno));
        rc = errno == EEXIST ? DV_EINVAL : DV_EIO;
        goto out;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        goto fail_key;
    }
    if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        fclose(f);
        goto fail_key;
    }
    if (fclose(f) != 0) goto fail_key;
    fd = open(pub_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        dv__set_err(errbuf, errcap, "%s: %s", pub_path,
                    errno == EEXIST ? "exists: not replaced" : strerror(errno));
        rc = errno == EEXIST ? DV_EINVAL : DV_EIO;
        unlink(key_path);
        goto out;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        goto fail_pub;
    }
    if (PEM_write_PUBKEY(f, k) != 1) {
        fclose(f);
        goto fail_pub;
    }
    if (fclose(f) != 0) goto fail_pub;
    if (id_hex) key_id(pub, id_hex);
    rc = DV_OK;
    goto out;
fail_pub:
    unlink(pub_path);
    dv__set_err(errbuf, errcap, "%s: cannot write", pub_path);
    unlink(key_path);
    goto out;
fail_key:
    unlink(key_path);
    dv__set_err(errbuf, errcap, "%s: cannot write", key_path);
out:
    EVP_PKEY_free(k);
    return rc;
}

int dv_sign_key_check(const char *key_path, char id_hex[65], char *errbuf, size_t errcap)
{
    EVP_PKEY *k;
    uint8_t pub[32], sig[64];
    int ok;
    if (!key_path) return DV_EINVAL;
    if (!(k = read_key(key_path, 1, errbuf, errcap))) return DV_EINVAL;
    ok = raw_public(k, pub) == 0 && ed_sign(k, "datavet", 7, sig) == 0;
    EVP_PKEY_free(k);
    if (!ok) {
        dv__set_err(errbuf, errcap, "%s: cannot sign with it", key_path);
        return DV_EINVAL;
    }
    if (id_hex) key_id(pub, id_hex);
    return DV_OK;
}

/* ---------------------------------------------------------------- the files of outdir */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void names_free(names *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* A name; with st, the file's identity (device, inode) is kept after its NUL, so that
 * what is opened later can be checked to be what the walk saw. */
static int names_push_id(names *s, const char *name, const struct stat *st)
{
    size_t n = strlen(name) + 1;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        char **nv;
        if (nc > MAX_FILES) return DV_ETOOBIG;
        nv = realloc(s->v, nc * sizeof *nv);
        if (!nv) return DV_ENOMEM;
        s->v = nv;
        s->cap = nc;
    }
    if (!(s->v[s->n] = malloc(n + 2 * sizeof(uint64_t)))) return DV_ENOMEM;
    memcpy(s->v[s->n], name, n);
    {
        uint64_t id[2] = {st ? (uint64_t)st->st_dev : 0, st ? (uint64_t)st->st_ino : 0};
        memcpy(s->v[s->n] + n, id, sizeof id);
    }
    s->n++;
    return DV_OK;
}

static int names_push(names *s, const char *name) { return names_push_id(s, name, NULL); }

/* The identity names_push_id kept after entry's name. */
static void entry_id(const char *entry, uint64_t id[2])
{
    memcpy(id, entry + strlen(entry) + 1, 2 * sizeof(uint64_t));
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry of a sorted name list, or NULL. */
static char *const *find(const names *sorted, const char *name)
{
    return sorted->n > 0 ? bsearch(&name, sorted->v, sorted->n, sizeof(char *), cmp_name)
                         : NULL;
}

static int has(const names *sorted, const char *name) { return find(sorted, name) != NULL; }

/* What a manifest does not cover: itself, and (signing) its files being written; the run
 * lock; and clean.key, the secret behind removal-public.txt's decoys, so that OUTDIR can be
 * handed on without it and still verify. */
static int skipped(const char *rel, int signing)
{
    return strcmp(rel, MANIFEST) == 0 || strcmp(rel, SIGFILE) == 0 ||
           strcmp(rel, "lock") == 0 || strcmp(rel, "clean.key") == 0 ||
           (signing && (strcmp(rel, MANIFEST ".tmp") == 0 || strcmp(rel, SIGFILE ".tmp") == 0));
}

/* A name a manifest can carry and verification accept: relative, no "." or ".." parts, no
 * empty parts, no control bytes, valid UTF-8 (JSON would change other bytes). */
static int safe_name(const char *s, size_t n)
{
    size_t start = 0;
    if (n == 0 || n >= PATH_CAP / 2 || s[0] == '/') return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)) return 0;
        if (i == n || s[i] == '/') {
            size_t l = i - start;
            if (l == 0 || (l == 1 && s[start] == '.') ||
                (l == 2 && s[start] == '.' && s[start + 1] == '.'))
                return 0;
            start = i + 1;
        }
    }
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += dv_utf8_next(s + i, n - i, &c);
        if (c == DV_UTF8_BAD) return 0;
    }
    return 1;
}

/* What is below outdir (relative names, links not followed): regular files, folders, and
 * anything else (links, devices, FIFOs, folders deeper than MAX_DEPTH, entries that cannot
 * be examined). */
typedef struct tree {
    names files, dirs, other;
    names deep; /* folders past MAX_DEPTH, not walked */
    int signing;
} tree;

static void tree_free(tree *t)
{
    names_free(&t->files);
    names_free(&t->dirs);
    names_free(&t->other);
    names_free(&t->deep);
}

static int walk(const char *outdir, const char *rel, int depth, tree *t)
{
    char dir[PATH_CAP], p[PATH_CAP], r[PATH_CAP];
    DIR *d;
    struct dirent *e;
    int rc = DV_OK;
    if ((size_t)snprintf(dir, sizeof dir, "%s%s%s", outdir, *rel ? "/" : "", rel) >= sizeof dir)
        return DV_ETOOBIG;
    if (!(d = opendir(dir))) return *rel ? names_push(&t->other, rel) : DV_EIO;
    while (rc == DV_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if ((size_t)snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
                sizeof r ||
            (size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p) {
            rc = DV_ETOOBIG;
            break;
        }
        if (lstat(p, &st) != 0) rc = names_push(&t->other, r);
        else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
            rc = names_push(&t->dirs, r);
            if (rc == DV_OK) rc = walk(outdir, r, depth + 1, t);
        } else if (S_ISDIR(st.st_mode)) rc = names_push(&t->deep, r);
        else if (S_ISREG(st.st_mode))
            rc = skipped(r, t->signing) ? DV_OK : names_push_id(&t->files, r, &st);
        else rc = names_push(&t->other, r);
    }
    closedir(d);
    return rc;
}

/* The bytes of an open file of want bytes into a new buffer (*keep, NUL-terminated) and
 * their SHA-256: what is hashed is what the caller then reads, read once. 0, -1 unreadable
 * or out of memory, 1 not want bytes. */
static int read_keep(int fd, uint64_t want, char hex[65], uint64_t *size, char **keep)
{
    char *b = malloc((size_t)want + 2);
    size_t got = 0;
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (!b) return -1;
    /* one byte past want: a file that grew since it was measured is told, not cut */
    while (got < want + 1) {
        ssize_t n = read(fd, b + got, (size_t)want + 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            free(b);
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    *size = got;
    if (got != want) {
        free(b);
        return 1;
    }
    if (EVP_Digest(b, got, md, &mdlen, EVP_sha256(), NULL) != 1) {
        free(b);
        return -1;
    }
    dv_hex_encode(md, 32, hex);
    b[got] = '\0';
    *keep = b;
    return 0;
}

/* SHA-256 (hex) and size of the walked file entry (tree.files), opened without following a
 * link or blocking, and only if it is still the file the walk saw (device and inode: a
 * folder on the way swapped for a link would lead elsewhere). With want != UINT64_MAX a
 * size that differs is reported without reading. 0, or -1 unreadable, -2 not the file the
 * walk saw, 1 size differs. With keep (want given, at most keep_max), the bytes hashed are
 * kept there too (free()), so that what is read from the file is what was checked. */
static int hash_entry_keep(const char *outdir, const char *entry, uint64_t want, char hex[65],
                           uint64_t *size, char **keep, uint64_t keep_max)
{
    char path[PATH_CAP];
    uint64_t id[2];
    struct stat st;
    int fd, rc;
    *size = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", outdir, entry) >= sizeof path) return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return -1;
    entry_id(entry, id);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != id[0] ||
        (uint64_t)st.st_ino != id[1]) {
        close(fd);
        return -2;
    }
    if (want != UINT64_MAX && (uint64_t)st.st_size != want) {
        *size = (uint64_t)st.st_size;
        close(fd);
        return 1;
    }
    if (keep && want != UINT64_MAX && want <= keep_max) {
        rc = read_keep(fd, want, hex, size, keep);
        close(fd);
        return rc;
    }
    rc = dv__sha256_fd(fd, hex, size);
    close(fd);
    if (rc != DV_OK) return -1;
    return want != UINT64_MAX && *size != want ? 1 : 0;
}

static int hash_entry(const char *outdir, const char *entry, uint64_t want, char hex[65],
                      uint64_t *size)
{
    return hash_entry_keep(outdir, entry, want, hex, size, NULL, 0);
}

/* ---------------------------------------------------------------- signing */

/* A parameter of the scan, "" if absent. */
static const char *param(const dv__params *p, const char *key)
{
    const char *v = dv__params_get(p, key);
    return v ? v : "";
}

static void kv(FILE *f, const char *key, const char *val, int first)
{
    fputs(first ? "{" : ",", f);
    dv__jstr(f, key);
    fputc(':', f);
    dv__jstr(f, val);
}

static int write_manifest(FILE *f, const char *outdir, const dv__params *pp, const tree *tr,
                          const uint8_t pub[32], char *err, size_t cap)
{
    const names *files = &tr->files;
    char hex[65], id[65], path[PATH_CAP];
    uint64_t size;
    key_id(pub, id);
    dv_hex_encode(pub, 32, hex);
    snprintf(path, sizeof path, "%s/scan.params", outdir);
    kv(f, "manifest", FORMAT, 1);
    kv(f, "datavet_version", dv_version(), 0);
    kv(f, "key_type", "ed25519", 0);
    kv(f, "key_id", id, 0);
    kv(f, "public_key", hex, 0);
    kv(f, "dataset", param(pp, "dataset"), 0);
    kv(f, "layout", param(pp, "layout"), 0);
    kv(f, "shards", param(pp, "shards"), 0);
    {
        char *const *e = find(files, "scan.params");
        if (!e || hash_entry(outdir, *e, UINT64_MAX, hex, &size) != 0) {
            dv__set_err(err, cap, "%s: cannot read", path);
            return DV_EIO;
        }
    }
    kv(f, "scan_params_sha256", hex, 0);
    fputs("}\n", f);
    /* the lists, in the order of the scan's parameters */
    for (size_t i = 0; i < pp->n; i++) {
        static const char *const fields[] = {"list_name", "list_version", "list_type",
                                             "list_digest", "list_entries"};
        if (strcmp(pp->v[i].k, "list") != 0) continue;
        kv(f, "list", pp->v[i].v, 1);
        for (size_t k = 0; k < 5; k++) {
            const char *v = "";
            for (size_t j = i + 1; j < pp->n && strcmp(pp->v[j].k, "list") != 0; j++)
                if (strcmp(pp->v[j].k, fields[k]) == 0) {
                    v = pp->v[j].v;
                    break;
                }
            kv(f, fields[k] + 5, v, 0);
        }
        fputs("}\n", f);
    }
    for (size_t i = 0; i < tr->dirs.n; i++) {
        kv(f, "dir", tr->dirs.v[i], 1);
        fputs("}\n", f);
    }
    for (size_t i = 0; i < files->n; i++) {
        if (hash_entry(outdir, files->v[i], UINT64_MAX, hex, &size) != 0) {
            dv__set_err(err, cap, "%s/%s: cannot read, or changed while signing", outdir,
                        files->v[i]);
            return DV_EIO;
        }
        kv(f, "file", files->v[i], 1);
        fprintf(f, ",\"bytes\":%llu", (unsigned long long)size);
        fputs(",\"sha256\":", f);
        dv__jstr(f, hex);
        fputs("}\n", f);
    }
    return ferror(f) ? DV_EIO : DV_OK;
}

static int ed_sign(EVP_PKEY *k, const void *msg, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = 64;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(ctx, sig, &n, msg, len) == 1 && n == 64;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static int ed_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t sig[64])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return ok;
}

/* outdir/name, a regular file of at most max bytes (a link or FIFO there is refused), into
 * *buf (dv_free_buffer). DV_EFORMAT when it is missing or not a regular file. */
static int read_own(const char *outdir, const char *name, uint64_t max, void **buf, size_t *len,
                    char *err, size_t cap)
{
    char path[PATH_CAP];
    struct stat st;
    int r, missing;
    *buf = NULL;
    *len = 0;
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    r = lstat(path, &st);
    missing = r != 0 && errno == ENOENT;
    if (r != 0 || !S_ISREG(st.st_mode)) {
        dv__set_err(err, cap, "%s: %s", path,
                    !missing                   ? "not a regular file"
                    : strcmp(name, SIGFILE) == 0 ? "missing: the scan was not signed"
                                                 : "missing");
        return DV_EFORMAT;
    }
    return dv_read_file(path, max, NULL, buf, len, err, cap);
}

int dv_scan_sign(const char *outdir, const char *key_path, char *errbuf, size_t errcap)
{
    EVP_PKEY *k;
    dv__params pp = {0};
    tree tr;
    uint8_t pub[32], sig[64];
    char t[PATH_CAP], p[PATH_CAP], hex[129], id[65];
    void *text = NULL;
    size_t len;
    FILE *f;
    int rc, renamed;
    if (!outdir || !key_path) return DV_EINVAL;
    memset(&tr, 0, sizeof tr);
    if (!(k = read_key(key_path, 1, errbuf, errcap))) return DV_EINVAL;
    if (raw_public(k, pub) != 0) {
        EVP_PKEY_free(k);
        dv__set_err(errbuf, errcap, "%s: no public key in it", key_path);
        return DV_EINVAL;
    }
    rc = dv__params_load(outdir, NULL, &pp, errbuf, errcap);
    tr.signing = 1;
    if (rc == DV_OK) {
        rc = walk(outdir, "", 0, &tr);
        if (rc != DV_OK) dv__set_err(errbuf, errcap, "%s: cannot list its files", outdir);
    }
    if (rc == DV_OK && tr.deep.n > 0) {
        dv__set_err(errbuf, errcap, "%s/%s: folders nested over %d deep: not signed", outdir,
                    tr.deep.v[0], MAX_DEPTH);
        rc = DV_EINVAL;
    }
    if (rc == DV_OK && tr.files.n > 1) qsort(tr.files.v, tr.files.n, sizeof(char *), cmp_name);
    if (rc == DV_OK && tr.dirs.n > 1) qsort(tr.dirs.v, tr.dirs.n, sizeof(char *), cmp_name);
    if (rc == DV_OK && tr.other.n > 0) {
        dv__set_err(errbuf, errcap, "%s/%s: not a regular file or folder: not signed", outdir,
                    tr.other.v[0]);
        rc = DV_EINVAL;
    }
    for (int pass = 0; rc == DV_OK && pass < 2; pass++) {
        const names *nm = pass ? &tr.files : &tr.dirs;
        for (size_t i = 0; rc == DV_OK && i < nm->n; i++)
            if (!safe_name(nm->v[i], strlen(nm->v[i]))) {
                dv__set_err(errbuf, errcap,
                            "%s: a name with control bytes or not UTF-8 in it: not signed",
                            outdir);
                rc = DV_EINVAL;
            }
    }
    snprintf(t, sizeof t, "%s/%s.tmp", outdir, MANIFEST);
    snprintf(p, sizeof p, "%s/%s", outdir, MANIFEST);
    if (rc == DV_OK) {
        if (!(f = dv__fopen_private(t))) {
            dv__set_err(errbuf, errcap, "%s: cannot write", t);
            rc = DV_EIO;
        } else {
            rc = write_manifest(f, outdir, &pp, &tr, pub, errbuf, errcap);
            if (rc != DV_OK) {
                fclose(f);
                unlink(t);
            } else if ((rc = dv__commit_file_ex(f, t, p, &renamed)) != DV_OK) {
                dv__commit_err(errbuf, errcap, p, renamed, errno);
            }
        }
    }
    /* sign the bytes as written */
    if (rc == DV_OK) rc = dv_read_file(p, MAX_MANIFEST, NULL, &text, &len, errbuf, errcap);
    if (rc == DV_OK && ed_sign(k, text, len, sig) != 0) {
        dv__set_err(errbuf, errcap, "%s: cannot sign with it", key_path);
        rc = DV_EINVAL;
    }
    if (rc == DV_OK) {
        snprintf(t, sizeof t, "%s/%s.tmp", outdir, SIGFILE);
        snprintf(p, sizeof p, "%s/%s", outdir, SIGFILE);
        if (!(f = dv__fopen_private(t))) {
            dv__set_err(errbuf, errcap, "%s: cannot write", t);
            rc = DV_EIO;
        } else {
            key_id(pub, id);
            kv(f, "key_type", "ed25519", 1);
            kv(f, "key_id", id, 0);
            dv_hex_encode(pub, 32, hex);
            kv(f, "public_key", hex, 0);
            dv_hex_encode(sig, 64, hex);
            kv(f, "signature", hex, 0);
            fputs("}\n", f);
            if ((rc = dv__commit_file_ex(f, t, p, &renamed)) != DV_OK)
                dv__commit_err(errbuf, errcap, p, renamed, errno);
        }
    }
    dv_free_buffer(NULL, text);
    tree_free(&tr);
    dv__params_free(NULL, &pp);
    EVP_PKEY_free(k);
    return rc;
}

/* ---------------------------------------------------------------- verification */

typedef struct vctx {
    dv_verify_cb cb;
    void *ud;
    dv_verify_result *out;
    int bad; /* anything besides the counted files */
} vctx;

static void say(vctx *v, int problem, const char *fmt, ...)
{
    char line[PATH_CAP + 256];
    va_list ap;
    if (problem) v->bad = 1;
    if (!v->cb) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    v->cb(v->ud, problem, line);
}

/* A member's string value, or NULL. */
static const dv__jmember *member(const dv__jmember *m, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (m[i].keylen == strlen(key) && memcmp(m[i].key, key, m[i].keylen) == 0) return &m[i];
    return NULL;
}

/* A string member copied NUL-terminated into buf (cap bytes), or NULL when absent, not a
 * string, holding NUL or longer than cap - 1. */
static const char *str_member(const dv__jmember *m, int n, const char *key, char *buf,
                              size_t cap)
{
    const dv__jmember *e = member(m, n, key);
    if (!e || e->kind != DV__J_STRING || e->vallen >= cap || memchr(e->val, '\0', e->vallen))
        return NULL;
    memcpy(buf, e->val, e->vallen);
    buf[e->vallen] = '\0';
    return buf;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- summary.json's counts */

static size_t jws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
    return i;
}

/* Past one JSON value at t[*i..n): nesting counted, not recursed into, strings skipped
 * whole. 0, or -1 when t ends inside it. */
static int jskip(const char *t, size_t n, size_t *i)
{
    size_t depth = 0;
    while (*i < n) {
        char c = t[*i];
        if (c == '"') {
            for (++*i; *i < n && t[*i] != '"'; ++*i)
                if (t[*i] == '\\') ++*i;
            if (*i >= n) return -1;
            ++*i;
            if (depth == 0) return 0;
        } else if (c == '{' || c == '[') {
            depth++;
            ++*i;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return 0; /* the end of the object holding a scalar */
            ++*i;
            if (--depth == 0) return 0;
        } else if (c == ',' && depth == 0) {
            return 0;
        } else {
            ++*i;
        }
    }
    return depth == 0 ? 0 : -1;
}

/* The value of member key of the JSON object t[0..n), as text, or NULL. Keys are compared
 * as written (summary.json's are plain ASCII). */
static const char *jget(const char *t, size_t n, const char *key, size_t *vlen)
{
    size_t i = jws(t, n, 0), kl = strlen(key);
    if (i >= n || t[i] != '{') return NULL;
    for (i++;;) {
        size_t ks, ke, vs;
        i = jws(t, n, i);
        if (i >= n || t[i] != '"') return NULL;
        ks = i + 1;
        if (jskip(t, n, &i) != 0) return NULL;
        ke = i - 1;
        i = jws(t, n, i);
        if (i >= n || t[i] != ':') return NULL;
        vs = i = jws(t, n, i + 1);
        if (jskip(t, n, &i) != 0 || i == vs) return NULL;
        if (ke - ks == kl && memcmp(t + ks, key, kl) == 0) {
            size_t e = i;
            while (e > vs && (t[e - 1] == ' ' || t[e - 1] == '\n' || t[e - 1] == '\r' ||
                              t[e - 1] == '\t'))
                e--;
            *vlen = e - vs;
            return t + vs;
        }
        i = jws(t, n, i);
        if (i >= n || t[i] != ',') return NULL;
        i++;
    }
}

/* A count at obj.key of summary.json: 0, or -1 when absent or not a whole number. */
static int summary_count(const char *t, size_t n, const char *obj, const char *key,
                         uint64_t *out)
{
    size_t ol, kl;
    const char *o = jget(t, n, obj, &ol), *v = o ? jget(o, ol, key, &kl) : NULL;
    return v && parse_u64(v, kl, out) == 0 ? 0 : -1;
}

/* What summary.json (its bytes as verified) says of the scan's completeness. */
static void read_summary(dv_verify_result *out, const char *t, size_t n)
{
    uint64_t v;
    if (summary_count(t, n, "counts", "read_errors", &v) != 0) return;
    out->summary_read = 1;
    out->read_errors = v;
    /* only a scan with --clean has the object */
    if (summary_count(t, n, "clean", "shards_left_out", &v) == 0) out->clean_shards_left_out = v;
}


/* Check the manifest's lines against what the walk found (tr, sorted): a listed file is
 * opened only when the walk found it as a regular file inside outdir (no links on the
 * way). listed and ldirs get the names listed. */
static int check_lines(vctx *v, const char *outdir, char *text, size_t len,
                       const uint8_t pub[32], const tree *tr, names *listed, names *ldirs)
{
    dv__jmember m[DV__JSON_MAX_MEMBERS];
    char *scratch = malloc(len + 1);
    size_t pos = 0, lineno = 0;
    int rc = DV_OK;
    if (!scratch) return DV_ENOMEM;
    while (rc == DV_OK && pos < len) {
        char *nl = memchr(text + pos, '\n', len - pos);
        char a[PATH_CAP / 2], b[80], c[32], ty[32], nm[256], ver[256], dg[80], en[32];
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *why = "";
        int n;
        lineno++;
        n = dv__json_flat(text + pos, ll, scratch, m, DV__JSON_MAX_MEMBERS, &why);
        pos += ll + 1;
        if (n < 0) {
            say(v, 1, "%s: line %zu: %s", MANIFEST, lineno, why);
            continue;
        }
        if (lineno == 1) {
            uint8_t hpub[32];
            if (!str_member(m, n, "manifest", a, sizeof a) || strcmp(a, FORMAT) != 0) {
                say(v, 1, "%s: line 1: not a %s manifest", MANIFEST, FORMAT);
                rc = DV_EFORMAT;
            } else if (!str_member(m, n, "public_key", b, sizeof b) ||
                       dv__hex_decode(b, strlen(b), hpub, 32) != 0 || memcmp(hpub, pub, 32) != 0) {
                say(v, 1, "%s: line 1: names another public key than %s", MANIFEST, SIGFILE);
            }
            continue;
        }
        if (str_member(m, n, "list", a, sizeof a)) {
            v->out->lists++;
            say(v, 0, "list %s: type %s, name '%s', version '%s', entries %s, digest %s", a,
                str_member(m, n, "type", ty, sizeof ty) ? ty : "?",
                str_member(m, n, "name", nm, sizeof nm) ? nm : "",
                str_member(m, n, "version", ver, sizeof ver) ? ver : "",
                str_member(m, n, "entries", en, sizeof en) ? en : "?",
                str_member(m, n, "digest", dg, sizeof dg) ? dg : "?");
            continue;
        }
        if (str_member(m, n, "dir", a, sizeof a) && n == 1 && safe_name(a, strlen(a))) {
            if ((rc = names_push(ldirs, a)) != DV_OK) break;
            if (!has(&tr->dirs, a)) {
                v->out->files_missing++;
                say(v, 1, "%s/: folder missing", a);
            }
            continue;
        }
        {
            const dv__jmember *e = member(m, n, "bytes");
            uint64_t want, got = 0;
            uint8_t dig[32];
            char hex[65], *kept = NULL;
            char *const *found;
            int same, is_summary;
            if (!str_member(m, n, "file", a, sizeof a) || !safe_name(a, strlen(a)) ||
                !str_member(m, n, "sha256", b, sizeof b) || dv__hex_decode(b, strlen(b), dig, 32) != 0 ||
                !e || e->kind != DV__J_NUMBER || e->vallen >= sizeof c || n != 3) {
                say(v, 1, "%s: line %zu: not a file, list or header line", MANIFEST, lineno);
                continue;
            }
            memcpy(c, e->val, e->vallen);
            c[e->vallen] = '\0';
            if (parse_u64(c, strlen(c), &want) != 0) {
                say(v, 1, "%s: line %zu: bad byte count", MANIFEST, lineno);
                continue;
            }
            if ((rc = names_push(listed, a)) != DV_OK) break;
            /* what verify --clean must find in the clean.sha256 it reads (a race: it could
             * be replaced once checked here) */
            if (strcmp(a, "clean.sha256") == 0)
                snprintf(v->out->clean_sha256, sizeof v->out->clean_sha256, "%s", b);
            found = find(&tr->files, a);
            is_summary = strcmp(a, "summary.json") == 0;
            if (!found) {
                v->out->files_missing++;
                say(v, 1, "%s: missing%s", a,
                    has(&tr->other, a) ? " (not a regular file there)" : "");
            } else if ((same = hash_entry_keep(outdir, *found, want, hex, &got,
                                               is_summary ? &kept : NULL, MAX_SUMMARY)) < 0) {
                v->out->files_missing++;
                say(v, 1, "%s: %s", a,
                    same == -2 ? "changed while being verified" : "cannot read");
            } else if (same == 1) {
                v->out->files_changed++;
                say(v, 1, "%s: %llu bytes, the manifest says %llu", a, (unsigned long long)got,
                    (unsigned long long)want);
            } else if (strcmp(hex, b) != 0) {
                v->out->files_changed++;
                say(v, 1, "%s: SHA-256 differs from the manifest's", a);
            } else {
                v->out->files_ok++;
                /* the scan's own word on what it read, from the bytes just checked */
                if (kept) read_summary(v->out, kept, (size_t)got);
            }
            free(kept);
        }
    }
    if (rc == DV_OK && lineno == 0) {
        say(v, 1, "%s: empty", MANIFEST);
        rc = DV_EFORMAT;
    }
    free(scratch);
    return rc;
}

int dv_scan_verify(const char *outdir, const char *pub_path, dv_verify_cb cb, void *ud,
                   dv_verify_result *out, char *errbuf, size_t errcap)
{
    vctx v;
    char path[PATH_CAP], *scratch = NULL;
    void *sigtext = NULL, *text = NULL;
    size_t siglen = 0, len = 0;
    dv__jmember m[DV__JSON_MAX_MEMBERS];
    uint8_t pub[32], sig[64], trusted[32];
    names listed = {0}, ldirs = {0};
    tree tr;
    const char *why = "";
    char buf[160];
    int n, rc;
    if (!outdir || !out) return DV_EINVAL;
    memset(out, 0, sizeof *out);
    memset(&v, 0, sizeof v);
    memset(&tr, 0, sizeof tr);
    v.cb = cb;
    v.ud = ud;
    v.out = out;
    if (pub_path) {
        EVP_PKEY *k = read_key(pub_path, 0, errbuf, errcap);
        int ok = k && raw_public(k, trusted) == 0;
        EVP_PKEY_free(k);
        if (!ok) return DV_EINVAL;
    }
    snprintf(path, sizeof path, "%s/%s", outdir, SIGFILE);
    rc = read_own(outdir, SIGFILE, MAX_SIGFILE, &sigtext, &siglen, errbuf, errcap);
    if (rc != DV_OK) return rc;
    scratch = malloc(siglen + 1);
    if (!scratch) {
        dv_free_buffer(NULL, sigtext);
        dv__set_err(errbuf, errcap, "out of memory");
        return DV_ENOMEM;
    }
    n = dv__json_flat(sigtext, siglen, scratch, m, DV__JSON_MAX_MEMBERS, &why);
    if (n < 0 || !str_member(m, n, "key_type", buf, sizeof buf) || strcmp(buf, "ed25519") != 0 ||
        !str_member(m, n, "public_key", buf, sizeof buf) || dv__hex_decode(buf, strlen(buf), pub, 32) ||
        !str_member(m, n, "signature", buf, sizeof buf) || dv__hex_decode(buf, strlen(buf), sig, 64)) {
        /* present but damaged: what signed the files cannot be known, so they are not
         * verified (as for a signature that does not match), not "never signed" */
        say(&v, 1, "%s: not an Ed25519 signature line%s%s: changed after signing", SIGFILE,
            n < 0 ? ": " : "", n < 0 ? why : "");
        dv__set_err(errbuf, errcap, "%s: does not verify", outdir);
        rc = DV_ECORRUPT;
        goto out;
    }
    key_id(pub, out->key_id);
    snprintf(path, sizeof path, "%s/%s", outdir, MANIFEST);
    rc = read_own(outdir, MANIFEST, MAX_MANIFEST, &text, &len, errbuf, errcap);
    if (rc != DV_OK) goto out;
    out->signature_ok = ed_verify(pub, text, len, sig);
    if (!out->signature_ok)
        say(&v, 1, "%s: the signature does not match %s: it was changed after signing",
            SIGFILE, MANIFEST);
    if (pub_path) {
        out->key_trusted = memcmp(pub, trusted, 32) == 0;
        if (!out->key_trusted) {
            char tid[65];
            key_id(trusted, tid);
            say(&v, 1, "%s: signed by key %s, not by the key given (%s)", SIGFILE, out->key_id,
                tid);
        }
    }
    /* what is there, links not followed: only what is found inside is opened */
    rc = walk(outdir, "", 0, &tr);
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "%s: %s", outdir,
                    rc == DV_ENOMEM ? "out of memory" : "cannot list its files");
        goto out;
    }
    if (tr.files.n > 1) qsort(tr.files.v, tr.files.n, sizeof(char *), cmp_name);
    if (tr.dirs.n > 1) qsort(tr.dirs.v, tr.dirs.n, sizeof(char *), cmp_name);
    if (tr.other.n > 1) qsort(tr.other.v, tr.other.n, sizeof(char *), cmp_name);
    rc = check_lines(&v, outdir, text, len, pub, &tr, &listed, &ldirs);
    if (rc == DV_EFORMAT && !out->signature_ok) {
        /* no manifest any more, and the signature says it was changed: tampering, told as
         * any other (a validly signed file that is no manifest is an error of its own) */
        dv__set_err(errbuf, errcap, "%s: does not verify", outdir);
        rc = DV_ECORRUPT;
        goto out;
    }
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "%s: %s", path,
                    rc == DV_EFORMAT ? "not a scan manifest" : "out of memory");
        goto out;
    }
    /* nothing unlisted: a file or folder added after signing is noticed too */
    if (listed.n > 1) qsort(listed.v, listed.n, sizeof(char *), cmp_name);
    if (ldirs.n > 1) qsort(ldirs.v, ldirs.n, sizeof(char *), cmp_name);
    for (size_t i = 1; i < listed.n; i++)
        if (strcmp(listed.v[i - 1], listed.v[i]) == 0)
            say(&v, 1, "%s: %s listed twice", MANIFEST, listed.v[i]);
    for (size_t i = 1; i < ldirs.n; i++)
        if (strcmp(ldirs.v[i - 1], ldirs.v[i]) == 0)
            say(&v, 1, "%s: %s/ listed twice", MANIFEST, ldirs.v[i]);
    for (size_t i = 0; i < tr.files.n; i++)
        if (!has(&listed, tr.files.v[i])) {
            out->files_extra++;
            say(&v, 1, "%s: not in the manifest (added after signing)", tr.files.v[i]);
        }
    for (size_t i = 0; i < tr.dirs.n; i++)
        if (!has(&ldirs, tr.dirs.v[i])) {
            out->files_extra++;
            say(&v, 1, "%s/: folder not in the manifest (added after signing)", tr.dirs.v[i]);
        }
    for (size_t i = 0; i < tr.other.n; i++) {
        out->files_extra++;
        say(&v, 1, "%s: not a regular file or folder, or cannot be examined", tr.other.v[i]);
    }
    for (size_t i = 0; i < tr.deep.n; i++) {
        out->files_extra++;
        say(&v, 1, "%s/: folders nested over %d deep: not examined", tr.deep.v[i], MAX_DEPTH);
    }
    rc = v.bad || !out->signature_ok || (pub_path && !out->key_trusted) ? DV_ECORRUPT : DV_OK;
    if (rc != DV_OK) dv__set_err(errbuf, errcap, "%s: does not verify", outdir);
out:
    free(scratch);
    dv_free_buffer(NULL, sigtext);
    dv_free_buffer(NULL, text);
    names_free(&listed);
    names_free(&ldirs);
    tree_free(&tr);
    return rc;
}
