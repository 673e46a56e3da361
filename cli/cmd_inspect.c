/* cmd_inspect.c - `datavet inspect PATH`: what a dataset file or directory is (format, schema,
 * recognised columns, counts, problems), as text or --json; --head prints rows as DuckDB does. */
#include "cli.h"
#include "record.h"
#include "text_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED_SHARDS 20
#define MAX_EXTS 32
#define MAX_IMAGE_BYTES (256ull << 20)

typedef struct opts {
    int json;
    unsigned long long head;
    int has_head;
    const char *columns;
    int tsv;
    const char *npz_key; /* --npz-key: the array of an .npz that is the embeddings */
} opts;

/* ---------------------------------------------------------------- output helpers */


/* Text for a terminal (text_util.h): what could act on one written \xHH. */
static void put_safe(FILE *f, const char *s)
{
    if (s) cli_put_safe(f, s, strlen(s));
}

/* ---------------------------------------------------------------- value formatting (DuckDB) */

/* Shortest decimal digits that read back as v (as a float when is_float): digits without
 * a point into dig, and the decimal exponent of the first digit. */
static void shortest_digits(double v, int is_float, char *dig, size_t cap, int *exp10)
{
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (!is_float) {
            if (strtod(tmp, NULL) == v) break;
        } else if (strtof(tmp, NULL) == (float)v) {
            /* a float whose shortest digits lie exactly half way to a neighbour (8.9962e8 for
             * 899619968) is printed by DuckDB with all 9 digits: do the same */
            double c = strtod(tmp, NULL), f = (float)v;
            double up = (f + (double)nextafterf((float)v, INFINITY)) / 2;
            double dn = (f + (double)nextafterf((float)v, -INFINITY)) / 2;
            /* ... and so is one half way between two shortest candidates (3969793.25) */
            double step;
            char alt[64];
            int ex = (int)strtol(strchr(tmp, 'e') + 1, NULL, 10);
            step = pow(10, (double)(ex - (prec - 1)));
            snprintf(alt, sizeof(alt), "%.*e", prec - 1, c + (c < f ? step : -step));
            if (c == up || c == dn ||
                (strtof(alt, NULL) == (float)v &&
                 fabsl((long double)strtod(alt, NULL) - f) == fabsl((long double)c - f)))
                snprintf(tmp, sizeof(tmp), "%.8e", v);
            break;
        }
    }
    {
        char *e = strchr(tmp, 'e');
        size_t k = 0;
        *exp10 = e ? (int)strtol(e + 1, NULL, 10) : 0;
        for (char *q = tmp; q < e && k + 1 < cap; q++)
            if (*q >= '0' && *q <= '9') dig[k++] = *q;
        while (k > 1 && dig[k - 1] == '0') k--;
        dig[k] = '\0';
    }
}

/* A float or double as DuckDB prints it: JSON (COPY ... FORMAT JSON) widens FLOAT to double
 * and writes decimal notation for 1e-6 <= |v| < 1e21, else "1e21" / "1.5e-7"; CSV/TSV (and
 * CAST AS VARCHAR) keeps FLOAT's own shortest digits and writes decimal for 1e-4 <= |v| <
 * 1e16, else "1e+16" / "1e-05". Integral decimals get ".0" in both. */
