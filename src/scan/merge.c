/* merge.c - the scan's final outputs from its per-shard record files: matches.jsonl,
 * matches.parquet, errors.jsonl, removal.txt, summary.json and report.html. Deterministic:
 * the same shard results give the same bytes, however the shards were scanned. */
#include "scan_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* findings of each tier (match, candidate) the HTML page shows; the page says how many more */
#define REPORT_FINDINGS_MAX 1000u
#define REPORT_KEEP_MAX (2 * REPORT_FINDINGS_MAX)
/* rows per row group of matches.parquet */
#define MATCHES_RG_ROWS 65536u

typedef struct merge {
    const dv_alloc *a;
    const char *outdir;
    dv__params params; /* scan.params */
    dv__ctrs ctr;
    dv__finding *keep;    /* the first findings of each tier, for the HTML page */
    char **keep_strs;     /* their fields' storage */
    size_t nkeep, nkeep_match;
    dv__report_input *inputs;
    size_t ninputs, capinputs;
    uint64_t matches, candidates;
    char *problems; /* dataset_problems.txt, NULL if absent */
    int oom;
    int keep_candidates;
    int cleaned;
    uint64_t *seen;
    size_t nseen, capseen;
    uint64_t nb_seeds;
    uint64_t nb_bad_seeds; /* seeds whose embedding row is NaN, infinite or zero */
    char commitment[65];
    uint64_t clean_removed, clean_decoys, clean_files, clean_bytes, clean_left;
    int unsigned_now; /* an earlier signature was removed */
    dv__dbuf text;    /* a finding's text fields as the outputs write them */
} merge;

static char *mdup(merge *m, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = dv__malloc(m->a, n);
    if (!p) {
        m->oom = 1;
        return NULL;
    }
    memcpy(p, s, n);
    return p;
}

static const char *param_get(const merge *m, const char *k)
{
    return dv__params_get(&m->params, k);
}

static void ctr_add(merge *m, const char *key, uint64_t v)
{
    if (dv__ctrs_add(m->a, &m->ctr, key, v) != DV_OK) m->oom = 1;
}

static uint64_t ctr_get(const merge *m, const char *key) { return dv__ctrs_get(&m->ctr, key); }

/* ---------------------------------------------------------------- JSON text */


/* JSON strings as every output writes them (dv__json_strn): URLs by DV_TEXT_URL, all other
 * text by DV_TEXT_PLAIN, so the output is valid JSON whatever bytes the dataset held. */
void dv__jstr(FILE *f, const char *s)
{
    dv__json_strn(f, DV_TEXT_PLAIN, s ? s : "", s ? strlen(s) : 0);
}

void dv__jstr_url(FILE *f, const char *s)
{
    dv__json_strn(f, DV_TEXT_URL, s ? s : "", s ? strlen(s) : 0);
}

/* ---------------------------------------------------------------- parquet output */

enum { PQ_ID, PQ_SHARD, PQ_SHARD_INDEX, PQ_ROW, PQ_URL, PQ_HASH_TYPE, PQ_SOURCE, PQ_VALUE,
       PQ_LIST, PQ_LIST_VERSION, PQ_LIST_DIGEST, PQ_ENTRY_ID, PQ_LABEL, PQ_DISTANCE,
       PQ_DIHEDRAL, PQ_SCORE, PQ_TIER, PQ_SEED, PQ_EMB_FILE, PQ_EMB_ROW, PQ_ITEM_MD5,
       PQ_ITEM_SHA1, PQ_ITEM_SHA256, PQ_ITEM_PDQ, PQ_ITEM_PDQ_QUALITY, PQ_NFIELDS };

static const struct {
    const char *name;
    dv_pq_type type;
    int optional;
} pq_schema[PQ_NFIELDS] = {
    {"id", DV_PQ_BYTE_ARRAY, 0},          {"shard", DV_PQ_BYTE_ARRAY, 0},
    {"shard_index", DV_PQ_INT64, 0},      {"row", DV_PQ_INT64, 0},
    {"url", DV_PQ_BYTE_ARRAY, 1},         {"hash_type", DV_PQ_BYTE_ARRAY, 0},
    {"source", DV_PQ_BYTE_ARRAY, 0},      {"value", DV_PQ_BYTE_ARRAY, 1},
    {"list", DV_PQ_BYTE_ARRAY, 1},        {"list_version", DV_PQ_BYTE_ARRAY, 1},
    {"list_digest", DV_PQ_BYTE_ARRAY, 1}, {"entry_id", DV_PQ_BYTE_ARRAY, 1},
    {"label", DV_PQ_BYTE_ARRAY, 1},       {"distance", DV_PQ_INT32, 1},
    {"dihedral", DV_PQ_BYTE_ARRAY, 1},    {"score", DV_PQ_DOUBLE, 1},
    {"tier", DV_PQ_BYTE_ARRAY, 0},        {"seed", DV_PQ_BYTE_ARRAY, 1},
    {"emb_file", DV_PQ_BYTE_ARRAY, 1},    {"emb_row", DV_PQ_INT64, 1},
    {"item_md5", DV_PQ_BYTE_ARRAY, 1},    {"item_sha1", DV_PQ_BYTE_ARRAY, 1},
    {"item_sha256", DV_PQ_BYTE_ARRAY, 1}, {"item_pdq", DV_PQ_BYTE_ARRAY, 1},
    {"item_pdq_quality", DV_PQ_INT32, 1},
};

static void sval(dv_parquet_value *v, const char *s, int optional)
{
    memset(v, 0, sizeof *v);
    if (optional && (!s || !*s)) {
        v->is_null = 1;
        return;
    }
    v->bytes = (const uint8_t *)(s ? s : "");
    v->len = strlen(s ? s : "");
}

static int write_pq_row(dv_parquet_writer *w, char **fl)
{
    dv_parquet_value v[PQ_NFIELDS];
    for (int i = 0; i < PQ_NFIELDS; i++) {
        const char *s = fl[i];
        switch (pq_schema[i].type) {
        case DV_PQ_INT64:
            memset(&v[i], 0, sizeof v[i]);
            if (pq_schema[i].optional && (!*s || strcmp(s, "-1") == 0)) v[i].is_null = 1;
            else v[i].i64 = strtoll(s, NULL, 10);
            break;
        case DV_PQ_INT32:
            memset(&v[i], 0, sizeof v[i]);
            if (!*s || strcmp(s, "-1") == 0) v[i].is_null = 1;
            else v[i].i32 = (int32_t)strtol(s, NULL, 10);
            break;
        case DV_PQ_DOUBLE:
            memset(&v[i], 0, sizeof v[i]);
            if (!*s) v[i].is_null = 1;
            else v[i].f64 = strtod(s, NULL);
            break;
        default: sval(&v[i], s, pq_schema[i].optional); break;
        }
    }
    return dv_parquet_writer_write_row(w, v);
}

static void write_jsonl_finding(FILE *f, char **fl)
{
    fputs("{\"id\":", f);
    dv__jstr(f, fl[PQ_ID]);
    fputs(",\"shard\":", f);
    dv__jstr(f, fl[PQ_SHARD]);
    fprintf(f, ",\"shard_index\":%s,\"row\":%s", fl[PQ_SHARD_INDEX], fl[PQ_ROW]);
    for (int i = PQ_URL; i < PQ_NFIELDS; i++) {
        if (i == PQ_SHARD_INDEX || i == PQ_ROW) continue;
        if (pq_schema[i].optional && (!*fl[i] || ((pq_schema[i].type == DV_PQ_INT64 ||
                                                   pq_schema[i].type == DV_PQ_INT32) &&
                                                  strcmp(fl[i], "-1") == 0)))
            continue;
        fprintf(f, ",\"%s\":", pq_schema[i].name);
        if (i == PQ_URL) dv__jstr_url(f, fl[i]);
        else if (pq_schema[i].type == DV_PQ_BYTE_ARRAY) dv__jstr(f, fl[i]);
        else fputs(fl[i], f);
    }
    fputs("}\n", f);
}

