/* io_readers.h - library-internal helpers of the tar, npy and text-list readers (their public
 * API is in datavet.h): what the tar writer needs of a reader, and the F16C kernel. */
#ifndef DV_IO_READERS_H
#define DV_IO_READERS_H

#include "datavet.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Library-internal (not proposed for datavet.h): what the tar writer needs of a reader. */

/* Bytes of the read-ahead window of a tar reader on a seekable fd (allocated once per reader):
 * headers and members up to half of it are read through it and members handed out as
 * pointers into it (a sample's parts are copied out before it is refilled); larger members
 * are read straight into the sample with one pread. */
#ifndef DV__TAR_WINDOW
#define DV__TAR_WINDOW (1u << 20)
#endif

/* Call sink on the archive bytes [off, off + len) of r's input again (buffer or seekable fd).
 * DV_EINVAL when the input is a pipe. */
int dv__tar_reader_copy_range(dv_tar_reader *r, uint64_t off, uint64_t len,
                              int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
/* Add DV_SKIP_* bits to ds's options: shard readers opened from then on leave those fields
 * unread (the scan knows which digests it needs only once its lists are open). */
void dv__dataset_skip(dv_dataset *ds, unsigned skip);
/* F16C conversion (npy_avx2.c); only called where the CPU has AVX2 and F16C. */
void dv__f16_to_f32_f16c(const uint16_t *in, float *out, size_t n);
/* A dv_npy over the .npy image [base, base + len), which lies in map (munmap'd at close) or
 * heap (freed at close) or neither (the caller's buffer). Takes ownership of map and heap
 * even when it fails. */
int dv__npy_adopt(const dv_alloc *alloc, void *map, size_t maplen, void *heap,
                  const uint8_t *base, size_t len, dv_npy **out, char *errbuf, size_t errcap);
/* Whether dv__tar_reader_copy_range works on r's input. */
int dv__tar_reader_rereadable(const dv_tar_reader *r);
/* The stored bytes of part i of the sample last returned (any type), NULL if not loaded. */
const uint8_t *dv__tar_reader_part_bytes(const dv_tar_reader *r, size_t i);

#endif /* DV_IO_READERS_H */