static void fmt_float(sbuf *b, double v, int is_float, int json)
{
    char dig[32], out[400];
    int e, nd, pos = 0, sci;
    if (isnan(v)) {
        sb_puts(b, json ? "NaN" : signbit(v) ? "-nan" : "nan");
        return;
    }
    if (isinf(v)) {
        sb_puts(b, v < 0 ? (json ? "-Infinity" : "-inf") : (json ? "Infinity" : "inf"));
        return;
    }
    if (signbit(v)) out[pos++] = '-';
    if (v == 0) {
        memcpy(out + pos, "0.0", 4);
        sb_puts(b, out);
        return;
    }
    shortest_digits(fabs(v), is_float && !json, dig, sizeof(dig), &e);
    nd = (int)strlen(dig);
    sci = json ? (e < -6 || e >= 21) : (e < -4 || e >= 16);
    if (sci) {
        out[pos++] = dig[0];
        if (nd > 1) {
            out[pos++] = '.';
            memcpy(out + pos, dig + 1, (size_t)nd - 1);
            pos += nd - 1;
        }
        if (json)
            pos += snprintf(out + pos, sizeof(out) - (size_t)pos, "e%d", e);
        else
            pos += snprintf(out + pos, sizeof(out) - (size_t)pos, "e%c%02d", e < 0 ? '-' : '+',
                            e < 0 ? -e : e);
    } else if (e < 0) {
        out[pos++] = '0';
        out[pos++] = '.';
        for (int i = 0; i < -e - 1; i++) out[pos++] = '0';
        memcpy(out + pos, dig, (size_t)nd);
        pos += nd;
    } else {
        for (int i = 0; i <= e; i++) out[pos++] = i < nd ? dig[i] : '0';
        out[pos++] = '.';
        if (nd > e + 1) {
            memcpy(out + pos, dig + e + 1, (size_t)(nd - e - 1));
            pos += nd - e - 1;
        } else {
            out[pos++] = '0';
        }
    }
    out[pos] = '\0';
    sb_puts(b, out);
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, yy;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void fmt_date(sbuf *b, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    if (y <= 0)
        sb_printf(b, "%04lld-%02u-%02u (BC)", (long long)(1 - y), m, d);
    else
        sb_printf(b, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* A timestamp in units of 10^-digits seconds (3, 6 or 9), as DuckDB prints TIMESTAMP,
 * TIMESTAMP_NS and TIMESTAMPTZ (UTC, "+00"): the fraction without its trailing zeros. */
static void fmt_timestamp(sbuf *b, int64_t v, int digits, int tz)
{
    int64_t per_s = digits == 3 ? 1000 : digits == 6 ? 1000000 : 1000000000;
    int64_t s = v / per_s, frac = v % per_s, days, sod;
    char fr[16];
    int n;
    if (frac < 0) {
        frac += per_s;
        s--;
    }
    days = s / 86400;
    sod = s % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    fmt_date(b, days);
    sb_printf(b, " %02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac) {
        n = snprintf(fr, sizeof(fr), "%0*lld", digits, (long long)frac);
        while (n > 0 && fr[n - 1] == '0') fr[--n] = '\0';
        sb_printf(b, ".%s", fr);
    }
    if (tz) sb_puts(b, "+00");
}

/* An unscaled decimal (two's complement, big-endian bytes or an int) as digits with scale. */
static void fmt_decimal_i128(sbuf *b, __int128 v, int scale)
{
    char d[64];
    int n = 0, neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        d[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && n < 60);
    while (n <= scale) d[n++] = '0';
    if (neg) sb_puts(b, "-");
    for (int i = n - 1; i >= 0; i--) {
        sb_putn(b, &d[i], 1);
        if (i == scale && scale > 0) sb_puts(b, ".");
    }
}

static int fmt_decimal_bytes(sbuf *b, const uint8_t *p, size_t n, int scale)
{
    __int128 v;
    if (n == 0 || n > 16) return -1;
    v = (int8_t)p[0];
    for (size_t i = 1; i < n; i++) v = v * 256 + p[i];
    fmt_decimal_i128(b, v, scale);
    return 0;
}

/* DuckDB's BLOB text: printable ASCII as is, every other byte and the backslash and quotes
 * as \xHH. */
static void fmt_blob(sbuf *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'' && p[i] != '"')
            sb_putn(b, (const char *)p + i, 1);
        else
            sb_printf(b, "\\x%02X", p[i]);
    }
}

enum { K_STRING, K_NUMBER, K_RAWJSON };

/* DuckDB's JSON writer turns a DECIMAL of precision <= 15 into a double: the decimal text just written at
 * b->p + from, re-read and printed as a double. */
static void decimal_as_double(sbuf *b, size_t from, int precision)
{
    double d;
    if (b->oom || precision > 15) return; /* wider ones keep their exact text */
    d = strtod(b->p + from, NULL);
    b->len = from;
    fmt_float(b, d, 0, 1);
}

/* One value as DuckDB shows it; *kind says whether JSON output quotes it. */
static void fmt_value(sbuf *b, const dv_parquet_column_info *ci, const dv_parquet_value *v,
                      int json, int *kind)
{
    int ct = ci->converted_type, lt = ci->logical_type;
    *kind = K_NUMBER;
    switch (ci->type) {
    case DV_PQ_BOOLEAN: sb_puts(b, v->i32 ? "true" : "false"); return;
    case DV_PQ_INT32:
        if (ct == 5 || lt == 5) {
            size_t from = b->len;
            fmt_decimal_i128(b, v->i32, ci->scale);
            if (json) decimal_as_double(b, from, ci->precision);
        } else if (ct == 6 || lt == 6) {
            fmt_date(b, v->i32);
            *kind = K_STRING;
        } else if (ct == 11 || ct == 12 || ct == 13) {
            sb_printf(b, "%u", (unsigned)v->i32);
        } else {
            sb_printf(b, "%d", (int)v->i32);
        }
        return;
    case DV_PQ_INT64:
        if (ct == 5 || lt == 5) {
            size_t from = b->len;
            fmt_decimal_i128(b, v->i64, ci->scale);
            if (json) decimal_as_double(b, from, ci->precision);
        } else if (ct == 9 || ct == 10 || (lt == 8 && ci->time_unit)) {
            int digits = ct == 9 ? 3 : ct == 10 ? 6 : ci->time_unit * 3;
            int tz = lt == 8 ? ci->utc_adjusted : 0; /* DuckDB: legacy ones are naive */
            if (digits == 3) { /* DuckDB reads millisecond timestamps as microseconds */
                fmt_timestamp(b, (int64_t)((uint64_t)v->i64 * 1000u), 6, tz);
            } else {
                fmt_timestamp(b, v->i64, digits, tz);
            }
            *kind = K_STRING;
        } else if (ct == 14) {
            sb_printf(b, "%llu", (unsigned long long)v->i64);
        } else {
            sb_printf(b, "%lld", (long long)v->i64);
        }
        return;
    case DV_PQ_INT96: {
        /* nanoseconds of the day (8 bytes LE) then the Julian day (4 bytes LE) */
        int64_t ns, jd;
        uint32_t j;
        uint64_t u;
        memcpy(&u, v->bytes, 8);
        memcpy(&j, v->bytes + 8, 4);
        ns = (int64_t)u;
        jd = (int64_t)j - 2440588;
        /* out-of-range days wrap around in 64 bits, as they do in DuckDB */
        fmt_timestamp(b, (int64_t)((uint64_t)jd * 86400000000ull + (uint64_t)(ns / 1000)), 6, 0);
        *kind = K_STRING;
        return;
    }
    case DV_PQ_FLOAT: fmt_float(b, v->f32, 1, json); return;
    case DV_PQ_DOUBLE: fmt_float(b, v->f64, 0, json); return;
    case DV_PQ_BYTE_ARRAY:
    case DV_PQ_FIXED_LEN_BYTE_ARRAY:
        if (ct == 5 || lt == 5) {
            size_t from = b->len;
            if (fmt_decimal_bytes(b, v->bytes, v->len, ci->scale) == 0) {
                if (json) decimal_as_double(b, from, ci->precision);
                return;
            }
        }
        *kind = K_STRING;
        if (lt == 14 && v->len == 16) { /* UUID */
            for (size_t i = 0; i < 16; i++) {
                sb_printf(b, "%02x", v->bytes[i]);
                if (i == 3 || i == 5 || i == 7 || i == 9) sb_puts(b, "-");
            }
            return;
        }
        {
            const char *img = cli_image_kind(v->bytes, v->len);
            if (img != NULL) {
                sb_printf(b, "<%s image, %zu bytes withheld>", img, v->len);
                return;
            }
        }
        /* a column datavet scan reads images from holds image bytes whatever they start with
         * (a truncated image, junk before the signature, a format not recognised) */
        if (dv_image_column_kind(ci, NULL) != DV_IMGCOL_NONE) {
            sb_printf(b, "<blob, %zu byte%s withheld>", v->len, v->len == 1 ? "" : "s");
            return;
        }
        if (ci->is_string || ct == 4 || lt == 4 || ct == 19 || lt == 12) {
            if (ct == 19 || lt == 12) *kind = K_RAWJSON;
            sb_putn(b, (const char *)v->bytes, v->len);
            return;
        }
        fmt_blob(b, v->bytes, v->len);
        return;
    }
}

/* ---------------------------------------------------------------- recognised columns */

typedef struct role {
    const char *role;
    const char *names[10];
} role;

static const role roles[] = {
    {"url", {"url", "image_url", NULL}},
    {"caption", {"caption", "text", NULL}},
    {"md5", {"md5", NULL}},
    {"sha1", {"sha1", NULL}},
    {"sha256", {"sha256", NULL}},
    {"phash", {"image_phash", "phash", NULL}},
    {"punsafe", {"punsafe", "nsfw", NULL}},
    {"pwatermark", {"pwatermark", NULL}},
    {"similarity", {"similarity", NULL}},
    /* in the order a URL list ranks them (dv_textlist_opts.id) */
    {"id", {"key", "uid", "sample_id", "id", NULL}},
    {"status", {"status", NULL}},
    {"width", {"width", "original_width", NULL}},
    {"height", {"height", "original_height", NULL}},
    /* found by dv_image_column_pick, as datavet scan finds it */
    {"image", {NULL}},
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

#define ROLE_IMAGE (NROLES - 1)

static int role_of_name(const char *name)
{
    for (size_t r = 0; r < NROLES; r++)
        for (size_t k = 0; k < 10 && roles[r].names[k]; k++)
            if (strcasecmp(name, roles[r].names[k]) == 0) return (int)r;
    return -1;
}

static int role_of(const dv_parquet_column_info *ci)
{
    int ro = ci->nested ? -1 : role_of_name(ci->name);
    /* as datavet scan takes it: an unsafe score is a FLOAT or DOUBLE (LAION's NSFW column
     * is a tag, "UNLIKELY"), and punsafe wins over nsfw wherever they stand */
    if (ro >= 0 && strcmp(roles[ro].role, "punsafe") == 0 && ci->type != DV_PQ_FLOAT &&
        ci->type != DV_PQ_DOUBLE)
        return -1;
    return ro;
}

/* ---------------------------------------------------------------- parquet */

static const char *codec_name(int c)
{
    static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                    "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return c >= 0 && c < 8 ? n[c] : "?";
}

static const char *annotation(const dv_parquet_column_info *ci, char *buf, size_t cap)
{
    static const char *const lt[] = {"",     "STRING",  "MAP",    "LIST",    "ENUM",
                                     "DECIMAL", "DATE", "TIME",   "TIMESTAMP", "",
                                     "INTEGER", "UNKNOWN", "JSON", "BSON",   "UUID",
                                     "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"};
    static const char *const ct[] = {"UTF8",   "MAP",      "MAP_KEY_VALUE", "LIST",
                                     "ENUM",   "DECIMAL",  "DATE",          "TIME_MILLIS",
                                     "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS",
                                     "UINT_8", "UINT_16",  "UINT_32",       "UINT_64",
                                     "INT_8",  "INT_16",   "INT_32",        "INT_64",
                                     "JSON",   "BSON",     "INTERVAL"};
    static const char *const units[] = {"", "MILLIS", "MICROS", "NANOS"};
    const char *name = "";
    if (ci->logical_type > 0 && ci->logical_type < 19)
        name = lt[ci->logical_type];
    else if (ci->converted_type >= 0 && ci->converted_type < 22)
        name = ct[ci->converted_type];
    else if (ci->logical_type > 0)
        name = "UNKNOWN-LOGICAL";
    if (strcmp(name, "DECIMAL") == 0)
        snprintf(buf, cap, "DECIMAL(%d,%d)", (int)ci->precision, (int)ci->scale);
    else if (ci->time_unit > 0 && ci->time_unit < 4)
        snprintf(buf, cap, "%s(%s%s)", name, units[ci->time_unit],
                 ci->utc_adjusted ? ",UTC" : "");
    else
        snprintf(buf, cap, "%s", name);
    return buf;
}

static const char *rep_name(dv_pq_repetition r)
{
    return r == DV_PQ_REQUIRED ? "REQUIRED" : r == DV_PQ_OPTIONAL ? "OPTIONAL" : "REPEATED";
}

typedef struct pq_summary {
    uint64_t *nulls;   /* per column, counted by decoding */
    int *read_ok;      /* per column: 1 decoded, 0 not read, -1 failed */
    char problem[600]; /* first decode failure */
    uint64_t rg_min, rg_max;
    unsigned codecs;   /* bit per codec */
    int64_t csize, usize;
} pq_summary;

/* The decoding is decompression above all (2x10^7 LAION-like rows, zstd: 75% of the time in
 * libzstd), all of it needed for the null counts and to say whether every page decodes. So
 * column chunks are decoded side by side, one job a (column, row group), each worker with a
 * reader of its own (a reader is one thread's at a time), into slots by job; the sums and the
 * first problem are then taken in column order as one thread would, so what is printed does
 * not depend on the thread count. Memory: a decoded chunk a worker. */
#define PQ_CHECK_THREADS 4u

typedef struct pq_job {
    const char *path;
    dv_parquet_reader *rd[PQ_CHECK_THREADS]; /* per worker, opened on its first job */
    char open_err[PQ_CHECK_THREADS][600];   /* per worker: why its reader did not open */
    size_t nc;
    const int *todo;  /* per column: 1 to decode (not nested) */
    uint64_t *nulls;  /* per job (column c, row group g: g * nc + c) */
    uint8_t *failed;  /* per job: 1 the decoding failed, 2 no reader */
} pq_job;

static void pq_check_chunk(void *ctx, size_t job, unsigned worker)
{
    pq_job *j = ctx;
    dv_parquet_batch b;
    dv_parquet_reader **r = &j->rd[worker];
    size_t c = job % j->nc, g = job / j->nc;
    if (!j->todo[c]) return;
    if (*r == NULL && !j->open_err[worker][0] &&
        dv_parquet_reader_open(j->path, NULL, r, j->open_err[worker], sizeof(j->open_err[0])) !=
            DV_OK) {
        *r = NULL;
        if (!j->open_err[worker][0]) snprintf(j->open_err[worker], 600, "cannot open");
    }
    if (*r == NULL) {
        j->failed[job] = 2;
        return;
    }
    if (dv_parquet_reader_read_row_group(*r, g, &c, 1, &b) != DV_OK) j->failed[job] = 1;
    else j->nulls[job] = b.null_count;
}

/* Decode every readable column of every row group: nulls per column (up to its first row
 * group that fails) and the first problem (of the first column, in column order, that has
 * one). 0, or 2 out of memory. */
static int pq_check(dv_parquet_reader *r, const char *path, pq_summary *s)
{
    size_t nc = dv_parquet_reader_num_columns(r), ng = dv_parquet_reader_num_row_groups(r);
    pq_job j;
    int *todo = calloc(nc + 1, sizeof(*todo));
    uint64_t *nulls = NULL;
    uint8_t *failed = NULL;
    dv_pool *pool = dv_pool_create(0, NULL);
    int ret = 0;
    memset(&j, 0, sizeof(j));
    if (nc > 0 && ng > SIZE_MAX / sizeof(*nulls) / nc) ret = 2;
    if (ret == 0) {
        nulls = calloc(nc * ng + 1, sizeof(*nulls));
        failed = calloc(nc * ng + 1, 1);
    }
    if (pool && dv_pool_threads(pool) > PQ_CHECK_THREADS) {
        dv_pool_free(pool);
        pool = dv_pool_create(PQ_CHECK_THREADS, NULL);
    }
    if (todo == NULL || nulls == NULL || failed == NULL || pool == NULL) {
        ret = 2;
        goto out;
    }
    j.path = path;
    j.nc = nc;
    j.todo = todo;
    j.nulls = nulls;
    j.failed = failed;
    for (size_t c = 0; c < nc; c++) {
        dv_parquet_column_info ci;
        dv_parquet_reader_column(r, c, &ci);
        todo[c] = !ci.nested;
    }
    if (dv_pool_run(pool, nc * ng, pq_check_chunk, &j) != DV_OK) ret = 2;
    for (unsigned w = 0; w < PQ_CHECK_THREADS; w++) dv_parquet_reader_free(j.rd[w]);
    for (size_t c = 0; c < nc && ret == 0; c++) {
        if (!todo[c]) continue;
        s->read_ok[c] = 1;
        for (size_t g = 0; g < ng; g++) {
            size_t k = g * nc + c;
            if (!failed[k]) {
                s->nulls[c] += nulls[k];
                continue;
            }
            s->read_ok[c] = -1;
            if (!s->problem[0] && failed[k] == 2) {
                for (unsigned w = 0; w < PQ_CHECK_THREADS && !s->problem[0]; w++)
                    if (j.open_err[w][0])
                        snprintf(s->problem, sizeof(s->problem), "%s", j.open_err[w]);
            } else if (!s->problem[0]) {
                /* the message, as the worker's reader gave it: the same file, the same chunk */
                dv_parquet_batch b;
                if (dv_parquet_reader_read_row_group(r, g, &c, 1, &b) != DV_OK)
                    snprintf(s->problem, sizeof(s->problem), "%s", dv_parquet_reader_errmsg(r));
            }
            break;
        }
    }
    for (size_t g = 0; g < ng; g++) {
        uint64_t n = dv_parquet_reader_row_group_rows(r, g);
        if (g == 0 || n < s->rg_min) s->rg_min = n;
        if (n > s->rg_max) s->rg_max = n;
        for (size_t c = 0; c < nc; c++) {
            dv_parquet_chunk_info k;
            if (dv_parquet_reader_chunk(r, g, c, &k) != DV_OK) continue;
            if ((unsigned)k.codec < 8) s->codecs |= 1u << k.codec;
            s->csize += k.compressed_size;
            s->usize += k.uncompressed_size;
        }
    }
out:
    dv_pool_free(pool);
    free(todo);
    free(nulls);
    free(failed);
    return ret;
}

/* The exit status when a file could not be opened: 1 for what is wrong with the file (the
 * problem found: corrupt, unsupported, over a limit), 2 for a failure to look (cannot read it,
 * out of memory). */
static int open_status(int rc)
{
    return rc == DV_ECORRUPT || rc == DV_EFORMAT || rc == DV_ETOOBIG || rc == DV_ERANGE ? 1 : 2;
}

/* The footer's key_value_metadata: keys and value sizes only (ARROW:schema and the like run
 * to megabytes). */
static void put_kv(const dv_parquet_reader *r, int json)
{
    size_t n = dv_parquet_reader_num_kv(r);
    if (json) printf(",\"metadata\":[");
    else printf("\nmetadata: %zu key%s", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        dv_parquet_kv kv;
        dv_parquet_reader_kv(r, i, &kv);
        if (json) {
            printf("%s{\"key\":", i ? "," : "");
            cli_json_strn(stdout, kv.key, kv.key_len);
            if (kv.value) printf(",\"value_bytes\":%zu}", kv.value_len);
            else printf(",\"value_bytes\":null}");
        } else {
            printf("%s", i ? ", " : ": ");
            cli_put_safe(stdout, kv.key, kv.key_len);
            if (kv.value) printf(" (%zu bytes)", kv.value_len);
            else printf(" (no value)");
        }
    }
    if (json) printf("]");
}

static int inspect_parquet(const char *path, const opts *o)
{
    dv_parquet_reader *r;
    char err[600], ann[64];
    pq_summary s;
    size_t nc;
    int rc, first, roles_at[NROLES], list_img = -1;
    rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err));
    if (rc != DV_OK) {
        cli_err("datavet inspect: %s\n", err);
        return open_status(rc);
    }
    nc = dv_parquet_reader_num_columns(r);
    memset(&s, 0, sizeof(s));
    s.nulls = calloc(nc + 1, sizeof(*s.nulls));
    s.read_ok = calloc(nc + 1, sizeof(*s.read_ok));
    if (s.nulls == NULL || s.read_ok == NULL) {
        cli_err("datavet inspect: out of memory\n");
        free(s.nulls);
        free(s.read_ok);
        dv_parquet_reader_free(r);
        return 2;
    }
    if (pq_check(r, path, &s) != 0) {
        cli_err("datavet inspect: out of memory\n");
        free(s.nulls);
        free(s.read_ok);
        dv_parquet_reader_free(r);
        return 2;
    }
    for (size_t k = 0; k < NROLES; k++) roles_at[k] = -1;
    for (size_t c = 0; c < nc; c++) {
        dv_parquet_column_info ci;
        int ro;
        dv_parquet_reader_column(r, c, &ci);
        ro = role_of(&ci);
        if (ro >= 0 && (roles_at[ro] < 0 || (strcmp(roles[ro].role, "punsafe") == 0 &&
                                             strcasecmp(ci.name, "punsafe") == 0)))
            roles_at[ro] = (int)c;
        /* images in lists of lists: what scan cannot read */
        if (list_img < 0 && dv_image_column_kind(&ci, NULL) == DV_IMGCOL_DEEP) list_img = (int)c;
    }
    roles_at[ROLE_IMAGE] = (int)dv_image_column_pick(r, NULL, NULL);
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"parquet\",\"created_by\":");
        cli_json_str(stdout, dv_parquet_reader_created_by(r));
        put_kv(r, 1);
        printf(",\"rows\":%llu,\"row_groups\":%zu,\"row_group_rows_min\":%llu,"
               "\"row_group_rows_max\":%llu,\"compressed_bytes\":%lld,"
               "\"uncompressed_bytes\":%lld,\"codecs\":[",
               (unsigned long long)dv_parquet_reader_num_rows(r),
               dv_parquet_reader_num_row_groups(r), (unsigned long long)s.rg_min,
               (unsigned long long)s.rg_max, (long long)s.csize, (long long)s.usize);
        first = 1;
        for (int k = 0; k < 8; k++)
            if (s.codecs & (1u << k)) {
                printf("%s\"%s\"", first ? "" : ",", codec_name(k));
                first = 0;
            }
        printf("],\"columns\":[");
        for (size_t c = 0; c < nc; c++) {
            dv_parquet_column_info ci;
            int ro;
            dv_parquet_reader_column(r, c, &ci);
            ro = roles_at[ROLE_IMAGE] == (int)c ? (int)ROLE_IMAGE : role_of(&ci);
            printf("%s{\"index\":%zu,\"name\":", c ? "," : "", c);
            cli_json_str(stdout, ci.name);
            printf(",\"type\":\"%s\",\"type_length\":%d,\"repetition\":\"%s\",\"annotation\":",
                   dv_pq_type_name(ci.type), (int)ci.type_length, rep_name(ci.repetition));
            cli_json_str(stdout, annotation(&ci, ann, sizeof(ann)));
            printf(",\"struct_leaf\":%s,\"readable\":%s,\"role\":",
                   ci.in_group ? "true" : "false", s.read_ok[c] == 1 ? "true" : "false");
            if (ro >= 0 && roles_at[ro] == (int)c)
                cli_json_str(stdout, roles[ro].role);
            else
                printf("null");
            if (ci.nested)
                printf(",\"skipped\":\"repeated (a list or map): not read\"");
            else
                printf(",\"nulls\":%llu", (unsigned long long)s.nulls[c]);
            printf("}");
        }
        printf("],\"roles\":{");
        first = 1;
        for (size_t k = 0; k < NROLES; k++) {
            dv_parquet_column_info ci;
            if (roles_at[k] < 0) continue;
            dv_parquet_reader_column(r, (size_t)roles_at[k], &ci);
            printf("%s\"%s\":", first ? "" : ",", roles[k].role);
            cli_json_str(stdout, ci.name);
            first = 0;
        }
        printf("},\"problems\":[");
        if (s.problem[0]) cli_json_str(stdout, s.problem);
        if (roles_at[0] < 0 && roles_at[ROLE_IMAGE] < 0)
            printf("%s\"no URL or image column\"", s.problem[0] ? "," : "");
        if (list_img >= 0) {
            char t[700];
            dv_parquet_column_info ci;
            dv_parquet_reader_column(r, (size_t)list_img, &ci);
            snprintf(t, sizeof t,
                     "images in lists of lists (%s): datavet scan does not read them", ci.name);
            printf("%s", s.problem[0] || (roles_at[0] < 0 && roles_at[ROLE_IMAGE] < 0) ? "," : "");
            cli_json_str(stdout, t);
        }
        printf("]}\n");
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: parquet\ncreated_by: ");
        put_safe(stdout, dv_parquet_reader_created_by(r));
        put_kv(r, 0);
        printf("\nrows: %llu\nrow groups: %zu (%llu..%llu rows)\ncodecs:",
               (unsigned long long)dv_parquet_reader_num_rows(r),
               dv_parquet_reader_num_row_groups(r), (unsigned long long)s.rg_min,
               (unsigned long long)s.rg_max);
        for (int k = 0; k < 8; k++)
            if (s.codecs & (1u << k)) printf(" %s", codec_name(k));
        printf("\ncolumn data: %lld bytes compressed, %lld uncompressed\ncolumns: %zu\n",
               (long long)s.csize, (long long)s.usize, nc);
        for (size_t c = 0; c < nc; c++) {
            dv_parquet_column_info ci;
            int ro;
            dv_parquet_reader_column(r, c, &ci);
            ro = roles_at[ROLE_IMAGE] == (int)c ? (int)ROLE_IMAGE : role_of(&ci);
            printf("  %3zu  ", c);
            put_safe(stdout, ci.name);
            printf("  %s", dv_pq_type_name(ci.type));
            if (ci.type == DV_PQ_FIXED_LEN_BYTE_ARRAY) printf("(%d)", (int)ci.type_length);
            printf(" %s", rep_name(ci.repetition));
            if (annotation(&ci, ann, sizeof(ann))[0]) printf(" %s", ann);
            if (ci.in_group && !ci.nested) printf(" (struct leaf)");
            if (ro >= 0 && roles_at[ro] == (int)c) printf("  -> %s", roles[ro].role);
            if (ci.nested)
                printf("  in a list or map: no null count (--head shows it whole)");
            else if (s.read_ok[c] < 0)
                printf("  unreadable");
            else
                printf("  nulls %llu", (unsigned long long)s.nulls[c]);
            printf("\n");
        }
        printf("recognised:");
        first = 1;
        for (size_t k = 0; k < NROLES; k++) {
            dv_parquet_column_info ci;
            if (roles_at[k] < 0) continue;
            dv_parquet_reader_column(r, (size_t)roles_at[k], &ci);
            printf(" %s=", roles[k].role);
            put_safe(stdout, ci.name);
            first = 0;
        }
        printf("%s\nproblems:", first ? " none" : "");
        if (!s.problem[0] && (roles_at[0] >= 0 || roles_at[ROLE_IMAGE] >= 0) && list_img < 0)
            printf(" none");
        if (roles_at[0] < 0 && roles_at[ROLE_IMAGE] < 0) printf(" no URL or image column;");
        if (list_img >= 0) {
            dv_parquet_column_info ci;
            dv_parquet_reader_column(r, (size_t)list_img, &ci);
            printf(" images in lists of lists (");
            put_safe(stdout, ci.name);
            printf("): datavet scan does not read them;");
        }
        if (s.problem[0]) {
            printf(" ");
            put_safe(stdout, s.problem);
        }
        printf("\n");
    }
    rc = s.problem[0] ? 1 : 0;
    free(s.nulls);
    free(s.read_ok);
    dv_parquet_reader_free(r);
    return rc;
}

