/* fuzz_manifest.c - libFuzzer target for datavet verify's reading of a signed scan's
 * manifest.sig and manifest.jsonl (dv_scan_verify with --any-key, so the manifest's lines are
 * read whatever key signed them). The input's first line is manifest.sig, the rest
 * manifest.jsonl; the scratch outdir also holds scan.params, a.txt and shards/b, the files a
 * manifest can list. Verification must end with a verdict or an error message: "verified"
 * with a problem reported or counted aborts, as does "not verified" with none, or an error
 * without a message. corpus/manifest holds manifests dv_scan_sign wrote for that outdir. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datavet.h"
#include "scratch_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char params[] = "datavet_version\t0.1.0\ndataset\tds\n";

static void on_line(void *ud, int is_problem, const char *line)
{
    size_t *n = ud;
    if (strlen(line) > 8192) abort();
    if (is_problem) (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t siglen = nl ? (size_t)(nl - data) + 1 : size, problems = 0;
    dv_verify_result r;
    char err[512];
    int rc;
    if (!ready) {
        char sub[600];
        scratch_make("fuzz_manifest");
        snprintf(sub, sizeof sub, "%s/shards", dir);
        if (mkdir(sub, 0700) != 0) abort();
        put("scan.params", params, sizeof params - 1);
        put("a.txt", "a\n", 2);
        put("shards/b", "", 0);
        ready = 1;
    }
    put("manifest.sig", data, siglen);
    put("manifest.jsonl", data + siglen, size - siglen);
    err[0] = '\0';
    rc = dv_scan_verify(dir, NULL, on_line, &problems, &r, err, sizeof err);
    if (rc == DV_OK && (problems || !r.signature_ok || r.files_changed || r.files_missing ||
                        r.files_extra))
        abort();
    if (rc == DV_ECORRUPT && !problems && r.signature_ok) abort();
    if (rc != DV_OK && rc != DV_ECORRUPT && err[0] == '\0') abort();
    return 0;
}
