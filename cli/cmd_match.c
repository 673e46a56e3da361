/* cmd_match.c - `datavet match`: the output of `datavet hash` against compiled hash lists.
 * Exact lookups for digest lists, the batched multi-index join for PDQ lists; input order out. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A batch: records matched together (the PDQ join wants many), then written in input order.
 * Ends at BATCH records or PATH_BYTES of paths, so its memory does not follow the input. */
#define BATCH 1000000u
#define PATH_BYTES ((size_t)64 << 20)
#define PATH_ROOM (PATH_BYTES + ((size_t)1 << 20) + 1)

typedef struct mlist {
    const char *path;
    dv_list *list;
    dv_list_info info;
    char digest_hex[65];
    dv_pdq_index *index; /* PDQ lists */
} mlist;

typedef struct rec {
    uint64_t line;
    size_t path;   /* offset in the batch's paths */
    size_t query;  /* its PDQ hashes: queries[query * nv ..], or NO_QUERY */
    unsigned have;
    uint8_t md5[16], sha1[20], sha256[32];
} rec;

#define NO_QUERY SIZE_MAX

typedef struct hit {
    size_t rec;
    size_t list;
    uint64_t entry;
    int distance;
    int dihedral; /* -1 for exact */
} hit;

typedef struct hits {
    hit *v;
    size_t n, cap;
    int oom;
} hits;

typedef struct pdq_ctx {
    hits *h;
    const size_t *qrec; /* query -> record index */
    size_t list;
} pdq_ctx;

static void push(hits *h, size_t r, size_t l, uint64_t e, int d, int dih)
{
    if (h->n == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 1024;
        hit *nv = realloc(h->v, ncap * sizeof(hit));
        if (nv == NULL) {
            h->oom = 1;
            return;
        }
        h->v = nv;
        h->cap = ncap;
    }
    h->v[h->n++] = (hit){r, l, e, d, dih};
}

static int on_pdq(void *p, const dv_pdq_match *m, size_t n)
{
    pdq_ctx *c = p;
    for (size_t i = 0; i < n; i++) push(c->h, c->qrec[m[i].query], c->list, m[i].entry, m[i].distance, m[i].dihedral);
    return c->h->oom;
}

static int cmp_hit(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->rec != y->rec) return x->rec < y->rec ? -1 : 1;
    if (x->list != y->list) return x->list < y->list ? -1 : 1;
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return 0;
}

static void put_field(FILE *f, int jsonl, const char *s)
{
    if (jsonl) {
        cli_json_str(f, s); /* valid UTF-8: an ill-formed sequence as U+FFFD */
    } else {
        for (; *s; s++) {
            if (*s == '\t') fputs("\\t", f);
            else if (*s == '\n') fputs("\\n", f);
            else if (*s == '\r') fputs("\\r", f);
            else if (*s == '\\') fputs("\\\\", f);
            else fputc(*s, f);
        }
    }
}

static void write_hit(FILE *f, int jsonl, const rec *r, const char *path,
                      const dv_pdq_hash *pdq, const mlist *l, const hit *h)
{
    dv_list_entry e;
    char hex[65];
    const char *dih = h->dihedral >= 0 ? dv_dihedral_name((dv_dihedral)h->dihedral) : "";
    memset(&e, 0, sizeof(e));
    dv_list_get_entry(l->list, h->entry, &e);
    switch (l->info.type) {
    case DV_HT_MD5: dv_hex_encode(r->md5, 16, hex); break;
    case DV_HT_SHA1: dv_hex_encode(r->sha1, 20, hex); break;
    case DV_HT_SHA256: dv_hex_encode(r->sha256, 32, hex); break;
    default: dv_pdq_to_hex(&pdq[h->dihedral > 0 ? h->dihedral : 0], hex); break;
    }
    if (jsonl) {
        fputs("{\"path\":", f);
        put_field(f, 1, path);
        fprintf(f, ",\"line\":%llu,\"list\":", (unsigned long long)r->line);
        put_field(f, 1, l->info.name ? l->info.name : "");
        fputs(",\"list_version\":", f);
        put_field(f, 1, l->info.version ? l->info.version : "");
        fprintf(f, ",\"list_digest\":\"%s\",\"hash_type\":\"%s\",\"hash\":\"%s\",\"entry_id\":",
                l->digest_hex, dv_hash_type_name(l->info.type), hex);
        put_field(f, 1, e.id ? e.id : "");
        fputs(",\"entry_label\":", f);
        put_field(f, 1, e.label ? e.label : "");
        fprintf(f, ",\"distance\":%d", h->distance);
        if (h->dihedral >= 0) fprintf(f, ",\"dihedral\":\"%s\"", dih);
        fputs("}\n", f);
        return;
    }
    put_field(f, 0, path);
    fprintf(f, "\t%llu\t", (unsigned long long)r->line);
    put_field(f, 0, l->info.name ? l->info.name : "");
    fputc('\t', f);
    put_field(f, 0, l->info.version ? l->info.version : "");
    fprintf(f, "\t%s\t%s\t%s\t", l->digest_hex, dv_hash_type_name(l->info.type), hex);
    put_field(f, 0, e.id ? e.id : "");
    fputc('\t', f);
    put_field(f, 0, e.label ? e.label : "");
    fprintf(f, "\t%d\t%s\n", h->distance, dih);
}