/* ---------------------------------------------------------------- --head */

static void tsv_field(sbuf *b, const char *s, size_t n, int is_null)
{
    /* DuckDB's CSV writer quotes the empty string, and fields holding the delimiter, a quote,
     * a line break or its comment character '#' */
    int quote = !is_null && n == 0;
    size_t run = 0;
    if (is_null) return;
    for (size_t i = 0; i < n && !quote; i++)
        if (s[i] == '\t' || s[i] == '"' || s[i] == '\n' || s[i] == '\r' || s[i] == '#') quote = 1;
    if (!quote) {
        sb_putn(b, s, n);
        return;
    }
    sb_puts(b, "\"");
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            sb_putn(b, s + run, i + 1 - run); /* the quote, then itself again */
            run = i;
        }
    sb_putn(b, s + run, n - run);
    sb_puts(b, "\"");
}

/* A nested value (list, map, a struct around them) is cut with "..." after this many elements,
 * or once its text passes HEAD_MAX_CELL_BYTES: a row with a huge list prints a bounded line. */
#define HEAD_MAX_ELEMS 1000
#define HEAD_MAX_CELL_BYTES ((size_t)1 << 20)

/* One column of --head: a flat leaf, or the node of a nested one (a list, a map, a repeated
 * field), shown whole as one value; structs around either are flattened into the name, a.b. */
