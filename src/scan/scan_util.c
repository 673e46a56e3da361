/* scan_util.c - the scan's small shared pieces: escaped record fields, private files that
 * are committed atomically (fsync, rename, fsync of the directory), SHA-256 of inputs. */
#include "scan_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dv__rec_put(FILE *f, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        default: fputc(*s, f); break;
        }
    }
}

ssize_t dv__rec_getline(char **line, size_t *cap, FILE *f)
{
    size_t n = 0;
    int c = EOF;
    while ((c = getc(f)) != EOF) {
        if (n + 2 > *cap) {
            size_t nc = *cap ? 2 * *cap : 256;
            char *nl;
            if (n >= DV__REC_MAX_LINE) return DV_ETOOBIG;
            if (nc > DV__REC_MAX_LINE + 2) nc = DV__REC_MAX_LINE + 2;
            nl = realloc(*line, nc);
            if (nl == NULL) return DV_ENOMEM;
            *line = nl;
            *cap = nc;
        }
        (*line)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (n == 0) return -1;
    (*line)[n] = '\0';
    return (ssize_t)n;
}

static void unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

size_t dv__rec_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *t = strchr(p, '\t');
        fields[n++] = p;
        if (!t) break;
        *t = '\0';
        p = t + 1;
    }
    for (size_t i = 0; i < n; i++) unescape(fields[i]);
    return n;
}

int dv__mkdir_private(const char *dir, char *err, size_t cap)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0) return DV_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return DV_OK;
    dv__set_err(err, cap, "%s: cannot create directory: %s", dir, strerror(errno));
    return DV_EIO;
}

int dv__mkdir_private_sub(const char *dir, char *err, size_t cap)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0) return DV_OK;
    if (errno == EEXIST && lstat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return DV_OK;
        errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
    }
    dv__set_err(err, cap, "%s: cannot create directory: %s", dir, strerror(errno));
    return DV_EIO;
}

FILE *dv__fopen_private(const char *path)
{
    int fd = dv_file_open_new(path, 0600), e;
    FILE *f;
    if (fd < 0) return NULL;
    f = fdopen(fd, "w");
    if (!f) {
        e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

int dv__commit_file_ex(FILE *f, const char *tmp, const char *path, int *renamed)
{
    int bad = fflush(f) != 0 || ferror(f), e = bad ? errno : 0;
    *renamed = 0;
    if (!bad && dv_file_sync(fileno(f)) != DV_OK) bad = 1, e = errno;
    if (fclose(f) != 0 && !bad) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        errno = e ? e : EIO; /* the first failure, for the caller's message */
        return DV_EIO;
    }
    if (dv__file_rename_ex(tmp, path, renamed) != DV_OK) {
        e = errno;
        if (!*renamed) unlink(tmp); /* (after a rename whose folder sync failed, tmp is gone) */
        errno = e;
        return DV_EIO;
    }
    return DV_OK;
}

int dv__commit_file(FILE *f, const char *tmp, const char *path)
{
    int renamed;
    return dv__commit_file_ex(f, tmp, path, &renamed);
}

void dv__commit_err(char *err, size_t cap, const char *path, int renamed, int e)
{
    if (renamed)
        dv__set_err(err, cap, "%s: written, but its folder could not be synced (%s): the file "
                    "is in place and may not survive a power loss", path, strerror(e));
    else
        dv__set_err(err, cap, "%s: cannot write: %s", path, strerror(e ? e : EIO));
}

/* The real path of p, or of its folder joined with its last name where p does not exist
 * yet; NULL if neither resolves. Free with free(). */
char *dv__real_or_parent(const char *p)
{
    char *r = realpath(p, NULL), *buf, *cut, *base, *out = NULL;
    const char *rest;
    size_t n;
    if (r || errno != ENOENT) return r;
    n = strlen(p);
    if (n == 0 || (buf = malloc(n + 1)) == NULL) return NULL;
    memcpy(buf, p, n + 1);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    cut = strrchr(buf, '/');
    if (!cut) {
        base = realpath(".", NULL);
        rest = buf;
    } else if (cut == buf) {
        base = realpath("/", NULL);
        rest = buf + 1;
    } else {
        *cut = '\0';
        base = dv__real_or_parent(buf); /* its folders need not exist either */
        rest = cut + 1;
    }
    /* a "." or ".." (or "a//b") that does not exist yet cannot be resolved: refused */
    if (base && rest[0] && strcmp(rest, ".") != 0 && strcmp(rest, "..") != 0) {
        size_t cap = strlen(base) + strlen(rest) + 2;
        if ((out = malloc(cap)) != NULL)
            snprintf(out, cap, "%s/%s", strcmp(base, "/") == 0 ? "" : base, rest);
    } else if (base) {
        errno = EINVAL;
    }
    free(base);
    free(buf);
    return out;
}

/* Whether a is b or below it (real paths). */
int dv__path_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || strcmp(b, "/") == 0);
}

