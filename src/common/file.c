/* file.c - reading a whole file into memory with a size ceiling; creating output files without
 * following links, and putting them in place durably. Image bytes are only ever read, never
 * written anywhere. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dv_read_file(const char *path, uint64_t max_bytes, const dv_alloc *alloc, void **buf_out,
                 size_t *len_out, char *errbuf, size_t errcap)
{
    struct stat st;
    int fd;
    uint8_t *buf;
    size_t cap, len = 0;

    *buf_out = NULL;
    *len_out = 0;
    /* non-blocking open, so a FIFO or device is refused instead of waited on */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        dv__set_err(errbuf, errcap, "%s: cannot open: %s", path, strerror(errno));
        return DV_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dv__set_err(errbuf, errcap, "%s: not a regular file", path);
        close(fd);
        return DV_EIO;
    }
    /* O_NONBLOCK stays: it means nothing to a regular file's reads */
    if ((uint64_t)st.st_size > max_bytes) {
        dv__set_err(errbuf, errcap, "%s: file is %lld bytes, over the limit of %llu", path,
                    (long long)st.st_size, (unsigned long long)max_bytes);
        close(fd);
        return DV_ETOOBIG;
    }
    cap = (size_t)st.st_size + 1; /* +1 lets us notice a file that grew */
    buf = dv__malloc(alloc, cap);
    if (buf == NULL) {
        close(fd);
        dv__set_err(errbuf, errcap, "%s: out of memory", path);
        return DV_ENOMEM;
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap = cap * 2;
            uint8_t *nb;
            if (ncap > max_bytes + 1) ncap = (size_t)max_bytes + 1;
            if (ncap <= cap) {
                dv__set_err(errbuf, errcap, "%s: file grew over the limit of %llu bytes", path,
                            (unsigned long long)max_bytes);
                dv__free(alloc, buf);
                close(fd);
                return DV_ETOOBIG;
            }
            nb = dv__realloc(alloc, buf, ncap);
            if (nb == NULL) {
                dv__free(alloc, buf);
                close(fd);
                return DV_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            dv__set_err(errbuf, errcap, "%s: read failed at offset %zu: %s", path, len,
                        strerror(errno));
            dv__free(alloc, buf);
            close(fd);
            return DV_EIO;
        }
        if (n == 0) break;
        len += (size_t)n;
        /* a short read that brings exactly what fstat promised is the end: no further
         * read() to see 0 (a file that grew fills the buffer and goes on; one whose size
         * fstat does not know, as in /proc, reads on to 0) */
        if (st.st_size > 0 && len == (size_t)st.st_size && len < cap) break;
    }
    close(fd);
    *buf_out = buf;
    *len_out = len;
    return DV_OK;
}

int dv_file_open_new(const char *path, unsigned mode)
{
    /* a few tries: a name put back between the unlink and the open fails O_EXCL (EEXIST),
     * never opens what it names */
    for (int tries = 0; tries < 4; tries++) {
        int fd;
        if (unlink(path) != 0 && errno != ENOENT) return -1;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
        if (fd >= 0) {
            /* the umask may have taken bits the mode asks for (0700 for a script) or kept
             * none; the file is new and ours, so this changes nothing else */
            if (fchmod(fd, (mode_t)mode) != 0) {
                int e = errno;
                close(fd);
                unlink(path);
                errno = e;
                return -1;
            }
            return fd;
        }
        if (errno != EEXIST) return -1;
    }
    errno = EEXIST;
    return -1;
}

/* what a sync that cannot be done says: a pipe or terminal, a file system without it */
static int sync_unsupported(int e)
{
    return e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP || e == EROFS;
}

int dv_file_sync(int fd)
{
    int r;
    do r = fdatasync(fd);
    while (r != 0 && errno == EINTR);
    if (r == 0 || sync_unsupported(errno)) return DV_OK;
    return DV_EIO;
}

int dv__sync_folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    int dfd, r;
    if (slash == NULL) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    } else
        return DV_OK; /* (a name longer than PATH_MAX: nothing to open its folder by) */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return DV_OK; /* a folder that can be written but not read: no sync to ask */
    do r = fsync(dfd);
    while (r != 0 && errno == EINTR);
    if (r != 0 && !sync_unsupported(errno)) {
        int e = errno;
        close(dfd);
        errno = e;
        return DV_EIO;
    }
    close(dfd);
    return DV_OK;
}

int dv__file_rename_ex(const char *tmp, const char *path, int *renamed)
{
    *renamed = 0;
    if (rename(tmp, path) != 0) return DV_EIO;
    *renamed = 1;
    /* the rename itself is made durable by a sync of the folder it was made in */
    return dv__sync_folder_of(path);
}

int dv_file_rename(const char *tmp, const char *path)
{
    int renamed;
    return dv__file_rename_ex(tmp, path, &renamed);
}