typedef struct hcol {
    char *name;
    size_t node;
    int nested;
    size_t col0, ncols; /* its leaf columns */
    size_t lv0;         /* where they are in the --head's levels */
} hcol;

/* Assembles one row of a nested column from its leaves' levels, as JSON text into b. The levels
 * of each leaf were checked by the reader; this checks the leaves against each other (every
 * entry consumed where the schema says, of the repetition level it must have), so a file whose
 * map keys and values disagree is an error, not a wrong value or a read out of bounds. */
typedef struct nest {
    const dv_parquet_node *nodes;
    const size_t *next; /* the node after each one's subtree */
    const dv_parquet_column_info *ci;
    const dv_parquet_levels *lv; /* lv[k] for leaf column col0 + k */
    size_t col0;
    uint64_t *pos, *end;
    sbuf *b, tmp;
    size_t cell0;
    unsigned left; /* elements before the cut */
    int cut;
    char why[300];
} nest;

static int is_list_node(const dv_parquet_node *n)
{
    return n->converted_type == 3 || n->logical_type == 3;
}

static int is_map_node(const dv_parquet_node *n)
{
    return n->converted_type == 1 || n->converted_type == 2 || n->logical_type == 2;
}

static int nest_bad(nest *n, size_t col, const char *what)
{
    snprintf(n->why, sizeof n->why, "column %s: %s", n->ci[col].name, what);
    return -1;
}

/* The levels at the cursor of leaf column col, which must hold an entry of repetition level
 * rep (the entry a value of its row at this place starts with). */
static int nest_peek(nest *n, size_t col, int rep, int *def)
{
    const dv_parquet_levels *l = &n->lv[col - n->col0];
    uint64_t e = n->pos[col - n->col0];
    if (e >= n->end[col - n->col0])
        return nest_bad(n, col, "fewer level entries than its sibling columns say");
    if ((l->rep_levels ? l->rep_levels[e] : 0) != rep)
        return nest_bad(n, col, "repetition levels disagree with its sibling columns'");
    *def = l->def_levels ? l->def_levels[e] : 0;
    return 0;
}

static void put_sb(void *ctx, const char *s, size_t len) { sb_putn(ctx, s, len); }

static int nest_value(nest *n, size_t i, int rep);

/* Node i absent here (null, or a list or map with no element): one entry in each of its leaves,
 * of repetition level rep and definition level the node's minus one. */
static int nest_absent(nest *n, size_t i, int rep)
{
    const dv_parquet_node *nd = &n->nodes[i];
    for (size_t c = nd->first_column; c < nd->first_column + nd->num_columns; c++) {
        int d;
        if (nest_peek(n, c, rep, &d) != 0) return -1;
        if (d != nd->def_level - 1)
            return nest_bad(n, c, "definition levels disagree with its sibling columns'");
        n->pos[c - n->col0]++;
    }
    return 0;
}

/* A present leaf value at the cursor of column col. */
static int nest_leaf(nest *n, size_t col, int rep)
{
    const dv_parquet_levels *l = &n->lv[col - n->col0];
    dv_parquet_value v;
    int d, kind = K_STRING;
    if (nest_peek(n, col, rep, &d) != 0) return -1;
    if (d != l->max_def)
        return nest_bad(n, col, "definition levels disagree with its sibling columns'");
    dv_parquet_batch_value(&l->batch, n->pos[col - n->col0]++, &v);
    n->tmp.len = 0;
    fmt_value(&n->tmp, &n->ci[col], &v, 1, &kind);
    if (kind == K_STRING)
        cli_json_escape(put_sb, n->b, n->tmp.p ? n->tmp.p : "", n->tmp.len);
    else
        sb_putn(n->b, n->tmp.p ? n->tmp.p : "", n->tmp.len);
    return 0;
}

/* The element of list node g whose repeated child is r (parquet's LogicalTypes.md rules for
 * the two-level lists of old writers): r itself when it is a primitive, a group of several
 * fields, or a group of one named "array" or "<g>_tuple"; else r's one field. */
static size_t list_element(const nest *n, size_t g, size_t r)
{
    const dv_parquet_node *rn = &n->nodes[r];
    size_t gl = strlen(n->nodes[g].name);
    if (rn->num_children != 1) return r;
    if (strcmp(rn->name, "array") == 0) return r;
    if (strncmp(rn->name, n->nodes[g].name, gl) == 0 && strcmp(rn->name + gl, "_tuple") == 0)
        return r;
    return r + 1;
}

/* The definition level at the cursor of node i's first leaf (which decides for all of them). */
static int nest_first_def(nest *n, size_t i, int rep, int *def)
{
    return nest_peek(n, n->nodes[i].first_column, rep, def);
}

static int nest_body(nest *n, size_t i, int rep);

/* The instances of repeated node r: a list of elem (r itself, rendered as one element, or its
 * child), or with is_map the entries of a map, r's first field the key, its second the value. */
static int nest_repeated(nest *n, size_t r, size_t elem, int is_map, int rep)
{
    const dv_parquet_node *rn = &n->nodes[r];
    size_t lead = rn->first_column;
    int d;
    if (nest_first_def(n, r, rep, &d) != 0) return -1;
    if (d < rn->def_level) {
        if (nest_absent(n, r, rep) != 0) return -1;
        sb_puts(n->b, is_map ? "{}" : "[]");
        return 0;
    }
    sb_puts(n->b, is_map ? "{" : "[");
    for (int k = 0;; k++) {
        if (k) sb_puts(n->b, ",");
        if (n->left == 0 || n->b->len - n->cell0 > HEAD_MAX_CELL_BYTES) {
            sb_puts(n->b, "...");
            n->cut = 1;
            break;
        }
        n->left--;
        if (is_map) {
            size_t key = r + 1, from = n->b->len;
            if (nest_value(n, key, rep) != 0) return -1;
            if (n->cut || n->b->oom) break;
            /* a JSON object's key is a string: a number (or anything else) becomes its text,
             * quoted; a null key (which the format forbids) stays null */
            if (n->b->p[from] != '"' && strcmp(n->b->p + from, "null") != 0) {
                size_t len = n->b->len - from;
                n->tmp.len = 0;
                sb_putn(&n->tmp, n->b->p + from, len);
                n->b->len = from;
                cli_json_escape(put_sb, n->b, n->tmp.p ? n->tmp.p : "", len);
            }
            sb_puts(n->b, ":");
            if (nest_value(n, n->next[key], rep) != 0) return -1;
        } else if (elem == r) {
            if (nest_body(n, r, rep) != 0) return -1;
        } else {
            if (nest_value(n, elem, rep) != 0) return -1;
        }
        if (n->cut) break;
        rep = rn->rep_level;
        if (n->pos[lead - n->col0] >= n->end[lead - n->col0] ||
            (n->lv[lead - n->col0].rep_levels[n->pos[lead - n->col0]] != rep))
            break;
    }
    sb_puts(n->b, is_map ? "}" : "]");
    return 0;
}

/* Node i, present here, whatever its own repetition: a value, a list, a map or a struct. */
static int nest_body(nest *n, size_t i, int rep)
{
    const dv_parquet_node *nd = &n->nodes[i];
    size_t r = i + 1;
    if (nd->num_children == 0) return nest_leaf(n, nd->first_column, rep);
    if (nd->num_children == 1 && n->nodes[r].repetition == DV_PQ_REPEATED) {
        const dv_parquet_node *rn = &n->nodes[r];
        if (is_list_node(nd)) return nest_repeated(n, r, list_element(n, i, r), 0, rep);
        /* a map without values (the format allows it) is the list of its keys, as Arrow has it */
        if (is_map_node(nd) && rn->num_children == 2) return nest_repeated(n, r, 0, 1, rep);
        if (is_map_node(nd) && rn->num_children == 1) return nest_repeated(n, r, r + 1, 0, rep);
    }
    sb_puts(n->b, "{");
    for (size_t c = i + 1, k = 0; k < nd->num_children; k++, c = n->next[c]) {
        if (k) sb_puts(n->b, ",");
        cli_json_escape(put_sb, n->b, n->nodes[c].name, strlen(n->nodes[c].name));
        sb_puts(n->b, ":");
        if (nest_value(n, c, rep) != 0) return -1;
        if (n->cut) break;
    }
    sb_puts(n->b, "}");
    return 0;
}

/* Node i where a value of it goes: null when it is optional and absent, a list of its
 * instances when it is repeated, else its body. */
static int nest_value(nest *n, size_t i, int rep)
{
    const dv_parquet_node *nd = &n->nodes[i];
    int d;
    if (nd->repetition == DV_PQ_REPEATED) return nest_repeated(n, i, i, 0, rep);
    if (nd->repetition == DV_PQ_OPTIONAL) {
        if (nest_first_def(n, i, rep, &d) != 0) return -1;
        if (d < nd->def_level) {
            if (nest_absent(n, i, rep) != 0) return -1;
            sb_puts(n->b, "null");
            return 0;
        }
    }
    return nest_body(n, i, rep);
}

/* Row `row` of nested column h into n->b; -1 with n->why set when its levels disagree. */
static int nest_row(nest *n, const hcol *h, uint64_t row)
{
    int d, pd = n->nodes[n->nodes[h->node].parent].def_level;
    for (size_t k = 0; k < h->ncols; k++) {
        const dv_parquet_levels *l = &n->lv[k];
        n->pos[k] = l->row_start ? l->row_start[row] : row;
        n->end[k] = l->row_start ? l->row_start[row + 1] : row + 1;
    }
    n->cell0 = n->b->len;
    n->left = HEAD_MAX_ELEMS;
    n->cut = 0;
    /* a struct the column's name goes through is null: so is the column, as for flat leaves */
    if (nest_first_def(n, h->node, 0, &d) != 0) return -1;
    if (d < pd) {
        for (size_t k = 0; k < h->ncols; k++) {
            if (nest_peek(n, h->col0 + k, 0, &d) != 0) return -1;
            if (d >= pd)
                return nest_bad(n, h->col0 + k, "definition levels disagree with its sibling "
                                "columns'");
            n->pos[k]++;
        }
        sb_puts(n->b, "null");
    } else if (nest_value(n, h->node, 0) != 0) {
        return -1;
    }
    if (n->cut) return 0;
    for (size_t k = 0; k < h->ncols; k++)
        if (n->pos[k] != n->end[k])
            return nest_bad(n, h->col0 + k, "more level entries than its sibling columns say");
    return 0;
}

