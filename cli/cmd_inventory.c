/* cmd_inventory.c - datavet inventory: find the copies of known datasets and models on a
 * machine (docs/inventory.md). One JSON line a file examined. */
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

typedef struct ictx {
    FILE *out;
    cli_progress pl;
    double t0;
} ictx;

static void on_progress(void *ctx, uint64_t files_done, uint64_t files, uint64_t bytes_done,
                        uint64_t bytes)
{
    ictx *c = ctx;
    double el = cli_now_s() - c->t0, rate = el > 0 ? (double)bytes_done / el : 0;
    char eta[48] = "";
    if (!cli_progress_due(&c->pl, files_done == files)) return;
    if (rate > 0 && bytes > bytes_done) {
        /* hh:mm:ss, as every other progress line ("ETA 7425 s" was one of its own) */
        double s = (double)(bytes - bytes_done) / rate;
        cli_fmt_eta(eta, sizeof eta, ", ", s);
    }
    cli_progress_put(&c->pl, "inventory: %llu/%llu files, %.1f/%.1f GB, %.0f MB/s%s",
                     (unsigned long long)files_done, (unsigned long long)files,
                     (double)bytes_done / 1e9, (double)bytes / 1e9, rate / 1e6, eta);
}

static int on_record(void *ud, const dv_inventory_record *r)
{
    FILE *f = ((ictx *)ud)->out;
    fputs("{\"path\":", f);
    cli_json_str(f, r->path);
    fputs(",\"kind\":", f);
    cli_json_str(f, dv_inv_kind_name(r->kind));
    fputs(",\"detail\":", f);
    cli_json_str(f, r->detail);
    fprintf(f, ",\"bytes\":%llu", (unsigned long long)r->bytes);
    if (r->error) {
        fputs(",\"error\":", f);
        cli_json_str(f, r->error);
    }
    if (r->sha256[0]) fprintf(f, ",\"sha256\":\"%s\"", r->sha256);
    if (r->sha1[0]) fprintf(f, ",\"sha1\":\"%s\"", r->sha1);
    if (r->md5[0]) fprintf(f, ",\"md5\":\"%s\"", r->md5);
    if (r->nhits || r->name_found)
        fprintf(f, ",\"tier\":\"%s\"", r->nhits ? "match" : "candidate");
    if (r->nhits) {
        fputs(",\"matches\":[", f);
        for (size_t i = 0; i < r->nhits; i++) {
            const dv_inventory_hit *h = &r->hits[i];
            fputs(i ? ",{\"list\":" : "{\"list\":", f);
            cli_json_str(f, h->list);
            fputs(",\"list_name\":", f);
            cli_json_str(f, h->list_name);
            fputs(",\"list_version\":", f);
            cli_json_str(f, h->list_version);
            fprintf(f, ",\"list_type\":\"%s\",\"list_digest\":\"%s\",\"entry_id\":", h->list_type,
                    h->list_digest);
            cli_json_str(f, h->entry_id);
            fputs(",\"label\":", f);
            cli_json_str(f, h->label);
            fputc('}', f);
        }
        fputc(']', f);
    }
    if (r->name_found) {
        fputs(",\"names\":", f);
        cli_json_str(f, r->name_found);
    }
    fputs("}\n", f);
    return ferror(f) ? 1 : 0;
}

