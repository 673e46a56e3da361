/* hashtype.c - names and key sizes of the hash types that list entries and dataset items carry.
 * One table, so names, parsing and sizes cannot drift apart. */
#include "../common/common.h"

#include <string.h>

static const struct {
    const char *name;
    size_t size;
} types[] = {
    [DV_HT_NONE] = {"none", 0},
    [DV_HT_MD5] = {"md5", 16},
    [DV_HT_SHA1] = {"sha1", 20},
    [DV_HT_SHA256] = {"sha256", 32},
    [DV_HT_PDQ] = {"pdq", 32},
    [DV_HT_URL] = {"url", 0},
    [DV_HT_URL_MD5] = {"url-md5", 16},
    [DV_HT_URL_SHA1] = {"url-sha1", 20},
    [DV_HT_URL_SHA256] = {"url-sha256", 32},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

const char *dv_hash_type_name(dv_hash_type t)
{
    if ((unsigned)t >= NTYPES) return "none";
    return types[t].name;
}

int dv_hash_type_parse(const char *name, dv_hash_type *out)
{
    if (name == NULL || out == NULL) return DV_EINVAL;
    for (size_t i = 0; i < NTYPES; i++) {
        if (strcmp(name, types[i].name) == 0) {
            *out = (dv_hash_type)i;
            return DV_OK;
        }
    }
    return DV_EINVAL;
}

size_t dv_hash_type_size(dv_hash_type t)
{
    if ((unsigned)t >= NTYPES) return 0;
    return types[t].size;
}