int dv__commit_new_file(FILE *f, const char *tmp, const char *path)
{
    int bad = fflush(f) != 0 || ferror(f), e;
    if (!bad && dv_file_sync(fileno(f)) != DV_OK) bad = 1;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        unlink(tmp);
        return DV_EIO;
    }
    if (link(tmp, path) == 0) {
        unlink(tmp);
        (void)dv__sync_folder_of(path); /* the link made durable */
        return DV_OK;
    }
    e = errno;
    if (e == EEXIST) {
        unlink(tmp);
        return 1;
    }
    if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK) {
        /* a file system without hard links: the rename may replace a file made meanwhile */
        if (access(path, F_OK) == 0) {
            unlink(tmp);
            return 1;
        }
        if (dv_file_rename(tmp, path) == DV_OK) return DV_OK;
    }
    unlink(tmp);
    return DV_EIO;
}

/* Open file description locks (Linux 3.15): owned by the descriptor, not the process, so two
 * runs in one process are kept apart and closing another descriptor of the file keeps them.
 * Elsewhere, or where the kernel refuses them, classic record locks. */
#if defined(__linux__) && !defined(F_OFD_SETLK)
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#endif

static int lock_cmd(int fd, int set, struct flock *fl)
{
#ifdef F_OFD_SETLK
    struct flock f2 = *fl;
    f2.l_pid = 0;
    if (fcntl(fd, set ? F_OFD_SETLK : F_OFD_GETLK, &f2) == 0) {
        *fl = f2;
        return 0;
    }
    if (errno != EINVAL) return -1;
#endif
    return fcntl(fd, set ? F_SETLK : F_GETLK, fl);
}

int dv__lock_open(const char *outdir, int *fd, char *err, size_t cap)
{
    char path[4096];
    struct flock fl;
    *fd = -1;
    if ((size_t)snprintf(path, sizeof path, "%s/lock", outdir) >= sizeof path) return DV_ERANGE;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0) {
        dv__set_err(err, cap, "%s: cannot open: %s", path, strerror(errno));
        return DV_EIO;
    }
    /* a file system without record locks (some network mounts): go on without them */
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    if (lock_cmd(*fd, 0, &fl) != 0 && (errno == ENOLCK || errno == ENOSYS ||
                                        errno == EOPNOTSUPP || errno == EINVAL)) {
        close(*fd);
        *fd = -1;
    }
    return DV_OK;
}

void dv__lock_who(long pid, char *out, size_t cap)
{
    if (pid > 0) snprintf(out, cap, " (pid %ld)", pid);
    else if (cap) out[0] = '\0';
}

int dv__lock_range(int fd, int write, uint64_t start, uint64_t len, long *holder)
{
    struct flock fl;
    *holder = 0;
    if (fd < 0) return DV_OK;
    memset(&fl, 0, sizeof fl);
    fl.l_type = write ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)start;
    fl.l_len = (off_t)len;
    if (lock_cmd(fd, 1, &fl) == 0) return DV_OK;
    if (errno != EACCES && errno != EAGAIN) return DV_OK; /* no locks here: not kept apart */
    fl.l_type = write ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)start;
    fl.l_len = (off_t)len;
    /* the holder's pid: known for a classic lock, -1 for another descriptor's (0: unknown) */
    if (lock_cmd(fd, 0, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0) *holder = (long)fl.l_pid;
    return DV_EINVAL;
}

int dv__sha256_fd(int fd, char hex[65], uint64_t *size)
{
    unsigned char buf[1 << 16], md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    int rc = DV_OK;
    ssize_t n = 0;
    *size = 0;
    hex[0] = '\0';
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = DV_ENOMEM;
    } else {
        while ((n = read(fd, buf, sizeof buf)) != 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            EVP_DigestUpdate(ctx, buf, (size_t)n);
            *size += (uint64_t)n;
        }
        if (n < 0) rc = DV_EIO;
        else if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) rc = DV_EIO;
    }
    EVP_MD_CTX_free(ctx);
    explicit_bzero(buf, sizeof buf); /* the file may hold images (a cleaned copy's shard) */
    if (rc == DV_OK) dv_hex_encode(md, 32, hex);
    return rc;
}