/* The --head columns under node i (path: its dotted name): flat leaves, and nested columns at
 * the first list, map or repeated node; plain structs are gone through. */
static int head_cols(const dv_parquet_node *nodes, const size_t *next, size_t i, const char *prefix,
                     hcol *out, size_t *n)
{
    const dv_parquet_node *nd = &nodes[i];
    size_t len = strlen(prefix) + strlen(nd->name) + 2;
    char *path = malloc(len);
    if (path == NULL) return -1;
    snprintf(path, len, "%s%s%s", prefix, prefix[0] ? "." : "", nd->name);
    if (nd->num_children == 0 || nd->repetition == DV_PQ_REPEATED || is_list_node(nd) ||
        is_map_node(nd)) {
        hcol *h = &out[(*n)++];
        h->name = path;
        h->node = i;
        h->nested = !(nd->num_children == 0 && nd->repetition != DV_PQ_REPEATED);
        h->col0 = nd->first_column;
        h->ncols = nd->num_columns;
        return 0;
    }
    for (size_t c = i + 1, k = 0; k < nd->num_children; k++, c = next[c])
        if (head_cols(nodes, next, c, path, out, n) != 0) {
            free(path);
            return -1;
        }
    free(path);
    return 0;
}

static int head_parquet(const char *path, const opts *o)
{
    dv_parquet_reader *r;
    char err[600];
    size_t nc, nn, nall = 0, nh = 0, nsel = 0, *sel = NULL, *lcols = NULL, *next = NULL;
    dv_parquet_column_info *ci = NULL;
    dv_parquet_node *nodes = NULL;
    dv_parquet_levels *lv = NULL;
    hcol *all = NULL;
    uint64_t *pos = NULL;
    unsigned long long done = 0, cut = 0;
    sbuf sb = {0}, row = {0};
    nest ns;
    int rc = dv_parquet_reader_open(path, NULL, &r, err, sizeof(err)), ret = 0;
    memset(&ns, 0, sizeof ns);
    if (rc != DV_OK) {
        cli_err("datavet inspect: %s\n", err);
        return open_status(rc);
    }
    nc = dv_parquet_reader_num_columns(r);
    nn = dv_parquet_reader_num_nodes(r);
    ci = calloc(nc + 1, sizeof(*ci));
    nodes = calloc(nn, sizeof(*nodes));
    next = calloc(nn, sizeof(*next));
    all = calloc(nc + 1, sizeof(*all));
    sel = calloc(nc + 64, sizeof(*sel));
    pos = calloc(2 * nc + 2, sizeof(*pos));
    if (ci == NULL || nodes == NULL || next == NULL || all == NULL || sel == NULL || pos == NULL)
        goto oom;
    for (size_t c = 0; c < nc; c++) dv_parquet_reader_column(r, c, &ci[c]);
    for (size_t i = 0; i < nn; i++) dv_parquet_reader_node(r, i, &nodes[i]);
    /* each node's subtree ends where its last child's does (children come after their parent) */
    for (size_t i = nn; i-- > 0;) {
        size_t c = i + 1;
        for (size_t k = 0; k < nodes[i].num_children && c < nn; k++) c = next[c];
        next[i] = c;
    }
    for (size_t c = 1, k = 0; k < nodes[0].num_children; k++, c = next[c])
        if (head_cols(nodes, next, c, "", all, &nall) != 0) goto oom;
    if (o->columns) {
        const char *p = o->columns;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p), h;
            char name[1024];
            int64_t k;
            if (n >= sizeof(name) || nsel >= nc + 64) {
                cli_err("datavet inspect: --columns: name too long or too many\n");
                ret = 2;
                goto done;
            }
            memcpy(name, p, n);
            name[n] = '\0';
            for (h = 0; h < nall && strcmp(all[h].name, name) != 0; h++) {}
            if (h == nall) {
                k = dv_parquet_reader_find_column(r, name);
                for (h = 0; k >= 0 && h < nall; h++)
                    if ((size_t)k >= all[h].col0 && (size_t)k < all[h].col0 + all[h].ncols) break;
                if (k >= 0 && h < nall)
                    cli_err("datavet inspect: %s: column %s is inside %s (a list or map): "
                            "name %s\n", path, name, all[h].name, all[h].name);
                else
                    cli_err("datavet inspect: %s: no column '%s'\n", path, name);
                ret = 2;
                goto done;
            }
            sel[nsel++] = h;
            p += n;
            if (*p == ',') p++;
        }
    } else {
        for (size_t h = 0; h < nall; h++) sel[nsel++] = h;
    }
    /* the leaves of every column asked for, once each time it is asked for */
    for (size_t s = 0; s < nsel; s++) nh += all[sel[s]].ncols;
    lcols = calloc(nh + 1, sizeof(*lcols));
    lv = calloc(nh + 1, sizeof(*lv));
    if (lcols == NULL || lv == NULL) goto oom;
    for (size_t s = 0, n = 0; s < nsel; s++) {
        hcol *h = &all[sel[s]];
        h->lv0 = n;
        for (size_t k = 0; k < h->ncols; k++) lcols[n++] = h->col0 + k;
    }
    if (o->tsv) {
        for (size_t s = 0; s < nsel; s++) {
            if (s) sb_puts(&row, "\t");
            tsv_field(&row, all[sel[s]].name, strlen(all[sel[s]].name), 0);
        }
        sb_puts(&row, "\n");
        if (row.oom) goto oom;
        fwrite(row.p, 1, row.len, stdout);
    }
    ns.nodes = nodes;
    ns.next = next;
    ns.ci = ci;
    ns.b = &sb;
    for (size_t g = 0; g < dv_parquet_reader_num_row_groups(r) && done < o->head; g++) {
        rc = dv_parquet_reader_read_levels(r, g, lcols, nh, lv);
        if (rc != DV_OK) {
            cli_err("datavet inspect: %s\n", dv_parquet_reader_errmsg(r));
            ret = 1;
            break;
        }
        for (uint64_t rw = 0; rw < dv_parquet_reader_row_group_rows(r, g) && done < o->head;
             rw++, done++) {
            /* a row goes out whole: a failure in it leaves no half line */
            row.len = 0;
            if (!o->tsv) sb_puts(&row, "{");
            for (size_t s = 0; s < nsel; s++) {
                const hcol *h = &all[sel[s]];
                int kind = K_STRING, is_null;
                sb.len = 0;
                if (h->nested) {
                    ns.lv = &lv[h->lv0];
                    ns.col0 = h->col0;
                    ns.pos = pos;
                    ns.end = pos + nc + 1;
                    if (nest_row(&ns, h, rw) != 0) {
                        if (sb.oom || ns.tmp.oom) goto oom;
                        fflush(stdout);
                        cli_err("datavet inspect: %s: row group %zu, row %llu: %s\n",
                                path, g, (unsigned long long)rw, ns.why);
                        ret = 1;
                        goto done;
                    }
                    cut += ns.cut;
                    kind = K_RAWJSON;
                    is_null = sb.len == 4 && memcmp(sb.p, "null", 4) == 0;
                } else {
                    dv_parquet_value v;
                    dv_parquet_batch_value(&lv[h->lv0].batch, rw, &v);
                    is_null = v.is_null;
                    if (!v.is_null) fmt_value(&sb, &ci[h->col0], &v, !o->tsv, &kind);
                }
                if (sb.oom || ns.tmp.oom) goto oom;
                if (o->tsv) {
                    if (s) sb_puts(&row, "\t");
                    tsv_field(&row, sb.p ? sb.p : "", sb.len, is_null);
                    continue;
                }
                if (s) sb_puts(&row, ",");
                cli_json_escape(put_sb, &row, h->name, strlen(h->name));
                sb_puts(&row, ":");
                if (is_null)
                    sb_puts(&row, "null");
                else if (kind == K_STRING)
                    cli_json_escape(put_sb, &row, sb.p ? sb.p : "", sb.len);
                else
                    sb_putn(&row, sb.p ? sb.p : "", sb.len);
            }
            sb_puts(&row, o->tsv ? "\n" : "}\n");
            if (row.oom) goto oom;
            fwrite(row.p, 1, row.len, stdout);
        }
    }
    if (cut) {
        fflush(stdout);
        cli_err("datavet inspect: %llu value%s cut after %d elements (or 1 MiB of text), "
                "shown by ...\n", cut, cut == 1 ? "" : "s", HEAD_MAX_ELEMS);
    }
    goto done;
oom:
    cli_err("datavet inspect: out of memory\n");
    ret = 2;
done:
    free(sb.p);
    free(row.p);
    free(ns.tmp.p);
    for (size_t h = 0; h < nall; h++) free(all[h].name);
    free(all);
    free(sel);
    free(lcols);
    free(lv);
    free(pos);
    free(ci);
    free(nodes);
    free(next);
    dv_parquet_reader_free(r);
    return ret;
}

/* ---------------------------------------------------------------- npy */

/* The number at the end of a file's base name ("img_emb_12.npy" -> 12), or -1; Spark's
 * part-00012-<uuid>-c000.snappy.parquet: its part number, as datavet scan takes it. */
static long long trailing_number(const char *name)
{
    const char *base = strrchr(name, '/'), *dot, *p;
    base = base ? base + 1 : name;
    if (strncmp(base, "part-", 5) == 0 && base[5] >= '0' && base[5] <= '9')
        return strtoll(base + 5, NULL, 10);
    dot = strchr(base, '.');
    p = dot ? dot : base + strlen(base);
    if (p == base || p[-1] < '0' || p[-1] > '9') return -1;
    while (p > base && p[-1] >= '0' && p[-1] <= '9') p--;
    return strtoll(p, NULL, 10);
}

/* A .parquet of the same number next to the .npy, one folder up (LAION's img_emb/ beside
 * metadata_N.parquet) or in metadata/ beside its folder (LAION-5B's img_emb/, metadata/). */
static int find_sibling_parquet(const char *npy, char *out, size_t cap)
{
    long long num = trailing_number(npy);
    char dir[4096];
    const char *slash = strrchr(npy, '/');
    if (num < 0) return 0;
    if (slash)
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - npy), npy);
    else
        snprintf(dir, sizeof(dir), ".");
    for (int up = 0; up < 3; up++) {
        DIR *d;
        struct dirent *de;
        char base[4200];
        if (up == 2)
            snprintf(base, sizeof(base), "%s/../metadata", dir);
        else if (up)
            snprintf(base, sizeof(base), "%s/..", dir);
        else
            snprintf(base, sizeof(base), "%s", dir);
        d = opendir(base);
        if (d == NULL) continue;
        while ((de = readdir(d)) != NULL) {
            size_t n = strlen(de->d_name);
            if (n > 8 && strcmp(de->d_name + n - 8, ".parquet") == 0 &&
                trailing_number(de->d_name) == num) {
                int w = snprintf(out, cap, "%s/%s", base, de->d_name);
                closedir(d);
                return w > 0 && (size_t)w < cap;
            }
        }
        closedir(d);
    }
    return 0;
}

