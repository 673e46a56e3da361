/* scratch_dir.h - a scratch directory for the targets that write their input as the files of
 * a directory (fuzz_dataset, fuzz_merge): made once per process under $TMPDIR. */
#ifndef DV_FUZZ_SCRATCH_DIR_H
#define DV_FUZZ_SCRATCH_DIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[512];

/* Make dir as TMPDIR/<tag>.XXXXXX (aborts on failure). */
static inline void scratch_make(const char *tag)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/%s.XXXXXX", t && t[0] ? t : "/tmp", tag);
    if (mkdtemp(dir) == NULL) abort();
}

/* Write n bytes to dir/name (aborts on failure). */
static inline void put(const char *name, const void *p, size_t n)
{
    char path[640];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) abort();
    if (n > 0 && fwrite(p, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
}

#endif