static void keep_finding(merge *m, char **fl)
{
    dv__finding *x;
    char **st;
    int match = strcmp(fl[PQ_TIER], "match") == 0;
    /* up to the limit of each tier, so that candidates after many matches are shown too */
    if (match ? m->nkeep_match >= REPORT_FINDINGS_MAX
              : m->nkeep - m->nkeep_match >= REPORT_FINDINGS_MAX)
        return;
    if (!m->keep) {
        m->keep = dv__calloc(m->a, REPORT_KEEP_MAX, sizeof(dv__finding));
        m->keep_strs = dv__calloc(m->a, (size_t)REPORT_KEEP_MAX * PQ_NFIELDS, sizeof(char *));
        if (!m->keep || !m->keep_strs) {
            m->oom = 1;
            return;
        }
    }
    st = &m->keep_strs[m->nkeep * PQ_NFIELDS];
    for (int i = 0; i < PQ_NFIELDS; i++) {
        st[i] = mdup(m, fl[i]);
        if (!st[i]) return;
    }
    x = &m->keep[m->nkeep++];
    m->nkeep_match += match;
    x->id = st[PQ_ID];
    x->shard = st[PQ_SHARD];
    x->shard_index = strtoll(st[PQ_SHARD_INDEX], NULL, 10);
    x->row = strtoll(st[PQ_ROW], NULL, 10);
    x->url = st[PQ_URL];
    x->hash_type = st[PQ_HASH_TYPE];
    x->source = st[PQ_SOURCE];
    x->value = st[PQ_VALUE];
    x->list = st[PQ_LIST];
    x->list_version = st[PQ_LIST_VERSION];
    x->list_digest = st[PQ_LIST_DIGEST];
    x->entry_id = st[PQ_ENTRY_ID];
    x->label = st[PQ_LABEL];
    x->distance = (int)strtol(st[PQ_DISTANCE], NULL, 10);
    x->dihedral = st[PQ_DIHEDRAL];
    x->score = *st[PQ_SCORE] ? strtod(st[PQ_SCORE], NULL) : NAN;
    x->tier = st[PQ_TIER];
    x->seed = st[PQ_SEED];
    x->emb_file = st[PQ_EMB_FILE];
    x->emb_row = strtoll(st[PQ_EMB_ROW], NULL, 10);
    x->item_md5 = st[PQ_ITEM_MD5];
    x->item_sha1 = st[PQ_ITEM_SHA1];
    x->item_sha256 = st[PQ_ITEM_SHA256];
    x->item_pdq = st[PQ_ITEM_PDQ];
    x->item_pdq_quality = *st[PQ_ITEM_PDQ_QUALITY] ? (int)strtol(st[PQ_ITEM_PDQ_QUALITY], NULL, 10) : -1;
}

/* ---------------------------------------------------------------- reading */

typedef struct outs {
    FILE *matches, *errors, *removal, *fetch;
    dv_parquet_writer *pq;
    /* removal: the item being aggregated */
    char last_item[64];
    int have_last;
    char *last_id, *last_url, *last_shard, *last_row, *last_si;
    int last_tier_match;
} outs;

/* (shard, row) of items already in removal.txt: a shard's findings of one item need not be
 * next to each other, and neighbour candidates come after every shard's findings and may
 * repeat any item. Without a neighbour stage the set is a shard's (removal_forget after
 * each): a finding names the shard of its record file (merge_shard), so no item of an
 * earlier shard can come again. */
static int removal_seen(merge *m, const char *si, const char *row)
{
    uint64_t key = (strtoull(si, NULL, 10) << 40 ^ strtoull(row, NULL, 10)) + 1, h;
    size_t j;
    if (2 * (m->nseen + 1) > m->capseen) {
        size_t nc = m->capseen ? m->capseen * 2 : 1024;
        uint64_t *nk = dv__calloc(m->a, nc, sizeof(uint64_t));
        if (!nk) {
            m->oom = 1;
            return 0;
        }
        for (size_t i = 0; i < m->capseen; i++) {
            if (!m->seen[i]) continue;
            h = m->seen[i] * 0x9E3779B97F4A7C15ull;
            j = (size_t)(h >> 20) & (nc - 1);
            while (nk[j]) j = (j + 1) & (nc - 1);
            nk[j] = m->seen[i];
        }
        dv__free(m->a, m->seen);
        m->seen = nk;
        m->capseen = nc;
    }
    h = key * 0x9E3779B97F4A7C15ull;
    j = (size_t)(h >> 20) & (m->capseen - 1);
    while (m->seen[j]) {
        if (m->seen[j] == key) return 1;
        j = (j + 1) & (m->capseen - 1);
    }
    m->seen[j] = key;
    m->nseen++;
    return 0;
}

/* Empties the set between shards (its slots kept while they are few, so that many small
 * shards do not allocate it again each; a large one's given back) */
static void removal_forget(merge *m)
{
    if (m->nseen == 0) return;
    if (m->capseen > ((size_t)1 << 16)) {
        dv__free(m->a, m->seen);
        m->seen = NULL;
        m->capseen = 0;
    } else {
        memset(m->seen, 0, m->capseen * sizeof *m->seen);
    }
    m->nseen = 0;
}

static void flush_removal(merge *m, outs *o)
{
    if (!o->have_last) return;
    if (o->removal && (o->last_tier_match || !m->keep_candidates) &&
        !removal_seen(m, o->last_si, o->last_row)) {
        dv__rec_put(o->removal, o->last_id);
        fputc('\t', o->removal);
        dv__rec_put(o->removal, o->last_url);
        fputc('\t', o->removal);
        dv__rec_put(o->removal, o->last_shard);
        fprintf(o->removal, "\t%s\t%s\t%s\n", o->last_si, o->last_row,
                o->last_tier_match ? "match" : "candidate");
        ctr_add(m, "removed", 1);
    }
    dv__free(m->a, o->last_id);
    dv__free(m->a, o->last_url);
    dv__free(m->a, o->last_shard);
    dv__free(m->a, o->last_row);
    dv__free(m->a, o->last_si);
    o->last_id = o->last_url = o->last_shard = o->last_row = o->last_si = NULL;
    o->have_last = 0;
}

static void removal_add(merge *m, outs *o, char **fl)
{
    char key[64];
    int is_match = strcmp(fl[PQ_TIER], "match") == 0;
    snprintf(key, sizeof key, "%s:%s", fl[PQ_SHARD_INDEX], fl[PQ_ROW]);
    if (o->have_last && strcmp(key, o->last_item) == 0) {
        o->last_tier_match |= is_match;
        return;
    }
    flush_removal(m, o);
    snprintf(o->last_item, sizeof o->last_item, "%s", key);
    o->have_last = 1;
    o->last_id = mdup(m, fl[PQ_ID]);
    o->last_url = mdup(m, fl[PQ_URL]);
    o->last_shard = mdup(m, fl[PQ_SHARD]);
    o->last_row = mdup(m, fl[PQ_ROW]);
    o->last_si = mdup(m, fl[PQ_SHARD_INDEX]);
    o->last_tier_match = is_match;
}

