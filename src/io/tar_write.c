/* tar_write.c - writes cleaned webdataset shards: kept members copied byte for byte (header
 * blocks, data, padding) from the archive a dv_tar_reader is reading, then two zero blocks. */
#include "../common/common.h"
#include "io_readers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 512u

struct dv_tar_writer {
    const dv_alloc *alloc;
    int fd;
    int finished;
    uint64_t written;
    void (*tap)(void *ctx, const void *p, size_t n); /* sees every byte written, in order */
    void *tap_ctx;
    char name[256];
    char err[512];
};

dv_tar_writer *dv_tar_writer_create(const dv_alloc *alloc)
{
    dv_tar_writer *w = dv__calloc(alloc, 1, sizeof(*w));
    if (w == NULL) return NULL;
    w->alloc = alloc;
    w->fd = -1;
    return w;
}

void dv_tar_writer_free(dv_tar_writer *w)
{
    if (w == NULL) return;
    dv__free(w->alloc, w);
}

const char *dv_tar_writer_errmsg(const dv_tar_writer *w) { return w ? w->err : ""; }

uint64_t dv_tar_writer_bytes(const dv_tar_writer *w) { return w ? w->written : 0; }

int dv_tar_writer_open_fd(dv_tar_writer *w, int fd, const char *name)
{
    DV_RETURN_ERROR_IF(w == NULL || fd < 0, DV_EINVAL);
    w->fd = fd;
    w->finished = 0;
    w->written = 0;
    w->err[0] = 0;
    dv__set_err(w->name, sizeof(w->name), "%s", name ? name : "(tar)");
    return DV_OK;
}

void dv__tar_writer_tap(dv_tar_writer *w, void (*fn)(void *ctx, const void *p, size_t n),
                        void *ctx)
{
    if (w == NULL) return;
    w->tap = fn;
    w->tap_ctx = ctx;
}

static int sink(void *ctx, const void *p, size_t n)
{
    dv_tar_writer *w = ctx;
    const uint8_t *b = p;
    if (w->tap != NULL && n > 0) w->tap(w->tap_ctx, p, n);
    while (n > 0) {
        ssize_t k = write(w->fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            dv__set_err(w->err, sizeof(w->err), "%s: write failed at offset %llu: %s", w->name,
                        (unsigned long long)w->written, k < 0 ? strerror(errno) : "no progress");
            return DV_EIO;
        }
        b += k;
        n -= (size_t)k;
        w->written += (uint64_t)k;
    }
    return DV_OK;
}

static int zeros(dv_tar_writer *w, size_t n)
{
    static const uint8_t z[BLOCK * 2];
    while (n > 0) {
        size_t k = n < sizeof(z) ? n : sizeof(z);
        DV_FORWARD_IF_ERROR(sink(w, z, k));
        n -= k;
    }
    return DV_OK;
}

static int ready(dv_tar_writer *w)
{
    if (w->fd < 0 || w->finished) {
        dv__set_err(w->err, sizeof(w->err), "%s: writer is not open", w->name);
        return DV_EINVAL;
    }
    return DV_OK;
}

/* From a pipe the bytes are gone: rebuild the member from its header blocks and the data
 * the reader kept (padding is written as zeros). */
static int copy_kept(dv_tar_writer *w, const dv_tar_member *m, const uint8_t *data)
{
    uint64_t padded = m->end_offset - m->data_offset;
    if (m->size > 0 && data == NULL) {
        dv__set_err(w->err, sizeof(w->err),
                    "%s: cannot copy member '%s' (offset %llu): input is a pipe and its data was "
                    "not kept (%s)",
                    w->name, m->path, (unsigned long long)m->offset, dv_tar_skip_name(m->skip));
        return DV_EINVAL;
    }
    DV_FORWARD_IF_ERROR(sink(w, m->raw, m->raw_len));
    if (m->size > 0) DV_FORWARD_IF_ERROR(sink(w, data, (size_t)m->size));
    return zeros(w, (size_t)(padded - m->size));
}

static int copy_range(dv_tar_writer *w, dv_tar_reader *r, uint64_t off, uint64_t end)
{
    int rc = dv__tar_reader_copy_range(r, off, end - off, sink, w);
    if (rc < 0 && w->err[0] == 0) {
        dv__set_err(w->err, sizeof(w->err), "%s: copying input bytes %llu..%llu failed: %s",
                    w->name, (unsigned long long)off, (unsigned long long)end,
                    dv_tar_reader_errmsg(r));
    }
    return rc;
}