/* The progress line (progress_line.h): records, their rate, and, where INPUT is a regular
 * file of total bytes, how far through it (done: the bytes read from it less the reader's
 * window not yet parsed) and the ETA; from a pipe, records and rate only. The last state once,
 * then erased (the summary follows). */
static void progress(cli_progress *pl, size_t recs, uint64_t total, uint64_t done, double t0,
                     int final)
{
    double el = cli_now_s() - t0, f = total > 0 ? (double)done / (double)total : 0;
    char eta[40] = "", pct[16] = "";
    if (!cli_progress_due(pl, final)) return;
    if (final && total > 0) f = 1;
    if (f > 1) f = 1;
    if (total > 0) snprintf(pct, sizeof pct, ", %.0f%%", f * 100);
    if (!final && total > 0 && el > 0.5 && f > 0 && f < 1) {
        double s = el / f * (1 - f);
        cli_fmt_eta(eta, sizeof eta, ", ", s);
    }
    cli_progress_put(pl, "match: %zu records, %.0f records/s%s%s", recs,
                     el > 0 ? (double)recs / el : 0.0, pct, eta);
    if (final) cli_progress_end(pl, 0);
}

/* Bytes of a regular INPUT parsed so far: read from fd less what waits in the window. */
static uint64_t input_done(int fd, const dv_hashfile *hf)
{
    off_t at = lseek(fd, 0, SEEK_CUR);
    size_t left = dv_hashfile_left(hf);
    return at > 0 && (uint64_t)at > left ? (uint64_t)at - left : 0;
}