/* The text fields of finding x as matches.jsonl, matches.parquet and report.html all write
 * them, into out: the URL by DV_TEXT_URL, the others by DV_TEXT_PLAIN (fields that are clean
 * already are x's own), so that the Parquet file's STRING columns hold valid UTF-8 and agree
 * with the JSONL beside them. removal.txt keeps x's bytes as they are. */
static int text_fields(merge *m, char **x, char **out)
{
    size_t need = 0, at;
    uint32_t dirty = 0; /* fields to write anew, a bit each */
    for (int i = 0; i < PQ_NFIELDS; i++) {
        dv_text_kind kind = i == PQ_URL ? DV_TEXT_URL : DV_TEXT_PLAIN;
        size_t n = strlen(x[i]);
        out[i] = x[i];
        if (pq_schema[i].type != DV_PQ_BYTE_ARRAY || dv__text_clean(kind, x[i], n)) continue;
        need += dv_text_utf8(kind, x[i], n, NULL, 0) + 1;
        dirty |= 1u << i;
    }
    m->text.len = 0;
    if (dirty == 0) return DV_OK;
    if (dv__dbuf_reserve(m->a, &m->text, need) != DV_OK) return DV_ENOMEM;
    for (int i = 0; i < PQ_NFIELDS; i++) {
        if (!(dirty >> i & 1)) continue;
        at = m->text.len;
        out[i] = (char *)m->text.p + at;
        m->text.len += dv_text_utf8(i == PQ_URL ? DV_TEXT_URL : DV_TEXT_PLAIN, x[i],
                                    strlen(x[i]), out[i], need - at) + 1;
    }
    return DV_OK;
}

static int add_finding(merge *m, outs *o, char **x, char *err, size_t cap)
{
    char *t[PQ_NFIELDS];
    if (text_fields(m, x, t) != DV_OK) return DV_ENOMEM;
    write_jsonl_finding(o->matches, t);
    if (write_pq_row(o->pq, t) != DV_OK) {
        dv__set_err(err, cap, "matches.parquet: %s", dv_parquet_writer_errmsg(o->pq));
        return DV_EIO;
    }
    keep_finding(m, t);
    if (strcmp(x[PQ_TIER], "match") == 0) m->matches++;
    else m->candidates++;
    removal_add(m, o, x);
    return DV_OK;
}

/* An integer as the scan writes them (an optional '-', 1 to 20 digits). */
static int is_int_text(const char *s)
{
    size_t n = 0;
    if (*s == '-') s++;
    while (s[n] >= '0' && s[n] <= '9') n++;
    return n > 0 && n <= 20 && s[n] == '\0';
}

/* A finite number as the scan writes a score ("%.9g" or the like). */
static int is_num_text(const char *s)
{
    char *end;
    double v;
    if (*s == '\0' || s[strspn(s, "0123456789+-.eE")] != '\0') return 0;
    v = strtod(s, &end);
    return *end == '\0' && isfinite(v);
}

/* The fields of an F, E, S or I record that go into the outputs as they are (numbers, a
 * digest) are what the scan writes there: a record damaged on disk is unreadable, not a
 * line of invalid JSON. */
static int fields_ok(char **fl, size_t nf)
{
    static const int e_num[] = {1, 2}, s_num[] = {1, 2, 7, 8, 9, 10};
    if (strcmp(fl[0], "F") == 0 && nf == DV__REC_FINDING_FIELDS + 1) {
        char **x = fl + 1;
        return is_int_text(x[PQ_SHARD_INDEX]) && is_int_text(x[PQ_ROW]) &&
               (!*x[PQ_DISTANCE] || is_int_text(x[PQ_DISTANCE])) &&
               (!*x[PQ_EMB_ROW] || is_int_text(x[PQ_EMB_ROW])) &&
               (!*x[PQ_ITEM_PDQ_QUALITY] || is_int_text(x[PQ_ITEM_PDQ_QUALITY])) &&
               (!*x[PQ_SCORE] || is_num_text(x[PQ_SCORE]));
    }
    if (strcmp(fl[0], "E") == 0 && nf == 7) {
        for (size_t k = 0; k < 2; k++)
            if (!is_int_text(fl[e_num[k]])) return 0;
    } else if (strcmp(fl[0], "S") == 0 && nf == 12) {
        for (size_t k = 0; k < 6; k++)
            if (!is_int_text(fl[s_num[k]]) && !(s_num[k] == 7 && fl[7][0] == '\0')) return 0;
    } else if (strcmp(fl[0], "I") == 0 && nf == 4) {
        size_t n = strspn(fl[2], "0123456789abcdef");
        if (n != 64 || fl[2][64] != '\0' || !is_int_text(fl[3]) || fl[3][0] == '-') return 0;
    }
    return 1;
}

