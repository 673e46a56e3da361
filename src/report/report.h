/* report.h - what the scan's merge step hands to the report writers (summary tables, the
 * self-contained HTML page): the merged records and counters of a finished scan. */
#ifndef DV_REPORT_H
#define DV_REPORT_H

#include "datavet.h"

#include <stdint.h>
#include <stdio.h>

/* One finding: a row of matches.parquet / matches.jsonl. Strings are NUL-terminated, ""
 * when unknown; numbers are -1 when unknown (score: NaN when unknown). */
typedef struct dv__finding {
    const char *id;          /* item id within the dataset (key, uid, path, or shard:row) */
    const char *shard;       /* shard name */
    int64_t shard_index;
    int64_t row;             /* 0-based row/sample within the shard */
    const char *url;
    const char *hash_type;   /* md5 sha1 sha256 pdq url url-md5 url-sha1 url-sha256 punsafe
                                terms neighbors concept */
    const char *source;      /* metadata (hash column) | url | image (bytes hashed) | flag |
                                neighbors */
    const char *value;       /* the item's hash in hex, the URL, the term, ... */
    const char *list;        /* list name ("" for flags) */
    const char *list_version;
    const char *list_digest; /* hex SHA-256 of the list content */
    const char *entry_id;    /* matched list entry's id, "" if none */
    const char *label;       /* matched list entry's label */
    int distance;            /* PDQ Hamming distance, 0 for exact hashes, -1 for flags */
    const char *dihedral;    /* PDQ variant that matched ("orig", ...), "" otherwise */
    double score;            /* punsafe, similarity; NaN if none */
    const char *tier;        /* "match" or "candidate" */
    const char *seed;        /* neighbors: id of the seed that found it */
    const char *emb_file;
    int64_t emb_row;
    /* the item's own hashes, of the image bytes as datavet hashed them ("" where it did not,
     * e.g. a URL or metadata finding of an item without image bytes): a hotline export
     * carries them whatever matched */
    const char *item_md5, *item_sha1, *item_sha256;
    const char *item_pdq;    /* the image as it is (not a dihedral variant) */
    int item_pdq_quality;    /* 0-100, -1 with no item_pdq */
} dv__finding;

/* A named counter. Keys (all summed over shards):
 *   items                       items read
 *   items_with_image            items whose image bytes were present (shard/folder/fetch)
 *   hashed                      images decoded and hashed
 *   low_quality                 PDQ quality < 50: not PDQ-matched
 *   error.<reason>              items skipped, by reason (decode, too_big, corrupt, ...)
 *   tier.<tier>                 findings per tier (match, candidate)
 *   list.<name>.<tier>          findings per list
 *   hash.<hash_type>.<tier>     findings per hash type
 *   shard_items.<index>         items per shard (index as 6 digits)
 *   shard_findings.<index>      findings per shard
 *   pdq_distance.<d>            PDQ matches by distance (d = 0..63, 2 digits)
 *   similarity.<b>              neighbor candidates by similarity bucket b = 00..99 (floor(100 s))
 *   fetch.<class>               fetch status per error class (ok, http_404, timeout, ...)
 * Counters come sorted by key (strcmp order). */
typedef struct dv__counter {
    const char *key;
    uint64_t value;
} dv__counter;

typedef struct dv__report_list {
    const char *path;
    const char *name;
    const char *version;
    const char *type;       /* dv_hash_type_name */
    const char *digest;     /* hex */
    uint64_t entries;
} dv__report_list;

typedef struct dv__report_input {
    const char *path;       /* the input file or directory */
    const char *sha256;     /* hex, "" if not computed */
    uint64_t bytes;
} dv__report_input;

typedef struct dv__report {
    const char *dataset;    /* path as given */
    const char *layout;     /* dv_layout_name */
    const char *version;    /* datavet version */
    uint64_t nshards;
    const dv__finding *findings;
    size_t nfindings;
    const dv__counter *counters;
    size_t ncounters;
    const dv__report_list *lists;
    size_t nlists;
    const dv__report_input *inputs;
    size_t ninputs;
    /* Parameters as (name, value) text pairs, in a fixed order. */
    const char *const *param_names;
    const char *const *param_values;
    size_t nparams;
    /* what the dataset has that the scan could not use, one per line ("" or NULL: nothing);
     * shown as a warning at the top */
    const char *problems;
} dv__report;

/* One self-contained HTML page (no scripts, no network): summary tables; inline SVG charts
 * of findings per list and tier, the PDQ distance histogram, items per shard, error reasons
 * and (when present) the similarity histogram; the first findings as a table (ids, URLs,
 * hashes, scores only: never image data), up to 1000 of each tier, with a note counting the
 * rest from the counters tier.match and tier.candidate (findings may hold only the first of
 * each). Deterministic: same input, same bytes. */
int dv__report_write_html(FILE *f, const dv__report *r);

/* Counter lookup (binary search), 0 if absent. */
uint64_t dv__report_counter(const dv__report *r, const char *key);

#endif