int dv__sha256_file(const char *path, char hex[65], uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;
    *size = 0;
    hex[0] = '\0';
    if (fd < 0) return DV_EIO;
    {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return DV_EIO;
        }
    }
    rc = dv__sha256_fd(fd, hex, size);
    close(fd);
    return rc;
}

/* ---------------------------------------------------------------- counters */

static size_t ctrs_find(const dv__ctrs *c, const char *key, int *found)
{
    size_t lo = 0, hi = c->n;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int k = strcmp(c->v[mid].key, key);
        if (k == 0) {
            *found = 1;
            return mid;
        }
        if (k < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int dv__ctrs_add(const dv_alloc *a, dv__ctrs *c, const char *key, uint64_t value)
{
    int found;
    size_t i = ctrs_find(c, key, &found), kl;
    char *k;
    if (found) {
        c->v[i].value += value;
        return DV_OK;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        dv__counter *nv = dv__realloc(a, c->v, nc * sizeof *nv);
        if (!nv) return DV_ENOMEM;
        c->v = nv;
        c->cap = nc;
    }
    kl = strlen(key) + 1;
    k = dv__malloc(a, kl);
    if (!k) return DV_ENOMEM;
    memcpy(k, key, kl);
    memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof *c->v);
    c->v[i].key = k;
    c->v[i].value = value;
    c->n++;
    return DV_OK;
}

uint64_t dv__ctrs_get(const dv__ctrs *c, const char *key)
{
    int found;
    size_t i = ctrs_find(c, key, &found);
    return found ? c->v[i].value : 0;
}

void dv__ctrs_clear(const dv_alloc *a, dv__ctrs *c)
{
    for (size_t i = 0; i < c->n; i++) dv__free(a, (void *)c->v[i].key);
    c->n = 0;
}

void dv__ctrs_free(const dv_alloc *a, dv__ctrs *c)
{
    dv__ctrs_clear(a, c);
    dv__free(a, c->v);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- scan.params */

int dv__params_load(const char *outdir, const dv_alloc *a, dv__params *out, char *err,
                    size_t cap)
{
    char path[4096];
    void *buf;
    size_t len, capp = 0;
    char *p, *end;
    int rc = DV_OK;
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/scan.params", outdir);
    if (dv_read_file(path, 1u << 30, a, &buf, &len, err, cap) != DV_OK) {
        dv__set_err(err, cap, "%s: no scan parameters: not a scan output directory", path);
        return DV_EINVAL;
    }
    p = buf;
    end = p + len;
    while (rc == DV_OK && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *f[2];
        size_t nf;
        if (!nl) break;
        *nl = '\0';
        nf = dv__rec_split(p, f, 2);
        p = nl + 1;
        if (nf != 2) continue;
        if (out->n == capp) {
            size_t nc = capp ? capp * 2 : 64;
            dv__param *n = dv__realloc(a, out->v, nc * sizeof *n);
            if (!n) {
                rc = DV_ENOMEM;
                break;
            }
            out->v = n;
            capp = nc;
        }
        out->v[out->n].k = dv__malloc(a, strlen(f[0]) + 1);
        out->v[out->n].v = dv__malloc(a, strlen(f[1]) + 1);
        if (out->v[out->n].k) strcpy(out->v[out->n].k, f[0]);
        if (out->v[out->n].v) strcpy(out->v[out->n].v, f[1]);
        if (!out->v[out->n].k || !out->v[out->n].v) rc = DV_ENOMEM;
        out->n++;
    }
    dv_free_buffer(a, buf);
    if (rc != DV_OK) {
        dv__set_err(err, cap, "%s: out of memory", path);
        dv__params_free(a, out);
    }
    return rc;
}

const char *dv__params_get(const dv__params *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].k, key) == 0) return p->v[i].v;
    return NULL;
}

void dv__params_free(const dv_alloc *a, dv__params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        dv__free(a, p->v[i].k);
        dv__free(a, p->v[i].v);
    }
    dv__free(a, p->v);
    memset(p, 0, sizeof *p);
}