static int merge_shard(merge *m, outs *o, uint64_t i, char *err, size_t cap)
{
    char path[4096];
    FILE *f;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    int ended = 0, rc = DV_OK;
    uint64_t lineno = 0;
    /* what to do about a record file damaged after its scan: its done marker keeps a rerun
     * from scanning the shard again until the shard's files are deleted */
    char fix[4200];
    snprintf(path, sizeof path, "%s/shards/%06llu.rec", m->outdir, (unsigned long long)i);
    snprintf(fix, sizeof fix, "delete %s/shards/%06llu.* and run the scan again to scan the shard "
             "again", m->outdir, (unsigned long long)i);
    f = fopen(path, "r");
    if (!f) {
        dv__set_err(err, cap, "%s: %s", path, strerror(errno));
        return DV_EIO;
    }
    while ((n = dv__rec_getline(&line, &lcap, f)) > 0) {
        char *fl[DV__REC_FINDING_FIELDS + 1];
        size_t nf;
        lineno++;
        if (line[n - 1] == '\n') line[--n] = '\0';
        if (strcmp(line, "END") == 0) {
            ended = 1;
            break;
        }
        nf = dv__rec_split(line, fl, DV__REC_FINDING_FIELDS + 1);
        if (strcmp(fl[0], "F") == 0 && nf == DV__REC_FINDING_FIELDS_OLD + 1) {
            /* a shard scanned by an earlier datavet: no item hashes */
            while (nf < DV__REC_FINDING_FIELDS + 1) fl[nf++] = (char *)"";
        }
        if (!fields_ok(fl, nf)) {
            dv__set_err(err, cap, "%s: line %llu: unreadable record (damaged after the scan): %s",
                        path, (unsigned long long)lineno, fix);
            rc = DV_ECORRUPT;
            break;
        } else if (strcmp(fl[0], "F") == 0 && nf == DV__REC_FINDING_FIELDS + 1 &&
                   strtoll(fl[1 + PQ_SHARD_INDEX], NULL, 10) != (long long)i) {
            /* a record file of another shard (copied or renamed over this one): its items
             * would be counted as this shard's, and removal.txt could repeat them */
            dv__set_err(err, cap, "%s: line %llu: a finding of shard %s in the record file of "
                        "shard %llu: %s", path, (unsigned long long)lineno,
                        fl[1 + PQ_SHARD_INDEX], (unsigned long long)i, fix);
            rc = DV_ECORRUPT;
            break;
        } else if (strcmp(fl[0], "F") == 0 && nf == DV__REC_FINDING_FIELDS + 1) {
            rc = add_finding(m, o, fl + 1, err, cap);
            if (rc != DV_OK) break;
        } else if (strcmp(fl[0], "E") == 0 && nf == 7) {
            fprintf(o->errors, "{\"shard_index\":%s,", fl[1]);
            if (strcmp(fl[2], "-1") != 0) fprintf(o->errors, "\"row\":%s,", fl[2]);
            if (*fl[3]) fputs("\"id\":", o->errors), dv__jstr(o->errors, fl[3]), fputc(',', o->errors);
            if (*fl[4])
                fputs("\"url\":", o->errors), dv__jstr_url(o->errors, fl[4]), fputc(',', o->errors);
            fputs("\"reason\":", o->errors);
            dv__jstr(o->errors, fl[5]);
            fputs(",\"message\":", o->errors);
            dv__jstr(o->errors, fl[6]);
            fputs("}\n", o->errors);
        } else if (strcmp(fl[0], "S") == 0 && nf == 12) {
            /* per-URL fetch status; elapsed time and detail vary between runs, so they stay
             * out of summary.json (which only counts statuses) */
            FILE *g = o->fetch;
            fprintf(g, "{\"shard_index\":%s,\"row\":%s,\"id\":", fl[1], fl[2]);
            dv__jstr(g, fl[3]);
            fputs(",\"url\":", g);
            dv__jstr_url(g, fl[4]);
            fputs(",\"final_url\":", g);
            dv__jstr_url(g, fl[5]);
            fputs(",\"status\":", g);
            dv__jstr(g, fl[6]);
            fprintf(g, ",\"http_code\":%s,\"bytes\":%s,\"elapsed_ms\":%s,\"attempts\":%s,"
                       "\"detail\":", fl[7], fl[8], fl[9], fl[10]);
            dv__jstr(g, fl[11]);
            fputs("}\n", g);
        } else if (strcmp(fl[0], "C") == 0 && nf == 3) {
            ctr_add(m, fl[1], strtoull(fl[2], NULL, 10));
        } else if (strcmp(fl[0], "I") == 0 && nf == 4) {
            dv__report_input *in;
            if (m->ninputs == m->capinputs) {
                size_t nc = m->capinputs ? m->capinputs * 2 : 64;
                dv__report_input *ni = dv__realloc(m->a, m->inputs, nc * sizeof *ni);
                if (!ni) {
                    m->oom = 1;
                    break;
                }
                m->inputs = ni;
                m->capinputs = nc;
            }
            in = &m->inputs[m->ninputs++];
            in->path = mdup(m, fl[1]);
            in->sha256 = mdup(m, fl[2]);
            in->bytes = strtoull(fl[3], NULL, 10);
        } else {
            dv__set_err(err, cap, "%s: line %llu: unreadable record (damaged after the scan): %s",
                        path, (unsigned long long)lineno, fix);
            rc = DV_ECORRUPT;
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc == DV_OK && n < -1) {
        dv__set_err(err, cap, "%s: %s", path,
                    n == DV_ETOOBIG ? "a record longer than 4 MiB" : "out of memory");
        rc = (int)n;
    }
    if (rc == DV_OK && !ended) {
        dv__set_err(err, cap, "%s: cut short after line %llu (no END record): %s", path,
                    (unsigned long long)lineno, fix);
        rc = DV_ECORRUPT;
    }
    if (rc == DV_OK && m->oom) rc = DV_ENOMEM;
    return rc;
}

/* ---------------------------------------------------------------- summary.json */

/* The counters of a group (keys prefix + name) as one JSON object, in the counters' order
 * (bytewise), or with by_number in the order of the names' numbers: shard numbers are "%06llu",
 * so past 999999 a name has seven digits, which bytewise falls among the six-digit ones
 * ("1000000" between "100000" and "100001"). Names without leading zeros beyond the padding
 * are in numeric order when taken shortest first and bytewise among the same length: one pass
 * a length, no memory. */
static void json_counter_group(FILE *f, const merge *m, const char *prefix, const char *name,
                               int by_number, int last)
{
    size_t pl = strlen(prefix), lmin = SIZE_MAX, lmax = 0;
    int first = 1;
    fprintf(f, "    \"%s\": {", name);
    for (size_t i = 0; i < m->ctr.n; i++) {
        size_t l;
        if (strncmp(m->ctr.v[i].key, prefix, pl) != 0) continue;
        l = by_number ? strlen(m->ctr.v[i].key + pl) : 0;
        if (l < lmin) lmin = l;
        if (l > lmax) lmax = l;
    }
    for (size_t len = lmin; len <= lmax; len++) {
        for (size_t i = 0; i < m->ctr.n; i++) {
            if (strncmp(m->ctr.v[i].key, prefix, pl) != 0) continue;
            if (by_number && strlen(m->ctr.v[i].key + pl) != len) continue;
            fputs(first ? "\n      " : ",\n      ", f);
            dv__jstr(f, m->ctr.v[i].key + pl);
            fprintf(f, ": %llu", (unsigned long long)m->ctr.v[i].value);
            first = 0;
        }
    }
    fprintf(f, "%s}%s\n", first ? "" : "\n    ", last ? "" : ",");
}

/* What the scan as a whole checked nothing of, or could not read, one line each: a list
 * that no item could be looked up in, a flag with no column to read, parts of shards that
 * could not be read. Appended to the dataset's problems (summary.json, report.html). */
static int coverage(merge *m, dv__dbuf *b)
{
    uint64_t items = ctr_get(m, "items"), unread = ctr_get(m, "read_errors");
    uint64_t by_path = ctr_get(m, "image_path_only");
    const char *path = "", *v;
    size_t li = 0;
    char line[2400];
    int rc = DV_OK;
#define SAY(...)                                                                                   \
    do {                                                                                           \
        dv__text_line(line, sizeof line, __VA_ARGS__);                                             \
        if (rc == DV_OK) rc = dv__dbuf_append(m->a, b, line, strlen(line));                        \
    } while (0)
    for (size_t i = 0; i < m->params.n && items > 0; i++) {
        const char *k = m->params.v[i].k, *t = m->params.v[i].v;
        char key[40];
        if (strcmp(k, "list") == 0) path = t;
        if (strcmp(k, "list_type") != 0) continue;
        snprintf(key, sizeof key, "checked.%zu", li++);
        if (ctr_get(m, key) > 0) continue;
        /* images named by path only are not fetched by --fetch (URLs only): the line
         * below on them says what to do instead */
        if (strcmp(t, "pdq") == 0)
            SAY("list %s (pdq) checked no item: no item had an image with a PDQ hash of quality "
                "50 or more (%s)\n", path,
                by_path ? "the images are named by path only: see below"
                        : "a dataset of metadata and URLs needs --fetch");
        else if (strncmp(t, "url", 3) == 0)
            SAY("list %s (%s) checked no item: no item had a URL (--url-col names the column)\n",
                path, t);
        else if (by_path)
            SAY("list %s (%s) checked no item: no item had image bytes or a %s column (the "
                "images are named by path only: see below)\n", path, t, t);
        else
            SAY("list %s (%s) checked no item: no item had image bytes or a %s column (a "
                "dataset of metadata and URLs without it needs --fetch)\n", path, t, t);
    }
    for (size_t i = 0; i < m->params.n; i++) {
        const char *k = m->params.v[i].k, *t = m->params.v[i].v;
        if (strcmp(k, "list") == 0) path = t;
        if (strcmp(k, "list_entries") == 0 && strcmp(t, "0") == 0)
            SAY("list %s holds no entries: it can match nothing\n", path);
    }
    if (items > 0 && (v = param_get(m, "flag_punsafe")) && strcmp(v, "off") != 0 &&
        ctr_get(m, "items_with_punsafe") == 0)
        SAY("--flag-punsafe: no item had a numeric punsafe column (--punsafe-col names another, "
            "such as COYO's nsfw_score_opennsfw2): nothing was flagged\n");
    if (items > 0 && (v = param_get(m, "flag_terms")) && *v && ctr_get(m, "items_with_caption") == 0)
        SAY("--flag-terms: no item had a caption (--caption-col names the column): nothing was "
            "flagged\n");
    if (by_path > 0)
        SAY("%llu %s by path only (an image struct such as Hugging Face's "
            "image {bytes, path} with a path and no bytes; counts.image_path_only): datavet "
            "hashes the image bytes a dataset holds (parquet column, tar member, image file) "
            "or fetches from URLs, not files named by a path, so %s NOT "
            "checked; scan the folder that holds those files on its own (datavet scan "
            "IMAGE_DIR: a folder of images is a dataset, its items named by file path)\n",
            (unsigned long long)by_path,
            dv__pl(by_path, "row names its image", "rows name their image"),
            dv__pl(by_path, "this image was", "these images were"));
    if (ctr_get(m, "meta_unread") > 0)
        SAY("%llu sample .json %s could not be read (not a JSON object, or over 1 MiB): "
            "those samples' url, caption and hash columns were not checked (their images "
            "were)\n", (unsigned long long)ctr_get(m, "meta_unread"),
            dv__pl(ctr_get(m, "meta_unread"), "file", "files"));
    if (m->nb_bad_seeds > 0)
        SAY("%llu neighbour %s left out: %s NaN, infinite or only zero values, so %s no "
            "neighbours to find\n", (unsigned long long)m->nb_bad_seeds,
            dv__pl(m->nb_bad_seeds, "seed", "seeds"),
            dv__pl(m->nb_bad_seeds, "its embedding row holds", "their embedding rows hold"),
            dv__pl(m->nb_bad_seeds, "it has", "they have"));
    if (unread > 0)
        SAY("%llu read %s (errors.jsonl %s without a row): shards or parts of "
            "shards were not read, so the scan is INCOMPLETE\n", (unsigned long long)unread,
            dv__pl(unread, "error", "errors"), dv__pl(unread, "record", "records"));
#undef SAY
    return rc;
}

static void write_summary(FILE *f, const merge *m)
{
    static const char *const plain[] = {"items", "items_with_image", "hashed", "low_quality",
                                        "items_lost", "read_errors", "removed",
                                        "neighbor_seeds", "image_path_only"};
    int first = 1;
    fputs("{\n", f);
    fprintf(f, "  \"datavet_version\": \"%s\",\n", dv_version());
    fputs("  \"dataset\": ", f);
    dv__jstr(f, param_get(m, "dataset"));
    fputs(",\n  \"layout\": ", f);
    dv__jstr(f, param_get(m, "layout"));
    fprintf(f, ",\n  \"shards\": %s,\n", param_get(m, "shards") ? param_get(m, "shards") : "0");
    /* what the dataset layer could not use, one line each (images in list columns are not
     * scanned: the summary says so) */
    fputs("  \"dataset_problems\": [", f);
    {
        const char *p = m->problems;
        int n = 0;
        while (p && *p) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char line[1100];
            snprintf(line, sizeof line, "%.*s", (int)(len < 1099 ? len : 1099), p);
            fputs(n++ ? ",\n    " : "\n    ", f);
            dv__jstr(f, line);
            p = e ? e + 1 : p + len;
        }
        fputs(n ? "\n  ],\n" : "],\n", f);
    }
    fputs("  \"lists\": [", f);
    for (size_t i = 0; i < m->params.n; i++) {
        if (strcmp(m->params.v[i].k, "list") != 0) continue;
        fputs(first ? "\n    {" : ",\n    {", f);
        first = 0;
        fputs("\"path\": ", f);
        dv__jstr(f, m->params.v[i].v);
        for (size_t j = i + 1; j < m->params.n && j <= i + 5; j++) {
            const char *k = m->params.v[j].k;
            if (strncmp(k, "list_", 5) != 0) break;
            fprintf(f, ", \"%s\": ", k + 5);
            if (strcmp(k, "list_entries") == 0) fputs(m->params.v[j].v, f);
            else dv__jstr(f, m->params.v[j].v);
        }
        fputs("}", f);
    }
    fprintf(f, "%s],\n", first ? "" : "\n  ");
    fputs("  \"counts\": {\n", f);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        fprintf(f, "    \"%s\": %llu,\n", plain[i], (unsigned long long)ctr_get(m, plain[i]));
    fprintf(f, "    \"match\": %llu,\n    \"candidate\": %llu,\n",
            (unsigned long long)m->matches, (unsigned long long)m->candidates);
    json_counter_group(f, m, "list.", "per_list", 0, 0);
    json_counter_group(f, m, "hash.", "per_hash_type", 0, 0);
    json_counter_group(f, m, "error.", "errors", 0, 0);
    {
        /* items looked up in each list (checked.<list index>), by the list's path */
        size_t li = 0;
        int n = 0;
        fputs("    \"checked_per_list\": {", f);
        for (size_t i = 0; i < m->params.n; i++) {
            char key[40];
            if (strcmp(m->params.v[i].k, "list") != 0) continue;
            snprintf(key, sizeof key, "checked.%zu", li++);
            fputs(n++ ? ",\n      " : "\n      ", f);
            dv__jstr(f, m->params.v[i].v);
            fprintf(f, ": %llu", (unsigned long long)ctr_get(m, key));
        }
        fprintf(f, "%s},\n", n ? "\n    " : "");
    }
    json_counter_group(f, m, "pdq_distance.", "pdq_distance", 0, 0);
    json_counter_group(f, m, "fetch.", "fetch", 0, 0);
    json_counter_group(f, m, "similarity.", "neighbor_similarity", 0, 0);
    json_counter_group(f, m, "shard_items.", "items_per_shard", 1, 0);
    json_counter_group(f, m, "shard_findings.", "findings_per_shard", 1, 1);
    fputs("  },\n  \"inputs\": [", f);
    for (size_t i = 0; i < m->ninputs; i++) {
        fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
        dv__jstr(f, m->inputs[i].path);
        fprintf(f, ", \"sha256\": \"%s\", \"bytes\": %llu}", m->inputs[i].sha256,
                (unsigned long long)m->inputs[i].bytes);
    }
    fprintf(f, "%s],\n", m->ninputs ? "\n  " : "");
    if (m->cleaned)
        fprintf(f, "  \"clean\": {\"removed\": %llu, \"decoys\": %llu, \"shards_left_out\": "
                   "%llu, \"files\": %llu, "
                   "\"bytes\": %llu, \"checksums\": \"clean.sha256\", \"public_list\": "
                   "\"removal-public.txt\", \"commitment\": \"%s\", \"scheme\": \"commitment = "
                   "SHA-256(salt || each removed id + LF, ids sorted bytewise); decoys = the kept "
                   "ids with the smallest HMAC-SHA-256(prf_key, id); salt and prf_key are "
                   "HMAC-SHA-256 of clean.key\"},\n",
                (unsigned long long)m->clean_removed, (unsigned long long)m->clean_decoys,
                (unsigned long long)m->clean_left, (unsigned long long)m->clean_files, (unsigned long long)m->clean_bytes,
                m->commitment);
    fputs("  \"parameters\": {", f);
    first = 1;
    for (size_t i = 0; i < m->params.n; i++) {
        const char *k = m->params.v[i].k;
        if (strncmp(k, "list", 4) == 0 || strncmp(k, "shard.", 6) == 0) continue;
        fputs(first ? "\n    " : ",\n    ", f);
        first = 0;
        dv__jstr(f, k);
        fputs(": ", f);
        dv__jstr(f, m->params.v[i].v);
    }
    fputs("\n  }\n}\n", f);
}

