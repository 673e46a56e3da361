/* fuzz_clean_sums.c - libFuzzer target for datavet verify --clean's reading of clean.sha256
 * (dv_clean_verify): the input is OUTDIR/clean.sha256; the scratch copy's folder c/ holds
 * a.tar ("a\n"), "b\c" ("" ) and sub/x ("x"), the files a line can name, and a link c/l to
 * a.tar, which must never count as a file (and, unless a line names it, is a file not
 * listed). The verdict must agree with the counts: DV_OK
 * with a problem reported or counted aborts, as does DV_ECORRUPT with none. corpus/clean_sums
 * holds clean.sha256 files for that folder (right, escaped, wrong digests, hostile names). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datavet.h"
#include "scratch_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_line(void *ud, int is_problem, const char *line)
{
    size_t *n = ud;
    if (strlen(line) > 8192) abort();
    if (is_problem) (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static char cdir[600];
    size_t problems = 0;
    dv_clean_verify_result r;
    char err[512];
    int rc;
    if (!ready) {
        char sub[700];
        scratch_make("fuzz_clean_sums");
        snprintf(cdir, sizeof cdir, "%s/c", dir);
        snprintf(sub, sizeof sub, "%s/sub", cdir);
        if (mkdir(cdir, 0700) != 0 || mkdir(sub, 0700) != 0) abort();
        put("c/a.tar", "a\n", 2);
        put("c/b\\c", "", 0);
        put("c/sub/x", "x", 1);
        snprintf(sub, sizeof sub, "%s/l", cdir);
        if (symlink("a.tar", sub) != 0) abort();
        ready = 1;
    }
    put("clean.sha256", data, size);
    err[0] = '\0';
    rc = dv_clean_verify(dir, cdir, on_line, &problems, &r, err, sizeof err);
    if (rc == DV_OK &&
        (problems || r.files_changed || r.files_missing || r.lines_bad || r.files_extra))
        abort();
    if (rc == DV_ECORRUPT && (!problems || problems != r.files_changed + r.files_missing +
                                                          r.lines_bad + r.files_extra))
        abort();
    if (rc != DV_OK && rc != DV_ECORRUPT) abort(); /* the file is always there */
    return 0;
}