int cmd_inventory(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"list", required_argument, NULL, 'l'},
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"names", required_argument, NULL, 1},
        {"all", no_argument, NULL, 'a'},
        {"one-file-system", no_argument, NULL, 'x'},
        {"progress", no_argument, NULL, 2},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    dv_inventory_opts o;
    dv_inventory_result res;
    const char **lists = NULL;
    const char *outpath = NULL;
    size_t nlists = 0;
    int opt, quiet = 0, force_progress = 0, rc, placed = 0;
    unsigned long long v;
    char err[2048];
    ictx c = {.out = stdout};
    cli_out co = {0};
    memset(&o, 0, sizeof o);
    optind = 1;
    lists = calloc((size_t)argc + 1, sizeof *lists);
    if (!lists) return 2;
    cli_getopt_name(argv, "datavet inventory");
    while ((opt = getopt_long(argc, argv, "l:o:j:axqh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l': lists[nlists++] = optarg; break;
        case 'o': outpath = optarg; break;
        case 'j':
            if (cli_opt_uint("inventory", "--jobs", optarg, CLI_DIGITS, 0, 1024, &v) != 0) {
                free(lists);
                return 2;
            }
            o.threads = (unsigned)v;
            break;
        case 1: o.names_path = optarg; break;
        case 'a': o.all_files = 1; break;
        case 'x': o.one_file_system = 1; break;
        case 2: force_progress = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            free(lists);
            cli_print_help(stdout, "inventory");
            return 0;
        default: free(lists); return cli_usage("inventory", NULL);
        }
    }
    if (optind >= argc) {
        free(lists);
        return cli_usage("inventory", "no PATH given");
    }
    o.paths = (const char *const *)argv + optind;
    o.npaths = (size_t)(argc - optind);
    o.lists = lists;
    o.nlists = nlists;
    for (size_t i = 0; outpath && i <= nlists; i++) {
        const char *in = i < nlists ? lists[i] : o.names_path;
        if (cli_same_file(outpath, in)) {
            cli_err("datavet inventory: -o %s is the %s %s: refused (it would be "
                    "emptied before it is read)\n",
                    outpath, i < nlists ? "list" : "--names file", in);
            free(lists);
            return 2;
        }
    }
    if (cli_out_open(&co, outpath && strcmp(outpath, "-") != 0 ? outpath : NULL) != 0) {
        cli_err("datavet inventory: cannot write %s: %s\n", outpath, strerror(errno));
        free(lists);
        return 2;
    }
    c.out = co.f;
    {
        /* the output (a file or stdout sent to one) may lie inside a PATH: never an input,
         * nor the file it replaces */
        struct stat st;
        if (fstat(fileno(c.out), &st) == 0 && S_ISREG(st.st_mode)) {
            o.skip_file = 1;
            o.skip_dev = (uint64_t)st.st_dev;
            o.skip_ino = (uint64_t)st.st_ino;
        }
        if (co.have_old) {
            o.skip_file2 = 1;
            o.skip_dev2 = (uint64_t)co.old_dev;
            o.skip_ino2 = (uint64_t)co.old_ino;
        }
    }
    cli_progress_init(&c.pl, quiet, force_progress);
    c.t0 = cli_now_s();
    o.progress = on_progress;
    o.progress_ctx = &c;
    err[0] = '\0';
    rc = dv_inventory_run(&o, on_record, &c, &res, err, sizeof err);
    cli_progress_end(&c.pl, 0);
    free(lists);
    /* the records could not be written (a full disk, a closed pipe); a run that failed
     * leaves no output cut short in place */
    if (cli_out_close(&co, rc == DV_OK) != 0 && rc == DV_OK) {
        int e = errno;
        /* the records are in place, only their folder's sync failed: said, and the run ends
         * with 2 after its summary and any incomplete note, as the inventory itself is whole */
        placed = cli_out_placed_err(&co, "inventory", outpath, e);
        if (!placed) {
            snprintf(err, sizeof err, "%s: cannot write: %s", outpath ? outpath : "stdout",
                     strerror(e));
            rc = DV_EIO;
        }
    }
    if (rc != DV_OK) {
        cli_err("datavet inventory: %s\n", err[0] ? err : "failed");
        return 2;
    }
    if (!quiet)
        cli_err("inventory: %llu %s (%.2f GB hashed) in %.1f s: %llu %s, %llu %s (cards or "
                "models naming a listed dataset), %llu unreadable; %llu %s passed over\n",
                (unsigned long long)res.files, cli_plural(res.files, "file", "files"),
                (double)res.bytes / 1e9, cli_now_s() - c.t0, (unsigned long long)res.matches,
                cli_plural(res.matches, "match", "matches"), (unsigned long long)res.candidates,
                cli_plural(res.candidates, "candidate", "candidates"),
                (unsigned long long)res.errors, (unsigned long long)res.skipped,
                cli_plural(res.skipped, "entry", "entries"));
    /* files or folders not examined may hold copies: 2, findings or not, with the records
     * written, as an incomplete scan ends (said with -q too) */
    if (res.errors > 0) {
        cli_err("datavet inventory: the inventory is incomplete: %llu %s not examined (the "
                "records with an error); the output holds what was (%llu %s, %llu %s)\n",
                (unsigned long long)res.errors,
                cli_plural(res.errors, "file or folder", "files or folders"),
                (unsigned long long)res.matches, cli_plural(res.matches, "match", "matches"),
                (unsigned long long)res.candidates,
                cli_plural(res.candidates, "candidate", "candidates"));
        return 2;
    }
    if (placed) return 2;
    return res.matches + res.candidates > 0 ? 1 : 0;
}