/* ---------------------------------------------------------------- merge */

static void merge_free(merge *m)
{
    dv__free(m->a, m->problems);
    dv__params_free(m->a, &m->params);
    dv__ctrs_free(m->a, &m->ctr);
    for (size_t i = 0; m->keep_strs && i < (size_t)REPORT_KEEP_MAX * PQ_NFIELDS; i++)
        dv__free(m->a, m->keep_strs[i]);
    dv__free(m->a, m->keep_strs);
    dv__free(m->a, m->keep);
    for (size_t i = 0; i < m->ninputs; i++) {
        dv__free(m->a, (void *)m->inputs[i].path);
        dv__free(m->a, (void *)m->inputs[i].sha256);
    }
    dv__free(m->a, m->inputs);
    dv__free(m->a, m->seen);
    dv__free(m->a, m->text.p);
}

/* The dataset options the scan ran with (scan.params), to open its dataset again. */
static void params_dso(const merge *m, dv_dataset_opts *dso)
{
    const char *v;
    memset(dso, 0, sizeof *dso);
    if ((v = param_get(m, "url_col")) && *v) dso->url_col = v;
    if ((v = param_get(m, "caption_col")) && *v) dso->caption_col = v;
    if ((v = param_get(m, "id_col")) && *v) dso->id_col = v;
    if ((v = param_get(m, "image_col")) && *v) dso->image_col = v;
    if ((v = param_get(m, "punsafe_col")) && *v) dso->punsafe_col = v;
    if ((v = param_get(m, "npz_key")) && *v) dso->npz_key = v;
    if ((v = param_get(m, "max_image_bytes"))) dso->max_image_bytes = strtoull(v, NULL, 10);
}