static int pq_rows(const char *path, unsigned long long *rows)
{
    dv_parquet_reader *r;
    char err[600];
    if (dv_parquet_reader_open(path, NULL, &r, err, sizeof(err)) != DV_OK) return -1;
    *rows = dv_parquet_reader_num_rows(r);
    dv_parquet_reader_free(r);
    return 0;
}

static int inspect_npy(const char *path, const opts *o)
{
    dv_npy *n;
    dv_npy_info in;
    char err[600], pq[4200];
    long long prows = -1;
    unsigned long long mr;
    int rc = dv_npy_open(path, NULL, &n, err, sizeof(err));
    static const char *const dt[] = {"", "<f2", "<f4", "<f8"};
    if (rc != DV_OK) {
        cli_err("datavet inspect: %s\n", err);
        return open_status(rc);
    }
    dv_npy_get_info(n, &in);
    if (find_sibling_parquet(path, pq, sizeof(pq)) && pq_rows(pq, &mr) == 0) prows = (long long)mr;
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"npy\",\"version\":\"%d.%d\",\"dtype\":\"%s\",\"shape\":[%llu,%llu],"
               "\"data_offset\":%zu",
               in.major, in.minor, dt[in.dtype], (unsigned long long)in.rows,
               (unsigned long long)in.dims, in.data_offset);
        if (prows >= 0) {
            printf(",\"parquet\":");
            cli_json_str(stdout, pq);
            printf(",\"parquet_rows\":%lld,\"aligned\":%s", prows,
                   (unsigned long long)prows == in.rows ? "true" : "false");
        }
        printf("}\n");
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: npy %d.%d\ndtype: %s\nshape: (%llu, %llu)\ndata offset: %zu\n", in.major,
               in.minor, dt[in.dtype], (unsigned long long)in.rows, (unsigned long long)in.dims,
               in.data_offset);
        if (prows >= 0) {
            printf("parquet: ");
            put_safe(stdout, pq);
            printf(" (%lld rows): %s\n", prows,
                   (unsigned long long)prows == in.rows ? "aligned" : "NOT aligned");
        }
    }
    dv_npy_close(n);
    return prows >= 0 && (unsigned long long)prows != in.rows;
}

/* X.parquet beside X.npz (DataComp's shard pairs). */
static int same_stem_parquet(const char *npz, char *out, size_t cap)
{
    size_t l = strlen(npz);
    if (l < 4 || l - 4 + 9 > cap) return 0;
    memcpy(out, npz, l - 4);
    memcpy(out + l - 4, ".parquet", 9);
    return access(out, R_OK) == 0;
}

static int inspect_npz(const char *path, const opts *o)
{
    dv_npz_member *m;
    size_t n, pick = SIZE_MAX;
    char err[600], pq[4200];
    long long prows = -1;
    unsigned long long mr;
    int rc = dv_npz_list(path, NULL, &m, &n, err, sizeof(err)), ret = 0;
    static const char *const dt[] = {"", "<f2", "<f4", "<f8"};
    if (rc != DV_OK) {
        cli_err("datavet inspect: %s\n", err);
        return open_status(rc);
    }
    if (o->npz_key != NULL) {
        if (dv_npz_pick(m, n, o->npz_key, &pick, err, sizeof(err)) != DV_OK) {
            cli_err("datavet inspect: %s: %s\n", path, err);
            pick = SIZE_MAX;
            ret = 1;
        } else if (!m[pick].usable) {
            ret = 1;
        }
    }
    if (same_stem_parquet(path, pq, sizeof(pq)) && pq_rows(pq, &mr) == 0) prows = (long long)mr;
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"npz\",\"arrays\":[");
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"name\":", i ? "," : "");
            cli_json_str(stdout, m[i].name);
            printf(",\"method\":%d,\"offset\":%llu,\"compressed_bytes\":%llu,\"bytes\":%llu",
                   m[i].method, (unsigned long long)m[i].offset, (unsigned long long)m[i].csize,
                   (unsigned long long)m[i].usize);
            if (m[i].usable) {
                printf(",\"dtype\":\"%s\",\"shape\":[%llu,%llu]", dt[m[i].info.dtype],
                       (unsigned long long)m[i].info.rows, (unsigned long long)m[i].info.dims);
            } else {
                printf(",\"problem\":");
                cli_json_str(stdout, m[i].problem);
            }
            printf("}");
        }
        printf("]");
        if (pick != SIZE_MAX) {
            printf(",\"key\":");
            cli_json_str(stdout, m[pick].name);
        }
        if (prows >= 0) {
            printf(",\"parquet\":");
            cli_json_str(stdout, pq);
            printf(",\"parquet_rows\":%lld", prows);
            if (pick != SIZE_MAX)
                printf(",\"aligned\":%s", m[pick].usable &&
                       (unsigned long long)prows == m[pick].info.rows ? "true" : "false");
        }
        printf("}\n");
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: npz (ZIP of .npy arrays)\narrays: %zu\n", n);
        for (size_t i = 0; i < n; i++) {
            printf("  ");
            put_safe(stdout, m[i].name);
            if (m[i].usable)
                printf("  %s (%llu, %llu)", dt[m[i].info.dtype],
                       (unsigned long long)m[i].info.rows, (unsigned long long)m[i].info.dims);
            printf("  %s, %llu bytes at offset %llu", m[i].method == 0 ? "stored"
                                                      : m[i].method == 8 ? "deflate" : "other",
                   (unsigned long long)m[i].csize, (unsigned long long)m[i].offset);
            if (!m[i].usable) {
                printf("  (not read: ");
                put_safe(stdout, m[i].problem);
                printf(")");
            }
            if (prows >= 0 && m[i].usable)
                printf("  %s", (unsigned long long)prows == m[i].info.rows ? "rows aligned"
                                                                             : "rows NOT aligned");
            printf("\n");
        }
        if (prows >= 0) {
            printf("parquet: ");
            put_safe(stdout, pq);
            printf(" (%lld rows)\n", prows);
        }
    }
    if (pick != SIZE_MAX && prows >= 0 &&
        (!m[pick].usable || (unsigned long long)prows != m[pick].info.rows))
        ret = 1;
    dv_npz_list_free(NULL, m);
    return ret;
}

/* ---------------------------------------------------------------- tar */

static int inspect_tar(const char *path, const opts *o)
{
    dv_tar_reader *t = dv_tar_reader_create(NULL);
    dv_wds_sample s;
    char exts[MAX_EXTS][32];
    unsigned long long ext_n[MAX_EXTS], other_ext = 0, samples = 0, members = 0, bytes = 0;
    unsigned long long skipped[9] = {0};
    size_t next = 0;
    char problem[600] = "";
    int fd, rc;
    if (t == NULL) {
        cli_err("datavet inspect: out of memory\n");
        return 2;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_err("datavet inspect: %s: %s\n", path, strerror(errno));
        dv_tar_reader_free(t);
        return 2;
    }
    rc = dv_tar_reader_open_fd(t, fd, path);
    while (rc == DV_OK && (rc = dv_tar_reader_next_sample(t, &s)) == 1) {
        samples++;
        for (size_t i = 0; i < s.nparts; i++) {
            const dv_wds_part *p = &s.parts[i];
            size_t k;
            members++;
            bytes += p->member.size;
            if ((unsigned)p->member.skip < 9) skipped[p->member.skip]++;
            for (k = 0; k < next; k++)
                if (strcmp(exts[k], p->ext) == 0) break;
            if (k == next && next < MAX_EXTS && strlen(p->ext) < sizeof(exts[0])) {
                snprintf(exts[next], sizeof(exts[0]), "%s", p->ext);
                ext_n[next++] = 0;
            }
            if (k < next)
                ext_n[k]++;
            else
                other_ext++;
        }
        rc = DV_OK;
    }
    if (rc < 0) snprintf(problem, sizeof(problem), "%s", dv_tar_reader_errmsg(t));
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"tar\",\"members\":%llu,\"samples\":%llu,\"bytes\":%llu,"
               "\"extensions\":{",
               members, samples, bytes);
        for (size_t k = 0; k < next; k++) {
            if (k) putchar(',');
            cli_json_str(stdout, exts[k]);
            printf(":%llu", ext_n[k]);
        }
        printf("},\"other_extensions\":%llu,\"skipped\":{", other_ext);
        for (int k = 1, first = 1; k < 9; k++)
            if (skipped[k]) {
                printf("%s\"%s\":%llu", first ? "" : ",", dv_tar_skip_name((dv_tar_skip)k),
                       skipped[k]);
                first = 0;
            }
        printf("},\"problems\":[");
        if (problem[0]) cli_json_str(stdout, problem);
        printf("]}\n");
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: tar (webdataset)\nmembers: %llu\nsamples: %llu\ndata bytes: %llu\n"
               "extensions:",
               members, samples, bytes);
        for (size_t k = 0; k < next; k++) {
            printf(" ");
            put_safe(stdout, exts[k][0] ? exts[k] : "(none)");
            printf("=%llu", ext_n[k]);
        }
        if (other_ext) printf(" (others)=%llu", other_ext);
        printf("\nskipped members:");
        for (int k = 1; k < 9; k++)
            if (skipped[k]) printf(" %s=%llu", dv_tar_skip_name((dv_tar_skip)k), skipped[k]);
        printf("\nproblems: ");
        put_safe(stdout, problem[0] ? problem : "none");
        printf("\n");
    }
    close(fd);
    dv_tar_reader_free(t);
    return problem[0] ? 1 : 0;
}

/* ---------------------------------------------------------------- text lists */

static dv_textlist_format list_format(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL) return DV_TL_CSV;
    if (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0) return DV_TL_TSV;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".json") == 0 ||
        strcasecmp(dot, ".ndjson") == 0)
        return DV_TL_JSONL;
    if (strcasecmp(dot, ".txt") == 0) return DV_TL_TXT;
    return DV_TL_CSV;
}

static int is_list_name(const char *path)
{
    static const char *const ext[] = {".csv", ".tsv", ".tab", ".jsonl", ".json", ".ndjson", ".txt"};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(ext) / sizeof(ext[0]); i++)
        if (strcasecmp(dot, ext[i]) == 0) return 1;
    return 0;
}

/* The header's column names (CSV/TSV: the first line, quotes removed; JSONL: the first
 * object's top-level keys), into names separated by NUL, count returned. */
