/* testutil.h - helpers shared by the unit tests: reading files and finding ../shared.
 * Tests that need ../shared skip with a visible message when it is absent. */
#ifndef DV_TESTUTIL_H
#define DV_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Path of a file under ../shared, or NULL (and a printed skip notice) when shared/ is absent. */
const char *tu_shared(const char *rel, char *buf, size_t cap);
int tu_have_shared(void);
/* Whole file into a malloc'd buffer; NULL on failure. */
uint8_t *tu_read(const char *path, size_t *len);
/* Whether /usr/bin/python3 imports numpy (Debian's, for cross-checks); prints a skip notice
 * when not. */
int tu_have_numpy(void);

#endif
