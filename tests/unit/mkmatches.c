/* mkmatches.c - test helper: writes a matches.parquet with the scan's schema from TSV on stdin
 * (one finding per line, columns in schema order; \N is null; \t \n \\ \xHH escapes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datavet.h"

static const dv_parquet_field fields[] = {
    {.name = "id", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    {.name = "shard", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    {.name = "shard_index", .type = DV_PQ_INT64},
    {.name = "row", .type = DV_PQ_INT64},
    {.name = "url", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "hash_type", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    {.name = "source", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    {.name = "value", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "list", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "list_version", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "list_digest", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "entry_id", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "label", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "distance", .type = DV_PQ_INT32, .optional = 1},
    {.name = "dihedral", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "score", .type = DV_PQ_DOUBLE, .optional = 1},
    {.name = "tier", .type = DV_PQ_BYTE_ARRAY, .is_string = 1},
    {.name = "seed", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "emb_file", .type = DV_PQ_BYTE_ARRAY, .optional = 1, .is_string = 1},
    {.name = "emb_row", .type = DV_PQ_INT64, .optional = 1},
};
#define NF (sizeof(fields) / sizeof(fields[0]))

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescape s in place; returns its new length. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1]) {
            i++;
            if (s[i] == 't') s[o++] = '\t';
            else if (s[i] == 'n') s[o++] = '\n';
            else if (s[i] == 'r') s[o++] = '\r';
            else if (s[i] == 'x' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                i += 2;
            } else s[o++] = s[i];
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = '\0';
    return o;
}

int main(int argc, char **argv)
{
    dv_parquet_writer *w;
    dv_parquet_writer_opts o = {0};
    char err[512], line[65536];
    unsigned long lineno = 0;
    int rc;
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: mkmatches OUT.parquet [ROWS_PER_GROUP] <findings.tsv\n");
        return 2;
    }
    if (argc == 3) o.row_group_rows = strtoull(argv[2], NULL, 10);
    rc = dv_parquet_writer_create(argv[1], fields, NF, &o, &w, err, sizeof(err));
    if (rc != DV_OK) {
        fprintf(stderr, "mkmatches: %s\n", err);
        return 1;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        dv_parquet_value v[NF];
        char *p = line, *cols[NF];
        size_t n = 0, len[NF];
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        while (n < NF) {
            char *tab = strchr(p, '\t');
            cols[n++] = p;
            if (tab == NULL) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (n != NF) {
            fprintf(stderr, "mkmatches: line %lu: %zu columns, want %zu\n", lineno, n, NF);
            return 1;
        }
        memset(v, 0, sizeof(v));
        for (size_t i = 0; i < NF; i++) {
            if (strcmp(cols[i], "\\N") == 0) {
                v[i].is_null = 1;
                continue;
            }
            len[i] = unescape(cols[i]);
            switch (fields[i].type) {
            case DV_PQ_BYTE_ARRAY: v[i].bytes = (const uint8_t *)cols[i]; v[i].len = len[i]; break;
            case DV_PQ_INT32: v[i].i32 = (int32_t)strtol(cols[i], NULL, 10); break;
            case DV_PQ_INT64: v[i].i64 = strtoll(cols[i], NULL, 10); break;
            case DV_PQ_DOUBLE: v[i].f64 = strtod(cols[i], NULL); break;
            default: break;
            }
        }
        rc = dv_parquet_writer_write_row(w, v);
        if (rc != DV_OK) {
            fprintf(stderr, "mkmatches: line %lu: %s\n", lineno, dv_parquet_writer_errmsg(w));
            return 1;
        }
    }
    rc = dv_parquet_writer_close(w);
    if (rc != DV_OK) fprintf(stderr, "mkmatches: %s\n", dv_parquet_writer_errmsg(w));
    dv_parquet_writer_free(w);
    return rc == DV_OK ? 0 : 1;
}
