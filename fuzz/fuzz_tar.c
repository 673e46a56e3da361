/* fuzz_tar.c - libFuzzer target for the tar reader: members, then webdataset samples, then a
 * cleaned-shard copy into /dev/null (links to dropped samples written as their targets),
 * then the samples again through a file descriptor (a memfd: the read-ahead window and pread
 * paths), which must give what the buffer gave, link targets read again included, and once
 * more reading headers only (dv__tar_reader_headers_only), which must give the same samples,
 * error and message without any data. Small limits keep runs fast; broken promises abort. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "datavet.h"
#include "../src/common/common.h"   /* dv__dbuf */
#include "../src/io/io_readers.h"   /* the link index */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const dv_tar_reader *r, int rc)
{
    if (rc != DV_ECORRUPT && rc != DV_ETOOBIG && rc != DV_ENOMEM) abort();
    if (dv_tar_reader_errmsg(r)[0] == '\0') abort();
}

static void check_member(const dv_tar_member *m, size_t size)
{
    if (m->path == NULL || m->linkpath == NULL || m->raw == NULL) abort();
    if (m->raw_len == 0 || m->raw_len % 512 != 0 || m->global_len > m->raw_len) abort();
    if (m->offset % 512 != 0 || m->data_offset != m->offset + m->raw_len) abort();
    if (m->end_offset < m->data_offset || m->end_offset - m->data_offset < m->size) abort();
    if (m->skip == DV_TAR_SKIP_NONE && m->size > 65536) abort();
    (void)size;
}

#define MAX_KEYS 4096

/* Sample keys and member sizes of one pass, to compare the buffer and fd readers. */
typedef struct pass {
    size_t n;
    int rc;
    uint64_t sum; /* of keys' lengths, part sizes and offsets, link targets' bytes */
    dv__dbuf scratch;
    char err[512];
} pass;

/* data 1: members' data count in the sum; 0: they do not; 2: nor may any be given from a
 * re-readable input (a reader of headers only) */