static size_t list_columns(const char *buf, size_t len, dv_textlist_format f, char *names,
                           size_t cap)
{
    size_t i = 0, o = 0, n = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) i = 3;
    if (f == DV_TL_CSV || f == DV_TL_TSV) {
        char d = f == DV_TL_TSV ? '\t' : ',';
        int q = 0, any = 0;
        for (; i < len && o + 1 < cap; i++) {
            char c = buf[i];
            if (q) {
                if (c == '"' && i + 1 < len && buf[i + 1] == '"') {
                    names[o++] = '"';
                    i++;
                } else if (c == '"') {
                    q = 0;
                } else {
                    names[o++] = c;
                }
                continue;
            }
            if (c == '"') {
                q = 1;
                any = 1;
            } else if (c == d || c == '\n' || c == '\r') {
                names[o++] = '\0';
                n++;
                any = 0;
                if (c != d) break;
            } else {
                names[o++] = c;
                any = 1;
            }
        }
        if (any && o < cap) {
            names[o++] = '\0';
            n++;
        }
        return n;
    }
    if (f == DV_TL_JSONL) {
        /* top-level keys of the first object: strings right after '{' or ',' at depth 1 */
        int depth = 0, want_key = 0;
        for (; i < len && buf[i] != '\n' && o + 1 < cap; i++) {
            char c = buf[i];
            if (c == '"') {
                size_t j = i + 1;
                while (j < len && buf[j] != '"' && buf[j] != '\n') j += buf[j] == '\\' ? 2 : 1;
                if (depth == 1 && want_key) {
                    size_t k = j - i - 1;
                    if (o + k + 1 >= cap) break;
                    memcpy(names + o, buf + i + 1, k);
                    o += k;
                    names[o++] = '\0';
                    n++;
                    want_key = 0;
                }
                i = j;
            } else if (c == '{' || c == '[') {
                depth++;
                want_key = depth == 1;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 1) {
                want_key = 1;
            }
        }
    }
    return n;
}

static int inspect_list(const char *path, const opts *o)
{
    static const char *const fnames[] = {"auto", "csv", "tsv", "jsonl", "txt"};
    dv_textlist_format f = list_format(path);
    char head[65536], names[8192];
    /* the md5, sha1, sha256 and id columns (roles 2-4 and id) */
    const char *url_col = NULL, *cap_col = NULL, *more_col[4] = {NULL, NULL, NULL, NULL};
    int more_role[4] = {2, 3, 4, -1};
    char field_name[2][32];
    int url_field = -1, cap_field = -1;
    size_t hl = 0, ncols;
    ssize_t got;
    dv_textlist_opts to;
    dv_textlist *t;
    dv_textlist_row row;
    unsigned long long rows = 0;
    char first_bad[600] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0) {
        cli_err("datavet inspect: %s: %s\n", path, strerror(errno));
        return 2;
    }
    while (hl < sizeof(head) && (got = read(fd, head + hl, sizeof(head) - hl)) > 0)
        hl += (size_t)got;
    ncols = f == DV_TL_TXT ? 0 : list_columns(head, hl, f, names, sizeof(names));
    for (size_t r = 0; r < NROLES; r++)
        if (strcmp(roles[r].role, "id") == 0) more_role[3] = (int)r;
    {
        /* as the list reader takes them: url before image_url, caption before text, the
         * exact spelling before another case, then the first column; so md5, sha1 and sha256,
         * which datavet scan checks against the lists of their kind, and the id (key before
         * uid, sample_id and id), which gives a row's id */
        const char *p = names;
        int best[6] = {-1, -1, -1, -1, -1, -1};
        for (size_t k = 0; k < ncols; k++, p += strlen(p) + 1) {
            int ro = role_of_name(p), slot = ro;
            if (ro >= 0 && ro == more_role[3]) slot = 5;
            else if (ro >= 5) slot = -1;
            for (int n = 0; slot >= 0 && roles[ro].names[n]; n++) {
                int rk = 2 * n + (strcmp(p, roles[ro].names[n]) != 0);
                if (strcasecmp(p, roles[ro].names[n]) != 0 ||
                    (best[slot] >= 0 && rk >= best[slot]))
                    continue;
                best[slot] = rk;
                if (slot == 0) url_col = p;
                else if (slot == 1) cap_col = p;
                else more_col[slot - 2] = p;
            }
        }
    }
    memset(&to, 0, sizeof(to));
    to.format = f;
    /* the columns as datavet scan takes them (url or image_url, caption or text, any case;
     * a CSV/TSV without a header): the reader's defaults */
    to.url_col = NULL;
    to.caption_col = NULL;
    t = dv_textlist_create(&to);
    if (t == NULL || lseek(fd, 0, SEEK_SET) != 0) {
        cli_err("datavet inspect: %s: cannot read\n", path);
        dv_textlist_free(t);
        close(fd);
        return 2;
    }
    rc = dv_textlist_open_fd(t, fd, path);
    if (rc != DV_OK) snprintf(first_bad, sizeof(first_bad), "%s", dv_textlist_errmsg(t));
    if (rc == DV_OK && dv_textlist_headerless(t, &url_field, &cap_field)) {
        /* no header: the first line is data; name the fields by number */
        snprintf(field_name[0], sizeof field_name[0], "(field %d)", url_field + 1);
        snprintf(field_name[1], sizeof field_name[1], "(field %d)", cap_field + 1);
        url_col = field_name[0];
        cap_col = cap_field >= 0 ? field_name[1] : NULL;
        for (int h = 0; h < 4; h++) more_col[h] = NULL; /* no names, so no hash or id column */
        ncols = 0;
    }
    while (rc == DV_OK) {
        int k = dv_textlist_next(t, &row);
        if (k == 1) {
            rows++;
            continue;
        }
        if (k == 0) break;
        if (!first_bad[0]) snprintf(first_bad, sizeof(first_bad), "%s", dv_textlist_errmsg(t));
        if (k != DV_ECORRUPT && k != DV_ETOOBIG) break;
    }
    if (o->json) {
        const char *p = names;
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"url-list\",\"format\":\"%s\",\"columns\":[", fnames[f]);
        for (size_t k = 0; k < ncols; k++, p += strlen(p) + 1) {
            if (k) putchar(',');
            cli_json_str(stdout, p);
        }
        printf("],\"header\":%s,\"roles\":{",
               f == DV_TL_TXT || url_field >= 0 ? "false" : "true");
        const char *sep = ""; /* (a list without a url column has other roles still) */
        if (url_col || f == DV_TL_TXT) {
            printf("\"url\":");
            cli_json_str(stdout, url_col ? url_col : "");
            sep = ",";
        }
        if (cap_col) {
            printf("%s\"caption\":", sep);
            cli_json_str(stdout, cap_col);
            sep = ",";
        }
        for (int h = 0; h < 4; h++) {
            if (!more_col[h]) continue;
            printf("%s\"%s\":", sep, roles[more_role[h]].role);
            cli_json_str(stdout, more_col[h]);
            sep = ",";
        }
        printf("},\"rows\":%llu,\"bad_rows\":%llu,\"problems\":[", rows,
               (unsigned long long)dv_textlist_bad_rows(t));
        if (first_bad[0]) cli_json_str(stdout, first_bad);
        printf("]}\n");
    } else {
        const char *p = names;
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: url list (%s)\ncolumns:", fnames[f]);
        if (url_field >= 0) printf(" (no header row: the first line is data)");
        for (size_t k = 0; k < ncols; k++, p += strlen(p) + 1) {
            printf(" ");
            put_safe(stdout, p);
        }
        printf("\nrecognised:");
        if (url_col) {
            printf(" url=");
            put_safe(stdout, url_col);
        }
        if (cap_col) {
            printf(" caption=");
            put_safe(stdout, cap_col);
        }
        for (int h = 0; h < 4; h++) {
            if (!more_col[h]) continue;
            printf(" %s=", roles[more_role[h]].role);
            put_safe(stdout, more_col[h]);
        }
        if (f == DV_TL_TXT) printf(" url=(each line)");
        printf("\nrows: %llu\nbad rows: %llu\nproblems: ", rows,
               (unsigned long long)dv_textlist_bad_rows(t));
        put_safe(stdout, first_bad[0] ? first_bad : "none");
        printf("\n");
    }
    rc = first_bad[0] ? 1 : 0;
    dv_textlist_free(t);
    close(fd);
    return rc;
}

/* ---------------------------------------------------------------- images */

static int inspect_image(const char *path, const opts *o)
{
    void *buf = NULL;
    size_t len = 0;
    char err[600];
    dv_image img;
    dv_decoder *dec;
    int rc = dv_read_file(path, MAX_IMAGE_BYTES, NULL, &buf, &len, err, sizeof(err));
    if (rc != DV_OK) {
        cli_err("datavet inspect: %s\n", err);
        return open_status(rc);
    }
    dec = dv_decoder_create(NULL);
    rc = dec ? dv_decoder_decode(dec, buf, len, &img) : DV_ENOMEM;
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"image\",\"format\":\"%s\",\"bytes\":%zu",
               dv_image_format_name(dv_image_sniff(buf, len)), len);
        if (rc == DV_OK)
            printf(",\"width\":%u,\"height\":%u,\"problems\":[]}\n", img.src_width,
                   img.src_height);
        else {
            printf(",\"problems\":[");
            cli_json_str(stdout, dec ? dv_decoder_errmsg(dec) : "out of memory");
            printf("]}\n");
        }
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: image (%s)\nbytes: %zu\n", dv_image_format_name(dv_image_sniff(buf, len)),
               len);
        if (rc == DV_OK)
            printf("size: %ux%u\nproblems: none\n", img.src_width, img.src_height);
        else {
            printf("problems: ");
            put_safe(stdout, dec ? dv_decoder_errmsg(dec) : "out of memory");
            printf("\n");
        }
    }
    dv_decoder_free(dec);
    dv_free_buffer(NULL, buf);
    return rc == DV_OK ? 0 : 1;
}

/* ---------------------------------------------------------------- directories */

static int npy_rows(const char *path, const char *key, unsigned long long *rows)
{
    dv_npy *n;
    dv_npy_info in;
    char err[600];
    if (dv_npz_is_zip(path)) {
        /* the headers only: a deflated array is not inflated to count its rows */
        dv_npz_member *m;
        size_t cnt, i;
        int ok = dv_npz_list(path, NULL, &m, &cnt, err, sizeof(err)) == DV_OK;
        if (ok) {
            ok = dv_npz_pick(m, cnt, key, &i, err, sizeof(err)) == DV_OK && m[i].usable;
            if (ok) *rows = m[i].info.rows;
            dv_npz_list_free(NULL, m);
        }
        return ok ? 0 : -1;
    }
    if (dv_npy_open(path, NULL, &n, err, sizeof(err)) != DV_OK) return -1;
    dv_npy_get_info(n, &in);
    *rows = in.rows;
    dv_npy_close(n);
    return 0;
}