int dv_tar_writer_copy_member(dv_tar_writer *w, dv_tar_reader *r, const dv_tar_member *m)
{
    DV_RETURN_ERROR_IF(w == NULL || r == NULL || m == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(ready(w));
    if (dv__tar_reader_rereadable(r)) return copy_range(w, r, m->offset, m->end_offset);
    {
        const uint8_t *data = NULL;
        if (m->size > 0 && m->skip == DV_TAR_SKIP_NONE) {
            /* reads it now if the caller has not; fails if already consumed */
            int rc = dv_tar_reader_read(r, &data);
            if (rc == DV_EINVAL) data = NULL;
            else if (rc < 0) return rc;
        }
        return copy_kept(w, m, data);
    }
}

int dv_tar_writer_copy_sample(dv_tar_writer *w, dv_tar_reader *r, const dv_wds_sample *s)
{
    DV_RETURN_ERROR_IF(w == NULL || r == NULL || s == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(ready(w));
    if (dv__tar_reader_rereadable(r)) return copy_range(w, r, s->offset, s->end_offset);
    for (size_t i = 0; i < s->nparts; i++) {
        DV_FORWARD_IF_ERROR(copy_kept(w, &s->parts[i].member, dv__tar_reader_part_bytes(r, i)));
    }
    return DV_OK;
}

/* ------------------------------------------------------------ links to dropped samples */

/* Whether part p is a link whose target lies in a dropped sample, or is a link left out (*l:
 * where its bytes are). */
static int link_dropped(dv_tar_reader *r, const dv_tar_member *m, const uint8_t *drop,
                        uint64_t ndrop, dv__tar_link *l, int *unresolved)
{
    int rc;
    *unresolved = 0;
    if (m->skip != DV_TAR_SKIP_HARDLINK && m->skip != DV_TAR_SKIP_SYMLINK) return 0;
    rc = dv__tar_reader_link_find(r, m, l);
    *unresolved = rc != DV_OK;
    if (rc == DV_ENOMEM) return rc;
    /* a hard link to a symlink left out, or of a dropped sample: the copy has not the member
     * it names, wherever the symlink's text leads from the hard link's folder (nowhere too) */
    if (l->named_gone || (l->named < ndrop && drop[l->named])) return 1;
    /* not found: a symlink (or a hard link to one, a symlink once extracted) goes, as the copy
     * keeps no symlink but to a member it keeps, as the look-up vouches (one to a folder, or
     * through one, dangles once the folder's members go); so does a link not found with an
     * index that filled up, or on a path whose content is not known, or through a symlinked
     * folder (its target may be in a dropped sample; the scan could not read it either); and
     * so does a hard link to no member at all: the copy holds no link it cannot vouch for (GNU
     * tar fails on it, and extracted over a folder that holds its target's path, a dataset's
     * own extraction say, it would link to whatever is there, a removed image too) */
    if (rc != DV_OK) return 1;
    /* (unsure: its bytes were written through a symlinked folder, which the copy has not) */
    if (l->gone || l->unsure) return 1;
    /* a link on the way dropped: the chain is broken in the copy */
    for (size_t i = 0; i < l->ndeps; i++)
        if (l->deps[i] < ndrop && drop[l->deps[i]]) return 1;
    /* the member holding the bytes dropped, a sparse one too (the copy has not the member a
     * hard link names; the lookup folds a symlink into the member it names when both lie in
     * one sample, so that sample is the symlink's as well) */
    return l->sample < ndrop && drop[l->sample];
}

int dv__tar_writer_copy_sample_drop(dv_tar_writer *w, dv_tar_reader *r, const dv_wds_sample *s,
                                    const uint8_t *drop, uint64_t ndrop, uint64_t *left_out)
{
    dv__tar_link l;
    int need = 0, rc, unresolved;
    DV_RETURN_ERROR_IF(w == NULL || r == NULL || s == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(ready(w));
    if (!dv__tar_reader_rereadable(r)) return dv_tar_writer_copy_sample(w, r, s);
    for (size_t i = 0; i < s->nparts && !need; i++) {
        rc = link_dropped(r, &s->parts[i].member, drop, ndrop, &l, &unresolved);
        if (rc < 0) return rc;
        need = rc;
    }
    if (!need) return copy_range(w, r, s->offset, s->end_offset);
    for (size_t i = 0; i < s->nparts; i++) {
        const dv_tar_member *m = &s->parts[i].member;
        rc = link_dropped(r, m, drop, ndrop, &l, &unresolved);
        if (rc < 0) return rc;
        if (rc > 0) {
            /* the link is left out (the pax globals in front of it stay: they go on to later
             * members); its extended headers and the link go with it */
            if (m->global_len > 0) DV_FORWARD_IF_ERROR(sink(w, m->raw, m->global_len));
            if (left_out) (*left_out)++;
            /* a link to it goes too; but a hard link that does not resolve put nothing at its
             * path (GNU tar leaves the member there before it, which a link to the path reads,
             * or the index holds it as not known, which no link reads) */
            if (!unresolved || l.symlink) dv__tar_reader_link_gone(r, m);
        } else {
            DV_FORWARD_IF_ERROR(copy_range(w, r, m->offset, m->end_offset));
        }
    }
    return DV_OK;
}

int dv_tar_writer_drop_sample(dv_tar_writer *w, const dv_wds_sample *s)
{
    DV_RETURN_ERROR_IF(w == NULL || s == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(ready(w));
    for (size_t i = 0; i < s->nparts; i++) {
        const dv_tar_member *m = &s->parts[i].member;
        if (m->global_len > 0) DV_FORWARD_IF_ERROR(sink(w, m->raw, m->global_len));
    }
    return DV_OK;
}

int dv_tar_writer_finish(dv_tar_writer *w)
{
    DV_RETURN_ERROR_IF(w == NULL, DV_EINVAL);
    DV_FORWARD_IF_ERROR(ready(w));
    DV_FORWARD_IF_ERROR(zeros(w, 2 * BLOCK));
    w->finished = 1;
    return DV_OK;
}