static void samples(dv_tar_reader *r, pass *p, size_t size, int data)
{
    dv_wds_sample s;
    int rc;
    int was_cut = 0;
    p->n = 0;
    p->sum = 0;
    while ((rc = dv_tar_reader_next_sample(r, &s)) == 1) {
        /* a cut sample (the parts before a failure) is the last: the failure comes next */
        if (was_cut) abort();
        was_cut = s.cut;
        p->n++;
        p->sum += strlen(s.key) * 31 + s.offset * 7 + s.end_offset + (uint64_t)s.cut * 101;
        for (size_t i = 0; i < s.nparts; i++) {
            const dv_wds_part *q = &s.parts[i];
            check_member(&q->member, size);
            /* every part given is whole, padding included, a cut sample's too (one left
             * unread by a reader of headers only as well) */
            if (q->member.end_offset > size) abort();
            p->sum += q->member.size * 13 + q->member.offset;
            if (data == 2 && q->data != NULL && dv__tar_reader_rereadable(r)) abort();
            if (data == 1 && q->data != NULL && q->member.size > 0)
                p->sum += (uint64_t)q->data[0] + (uint64_t)q->data[q->member.size - 1] * 3;
            if (q->member.skip == DV_TAR_SKIP_HARDLINK || q->member.skip == DV_TAR_SKIP_SYMLINK) {
                /* a link's target read again: the same bytes from the buffer and the fd */
                const uint8_t *d;
                uint64_t n;
                int lrc = dv__tar_reader_link_data(r, &q->member, 65536, &p->scratch, &d, &n);
                if (lrc == DV_OK) {
                    if (d == NULL || n > 65536) abort();
                    p->sum += n * 5 + (n ? (uint64_t)d[0] + (uint64_t)d[n - 1] * 11 : 0);
                } else {
                    if (lrc != DV_ECORRUPT && lrc != DV_ETOOBIG && lrc != DV_EFORMAT &&
                        lrc != DV_ENOMEM)
                        abort();
                    if (dv_tar_reader_errmsg(r)[0] == '\0') abort();
                    p->sum += (uint64_t)(-lrc) * 17;
                }
            }
        }
        if (p->n > MAX_KEYS) break;
    }
    p->rc = rc;
    p->err[0] = '\0';
    if (was_cut && rc == 0) abort();
    if (rc < 0) {
        check_err(r, rc);
        snprintf(p->err, sizeof(p->err), "%s", dv_tar_reader_errmsg(r));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_tar_opts o = {0};
    dv_tar_reader *r;
    dv_tar_member m;
    dv_wds_sample s;
    uint8_t odd[MAX_KEYS + 2];
    int rc;
    o.max_member = 65536;
    o.max_sample = 1 << 20;
    o.max_meta = 16384;
    o.allow_no_eof = (int)(size & 1);
    r = dv_tar_reader_create(&o);
    if (r == NULL) return 0;
    dv__tar_reader_link_index(r, 1u << 16);
    for (size_t i = 0; i < sizeof(odd); i++) odd[i] = (uint8_t)(i & 1);

    if (dv_tar_reader_open_buffer(r, data, size, "fuzz.tar") != DV_OK) abort();
    while ((rc = dv_tar_reader_next(r, &m)) == 1) {
        const uint8_t *d;
        check_member(&m, size);
        if (m.skip == DV_TAR_SKIP_NONE) {
            rc = dv_tar_reader_read(r, &d);
            if (rc < 0) break;
            if (m.size > 0 && (d < data || d + m.size > data + size)) abort();
        }
    }
    if (rc < 0) check_err(r, rc);

    if (dv_tar_reader_open_buffer(r, data, size, "fuzz.tar") != DV_OK) abort();
    {
        int out = open("/dev/null", O_WRONLY);
        dv_tar_writer *w = dv_tar_writer_create(NULL);
        if (w != NULL && out >= 0 && dv_tar_writer_open_fd(w, out, "null") != DV_OK) abort();
        while ((rc = dv_tar_reader_next_sample(r, &s)) == 1) {
            if (s.nparts == 0 || s.key == NULL || s.end_offset < s.offset) abort();
            for (size_t i = 0; i < s.nparts; i++) {
                const dv_wds_part *p = &s.parts[i];
                check_member(&p->member, size);
                if (strncmp(p->member.path, s.key, strlen(s.key)) != 0) abort();
                if ((p->data != NULL) != (p->member.skip == DV_TAR_SKIP_NONE)) abort();
            }
            if (w != NULL && out >= 0) {
                int wr = (s.index & 1) ? dv_tar_writer_drop_sample(w, &s)
                                       : dv__tar_writer_copy_sample_drop(w, r, &s, odd,
                                                                         sizeof(odd), NULL);
                if (wr != DV_OK && wr != DV_ENOMEM) abort();
            }
        }
        if (rc < 0) check_err(r, rc);
        if (w != NULL && out >= 0 && dv_tar_writer_finish(w) != DV_OK) abort();
        dv_tar_writer_free(w);
        if (out >= 0) close(out);
    }
#if defined(__linux__)
    {
        /* the same bytes from a file descriptor: same samples, same outcome */
        pass pb = {0}, pf = {0}, pd = {0}, ph = {0};
        int fd = memfd_create("fuzz.tar", MFD_CLOEXEC);
        if (fd >= 0 && (size == 0 || write(fd, data, size) == (ssize_t)size) &&
            lseek(fd, 0, SEEK_SET) == 0) {
            if (dv_tar_reader_open_buffer(r, data, size, "fuzz.tar") != DV_OK) abort();
            samples(r, &pb, size, 1);
            if (dv_tar_reader_open_fd(r, fd, "fuzz.tar") == DV_OK) {
                samples(r, &pf, size, 1);
                if (pb.n != pf.n || pb.sum != pf.sum || (pb.rc < 0) != (pf.rc < 0)) abort();
            }
            /* headers only: the same samples and outcome, to the message, with no data */
            if (lseek(fd, 0, SEEK_SET) == 0 && dv_tar_reader_open_fd(r, fd, "fuzz.tar") == DV_OK) {
                samples(r, &pd, size, 0);
                dv__tar_reader_headers_only(r, 1);
                if (lseek(fd, 0, SEEK_SET) == 0 &&
                    dv_tar_reader_open_fd(r, fd, "fuzz.tar") == DV_OK) {
                    samples(r, &ph, size, 2);
                    if (pd.n != ph.n || pd.sum != ph.sum || pd.rc != ph.rc ||
                        strcmp(pd.err, ph.err) != 0)
                        abort();
                }
                dv__tar_reader_headers_only(r, 0);
            }
        }
        if (fd >= 0) close(fd);
        free(pb.scratch.p);
        free(pf.scratch.p);
        free(pd.scratch.p);
        free(ph.scratch.p);
    }
#endif
    dv_tar_reader_free(r);
    return 0;
}
