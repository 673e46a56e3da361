/* testutil.c - helpers shared by the unit tests.
 * The location of ../shared is fixed at configure time (DV_SHARED_DIR). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int tu_have_shared(void)
{
    struct stat st;
    return stat(DV_SHARED_DIR "/pdq/data", &st) == 0;
}

const char *tu_shared(const char *rel, char *buf, size_t cap)
{
    if (!tu_have_shared()) return NULL;
    snprintf(buf, cap, "%s/%s", DV_SHARED_DIR, rel);
    return buf;
}

uint8_t *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    struct stat st;
    if (f == NULL) return NULL;
    /* directories open too (ftell then says LONG_MAX): regular files only */
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

int tu_have_numpy(void)
{
    if (system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        printf("[  SKIPPED ] /usr/bin/python3 with numpy not found: numpy cross-checks skipped\n");
        return 0;
    }
    return 1;
}