static int inspect_dir(const char *path, const opts *o)
{
    dv_dataset *ds;
    char err[1024];
    uint64_t n, emb = 0, misaligned = 0, empty_tars = 0;
    /* 0-byte tar shards: the scan reads them as truncated */
    char empty1[512] = "", extra[2560] = "";
    const char *probs;
    dv_dataset_opts dso = {0};
    int rc;
    dso.npz_key = o->npz_key;
    rc = dv_dataset_open(path, &dso, &ds, err, sizeof(err));
    if (rc != DV_OK) {
        if (o->json) {
            printf("{\"path\":");
            cli_json_str(stdout, path);
            printf(",\"kind\":\"directory\",\"layout\":\"unknown\",\"problems\":[");
            cli_json_str(stdout, err);
            printf("]}\n");
        } else {
            printf("path: ");
            put_safe(stdout, path);
            printf("\nformat: directory (no dataset layout recognised)\nproblems: ");
            put_safe(stdout, err);
            printf("\n");
        }
        return open_status(rc);
    }
    n = dv_dataset_num_shards(ds);
    probs = dv_dataset_problems(ds);
    if (o->json) {
        printf("{\"path\":");
        cli_json_str(stdout, path);
        printf(",\"kind\":\"directory\",\"layout\":\"%s\",\"shards\":%llu,\"shard_list\":[",
               dv_layout_name(dv_dataset_layout(ds)), (unsigned long long)n);
    } else {
        printf("path: ");
        put_safe(stdout, path);
        printf("\nformat: directory\nlayout: %s\nshards: %llu\n",
               dv_layout_name(dv_dataset_layout(ds)), (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++) {
        dv_shard_info si;
        unsigned long long er = 0, mr = 0;
        int have_e = 0, have_m = 0;
        const char *meta, *ep;
        if (dv_dataset_shard(ds, i, &si) != DV_OK) continue;
        {
            struct stat ts;
            size_t pl = strlen(si.path);
            if (pl > 4 && strcasecmp(si.path + pl - 4, ".tar") == 0 && stat(si.path, &ts) == 0 &&
                S_ISREG(ts.st_mode) && ts.st_size == 0 && empty_tars++ == 0)
                snprintf(empty1, sizeof empty1, "%s", si.path);
        }
        meta = si.meta_path ? si.meta_path
               : (dv_dataset_layout(ds) == DV_LAYOUT_PARQUET ? si.path : NULL);
        /* a file the dataset refused (rows not aligned, unreadable) is listed and counted too */
        ep = si.emb_path ? si.emb_path : si.emb_unused;
        if (ep) {
            emb++;
            have_e = npy_rows(ep, si.emb_key ? si.emb_key : o->npz_key, &er) == 0;
            have_m = meta && pq_rows(meta, &mr) == 0;
            if (si.emb_unused || !have_e || !have_m || er != mr) misaligned++;
        }
        if (i >= MAX_LISTED_SHARDS) continue;
        if (o->json) {
            printf("%s{\"index\":%llu,\"name\":", i ? "," : "", (unsigned long long)si.index);
            cli_json_str(stdout, si.name);
            printf(",\"path\":");
            cli_json_str(stdout, si.path);
            if (si.meta_path) {
                printf(",\"meta\":");
                cli_json_str(stdout, si.meta_path);
            }
            if (ep) {
                printf(",\"embeddings\":");
                cli_json_str(stdout, ep);
                if (si.emb_key) {
                    printf(",\"embedding_key\":");
                    cli_json_str(stdout, si.emb_key);
                }
                if (have_e) printf(",\"embedding_rows\":%llu", er);
                if (have_m) printf(",\"metadata_rows\":%llu", mr);
                printf(",\"aligned\":%s",
                       !si.emb_unused && have_e && have_m && er == mr ? "true" : "false");
            }
            if (si.text_emb_path) {
                printf(",\"text_embeddings\":");
                cli_json_str(stdout, si.text_emb_path);
            }
            printf("}");
        } else {
            printf("  %4llu  ", (unsigned long long)si.index);
            put_safe(stdout, si.path);
            if (si.meta_path) {
                printf("  meta ");
                put_safe(stdout, si.meta_path);
            }
            if (ep) {
                printf("  emb ");
                put_safe(stdout, ep);
                if (si.emb_key) {
                    printf(" array ");
                    put_safe(stdout, si.emb_key);
                }
                if (have_e && have_m)
                    printf(" (%llu rows, metadata %llu: %s)", er, mr,
                           !si.emb_unused && er == mr ? "aligned" : "NOT aligned");
                else
                    printf(" (unreadable)");
            }
            if (si.text_emb_path) {
                printf("  text ");
                put_safe(stdout, si.text_emb_path);
            }
            printf("\n");
        }
    }
    if (empty_tars > 0) {
        /* escaped as the dataset's problems are (they are lines of the same list) */
        FILE *m = fmemopen(extra, sizeof extra - 1, "w");
        if (m) {
            cli_fmt(m, "%llu empty (0-byte) tar %s, e.g. %s: the scan reads %s as a "
                    "truncated archive (a read error: the scan is incomplete)",
                    (unsigned long long)empty_tars, cli_plural(empty_tars, "shard", "shards"),
                    empty1, cli_plural(empty_tars, "it", "each"));
            fclose(m);
        }
    }
    if (o->json) {
        printf("],\"embedding_files\":%llu,\"embeddings_misaligned\":%llu,\"problems\":[",
               (unsigned long long)emb, (unsigned long long)misaligned);
        if (extra[0]) cli_json_str(stdout, extra);
        for (const char *p = probs; *p;) {
            const char *e = strchr(p, '\n');
            size_t k = e ? (size_t)(e - p) : strlen(p);
            if (p != probs || extra[0]) putchar(',');
            cli_json_strn(stdout, p, k);
            p += k;
            if (*p == '\n') p++;
        }
        printf("]}\n");
    } else {
        if (n > MAX_LISTED_SHARDS)
            printf("  ... %llu more\n", (unsigned long long)(n - MAX_LISTED_SHARDS));
        printf("embedding files: %llu (%llu not aligned)\nproblems:%s", (unsigned long long)emb,
               (unsigned long long)misaligned, probs[0] || extra[0] ? "\n" : " none\n");
        if (extra[0]) {
            printf("  ");
            cli_put_escaped(stdout, extra, strlen(extra));
            printf("\n");
        }
        for (const char *p = probs; *p;) {
            const char *e = strchr(p, '\n');
            size_t k = e ? (size_t)(e - p) : strlen(p);
            /* the library wrote the line escaped (dv_dataset_problems): not again */
            printf("  ");
            cli_put_escaped(stdout, p, k);
            printf("\n");
            p += k;
            if (*p == '\n') p++;
        }
    }
    rc = misaligned || probs[0] || extra[0] ? 1 : 0;
    dv_dataset_free(ds);
    return rc;
}

/* ---------------------------------------------------------------- dispatch */

enum { KIND_UNKNOWN, KIND_PARQUET, KIND_NPY, KIND_TAR, KIND_IMAGE, KIND_LIST, KIND_NPZ };

static int sniff(const char *path)
{
    uint8_t b[512];
    size_t n = 0;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    while (n < sizeof(b) && (got = read(fd, b + n, sizeof(b) - n)) > 0) n += (size_t)got;
    close(fd);
    if (n >= 4 && memcmp(b, "PAR1", 4) == 0) return KIND_PARQUET;
    if (n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0) return KIND_NPY;
    if (n >= 4 && (memcmp(b, "PK\3\4", 4) == 0 || memcmp(b, "PK\5\6", 4) == 0)) return KIND_NPZ;
    if (dv_image_sniff(b, n) != DV_FMT_UNKNOWN) return KIND_IMAGE;
    if (n == 512 && memcmp(b + 257, "ustar", 5) == 0) return KIND_TAR;
    if (is_list_name(path)) return KIND_LIST;
    {
        const char *dot = strrchr(path, '.');
        if (dot && strcmp(dot, ".tar") == 0) return KIND_TAR;
    }
    return KIND_UNKNOWN;
}

static int inspect_main(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'J'},
                                       {"head", required_argument, NULL, 'n'},
                                       {"columns", required_argument, NULL, 'c'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"npz-key", required_argument, NULL, 'Z'},
                                       {NULL, 0, NULL, 0}};
    opts o;
    struct stat st;
    int c, kind;
    const char *path, *format = NULL;
    memset(&o, 0, sizeof(o));
    optind = 1;
    cli_getopt_name(argv, "datavet inspect");
    while ((c = getopt_long(argc, argv, "n:c:f:h", lo, NULL)) != -1) {
        switch (c) {
        case 'J': o.json = 1; break;
        case 'n':
            if (cli_opt_uint("inspect", "--head", optarg, CLI_SFX_1000, 0, ULLONG_MAX,
                             &o.head) != 0)
                return 2;
            o.has_head = 1;
            break;
        case 'c': o.columns = optarg; break;
        case 'Z': o.npz_key = optarg; break;
        case 'f':
            if (strcmp(optarg, "tsv") != 0 && strcmp(optarg, "jsonl") != 0) {
                cli_err("datavet inspect: --format: jsonl or tsv, not %s\n", optarg);
                return 2;
            }
            o.tsv = strcmp(optarg, "tsv") == 0;
            format = optarg;
            break;
        case 'h': cli_print_help(stdout, "inspect"); return 0;
        default: return cli_usage("inspect", NULL);
        }
    }
    if (optind != argc - 1)
        return cli_usage("inspect", optind >= argc ? "no PATH given" : "give one PATH");
    /* an option that does not apply is refused, not passed over: --head prints JSON lines,
     * which is what --json asks of it, but not with --format tsv */
    if (o.has_head && o.json && o.tsv) {
        cli_err("datavet inspect: --json and --format tsv: --head prints JSON lines "
                "(--format jsonl, its default) or TSV, not both\n");
        return 2;
    }
    if (!o.has_head && (format || o.columns)) {
        cli_err("datavet inspect: %s applies to --head only\n",
                format ? "--format" : "--columns");
        return 2;
    }
    if (o.has_head && o.npz_key) {
        cli_err("datavet inspect: --npz-key does not apply to --head (a Parquet file)\n");
        return 2;
    }
    path = argv[optind];
    if (stat(path, &st) != 0) {
        cli_err("datavet inspect: %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (S_ISDIR(st.st_mode)) {
        if (o.has_head) {
            cli_err("datavet inspect: --head takes a Parquet file, not a directory\n");
            return 2;
        }
        return inspect_dir(path, &o);
    }
    kind = sniff(path);
    if (o.has_head) {
        if (kind != KIND_PARQUET) {
            cli_err("datavet inspect: --head takes a Parquet file\n");
            return 2;
        }
        return head_parquet(path, &o);
    }
    switch (kind) {
    case KIND_PARQUET: return inspect_parquet(path, &o);
    case KIND_NPY: return inspect_npy(path, &o);
    case KIND_NPZ: return inspect_npz(path, &o);
    case KIND_TAR: return inspect_tar(path, &o);
    case KIND_IMAGE: return inspect_image(path, &o);
    case KIND_LIST: return inspect_list(path, &o);
    default:
        cli_err("datavet inspect: %s: not a Parquet, .npy, .npz, tar, image or URL-list file\n",
                path);
        return 2;
    }
}

int cmd_inspect(int argc, char **argv)
{
    int rc = inspect_main(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_err("datavet inspect: write failed: %s\n", strerror(errno));
        return 2;
    }
    return rc;
}