/* The neighbour stage reads the dataset's embeddings again, now, beside the records of the
 * shards as they were scanned: a shard whose files changed since (a --no-merge task's shard
 * rewritten before the merge) would mix the two, so the merge refuses it, as a resume does. */
static int neighbors_precheck(const merge *m, char *errbuf, size_t errcap)
{
    dv_dataset_opts dso;
    dv_dataset *ds = NULL;
    int rc;
    params_dso(m, &dso);
    dso.max_image_bytes = 0;
    rc = dv_dataset_open(param_get(m, "dataset"), &dso, &ds, errbuf, errcap);
    for (uint64_t i = 0; rc == DV_OK && i < dv_dataset_num_shards(ds); i++) {
        dv_shard_info sh;
        if (!dv__shard_changed(ds, m->outdir, i)) continue;
        dv_dataset_shard(ds, i, &sh);
        dv__set_err(errbuf, errcap, "shard %llu (%s): its files changed (size or modification "
                    "time) after it was scanned into %s: the neighbour stage would read its "
                    "embeddings as they are now beside its results as they were. Delete "
                    "%s/shards/%06llu.* and scan it again, then merge",
                    (unsigned long long)i, sh.path, m->outdir, m->outdir,
                    (unsigned long long)i);
        rc = DV_EINVAL;
    }
    dv_dataset_free(ds);
    return rc;
}

