/* fuzz_dataset.c - libFuzzer target for the dataset layer: layout detection, the shard list
 * and every item of every shard, for inputs written as the files of a dataset directory.
 * Byte 0 picks the layout: 0 a webdataset shard (00000.tar); 1 img2dataset (00000.tar and
 * 00000.parquet); 2 LAION parquet (metadata_0000.parquet, img_emb/img_emb_0000.npy); 3 a URL list
 * (.txt, .csv, .tsv or .jsonl, by byte 1); 4 an image folder (one file); 5 an image beside
 * its caption (a.txt) and a text file (urls.txt, .csv, .tsv or .jsonl, by byte 0 / 6) that
 * is a URL list or not, as the input says (the sniffing and setting aside of files beside images). For two files, bytes 1-2
 * give the length of the first. The parsers underneath have targets of their own; this
 * one exercises how the layer joins them (img2dataset keys, LAION alignment, problems).
 * Small limits keep runs fast; broken promises abort. */
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

#define MAX_IMAGE 65536u
#define MAX_ITEMS 100000u

static const char *const names[] = {
    "00000.tar", "00000.parquet", "metadata_0000.parquet", "img_emb/img_emb_0000.npy",
    "urls.txt",  "urls.csv",      "urls.tsv",           "urls.jsonl",
    "a.jpg",     "a.txt",
};


static void clear(void)
{
    char path[640];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
}

static void check_item(const dv_item *it, uint64_t shard)
{
    if (it->shard != shard || it->id == NULL) abort();
    if (it->image != NULL && it->image_len > MAX_IMAGE) abort();
    if (it->image == NULL && it->image_len != 0) abort();
    if (it->image_path_only && it->image != NULL) abort(); /* a path and no bytes: no image */
    if (it->problem > 0 || (it->problem != 0 && it->problem_msg == NULL)) abort();
    if (it->has_punsafe && it->punsafe != it->punsafe) abort();
    if ((it->have & ~(unsigned)(DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256)) != 0) abort();
    /* a digest is well formed or bad, not both; one from a .json is one of them */
    if ((it->have & it->bad_digest) != 0) abort();
    if ((it->digest_json & ~(it->have | it->bad_digest)) != 0) abort();
    /* a .json member is text: hex only */
    if ((it->digest_text & ~(it->have | it->bad_digest)) != 0) abort();
    if ((it->digest_json & ~it->digest_text) != 0) abort();
    /* a .json value besides the row's: only where the row gave one */
    if ((it->digest_alt & ~(it->have | it->bad_digest)) != 0) abort();
    if ((it->digest_alt & it->digest_json) != 0) abort();
    /* strings are NUL-terminated: strlen must not run off */
    (void)strlen(it->id);
    if (it->url) (void)strlen(it->url);
    if (it->caption) (void)strlen(it->caption);
    if (it->status) (void)strlen(it->status);
    if (it->id_msg) (void)strlen(it->id_msg);
    /* a .json url or caption besides the row's: only beside one, another and not empty */
    if (it->url_alt && (!it->url || !*it->url_alt || strcmp(it->url, it->url_alt) == 0)) abort();
    if (it->caption_alt &&
        (!it->caption || !*it->caption_alt || strcmp(it->caption, it->caption_alt) == 0))
        abort();
    if (it->image_name) (void)strlen(it->image_name);
    if (it->image != NULL && it->image_len > 0) {
        /* both ends of the bytes are readable */
        volatile uint8_t a = it->image[0], b = it->image[it->image_len - 1];
        (void)a;
        (void)b;
    }
}

static void cleanup(void)
{
    char sub[600];
    clear();
    snprintf(sub, sizeof sub, "%s/img_emb", dir);
    (void)rmdir(sub);
    (void)rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv_dataset_opts o = {.max_image_bytes = MAX_IMAGE, .images_per_shard = 4};
    dv_dataset *ds = NULL;
    char err[512];
    size_t split;
    if (dir[0] == '\0') {
        scratch_make("fuzz_dataset");
        char sub[600];
        snprintf(sub, sizeof sub, "%s/img_emb", dir);
        if (mkdir(sub, 0700) != 0) abort();
        atexit(cleanup);
    }
    if (size < 1) return 0;
    /* a named image column too (every value an image, an empty one of 0 bytes) */
    if (data[0] >= 192) o.image_col = "image.bytes";
    clear();
    split = size >= 3 ? ((size_t)data[1] | (size_t)data[2] << 8) : 0;
    if (split > size - (size >= 3 ? 3 : 1)) split = size - (size >= 3 ? 3 : 1);
    switch (data[0] % 6) {
    case 0: put(names[0], data + 1, size - 1); break;
    case 1:
        if (size < 3) return 0;
        put(names[0], data + 3, split);
        put(names[1], data + 3 + split, size - 3 - split);
        break;
    case 2:
        if (size < 3) return 0;
        put(names[2], data + 3, split);
        put(names[3], data + 3 + split, size - 3 - split);
        break;
    case 3:
        if (size < 2) return 0;
        put(names[4 + data[1] % 4], data + 2, size - 2);
        break;
    case 4: put(names[8], data + 1, size - 1); break;
    default:
        if (size < 3) return 0;
        put(names[8], data + 3, split);
        put(names[9], "a caption\n", 10);
        put(names[4 + (data[0] / 6) % 4], data + 3 + split, size - 3 - split);
        break;
    }
    int rc = dv_dataset_open(dir, &o, &ds, err, sizeof err);
    if (rc != DV_OK) {
        if (ds != NULL || err[0] == '\0') abort();
        return 0;
    }
    if (dv_dataset_problems(ds) == NULL) abort();
    for (uint64_t s = 0; s < dv_dataset_num_shards(ds); s++) {
        dv_shard_info si;
        dv_shard_reader *r = NULL;
        dv_item it;
        uint64_t n = 0;
        if (dv_dataset_shard(ds, s, &si) != DV_OK || si.index != s || si.name == NULL ||
            si.path == NULL)
            abort();
        /* an embedding file is used or refused (with a problem), never both */
        if (si.emb_path != NULL && si.emb_unused != NULL) abort();
        if (si.emb_unused != NULL && dv_dataset_problems(ds)[0] == '\0') abort();
        if (dv_shard_reader_open(ds, s, &r, err, sizeof err) != DV_OK) {
            if (r != NULL || err[0] == '\0') abort();
            continue;
        }
        while (n < MAX_ITEMS) {
            rc = dv_shard_reader_next(r, &it);
            if (rc == 1) {
                check_item(&it, s);
                n++;
                continue;
            }
            if (rc == 0) break;
            if (dv_shard_reader_errmsg(r)[0] == '\0') abort();
            if (rc != DV_ECORRUPT) break; /* final for this shard */
            n++;                          /* a skipped record still counts towards the cap */
        }
        dv_shard_reader_free(r);
    }
    if (dv_dataset_shard(ds, dv_dataset_num_shards(ds), &(dv_shard_info){0}) != DV_ERANGE)
        abort();
    dv_dataset_free(ds);
    return 0;
}