int cmd_match(int argc, char **argv)
{
    static const struct option opts[] = {
        {"list", required_argument, NULL, 'l'},
        {"radius", required_argument, NULL, 'r'},
        {"dihedral", no_argument, NULL, 'd'},
        {"min-quality", required_argument, NULL, 'Q'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mlist *lists = NULL;
    size_t nlists = 0, nrec = 0, nbad = 0, total_hits = 0, nrecs_total = 0, nq = 0;
    unsigned long long radius = 31, minq = 50;
    int dihedral = 0, jsonl = 0, quiet = 0, force_progress = 0, opt, status = 0, rc;
    cli_progress pl;
    double t0;
    const char *outpath = NULL, *inpath;
    FILE *out = stdout;
    cli_out co = {0};
    int infd = -1;
    uint64_t insize = 0; /* INPUT's bytes, a regular file; 0: unknown (a pipe) */
    char err[512];
    dv_hashfile *hf = NULL;
    rec *recs = NULL;
    char *paths = NULL;
    size_t paths_len = 0;
    dv_pdq_hash *queries = NULL;
    size_t *qrec = NULL;
    int npdq = 0, nv = 1;
    hits h = {0};
    int warned_dih = 0;

    optind = 1;
    cli_getopt_name(argv, "datavet match");
    while ((opt = getopt_long(argc, argv, "l:r:df:o:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'l': {
            mlist *nl = realloc(lists, (nlists + 1) * sizeof(mlist));
            if (nl == NULL) {
                free(lists);
                return 2;
            }
            lists = nl;
            memset(&lists[nlists], 0, sizeof(mlist));
            lists[nlists++].path = optarg;
            break;
        }
        case 'r':
            if (cli_opt_uint("match", "--radius", optarg, CLI_DIGITS, 0, 63, &radius) != 0) {
                free(lists);
                return 2;
            }
            break;
        case 'd': dihedral = 1; break;
        case 'Q':
            if (cli_opt_uint("match", "--min-quality", optarg, CLI_DIGITS, 0, 100, &minq) != 0) {
                free(lists);
                return 2;
            }
            break;
        case 'f':
            if (strcmp(optarg, "tsv") == 0) jsonl = 0;
            else if (strcmp(optarg, "jsonl") == 0) jsonl = 1;
            else {
                cli_err("datavet match: bad --format '%s' (tsv or jsonl)\n", optarg);
                free(lists);
                return 2;
            }
            break;
        case 'o': outpath = optarg; break;
        case 'q': quiet = 1; break;
        case 'P': force_progress = 1; break;
        case 'h': cli_print_help(stdout, "match"); free(lists); return 0;
        default: free(lists); return cli_usage("match", NULL);
        }
    }
    if (nlists == 0 || optind + 1 != argc) {
        free(lists);
        return cli_usage("match", "give at least one --list and exactly one INPUT (datavet "
                         "hash output, or - for stdin)");
    }
    inpath = argv[optind];
    for (size_t i = 0; i < nlists; i++)
        if (cli_same_file(outpath, lists[i].path)) {
            /* the list is mapped: emptying it under the mapping would kill the process */
            cli_err("datavet match: -o %s is the list %s: refused (it would be emptied)\n",
                    outpath, lists[i].path);
            free(lists);
            return 2;
        }
    for (size_t i = 0; i < nlists; i++) {
        rc = dv_list_open(lists[i].path, &lists[i].list, err, sizeof(err));
        if (rc == DV_OK) {
            char ve[256];
            if ((rc = dv_list_verify(lists[i].list, ve, sizeof(ve))) != DV_OK)
                snprintf(err, sizeof(err), "%.250s: %.250s", lists[i].path, ve);
        }
        if (rc != DV_OK) {
            cli_err("datavet match: %s\n", err);
            status = 2;
            goto done;
        }
        dv_list_get_info(lists[i].list, &lists[i].info);
        dv_hex_encode(lists[i].info.digest, 32, lists[i].digest_hex);
        if (lists[i].info.type == DV_HT_PDQ) {
            lists[i].index = dv_pdq_index_create(dv_list_pdq_codes(lists[i].list), lists[i].info.count,
                                                 DV_SIMD_AUTO, NULL);
            if (lists[i].index == NULL) {
                cli_err("datavet match: %s: out of memory indexing the list\n", lists[i].path);
                status = 2;
                goto done;
            }
        } else if (lists[i].info.type != DV_HT_MD5 && lists[i].info.type != DV_HT_SHA1 &&
                   lists[i].info.type != DV_HT_SHA256 && !quiet) {
            cli_err("datavet match: %s: %s list skipped: hash output carries no URLs "
                    "(URL lists apply in datavet scan)\n",
                    lists[i].path, dv_hash_type_name(lists[i].info.type));
        }
    }
    {
        /* only URL lists: nothing would be checked, and exit 0 would say "no match" */
        size_t usable = 0;
        for (size_t i = 0; i < nlists; i++)
            usable += lists[i].info.type == DV_HT_MD5 || lists[i].info.type == DV_HT_SHA1 ||
                      lists[i].info.type == DV_HT_SHA256 || lists[i].info.type == DV_HT_PDQ;
        if (usable == 0) {
            cli_err("datavet match: no list applies to hash output (URL lists apply in "
                    "datavet scan): nothing checked\n");
            status = 2;
            goto done;
        }
    }
    /* streamed: `datavet hash` output of billions of lines is never held whole, only a
     * window of it and the batch of records */
    if (strcmp(inpath, "-") == 0) {
        infd = STDIN_FILENO;
    } else if ((infd = open(inpath, O_RDONLY | O_CLOEXEC)) < 0) {
        cli_err("datavet match: cannot open %s: %s\n", inpath, strerror(errno));
        status = 2;
        goto done;
    }
    {
        struct stat ist;
        if (fstat(infd, &ist) == 0 && S_ISREG(ist.st_mode) && ist.st_size > 0 &&
            lseek(infd, 0, SEEK_CUR) == 0)
            insize = (uint64_t)ist.st_size;
    }
    rc = dv_hashfile_open_fd(strcmp(inpath, "-") == 0 ? "stdin" : inpath, infd, 0, NULL, &hf,
                             err, sizeof(err));
    if (rc != DV_OK) {
        cli_err("datavet match: %s\n", err);
        status = 2;
        goto done;
    }
    if (cli_out_open(&co, outpath) != 0) {
        cli_err("datavet match: cannot write %s: %s\n", outpath, strerror(errno));
        status = 2;
        goto done;
    }
    out = co.f;
    if (!jsonl)
        fputs("path\tline\tlist\tlist_version\tlist_digest\thash_type\thash\tentry_id\tentry_label"
              "\tdistance\tdihedral\n", out);
    for (size_t i = 0; i < nlists; i++) npdq += lists[i].info.type == DV_HT_PDQ;
    nv = dihedral ? DV_DIH_COUNT : 1;
    recs = malloc(BATCH * sizeof(rec));
    paths = malloc(PATH_ROOM);
    if (npdq > 0) { /* the queries are the same for every PDQ list */
        queries = malloc((size_t)BATCH * (size_t)nv * sizeof(dv_pdq_hash));
        qrec = malloc(BATCH * sizeof(size_t));
    }
    if (recs == NULL || paths == NULL || (npdq > 0 && (queries == NULL || qrec == NULL))) {
        cli_err("datavet match: out of memory\n");
        status = 2;
        goto done;
    }
    cli_progress_init(&pl, quiet, force_progress);
    t0 = cli_now_s();
    for (int eof = 0; !eof;) {
        dv_hash_record r;
        nrec = nq = paths_len = 0;
        while (nrec < BATCH) {
            /* (a batch is a million records: seconds) */
            if ((nrec & 4095) == 0)
                progress(&pl, nrecs_total + nrec, insize, input_done(infd, hf), t0, 0);
            rc = dv_hashfile_next(hf, &r);
            if (rc == 0) {
                eof = 1;
                break;
            }
            if (rc == DV_ECORRUPT) {
                nbad++;
                cli_progress_end(&pl, 0);
                cli_err("datavet match: %s (skipped)\n", dv_hashfile_errmsg(hf));
                continue;
            }
            if (rc < 0) {
                /* a read error: the records after it are unknown, so the run failed and its
                 * output is not put in place */
                cli_err("datavet match: %s\n",
                        rc == DV_ENOMEM ? "out of memory" : dv_hashfile_errmsg(hf));
                status = 2;
                goto done;
            }
            {
                /* a path is at most 1 MiB (the reader's record limit), and the batch ends
                 * once PATH_BYTES are held: the arena never grows */
                size_t plen = strlen(r.path) + 1;
                if (plen > PATH_ROOM - paths_len) {
                    cli_err("datavet match: %s:%llu: path too long\n", inpath,
                            (unsigned long long)r.line);
                    status = 2;
                    goto done;
                }
                memcpy(paths + paths_len, r.path, plen);
                recs[nrec].path = paths_len;
                paths_len += plen;
            }
            recs[nrec].line = r.line;
            recs[nrec].have = r.have;
            memcpy(recs[nrec].md5, r.md5, 16);
            memcpy(recs[nrec].sha1, r.sha1, 20);
            memcpy(recs[nrec].sha256, r.sha256, 32);
            recs[nrec].query = NO_QUERY;
            if (npdq > 0 && (r.have & DV_ALGO_PDQ) &&
                !(r.quality >= 0 && (unsigned long long)r.quality < minq)) {
                for (int v = 0; v < nv; v++) {
                    /* without the variant columns, the original stands in for them */
                    int src = r.ndihedral == DV_DIH_COUNT ? v : 0;
                    queries[nq * (size_t)nv + (size_t)v] = r.pdq[src];
                }
                if (dihedral && r.ndihedral != DV_DIH_COUNT && !warned_dih && !quiet) {
                    cli_err("datavet match: input has no dihedral columns: only the "
                            "original orientation is matched (hash with --dihedral)\n");
                    warned_dih = 1;
                }
                recs[nrec].query = nq;
                qrec[nq++] = nrec;
            }
            nrec++;
            if (paths_len >= PATH_BYTES) break;
        }
        nrecs_total += nrec;
        h.n = 0;
        for (size_t li = 0; li < nlists; li++) {
            mlist *l = &lists[li];
            if (l->info.type == DV_HT_PDQ) {
                pdq_ctx pc = {&h, qrec, li};
                rc = dv_pdq_index_match(l->index, queries, nq, nv, (int)radius, on_pdq, &pc);
                if (rc != DV_OK || h.oom) {
                    cli_err("datavet match: %s: matching failed: %s\n", l->path,
                            h.oom ? "out of memory" : dv_strerror(rc));
                    status = 2;
                    goto done;
                }
            } else {
                for (size_t i = 0; i < nrec; i++) {
                    const uint8_t *key = NULL;
                    size_t klen = 0;
                    int64_t idx;
                    if (l->info.type == DV_HT_MD5 && (recs[i].have & DV_ALGO_MD5)) key = recs[i].md5, klen = 16;
                    if (l->info.type == DV_HT_SHA1 && (recs[i].have & DV_ALGO_SHA1)) key = recs[i].sha1, klen = 20;
                    if (l->info.type == DV_HT_SHA256 && (recs[i].have & DV_ALGO_SHA256)) key = recs[i].sha256, klen = 32;
                    if (key == NULL) continue;
                    idx = dv_list_find(l->list, key, klen);
                    if (idx >= 0) push(&h, i, li, (uint64_t)idx, 0, -1);
                }
            }
        }
        if (h.oom) {
            cli_err("datavet match: out of memory\n");
            status = 2;
            goto done;
        }
        if (h.n > 1) qsort(h.v, h.n, sizeof(hit), cmp_hit);
        for (size_t i = 0; i < h.n; i++) {
            const rec *hr = &recs[h.v[i].rec];
            write_hit(out, jsonl, hr, paths + hr->path,
                      hr->query != NO_QUERY ? &queries[hr->query * (size_t)nv] : NULL,
                      &lists[h.v[i].list], &h.v[i]);
        }
        total_hits += h.n;
    }
    progress(&pl, nrecs_total, insize, insize, t0, 1);
    out = stdout;
    if (cli_out_close(&co, 1) != 0) {
        int e = errno;
        if (!cli_out_placed_err(&co, "match", outpath, e))
            cli_err("datavet match: cannot write %s: %s\n", outpath ? outpath : "stdout",
                    strerror(e));
        status = 2;
        goto done;
    }
    if (!quiet) {
        /* the lists that took part: URL lists were skipped (and said so above) */
        size_t nused = 0;
        for (size_t i = 0; i < nlists; i++)
            nused += lists[i].info.type == DV_HT_PDQ || lists[i].info.type == DV_HT_MD5 ||
                     lists[i].info.type == DV_HT_SHA1 || lists[i].info.type == DV_HT_SHA256;
        cli_err("datavet match: %zu %s, %zu %s, %zu bad %s skipped, %zu %s", nrecs_total,
                cli_plural(nrecs_total, "record", "records"), total_hits,
                cli_plural(total_hits, "match", "matches"), nbad,
                cli_plural(nbad, "line", "lines"), nused, cli_plural(nused, "list", "lists"));
        if (nused < nlists)
            cli_err(" (%zu URL %s skipped)", nlists - nused,
                    cli_plural(nlists - nused, "list", "lists"));
        fputc('\n', stderr);
    }
    status = total_hits > 0 ? 1 : 0;
    if (nbad > 0) {
        /* an incomplete run, as a scan with read errors: 2, matches or not, said even with
         * -q (each line skipped was named above) */
        cli_err("datavet match: the run is incomplete: %zu bad %s of %s skipped; the output "
                "holds the matches of the records read (%zu %s)\n", nbad,
                cli_plural(nbad, "line", "lines"), strcmp(inpath, "-") == 0 ? "stdin" : inpath,
                total_hits, cli_plural(total_hits, "match", "matches"));
        status = 2;
    }
done:
    cli_out_close(&co, 0); /* (a failed run's records are not put in place) */
    free(recs);
    free(paths);
    free(queries);
    free(qrec);
    free(h.v);
    dv_hashfile_close(hf);
    if (infd > STDIN_FILENO) close(infd);
    for (size_t i = 0; i < nlists; i++) {
        dv_pdq_index_free(lists[i].index);
        dv_list_close(lists[i].list);
    }
    free(lists);
    return status;
}