/* Files ending in .tmp left in dir by runs killed while writing them (none runs now: the
 * merge holds the lock), so that a signature never covers them. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    if (!d) return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0 &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
            (void)unlink(path);
    }
    closedir(d);
}

void dv__mprog_stage(dv__mprog *m, int stage, uint64_t total, uint64_t bytes_total)
{
    if (!m) return;
    memset(&m->p, 0, sizeof m->p);
    m->p.stage = stage;
    m->p.total = total;
    m->p.bytes_total = bytes_total;
    dv__mprog_emit(m);
}

void dv__mprog_emit(dv__mprog *m)
{
    if (m && m->fn) m->fn(m->ctx, &m->p);
}

int dv_scan_merge(const char *outdir, const char *clean_dir, dv_scan_result *out, char *errbuf,
                  size_t errcap)
{
    dv_merge_opts o = {0};
    o.clean_dir = clean_dir;
    return dv_merge_run(outdir, &o, out, errbuf, errcap);
}

int dv_merge_run(const char *outdir, const dv_merge_opts *mo, dv_scan_result *out,
                 char *errbuf, size_t errcap)
{
    const char *clean_dir = mo ? mo->clean_dir : NULL;
    dv__mprog prog = {mo ? mo->progress : NULL, mo ? mo->progress_ctx : NULL, {0}};
    merge m;
    outs o;
    uint64_t nshards;
    char p[4096], t[4096];
    int rc = DV_OK, lockfd = -1, renamed = 0;
    static const char *const names[] = {"matches.jsonl", "errors.jsonl", "removal.txt",
                                        "fetch.jsonl"};
    FILE **files[4];

    if (out) memset(out, 0, sizeof *out);
    if (!outdir || !errbuf) return DV_EINVAL;
    errbuf[0] = '\0';
    memset(&m, 0, sizeof m);
    memset(&o, 0, sizeof o);
    m.outdir = outdir;
    rc = dv__params_load(outdir, m.a, &m.params, errbuf, errcap);
    if (rc != DV_OK) goto done;
    {
        /* no scan or other merge into outdir meanwhile (OUTDIR/lock) */
        long pid;
        rc = dv__lock_open(outdir, &lockfd, errbuf, errcap);
        if (rc == DV_OK && dv__lock_range(lockfd, 1, 0, 0, &pid) != DV_OK) {
            char who[48];
            dv__lock_who(pid, who, sizeof who);
            dv__set_err(errbuf, errcap, "%s: another datavet run%s is scanning or merging into "
                        "it: wait for it, then merge", outdir, who);
            rc = DV_EINVAL;
        }
        if (rc != DV_OK) goto done;
        if (param_get(&m, "neighbors_min_sim") &&
            strcmp(param_get(&m, "neighbors_min_sim"), "off") != 0) {
            rc = neighbors_precheck(&m, errbuf, errcap);
            if (rc != DV_OK) goto done;
        }
        if (clean_dir) {
            /* a --clean that would be refused is refused before anything is written */
            dv_dataset_opts dso;
            params_dso(&m, &dso);
            rc = dv__clean_precheck(outdir, clean_dir, param_get(&m, "dataset"), &dso, errbuf,
                                    errcap);
            if (rc != DV_OK) goto done;
        }
        {
            /* the outputs are about to change: a signature of the old ones would no longer
             * verify (the caller signs again with --sign) */
            int had = 0;
            snprintf(p, sizeof p, "%s/manifest.sig", outdir);
            had |= unlink(p) == 0;
            snprintf(p, sizeof p, "%s/manifest.jsonl", outdir);
            had |= unlink(p) == 0;
            m.unsigned_now = had;
        }
        if (lockfd >= 0) { /* else another run may be writing them */
            remove_stale_tmp(outdir);
            snprintf(p, sizeof p, "%s/shards", outdir);
            remove_stale_tmp(p);
        }
    }
    {
        /* what the scan could not use (written by dv_scan_run; absent in older outdirs) */
        char path[4096], e2[128];
        void *buf = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/dataset_problems.txt", outdir);
        if (dv_read_file(path, 1u << 20, m.a, &buf, &len, e2, sizeof e2) == DV_OK) {
            m.problems = dv__malloc(m.a, len + 1);
            if (m.problems) {
                memcpy(m.problems, buf, len);
                m.problems[len] = '\0';
            }
            dv_free_buffer(m.a, buf);
        }
    }
    m.keep_candidates = param_get(&m, "keep_candidates") &&
                        strcmp(param_get(&m, "keep_candidates"), "true") == 0;
    nshards = strtoull(param_get(&m, "shards") ? param_get(&m, "shards") : "0", NULL, 10);
    {
        uint64_t missing = 0;
        size_t el = 0;
        for (uint64_t i = 0; i < nshards; i++) {
            struct stat st;
            snprintf(p, sizeof p, "%s/shards/%06llu.done", outdir, (unsigned long long)i);
            if (stat(p, &st) == 0) continue;
            if (missing == 0) {
                dv__set_err(errbuf, errcap, "shards not done:");
                el = strlen(errbuf);
            }
            if (missing < 20 && el + 24 < errcap) {
                snprintf(errbuf + el, errcap - el, " %llu", (unsigned long long)i);
                el = strlen(errbuf);
            }
            missing++;
        }
        if (missing) {
            if (missing > 20 && el + 40 < errcap)
                snprintf(errbuf + el, errcap - el, " ... (%llu in all)",
                         (unsigned long long)missing);
            el = strlen(errbuf);
            /* what to do next, for whoever meets a partial OUTDIR first */
            if (el + 160 < errcap)
                snprintf(errbuf + el, errcap - el,
                         " (of %llu): scan them into this OUTDIR first (the same scan "
                         "command, with --shards A-B for those, or without it: done shards "
                         "are kept), then merge",
                         (unsigned long long)nshards);
            rc = DV_EINVAL;
            goto done;
        }
    }
    files[0] = &o.matches, files[1] = &o.errors, files[2] = &o.removal, files[3] = &o.fetch;
    for (int i = 0; i < 4; i++) {
        snprintf(t, sizeof t, "%s/%s.tmp", outdir, names[i]);
        *files[i] = dv__fopen_private(t);
        if (!*files[i]) {
            dv__set_err(errbuf, errcap, "%s: cannot create: %s", t, strerror(errno));
            rc = DV_EIO;
            goto done;
        }
    }
    fputs("id\turl\tshard\tshard_index\trow\ttier\n", o.removal);
    {
        dv_parquet_field fields[PQ_NFIELDS];
        dv_parquet_writer_opts wo = {0};
        memset(fields, 0, sizeof fields);
        for (int i = 0; i < PQ_NFIELDS; i++) {
            fields[i].name = pq_schema[i].name;
            fields[i].type = pq_schema[i].type;
            fields[i].optional = pq_schema[i].optional;
            fields[i].is_string = pq_schema[i].type == DV_PQ_BYTE_ARRAY;
        }
        wo.codec = DV_PQ_ZSTD;
        /* row groups of 64 Ki rows (~15 MB of findings' text), not the writer's 1,000,000:
         * what the writer holds until a group is cut, and what a reader such as `datavet
         * export` decodes at a time, stay that small however many findings there are */
        wo.row_group_rows = MATCHES_RG_ROWS;
        wo.create_new = 1; /* 0600, and a link planted at the name is not followed */
        wo.sync = 1;       /* on disk before it is renamed into place */
        snprintf(t, sizeof t, "%s/matches.parquet.tmp", outdir);
        rc = dv_parquet_writer_create(t, fields, PQ_NFIELDS, &wo, &o.pq, errbuf, errcap);
        if (rc != DV_OK) goto done;
    }
    dv__mprog_stage(&prog, DV_MERGE_RECORDS, nshards, 0);
    {
        const char *nb = param_get(&m, "neighbors_min_sim");
        const int nb_stage = nb && strcmp(nb, "off") != 0;
        for (uint64_t i = 0; i < nshards && rc == DV_OK; i++) {
            rc = merge_shard(&m, &o, i, errbuf, errcap);
            if (rc == DV_OK && !nb_stage) {
                /* the set of removed items a shard's: 16-32 bytes for each of its items,
                 * not of the whole scan's */
                flush_removal(&m, &o);
                removal_forget(&m);
            }
            prog.p.done = i + 1;
            if (rc == DV_OK) dv__mprog_emit(&prog);
        }
    }
    if (rc != DV_OK) goto done;
    flush_removal(&m, &o);
    if (param_get(&m, "neighbors_min_sim") && strcmp(param_get(&m, "neighbors_min_sim"), "off")) {
        dv_dataset_opts dso;
        dv__nbfinding *nbf = NULL;
        size_t nnb = 0;
        params_dso(&m, &dso);
        dso.max_image_bytes = 0; /* (as before: the neighbours read no images) */
        rc = dv__neighbors_expand(outdir, param_get(&m, "dataset"), &dso, nshards,
                                  strtof(param_get(&m, "neighbors_min_sim"), NULL),
                                  (size_t)strtoull(param_get(&m, "neighbors_k")
                                                       ? param_get(&m, "neighbors_k") : "0",
                                                   NULL, 10),
                                  &nbf, &nnb, &m.nb_seeds, &m.nb_bad_seeds,
                                  mo ? mo->threads : 0, &prog, errbuf, errcap);
        if (rc != DV_OK) goto done;
        ctr_add(&m, "neighbor_seeds", m.nb_seeds);
        for (size_t i = 0; i < nnb && rc == DV_OK; i++) {
            char **x = nbf[i].f;
            char key[64];
            double sim = strtod(x[PQ_SCORE], NULL);
            int b = (int)floor(sim * 100);
            rc = add_finding(&m, &o, x, errbuf, errcap);
            ctr_add(&m, "tier.candidate", 1);
            ctr_add(&m, "list.(neighbors).candidate", 1);
            ctr_add(&m, "hash.neighbors.candidate", 1);
            snprintf(key, sizeof key, "shard_findings.%06lld", strtoll(x[PQ_SHARD_INDEX], NULL, 10));
            ctr_add(&m, key, 1);
            if (b < 0) b = 0;
            if (b > 99) b = 99;
            snprintf(key, sizeof key, "similarity.%02d", b);
            ctr_add(&m, key, 1);
        }
        flush_removal(&m, &o);
        dv__neighbors_free(nbf, nnb);
        if (rc != DV_OK) goto done;
    }
    {
        /* what the scan checked nothing of joins the dataset's problems */
        dv__dbuf cb = {0};
        rc = coverage(&m, &cb);
        if (rc == DV_OK && cb.len > 0) {
            size_t pl = m.problems ? strlen(m.problems) : 0;
            char *np = dv__malloc(m.a, pl + cb.len + 1);
            if (!np) rc = DV_ENOMEM;
            else {
                if (pl) memcpy(np, m.problems, pl);
                memcpy(np + pl, cb.p, cb.len);
                np[pl + cb.len] = '\0';
                dv__free(m.a, m.problems);
                m.problems = np;
                if (out) snprintf(out->coverage, sizeof out->coverage, "%.*s", (int)cb.len, (const char *)cb.p);
            }
        }
        dv__free(m.a, cb.p);
        if (out) out->read_errors = ctr_get(&m, "read_errors");
        if (out) out->removed = ctr_get(&m, "removed");
        if (rc != DV_OK) goto done;
    }
    rc = dv_parquet_writer_close(o.pq);
    if (rc != DV_OK) {
        dv__set_err(errbuf, errcap, "matches.parquet: %s", dv_parquet_writer_errmsg(o.pq));
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        FILE *f = *files[i];
        *files[i] = NULL;
        snprintf(t, sizeof t, "%s/%s.tmp", outdir, names[i]);
        snprintf(p, sizeof p, "%s/%s", outdir, names[i]);
        if (i == 3 && !(param_get(&m, "fetch") && strcmp(param_get(&m, "fetch"), "true") == 0)) {
            /* fetch.jsonl only with --fetch */
            fclose(f);
            unlink(t);
            unlink(p);
            continue;
        }
        if (dv__commit_file_ex(f, t, p, &renamed) != DV_OK) {
            dv__commit_err(errbuf, errcap, p, renamed, errno);
            rc = DV_EIO;
            goto done;
        }
    }
    snprintf(t, sizeof t, "%s/matches.parquet.tmp", outdir);
    snprintf(p, sizeof p, "%s/matches.parquet", outdir);
    if (dv__file_rename_ex(t, p, &renamed) != DV_OK) {
        dv__commit_err(errbuf, errcap, p, renamed, errno);
        rc = DV_EIO;
        goto done;
    }
    if (!clean_dir) {
        /* what an earlier --clean merge wrote describes a copy this merge does not write,
         * and its summary no longer speaks of: removed, said (clean.key, the secret, stays) */
        static const char *const stale[] = {"removal-public.txt", "clean.sha256"};
        int any = 0;
        /* (clean.dir stays: it says which folder this scan may write its copy into again) */
        for (int i = 0; i < 2; i++) {
            snprintf(p, sizeof p, "%s/%s", outdir, stale[i]);
            any |= unlink(p) == 0;
        }
        if (any && out)
            snprintf(out->coverage + strlen(out->coverage),
                     sizeof out->coverage - strlen(out->coverage),
                     "removal-public.txt and clean.sha256 of an earlier --clean were removed: "
                     "this merge wrote no cleaned copy (merge --clean DIR writes it again)\n");
    }
    if (clean_dir) {
        dv_dataset_opts dso;
        char *left = NULL;
        uint32_t decoys = (uint32_t)strtoul(param_get(&m, "decoys") ? param_get(&m, "decoys")
                                                                    : "1000", NULL, 10);
        params_dso(&m, &dso);
        rc = dv__clean_dataset(outdir, clean_dir, param_get(&m, "dataset"), &dso, decoys,
                               mo ? mo->threads : 0, m.commitment, &m.clean_removed,
                               &m.clean_decoys, &m.clean_files, &m.clean_bytes, &m.clean_left,
                               &left, &prog, errbuf, errcap);
        if (rc == DV_OK && left) {
            /* shards left out of the copy join the problems */
            size_t pl = m.problems ? strlen(m.problems) : 0, ll = strlen(left);
            char *np = dv__malloc(m.a, pl + ll + 1);
            if (!np) rc = DV_ENOMEM;
            else {
                if (pl) memcpy(np, m.problems, pl);
                memcpy(np + pl, left, ll + 1);
                dv__free(m.a, m.problems);
                m.problems = np;
                if (out) {
                    size_t cl = strlen(out->coverage);
                    snprintf(out->coverage + cl, sizeof out->coverage - cl, "%s", left);
                }
            }
        }
        dv__free(m.a, left);
        if (rc != DV_OK) goto done;
        m.cleaned = 1;
        if (out) out->clean_left = m.clean_left;
    }
    /* summary.json */
    {
        FILE *f;
        snprintf(t, sizeof t, "%s/summary.json.tmp", outdir);
        snprintf(p, sizeof p, "%s/summary.json", outdir);
        f = dv__fopen_private(t);
        if (!f) {
            dv__set_err(errbuf, errcap, "%s: cannot create: %s", t, strerror(errno));
            rc = DV_EIO;
            goto done;
        }
        write_summary(f, &m);
        rc = dv__commit_file_ex(f, t, p, &renamed);
        if (rc != DV_OK) {
            dv__commit_err(errbuf, errcap, p, renamed, errno);
            goto done;
        }
    }
    /* report.html */
    {
        dv__report r;
        dv__report_list *ls = dv__calloc(m.a, m.params.n + 1, sizeof *ls);
        const char **pn = dv__calloc(m.a, m.params.n + 1, sizeof(char *));
        const char **pv = dv__calloc(m.a, m.params.n + 1, sizeof(char *));
        FILE *f;
        memset(&r, 0, sizeof r);
        if (!ls || !pn || !pv) {
            dv__free(m.a, ls), dv__free(m.a, pn), dv__free(m.a, pv);
            rc = DV_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < m.params.n; i++) {
            const char *k = m.params.v[i].k, *v = m.params.v[i].v;
            if (strcmp(k, "list") == 0) {
                ls[r.nlists].path = v;
                ls[r.nlists].name = ls[r.nlists].version = ls[r.nlists].type = "";
                ls[r.nlists].digest = "";
                r.nlists++;
            } else if (r.nlists > 0 && strncmp(k, "list_", 5) == 0) {
                dv__report_list *l = &ls[r.nlists - 1];
                if (strcmp(k, "list_name") == 0) l->name = v;
                else if (strcmp(k, "list_version") == 0) l->version = v;
                else if (strcmp(k, "list_type") == 0) l->type = v;
                else if (strcmp(k, "list_digest") == 0) l->digest = v;
                else if (strcmp(k, "list_entries") == 0) l->entries = strtoull(v, NULL, 10);
            } else if (strncmp(k, "shard.", 6) != 0) {
                pn[r.nparams] = k;
                pv[r.nparams] = v;
                r.nparams++;
            }
        }
        r.dataset = param_get(&m, "dataset");
        r.layout = param_get(&m, "layout");
        r.version = dv_version();
        r.nshards = nshards;
        r.findings = m.keep;
        r.nfindings = m.nkeep;
        r.counters = m.ctr.v;
        r.ncounters = m.ctr.n;
        r.lists = ls;
        r.inputs = m.inputs;
        r.ninputs = m.ninputs;
        r.param_names = pn;
        r.param_values = pv;
        r.problems = m.problems;
        snprintf(t, sizeof t, "%s/report.html.tmp", outdir);
        snprintf(p, sizeof p, "%s/report.html", outdir);
        int e = 0;
        renamed = 0;
        f = dv__fopen_private(t);
        if (!f) rc = DV_EIO, e = errno;
        else {
            rc = dv__report_write_html(f, &r);
            if (rc == DV_OK) {
                rc = dv__commit_file_ex(f, t, p, &renamed);
                e = errno;
            } else {
                e = errno; /* (a write that failed: the disk's reason) */
                fclose(f), unlink(t);
            }
        }
        dv__free(m.a, ls), dv__free(m.a, pn), dv__free(m.a, pv);
        if (rc != DV_OK && renamed) {
            dv__commit_err(errbuf, errcap, p, renamed, e);
            goto done;
        } else if (rc != DV_OK) {
            /* (the reason: a full disk says so; a report that could not be made, ENOMEM) */
            dv__set_err(errbuf, errcap, "%s: cannot write the report: %s", p,
                        rc == DV_EIO && e ? strerror(e) : dv_strerror(rc));
            goto done;
        }
    }
    if (out) {
        out->signature_removed = m.unsigned_now;
        out->merged = 1;
        out->matches = m.matches;
        out->candidates = m.candidates;
        out->progress.items = ctr_get(&m, "items");
    }
done:
    if (o.pq) dv_parquet_writer_free(o.pq);
    for (int i = 0; i < 4; i++) {
        FILE **fp = i == 0 ? &o.matches : i == 1 ? &o.errors : i == 2 ? &o.removal : &o.fetch;
        if (*fp) {
            fclose(*fp);
            *fp = NULL; /* flush_removal below must not write to it (fuzz_merge found this) */
            snprintf(t, sizeof t, "%s/%s.tmp", outdir, names[i]);
            unlink(t);
        }
    }
    flush_removal(&m, &o);
    merge_free(&m);
    if (lockfd >= 0) close(lockfd);
    if (rc != DV_OK && errbuf[0] == '\0') dv__set_err(errbuf, errcap, "%s", dv_strerror(rc));
    return rc;
}
