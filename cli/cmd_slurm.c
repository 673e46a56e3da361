/* cmd_slurm.c - `datavet slurm submit|status|wait|resubmit`: a scan as a Slurm array job of
 * fixed chunks of shards, per-shard done markers for status, resubmission of the gaps only. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SL_MAX_OUT (64u << 20)  /* squeue/scontrol output we read at most */
#define SL_MAX_STATE (16u << 20)
#define SL_MAX_TASKS 10000000ull
#define SL_SQUEUE_TRIES 5u /* slurm wait: failed squeue polls in a row before it gives up */

/* ---------------------------------------------------------------- small helpers */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int sv_push(strv *s, const char *x)
{
    char *d;
    if (s->n + 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        char **nv = realloc(s->v, nc * sizeof(char *));
        if (!nv) return -1;
        s->v = nv;
        s->cap = nc;
    }
    d = strdup(x);
    if (!d) return -1;
    s->v[s->n++] = d;
    s->v[s->n] = NULL;
    return 0;
}

static void sv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_u64(sbuf *b, unsigned long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%llu", v);
    sb_str(b, t);
}

/* Run argv (PATH lookup, no shell) in directory dir (NULL: ours); its stdout into *out when
 * out is not NULL (stderr is ours). Returns the exit status, 128+signal, or -1 when it could
 * not be run. */
static int run_cmd_in(const char *dir, char *const argv[], char **out, size_t *outlen)
{
    int fd[2] = {-1, -1}, st;
    pid_t pid;
    sbuf b = {0};
    if (out && pipe(fd) != 0) return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        if (out) close(fd[0]), close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        if (out) {
            dup2(fd[1], 1);
            close(fd[0]);
            close(fd[1]);
        }
        if (dir && chdir(dir) != 0) {
            cli_err("datavet slurm: %s: %s\n", dir, strerror(errno));
            _exit(127);
        }
        execvp(argv[0], argv);
        cli_err("datavet slurm: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out) {
        char t[65536];
        ssize_t n;
        close(fd[1]);
        while ((n = read(fd[0], t, sizeof t)) != 0) {
            if (n < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (b.n + (size_t)n <= SL_MAX_OUT) sb_add(&b, t, (size_t)n);
        }
        close(fd[0]);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            free(b.p);
            return -1;
        }
    if (out) {
        if (!b.p) sb_add(&b, "", 0);
        *out = b.p;
        if (outlen) *outlen = b.n;
    }
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

static int run_cmd(char *const argv[], char **out, size_t *outlen)
{
    return run_cmd_in(NULL, argv, out, outlen);
}

static int mkdir_p0700(const char *d)
{
    if (mkdir(d, 0700) == 0 || errno == EEXIST) return 0;
    cli_err("datavet slurm: cannot create %s: %s\n", d, strerror(errno));
    return -1;
}

static char *path2(const char *a, const char *b)
{
    sbuf s = {0};
    sb_str(&s, a);
    sb_str(&s, "/");
    sb_str(&s, b);
    if (s.oom) {
        free(s.p);
        return NULL;
    }
    return s.p;
}

/* Write text to path atomically (temp + rename), with the given mode. */
static int write_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
    char *tmp = path2(path, "");
    int fd, rc = -1, placed = 0;
    if (!tmp) return -1;
    tmp[strlen(tmp) - 1] = '\0';
    {
        sbuf t = {0};
        sb_str(&t, tmp);
        sb_str(&t, ".tmp");
        free(tmp);
        tmp = t.p;
        if (!tmp) return -1;
    }
    fd = dv_file_open_new(tmp, mode); /* a link planted at tmp: removed, not written through */
    if (fd >= 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(fd, text + off, len - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            off += (size_t)n;
        }
        if (off == len && dv_file_sync(fd) == DV_OK && close(fd) == 0) {
            rc = dv_file_rename(tmp, path) == DV_OK ? 0 : -1;
            if (rc != 0 && cli_rename_placed_err("slurm", tmp, path, errno)) placed = 1;
        } else close(fd);
    }
    if (rc != 0 && !placed) {
        cli_err("datavet slurm: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp); /* (where the rename was made and the folder's sync failed: nothing) */
    }
    free(tmp);
    return rc;
}

static int parse_u64s(const char *s, unsigned long long *v) { return cli_parse_u64(s, 0, v); }

/* ---------------------------------------------------------------- state file */

/* OUTDIR/slurm/state: "key<TAB>value" lines, values escaped (\\ \t \n). */
typedef struct sl_state {
    char *cwd, *script, *datavet, *jobsmode;
    unsigned long long shards, per_task, tasks, max_retries, max_running;
    unsigned long long check; /* 1: submit checked the parameters here, so resubmit does too */
    strv sbatch; /* stored sbatch options (--array and --parsable are added per submission) */
    strv scan;   /* DATASET and the scan options */
    strv jobs;   /* "<jobid> <array spec>" per submission */
    unsigned *attempts;            /* per task */
    unsigned long long *last_job;  /* per task: job id of its latest submission, 0 none */
} sl_state;

static void st_free(sl_state *s)
{
    free(s->cwd);
    free(s->script);
    free(s->datavet);
    free(s->jobsmode);
    sv_free(&s->sbatch);
    sv_free(&s->scan);
    sv_free(&s->jobs);
    free(s->attempts);
    free(s->last_job);
    memset(s, 0, sizeof *s);
}

static void esc(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') sb_str(b, "\\\\");
        else if (*s == '\t') sb_str(b, "\\t");
        else if (*s == '\n') sb_str(b, "\\n");
        else sb_add(b, s, 1);
    }
}

static void kv(sbuf *b, const char *k, const char *v)
{
    sb_str(b, k);
    sb_str(b, "\t");
    esc(b, v);
    sb_str(b, "\n");
}

static void kvu(sbuf *b, const char *k, unsigned long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%llu", v);
    kv(b, k, t);
}

static int st_save(const char *outdir, const sl_state *s)
{
    sbuf b = {0};
    char *p;
    int rc;
    sb_str(&b, "# datavet slurm state: rewritten by datavet slurm submit/resubmit\n");
    kv(&b, "version", "1");
    kv(&b, "cwd", s->cwd);
    kv(&b, "script", s->script);
    kv(&b, "datavet", s->datavet);
    kv(&b, "jobsmode", s->jobsmode);
    kvu(&b, "shards", s->shards);
    kvu(&b, "per_task", s->per_task);
    kvu(&b, "tasks", s->tasks);
    kvu(&b, "max_retries", s->max_retries);
    kvu(&b, "max_running", s->max_running);
    kvu(&b, "check", s->check);
    for (size_t i = 0; i < s->sbatch.n; i++) kv(&b, "sbatch", s->sbatch.v[i]);
    for (size_t i = 0; i < s->scan.n; i++) kv(&b, "scan", s->scan.v[i]);
    for (size_t i = 0; i < s->jobs.n; i++) kv(&b, "job", s->jobs.v[i]);
    for (unsigned long long t = 0; t < s->tasks; t++) {
        char line[96];
        snprintf(line, sizeof line, "task\t%llu %u %llu\n", t, s->attempts[t], s->last_job[t]);
        sb_str(&b, line);
    }
    if (b.oom) return -1;
    p = path2(outdir, "slurm/state");
    if (!p) return -1;
    rc = write_atomic(p, b.p, b.n, 0600);
    free(p);
    free(b.p);
    return rc;
}

static void unesc(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else
            *w++ = *s;
    }
    *w = '\0';
}

static int st_load(const char *outdir, sl_state *s)
{
    char *p = path2(outdir, "slurm/state"), *text = NULL, *line, *next;
    FILE *f;
    long len;
    int bad = 0;
    memset(s, 0, sizeof *s);
    if (!p) return -1;
    f = fopen(p, "rb");
    if (!f) {
        cli_err("datavet slurm: %s: %s (no 'datavet slurm submit' into this OUTDIR?)\n", p,
                strerror(errno));
        free(p);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len <= (long)SL_MAX_STATE &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) != NULL &&
        fread(text, 1, (size_t)len, f) == (size_t)len) {
        text[len] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (!text) {
        cli_err("datavet slurm: cannot read %s\n", p);
        free(p);
        return -1;
    }
    for (line = text; line && *line; line = next) {
        char *tab, *v;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (*line == '#' || *line == '\0') continue;
        tab = strchr(line, '\t');
        if (!tab) {
            bad = 1;
            break;
        }
        *tab = '\0';
        v = tab + 1;
        unesc(v);
        if (strcmp(line, "cwd") == 0) s->cwd = strdup(v);
        else if (strcmp(line, "script") == 0) s->script = strdup(v);
        else if (strcmp(line, "datavet") == 0) s->datavet = strdup(v);
        else if (strcmp(line, "jobsmode") == 0) s->jobsmode = strdup(v);
        else if (strcmp(line, "shards") == 0) bad |= parse_u64s(v, &s->shards);
        else if (strcmp(line, "per_task") == 0) bad |= parse_u64s(v, &s->per_task);
        else if (strcmp(line, "tasks") == 0) {
            bad |= parse_u64s(v, &s->tasks);
            if (!bad && s->tasks <= SL_MAX_TASKS) {
                s->attempts = calloc(s->tasks + 1, sizeof(unsigned));
                s->last_job = calloc(s->tasks + 1, sizeof(unsigned long long));
            }
            if (!s->attempts || !s->last_job) bad = 1;
        } else if (strcmp(line, "max_retries") == 0) bad |= parse_u64s(v, &s->max_retries);
        else if (strcmp(line, "max_running") == 0) bad |= parse_u64s(v, &s->max_running);
        else if (strcmp(line, "check") == 0) bad |= parse_u64s(v, &s->check);
        else if (strcmp(line, "sbatch") == 0) bad |= sv_push(&s->sbatch, v);
        else if (strcmp(line, "scan") == 0) bad |= sv_push(&s->scan, v);
        else if (strcmp(line, "job") == 0) bad |= sv_push(&s->jobs, v);
        else if (strcmp(line, "task") == 0) {
            unsigned long long t, j;
            unsigned a;
            if (!s->attempts || sscanf(v, "%llu %u %llu", &t, &a, &j) != 3 || t >= s->tasks) bad = 1;
            else s->attempts[t] = a, s->last_job[t] = j;
        }
        if (bad) break;
    }
    free(text);
    if (bad || !s->cwd || !s->script || !s->datavet || !s->jobsmode || !s->attempts ||
        s->per_task == 0 || s->scan.n == 0 ||
        s->tasks != (s->shards + s->per_task - 1) / s->per_task) {
        cli_err("datavet slurm: %s is damaged\n", p);
        free(p);
        st_free(s);
        return -1;
    }
    free(p);
    return 0;
}

/* ---------------------------------------------------------------- submission */

static const char SCRIPT[] =
    "#!/bin/sh\n"
    "# datavet-scan.sbatch - one task of a datavet scan run as a Slurm array job; written by\n"
    "# 'datavet slurm submit', submitted again unchanged by 'datavet slurm resubmit'. You may\n"
    "# edit it (e.g. to copy the lists onto node-local disk first, see docs/slurm.md).\n"
    "#\n"
    "# Array task t scans the fixed chunk of shards t*K .. min((t+1)*K, S)-1, whatever the\n"
    "# array's size, so a resubmitted index covers the same shards. The merge is left to\n"
    "# 'datavet merge OUTDIR' once every shard has its done marker (datavet slurm status).\n"
    "# Arguments (from sbatch): K S DATAVET JOBS DATASET [scan options...]\n"
    "# JOBS 'auto': as many scan threads as CPUs Slurm gave the task.\n"
    "set -u\n"
    "K=$1 S=$2 DATAVET=$3 JOBS=$4\n"
    "shift 4\n"
    "t=${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}\n"
    "A=$((t * K))\n"
    "B=$((A + K - 1))\n"
    "[ \"$B\" -lt \"$S\" ] || B=$((S - 1))\n"
    "if [ \"$A\" -ge \"$S\" ]; then\n"
    "    echo \"datavet-scan: task $t: no shards (S=$S, K=$K)\" >&2\n"
    "    exit 0\n"
    "fi\n"
    "if [ ! -x \"$DATAVET\" ]; then\n"
    "    echo \"datavet-scan: $DATAVET missing on $(hostname): install datavet there\" >&2\n"
    "    exit 2\n"
    "fi\n"
    "if [ \"$JOBS\" = auto ]; then\n"
    "    set -- \"$@\" -j \"${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-0}}\"\n"
    "fi\n"
    "echo \"datavet-scan: job ${SLURM_ARRAY_JOB_ID:-?}_$t: shards $A-$B on $(hostname)\" >&2\n"
    "\"$DATAVET\" scan \"$@\" --shards \"$A-$B\" --no-merge\n"
    "rc=$?\n"
    "# scan exits 1 when it found something: that is success for the task\n"
    "[ \"$rc\" -eq 1 ] && rc=0\n"
    "# 2 with a done marker for every shard of the chunk: the scan finished, but some shard\n"
    "# could not be read whole (its message above names it); a retry would read it no better,\n"
    "# and 'datavet merge' says the scan is incomplete, so the task has not failed\n"
    "if [ \"$rc\" -eq 2 ]; then\n"
    "    O= prev=\n"
    "    for a in \"$@\"; do\n"
    "        case $prev in -o|--output) O=$a ;; esac\n"
    "        case $a in --output=*) O=${a#--output=} ;; esac\n"
    "        prev=$a\n"
    "    done\n"
    "    i=$A\n"
    "    while [ -n \"$O\" ] && [ \"$i\" -le \"$B\" ] &&\n"
    "        [ -e \"$O/shards/$(printf %06d \"$i\").done\" ]; do i=$((i + 1)); done\n"
    "    if [ -n \"$O\" ] && [ \"$i\" -gt \"$B\" ]; then\n"
    "        echo \"datavet-scan: task $t: shards $A-$B done, not all read whole\" \\\n"
    "            \"(datavet merge will say the scan is incomplete): the task succeeded\" >&2\n"
    "        rc=0\n"
    "    fi\n"
    "fi\n"
    "exit \"$rc\"\n";

/* "0-3,7,9-10" from a sorted list of indices (+ "%N" when N > 0). */
static void array_spec(sbuf *b, const unsigned long long *ix, size_t n, unsigned long long max_run)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && ix[j + 1] == ix[j] + 1) j++;
        if (i) sb_str(b, ",");
        sb_u64(b, ix[i]);
        if (j > i) {
            sb_str(b, "-");
            sb_u64(b, ix[j]);
        }
        i = j + 1;
    }
    if (max_run) {
        sb_str(b, "%");
        sb_u64(b, max_run);
    }
}

static int shard_done(const char *outdir, unsigned long long i)
{
    char name[64];
    char *p;
    struct stat sb;
    int r;
    snprintf(name, sizeof name, "shards/%06llu.done", i);
    p = path2(outdir, name);
    if (!p) return 0;
    r = stat(p, &sb) == 0;
    free(p);
    return r;
}

static void chunk(const sl_state *s, unsigned long long t, unsigned long long *a,
                  unsigned long long *b)
{
    *a = t * s->per_task;
    *b = *a + s->per_task - 1;
    if (*b >= s->shards) *b = s->shards - 1;
}

static int task_done(const char *outdir, const sl_state *s, unsigned long long t)
{
    unsigned long long a, b;
    chunk(s, t, &a, &b);
    for (unsigned long long i = a; i <= b; i++)
        if (!shard_done(outdir, i)) return 0;
    return 1;
}

/* sbatch the given task indices; records the job and the attempts. dry: print only. */
static int do_sbatch(const char *outdir, sl_state *s, const unsigned long long *ix, size_t n,
                     char **extra, size_t nextra, int dry)
{
    strv av = {0};
    sbuf spec = {0}, job = {0};
    char tmp[64], *out = NULL;
    int rc, ok = 0;
    unsigned long long id = 0;

    sb_str(&spec, "--array=");
    array_spec(&spec, ix, n, s->max_running);
    sv_push(&av, "sbatch");
    sv_push(&av, "--parsable");
    sv_push(&av, spec.p ? spec.p : "");
    for (size_t i = 0; i < s->sbatch.n; i++) sv_push(&av, s->sbatch.v[i]);
    for (size_t i = 0; i < nextra; i++) sv_push(&av, extra[i]);
    sv_push(&av, s->script);
    snprintf(tmp, sizeof tmp, "%llu", s->per_task);
    sv_push(&av, tmp);
    snprintf(tmp, sizeof tmp, "%llu", s->shards);
    sv_push(&av, tmp);
    sv_push(&av, s->datavet);
    sv_push(&av, s->jobsmode);
    for (size_t i = 0; i < s->scan.n; i++) sv_push(&av, s->scan.v[i]);
    if (spec.oom || av.n == 0) {
        cli_err("datavet slurm: out of memory\n");
        goto done;
    }
    if (dry) {
        /* as a shell would take it back: a path with a space or a quote stays one word */
        for (size_t i = 0; i < av.n; i++) {
            const char *w = av.v[i];
            printf("%s", i ? " " : "");
            if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789_@%+=:,./-") == strlen(w)) {
                printf("%s", w);
                continue;
            }
            putchar('\'');
            for (; *w; w++) {
                if (*w == '\'') printf("'\\''");
                else putchar(*w);
            }
            putchar('\'');
        }
        printf("\n");
        ok = 1;
        goto done;
    }
    rc = run_cmd(av.v, &out, NULL);
    if (rc != 0 || !out) {
        cli_err("datavet slurm: sbatch failed (exit %d)\n", rc);
        goto done;
    }
    {
        char *end;
        errno = 0;
        id = strtoull(out, &end, 10); /* --parsable: "jobid" or "jobid;cluster" */
        if (errno || end == out || id == 0) {
            cli_err("datavet slurm: unexpected sbatch output '%.100s'\n", out);
            goto done;
        }
    }
    sb_u64(&job, id);
    sb_str(&job, " ");
    sb_str(&job, spec.p + strlen("--array="));
    if (job.oom || sv_push(&s->jobs, job.p) != 0) goto done;
    for (size_t i = 0; i < n; i++) {
        s->attempts[ix[i]]++;
        s->last_job[ix[i]] = id;
    }
    if (st_save(outdir, s) != 0) goto done;
    printf("%llu\n", id);
    ok = 1;
done:
    sv_free(&av);
    free(spec.p);
    free(job.p);
    free(out);
    return ok ? 0 : -1;
}

/* One scan of no shard (index S of S+1) with the tasks' options: opens the lists and the
 * dataset here and writes OUTDIR/scan.params before the tasks race to, or compares against
 * it; into_scratch checks the same into a scratch folder (the last -o wins), removed after.
 * Returns the scan's exit status (0: the parameters work). */
static int run_check(const char *self, const sl_state *s, int into_scratch)
{
    strv av = {0};
    char a1[32], a2[32], scratch[64] = "";
    int rc;
    if (into_scratch) {
        const char *t = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/datavet-check.XXXXXX",
                 t && *t && strlen(t) < 30 ? t : "/tmp");
        if (!mkdtemp(scratch)) {
            cli_err("datavet slurm: %s: %s\n", scratch, strerror(errno));
            return 2;
        }
    }
    snprintf(a1, sizeof a1, "%llu", s->shards + 1);
    snprintf(a2, sizeof a2, "%llu", s->shards);
    sv_push(&av, self);
    sv_push(&av, "scan");
    for (size_t i = 0; i < s->scan.n; i++) sv_push(&av, s->scan.v[i]);
    sv_push(&av, "--shard-count");
    sv_push(&av, a1);
    sv_push(&av, "--shard-index");
    sv_push(&av, a2);
    sv_push(&av, "--no-merge");
    sv_push(&av, "-q");
    if (into_scratch) sv_push(&av, "-o"), sv_push(&av, scratch);
    /* in the directory of the submission: the options may name relative paths */
    rc = av.n ? run_cmd_in(s->cwd, av.v, NULL, NULL) : -1;
    sv_free(&av);
    if (into_scratch) {
        static const char *const made[] = {"shards", "scan.params", "scan.json",
                                           "dataset_problems.txt", "lock"};
        char f[128];
        for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
            snprintf(f, sizeof f, "%s/%s", scratch, made[i]);
            if (unlink(f) != 0) (void)rmdir(f);
        }
        (void)rmdir(scratch);
    }
    return rc;
}

/* The path of this datavet, into self[cap]; -1 (said) when /proc/self/exe cannot be read. */
static int self_path(char *self, size_t cap, const char *who)
{
    ssize_t n = readlink("/proc/self/exe", self, cap - 1);
    if (n <= 0) {
        cli_err("datavet slurm %s: cannot find this datavet (/proc/self/exe)\n", who);
        return -1;
    }
    self[n] = '\0';
    return 0;
}

/* An argument of slurm SUB that is neither an option it takes nor the one operand: named,
 * then the usage (as getopt would, for the commands it parses). */
static int arg_usage(const char *sub, const char *a, int needs_value)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "slurm %s", sub);
    if (needs_value) return cli_usage(cmd, "option '%s' requires an argument", a);
    if (a[0] == '-') return cli_usage(cmd, "unrecognized option '%s'", a);
    return cli_usage(cmd, "%s: one OUTDIR only", a);
}

static int cmd_submit(int argc, char **argv)
{
    sl_state s;
    strv extra = {0}, opts = {0};
    const char *dataset = NULL, *outdir = NULL, *part = NULL, *tlim = NULL, *mem = NULL,
               *cpus = NULL, *jname = "datavet-scan", *bin = NULL;
    unsigned long long K = 1, v;
    int dry = 0, check = 1, jobs_given = 0, status = 2;
    char self[4096], cwd[4096];
    char *p = NULL;
    unsigned long long *ix = NULL;
    size_t nix = 0;
    dv_dataset *ds = NULL;
    char err[1024];

    memset(&s, 0, sizeof s);
    s.max_retries = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq;
        char name[64];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) sv_push(&extra, argv[i]);
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_help(stdout, "slurm");
            st_free(&s);
            sv_free(&extra);
            sv_free(&opts);
            return 0;
        }
        if (a[0] != '-') {
            if (dataset) {
                cli_err("datavet slurm submit: more than one DATASET ('%s', '%s')\n",
                        dataset, a);
                goto out;
            }
            dataset = a;
            continue;
        }
        /* --name=value or --name value */
        eq = strchr(a, '=');
        if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
#define TAKE()                                                                                     \
    do {                                                                                           \
        if (!val) {                                                                                \
            if (i + 1 >= argc) {                                                                   \
                arg_usage("submit", name, 1);                                                      \
                goto out;                                                                          \
            }                                                                                      \
            val = argv[++i];                                                                       \
        }                                                                                          \
    } while (0)
        if (strcmp(name, "--shards-per-task") == 0 || strcmp(name, "-k") == 0) {
            TAKE();
            /* capped so that shards + K - 1 cannot wrap */
            if (cli_opt_uint("slurm submit", "--shards-per-task", val, CLI_DIGITS, 1, 1000000000,
                             &K) != 0)
                goto out;
        } else if (strcmp(name, "--partition") == 0) { TAKE(); part = val; }
        else if (strcmp(name, "--time") == 0) { TAKE(); tlim = val; }
        else if (strcmp(name, "--mem") == 0) { TAKE(); mem = val; }
        else if (strcmp(name, "--cpus-per-task") == 0) { TAKE(); cpus = val; }
        else if (strcmp(name, "--job-name") == 0) { TAKE(); jname = val; }
        else if (strcmp(name, "--datavet") == 0) { TAKE(); bin = val; }
        else if (strcmp(name, "--max-retries") == 0 || strcmp(name, "--max-running") == 0) {
            int retries = strcmp(name, "--max-retries") == 0;
            TAKE();
            if (cli_opt_uint("slurm submit", name, val, CLI_DIGITS, 0, 1000000, &v) != 0) goto out;
            if (retries) s.max_retries = v;
            else s.max_running = v;
        } else if (strcmp(name, "--dry-run") == 0) dry = 1;
        else if (strcmp(name, "--no-check") == 0) check = 0;
        else if (strcmp(name, "--shards") == 0 || strcmp(name, "--shard-index") == 0 ||
                 strcmp(name, "--shard-count") == 0 || strcmp(name, "--no-merge") == 0 ||
                 strcmp(name, "--plan") == 0 || strcmp(name, "--clean") == 0 ||
                 strcmp(name, "--sign") == 0) {
            cli_err("datavet slurm submit: %s is not for a cluster scan (the tasks "
                    "choose their shards%s)\n", name,
                    strcmp(name, "--clean") == 0   ? "; give --clean to datavet merge"
                    : strcmp(name, "--sign") == 0 ? "; give --sign to datavet merge"
                                           : "");
            goto out;
        } else {
            /* a scan option: passed on to every task as given */
            int inl = val != NULL;
            char first[3] = {'-', name[1], '\0'}; /* of -j4 or -qd: -j, -q */
            if (cli_scan_opt_has_arg(name) < 0 &&
                (name[1] == '-' || name[1] == '\0' || cli_scan_opt_has_arg(first) < 0)) {
                /* refused here, not in every task (with --no-check, nothing else would) */
                arg_usage("submit", name, 0);
                goto out;
            }
            if (strcmp(name, "-j") == 0 || strcmp(name, "--jobs") == 0) jobs_given = 1;
            if (cli_scan_opt_has_arg(name) == 1 && !val) TAKE();
            if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0) outdir = val;
            if (val && !inl) sv_push(&opts, a), sv_push(&opts, val);
            else sv_push(&opts, a);
        }
#undef TAKE
    }
    if (!dataset || !outdir) {
        cli_usage("slurm submit", !dataset ? "no DATASET given" : "no -o OUTDIR given");
        goto out;
    }
    /* DATASET first, then the scan options in order */
    sv_push(&s.scan, dataset);
    for (size_t i = 0; i < opts.n; i++) sv_push(&s.scan, opts.v[i]);
    if (s.scan.n != opts.n + 1) goto out;
    if (!getcwd(cwd, sizeof cwd)) {
        cli_err("datavet slurm submit: getcwd: %s\n", strerror(errno));
        goto out;
    }
    if (strchr(outdir, '\\') || (outdir[0] != '/' && strchr(cwd, '\\'))) {
        /* sbatch --output cannot name it: Slurm drops the backslash and then expands no
         * %A_%a, so every task would fail (signal 53) without a log */
        cli_err("datavet slurm submit: %s%s%s holds a backslash, which sbatch --output "
                "cannot name (the task logs go to OUTDIR/slurm/logs): use another "
                "OUTDIR\n", outdir[0] != '/' ? cwd : "", outdir[0] != '/' ? "/" : "",
                outdir);
        goto out;
    }
    if (self_path(self, sizeof self, "submit") != 0) goto out;
    if (bin && bin[0] != '/') {
        cli_err("datavet slurm submit: --datavet needs an absolute path\n");
        goto out;
    }
    /* the shard plan, as 'datavet scan --plan' prints it */
    if (dv_dataset_open(dataset, NULL, &ds, err, sizeof err) != DV_OK) {
        cli_err("datavet slurm submit: %s\n", err);
        goto out;
    }
    s.shards = dv_dataset_num_shards(ds);
    dv_dataset_free(ds);
    if (s.shards == 0) {
        cli_err("datavet slurm submit: %s has no shards\n", dataset);
        goto out;
    }
    s.per_task = K;
    s.tasks = (s.shards + K - 1) / K;
    if (s.tasks > SL_MAX_TASKS) goto out;
    s.attempts = calloc(s.tasks, sizeof(unsigned));
    s.last_job = calloc(s.tasks, sizeof(unsigned long long));
    ix = calloc(s.tasks, sizeof(unsigned long long));
    s.cwd = strdup(cwd);
    s.datavet = strdup(bin ? bin : self);
    s.jobsmode = strdup(jobs_given ? "given" : "auto");
    if (mkdir_p0700(outdir) != 0) goto out;
    p = path2(outdir, "slurm");
    if (!p || mkdir_p0700(p) != 0) goto out;
    free(p);
    p = path2(outdir, "slurm/logs");
    if (!p || mkdir_p0700(p) != 0) goto out;
    free(p);
    p = path2(outdir, "slurm/state");
    if (!p) goto out;
    /* a dry run too: it would rewrite the script, edits and all, and on an OUTDIR whose
     * shards are all done the state, with its jobs and attempts */
    if (access(p, F_OK) == 0) {
        cli_err("datavet slurm submit: %s was submitted before: see 'datavet slurm status "
                "%s' and 'datavet slurm resubmit%s %s'\n", outdir, outdir,
                dry ? " --dry-run" : "", outdir);
        goto out;
    }
    free(p);
    p = path2(outdir, "slurm/datavet-scan.sbatch");
    if (!s.attempts || !s.last_job || !ix || !s.cwd || !s.datavet || !s.jobsmode || !p) goto out;
    if (p[0] == '/') s.script = strdup(p);
    else s.script = path2(cwd, p);
    if (!s.script || write_atomic(p, SCRIPT, sizeof SCRIPT - 1, 0700) != 0) goto out;
    {
        /* sbatch --output is a file name pattern: a '%' of the path is written "%%" */
        sbuf o = {0};
        const char *parts[2] = {outdir[0] != '/' ? cwd : "", outdir};
        sb_str(&o, "--output=");
        for (int k = 0; k < 2; k++) {
            for (const char *q = parts[k]; *q; q++)
                sb_add(&o, *q == '%' ? "%%" : q, *q == '%' ? 2 : 1);
            if (k == 0 && *parts[0]) sb_str(&o, "/");
        }
        sb_str(&o, "/slurm/logs/%A_%a.out");
        sv_push(&s.sbatch, "--job-name");
        sv_push(&s.sbatch, jname);
        sv_push(&s.sbatch, "--chdir");
        sv_push(&s.sbatch, cwd);
        sv_push(&s.sbatch, o.p ? o.p : "");
        free(o.p);
        if (part) sv_push(&s.sbatch, "--partition"), sv_push(&s.sbatch, part);
        if (tlim) sv_push(&s.sbatch, "--time"), sv_push(&s.sbatch, tlim);
        if (mem) sv_push(&s.sbatch, "--mem"), sv_push(&s.sbatch, mem);
        if (cpus) sv_push(&s.sbatch, "--cpus-per-task"), sv_push(&s.sbatch, cpus);
        for (size_t i = 0; i < extra.n; i++) sv_push(&s.sbatch, extra.v[i]);
    }
    s.check = (unsigned long long)check;
    if (check && run_check(self, &s, dry) != 0) {
        cli_err("datavet slurm submit: the scan parameters do not work here (see "
                "above; --no-check skips this check): nothing submitted\n");
        goto out;
    }
    for (unsigned long long t = 0; t < s.tasks; t++)
        if (!task_done(outdir, &s, t)) ix[nix++] = t;
    if (nix == 0) {
        cli_err("datavet slurm submit: every shard is done already: run 'datavet merge "
                "%s'\n", outdir);
        status = dry || st_save(outdir, &s) == 0 ? 0 : 2;
        goto out;
    }
    if (do_sbatch(outdir, &s, ix, nix, NULL, 0, dry) != 0) goto out;
    if (dry)
        cli_err("datavet slurm: %llu %s in %llu %s of %llu (%zu would be "
                "submitted: --dry-run printed the sbatch command)\n",
                s.shards, cli_plural(s.shards, "shard", "shards"), s.tasks,
                cli_plural(s.tasks, "task", "tasks"), s.per_task, nix);
    else
        cli_err("datavet slurm: %llu %s in %llu %s of %llu (%zu submitted); "
                "'datavet slurm status %s'\n",
                s.shards, cli_plural(s.shards, "shard", "shards"), s.tasks,
                cli_plural(s.tasks, "task", "tasks"), s.per_task, nix, outdir);
    status = 0;
out:
    free(p);
    free(ix);
    sv_free(&extra);
    sv_free(&opts);
    st_free(&s);
    return status;
}

/* ---------------------------------------------------------------- status */

enum { T_DONE, T_RUNNING, T_PENDING, T_FAILED, T_MISSING, T_NSTATES };
static const char *const tnames[] = {"done", "running", "pending", "failed", "missing"};

typedef struct tstat {
    int state;
    char why[48]; /* Slurm's end state when it still knows it (scontrol), e.g. CANCELLED */
} tstat;

/* Value of "Key=" in a one-line scontrol record, copied into buf. */
static const char *field(const char *line, const char *key, char *buf, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += kl) {
        if (p != line && p[-1] != ' ') continue;
        p += kl;
        size_t n = strcspn(p, " \n");
        if (n >= cap) n = cap - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return buf;
    }
    return NULL;
}

static int is_ours(const sl_state *s, unsigned long long job, unsigned long long t)
{
    return t < s->tasks && s->last_job[t] == job && job != 0;
}

/* Shards with a done marker. */
static unsigned long long shards_done(const char *outdir, const sl_state *s)
{
    unsigned long long n = 0;
    for (unsigned long long i = 0; i < s->shards; i++)
        if (shard_done(outdir, i)) n++;
    return n;
}

/* Fills st[] for every task and *queued_out with the number of tasks queued (running or
 * pending). Returns 0, or the failing squeue's status: then no task is known to be queued,
 * and one that is would show as failed, so no caller may take st[] for what Slurm holds. */
static int task_states(const char *outdir, const sl_state *s, tstat *st, size_t *queued_out)
{
    char *out = NULL, uid[32];
    size_t queued = 0;
    int sq_rc;
    for (unsigned long long t = 0; t < s->tasks; t++) {
        st[t].why[0] = '\0';
        st[t].state = task_done(outdir, s, t) ? T_DONE : s->attempts[t] ? T_FAILED : T_MISSING;
    }
    /* queued tasks: squeue, one line per array element; our own jobs only */
    snprintf(uid, sizeof uid, "%lu", (unsigned long)getuid());
    {
        char *av[] = {"squeue", "-h", "-r", "-u", uid, "-o", "%F %K %T", NULL};
        sq_rc = run_cmd(av, &out, NULL);
        if (sq_rc != 0) {
            cli_err("datavet slurm: squeue failed (exit %d): which tasks are queued "
                    "is not known\n", sq_rc);
            free(out);
            *queued_out = 0;
            return sq_rc;
        } else {
            for (char *l = out; l && *l;) {
                char *nl = strchr(l, '\n'), state[32];
                unsigned long long j, t;
                if (nl) *nl = '\0';
                if (sscanf(l, "%llu %llu %31s", &j, &t, state) == 3 && is_ours(s, j, t)) {
                    int running = strcmp(state, "PENDING") != 0 && strcmp(state, "REQUEUED") != 0;
                    /* a task that wrote all its markers and is ending counts as done */
                    if (st[t].state != T_DONE) st[t].state = running ? T_RUNNING : T_PENDING;
                    queued++;
                }
                l = nl ? nl + 1 : NULL;
            }
        }
        free(out);
        out = NULL;
    }
    /* ended tasks: why, while slurmctld still remembers (MinJobAge); no accounting needed */
    for (size_t k = 0; k < s->jobs.n; k++) {
        unsigned long long j = strtoull(s->jobs.v[k], NULL, 10);
        char jid[32];
        int need = 0;
        for (unsigned long long t = 0; t < s->tasks && !need; t++)
            need = st[t].state == T_FAILED && s->last_job[t] == j;
        if (!need) continue;
        snprintf(jid, sizeof jid, "%llu", j);
        char *av[] = {"scontrol", "-o", "show", "job", jid, NULL};
        int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
        /* "Invalid job id" once it has been purged is expected: keep it off our stderr */
        if (devnull >= 0) dup2(devnull, 2);
        int rc = run_cmd(av, &out, NULL);
        if (saved >= 0) dup2(saved, 2), close(saved);
        if (devnull >= 0) close(devnull);
        if (rc == 0 && out) {
            for (char *l = out; l && *l;) {
                char *nl = strchr(l, '\n'), b1[48], b2[48], b3[48];
                if (nl) *nl = '\0';
                const char *ti = field(l, "ArrayTaskId=", b1, sizeof b1);
                const char *js = field(l, "JobState=", b2, sizeof b2);
                const char *ec = field(l, "ExitCode=", b3, sizeof b3);
                char *end;
                unsigned long long t = ti ? strtoull(ti, &end, 10) : 0;
                if (ti && js && *end == '\0' && is_ours(s, j, t) && st[t].state == T_FAILED) {
                    if (strcmp(js, "FAILED") == 0 && ec)
                        snprintf(st[t].why, sizeof st[t].why, "FAILED exit %s", ec);
                    else
                        snprintf(st[t].why, sizeof st[t].why, "%s", js);
                }
                l = nl ? nl + 1 : NULL;
            }
        }
        free(out);
        out = NULL;
    }
    *queued_out = queued;
    return 0;
}

static int print_status(const char *outdir, const sl_state *s, const tstat *st, int all)
{
    unsigned long long n[T_NSTATES] = {0};
    for (unsigned long long t = 0; t < s->tasks; t++) {
        unsigned long long a, b;
        chunk(s, t, &a, &b);
        for (unsigned long long i = a; i <= b; i++)
            n[shard_done(outdir, i) ? T_DONE : st[t].state]++;
    }
    cli_fmt(stdout, "%s: %llu %s in %llu %s of %llu; jobs:", outdir, s->shards,
            cli_plural(s->shards, "shard", "shards"), s->tasks,
            cli_plural(s->tasks, "task", "tasks"), s->per_task);
    for (size_t k = 0; k < s->jobs.n; k++) printf(" %llu", strtoull(s->jobs.v[k], NULL, 10));
    printf("\nshards: %llu done, %llu running, %llu pending, %llu failed, %llu missing\n",
           n[T_DONE], n[T_RUNNING], n[T_PENDING], n[T_FAILED], n[T_MISSING]);
    for (unsigned long long t = 0; t < s->tasks; t++) {
        unsigned long long a, b;
        int first = 1;
        if (st[t].state == T_DONE && !all) continue;
        chunk(s, t, &a, &b);
        printf("task %llu\tshards %llu-%llu\t%s", t, a, b, tnames[st[t].state]);
        if (st[t].why[0]) cli_fmt(stdout, " (%s)", st[t].why);
        printf("\tattempts %u/%llu", s->attempts[t], s->max_retries + 1);
        if (s->last_job[t]) printf("\tjob %llu_%llu", s->last_job[t], t);
        if (st[t].state != T_DONE) {
            printf("\tnot done:");
            for (unsigned long long i = a; i <= b; i++)
                if (!shard_done(outdir, i)) printf("%s%llu", first ? " " : ",", i), first = 0;
        }
        printf("\n");
    }
    if (n[T_DONE] == s->shards) {
        cli_fmt(stdout, "all shards done: run 'datavet merge %s'\n", outdir);
        return 0;
    }
    return 1;
}

static int cmd_status(int argc, char **argv, int wait)
{
    sl_state s;
    tstat *st;
    const char *outdir = NULL;
    int all = 0, rc;
    unsigned long long interval = 5, timeout = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) all = 1;
        else if (wait && (strcmp(argv[i], "--interval") == 0 || strcmp(argv[i], "--timeout") == 0) &&
                 i + 1 >= argc)
            return arg_usage("wait", argv[i], 1);
        else if (wait && strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
            if (cli_opt_uint("slurm wait", "--interval", argv[++i], CLI_DIGITS, 1, 86400,
                             &interval) != 0)
                return 2;
        } else if (wait && strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            if (cli_opt_uint("slurm wait", "--timeout", argv[++i], CLI_DIGITS, 0, ULLONG_MAX,
                             &timeout) != 0)
                return 2;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_help(stdout, "slurm");
            return 0;
        } else if (argv[i][0] != '-' && !outdir) outdir = argv[i];
        else return arg_usage(wait ? "wait" : "status", argv[i], 0);
    }
    if (!outdir) return cli_usage(wait ? "slurm wait" : "slurm status", "no OUTDIR given");
    if (st_load(outdir, &s) != 0) return 2;
    st = calloc(s.tasks ? s.tasks : 1, sizeof(tstat));
    if (!st) {
        st_free(&s);
        return 2;
    }
    if (wait) {
        /* poll squeue (sbatch --wait looks only at 2, 10, 42 s...); a failed squeue (a
         * slurmctld restarting, a timeout under load) is tried again at the next poll */
        time_t t0 = time(NULL);
        unsigned fails = 0;
        size_t queued;
        cli_progress pl;
        double pt0 = cli_now_s();
        unsigned long long done0 = ~0ull;
        cli_progress_init(&pl, 0, 0); /* a terminal only: a wait is hours of silence else */
        for (;;) {
            int sq;
            cli_progress_end(&pl, 0); /* squeue's failures are said on lines of their own */
            sq = task_states(outdir, &s, st, &queued);
            if (pl.show && sq == 0 && queued > 0) {
                /* tasks done, and shards: their rate since the wait began gives the ETA */
                size_t n[T_NSTATES] = {0};
                unsigned long long sd = shards_done(outdir, &s);
                double el = cli_now_s() - pt0;
                char eta[40] = "";
                for (unsigned long long t = 0; t < s.tasks; t++) n[st[t].state]++;
                if (done0 == ~0ull) done0 = sd;
                if (sd > done0 && sd < s.shards && el > 0) {
                    double left = el / (double)(sd - done0) * (double)(s.shards - sd);
                    cli_fmt_eta(eta, sizeof eta, ", ", left);
                }
                if (cli_progress_due(&pl, 1))
                    cli_progress_put(&pl,
                                     "slurm wait: %llu/%llu shards done, %zu running, "
                                     "%zu pending, %.0f s%s",
                                     sd, s.shards, n[T_RUNNING], n[T_PENDING], el, eta);
            }
            if (sq == 0 && queued == 0) break;
            if (sq != 0 && shards_done(outdir, &s) == s.shards) break;
            if (sq != 0 && ++fails >= SL_SQUEUE_TRIES) {
                cli_progress_end(&pl, 0);
                cli_err("datavet slurm wait: squeue failed %u times in a row: "
                        "%llu of %llu shards done, which tasks are queued is not known\n",
                        fails, shards_done(outdir, &s), s.shards);
                free(st);
                st_free(&s);
                return 2;
            }
            if (sq == 0) fails = 0;
            if (timeout && (unsigned long long)(time(NULL) - t0) >= timeout) {
                cli_progress_end(&pl, 0);
                cli_err("datavet slurm wait: tasks still queued after %llu s\n", timeout);
                if (sq == 0) print_status(outdir, &s, st, all);
                free(st);
                st_free(&s);
                return 2;
            }
            sleep((unsigned)interval);
        }
        cli_progress_end(&pl, 0);
    } else {
        size_t queued;
        if (task_states(outdir, &s, st, &queued) != 0 && shards_done(outdir, &s) != s.shards) {
            /* a queued task would show as failed: no table rather than a wrong one */
            cli_err("datavet slurm status: %llu of %llu shards done; which of the "
                    "others are queued, running or failed is not known without squeue\n",
                    shards_done(outdir, &s), s.shards);
            free(st);
            st_free(&s);
            return 2;
        }
    }
    rc = print_status(outdir, &s, st, all);
    free(st);
    st_free(&s);
    return rc;
}

/* ---------------------------------------------------------------- resubmit */

static int cmd_resubmit(int argc, char **argv)
{
    sl_state s;
    tstat *st = NULL;
    const char *outdir = NULL;
    unsigned long long *ix = NULL, v;
    size_t nix = 0, exhausted = 0, queued;
    int dry = 0, nocheck = 0, rc = 2, i;
    char **extra = NULL, self[4096];
    size_t nextra = 0;
    int have_retries = 0;
    unsigned long long retries = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            extra = argv + i + 1;
            nextra = (size_t)(argc - i - 1);
            break;
        } else if (strcmp(argv[i], "--dry-run") == 0) dry = 1;
        else if (strcmp(argv[i], "--no-check") == 0) nocheck = 1;
        else if (strcmp(argv[i], "--max-retries") == 0 && i + 1 >= argc)
            return arg_usage("resubmit", argv[i], 1);
        else if (strcmp(argv[i], "--max-retries") == 0 && i + 1 < argc) {
            if (cli_opt_uint("slurm resubmit", "--max-retries", argv[++i], CLI_DIGITS, 0, 1000000,
                             &v) != 0)
                return 2;
            retries = v, have_retries = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_help(stdout, "slurm");
            return 0;
        } else if (argv[i][0] != '-' && !outdir) outdir = argv[i];
        else return arg_usage("resubmit", argv[i], 0);
    }
    if (!outdir) return cli_usage("slurm resubmit", "no OUTDIR given");
    if (st_load(outdir, &s) != 0) return 2;
    if (have_retries) s.max_retries = retries;
    st = calloc(s.tasks, sizeof(tstat));
    ix = calloc(s.tasks, sizeof(unsigned long long));
    if (!st || !ix) goto out;
    if (task_states(outdir, &s, st, &queued) != 0) {
        /* a task still queued would look failed and be submitted a second time */
        cli_err("datavet slurm resubmit: without squeue the queued tasks are not "
                "known: nothing resubmitted\n");
        goto out;
    }
    for (unsigned long long t = 0; t < s.tasks; t++) {
        if (st[t].state != T_FAILED && st[t].state != T_MISSING) continue;
        if (s.attempts[t] > s.max_retries) {
            exhausted++;
            cli_err("datavet slurm resubmit: task %llu failed %u times (--max-retries "
                    "%llu): not resubmitted; see %s/slurm/logs/%llu_%llu.out\n",
                    t, s.attempts[t], s.max_retries, outdir, s.last_job[t], t);
            continue;
        }
        ix[nix++] = t;
    }
    if (nix == 0) {
        if (exhausted) rc = 1;
        else {
            cli_err("datavet slurm resubmit: nothing to resubmit (%zu %s queued)%s%s%s\n",
                    queued, cli_plural(queued, "task", "tasks"),
                    queued ? "" : ": run 'datavet merge ", queued ? "" : outdir,
                    queued ? "" : "'");
            rc = 0;
        }
        goto out;
    }
    /* a list rebuilt or the dataset changed since submit: every task would fail on it (a
     * retry spent each), so check here first, as submit did (compares with scan.params) */
    if (s.check && !nocheck) {
        if (self_path(self, sizeof self, "resubmit") != 0) goto out;
        if (run_check(self, &s, 0) != 0) {
            cli_err("datavet slurm resubmit: the scan parameters do not work here any "
                    "more (see above; --no-check skips this check): nothing "
                    "resubmitted\n");
            goto out;
        }
    }
    if (do_sbatch(outdir, &s, ix, nix, extra, nextra, dry) != 0) goto out;
    if (dry)
        cli_err("datavet slurm: %zu %s would be resubmitted (--dry-run printed the "
                "sbatch command)\n", nix, cli_plural(nix, "task", "tasks"));
    else
        cli_err("datavet slurm: resubmitted %zu %s\n", nix, cli_plural(nix, "task", "tasks"));
    rc = exhausted ? 1 : 0;
out:
    free(st);
    free(ix);
    st_free(&s);
    return rc;
}

int cmd_slurm(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        cli_print_help(argc < 2 ? stderr : stdout, "slurm");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "submit") == 0) return cmd_submit(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0) return cmd_status(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "wait") == 0) return cmd_status(argc - 1, argv + 1, 1);
    if (strcmp(argv[1], "resubmit") == 0) return cmd_resubmit(argc - 1, argv + 1);
    return cli_usage("slurm", "unknown subcommand '%s' (submit, status, wait, resubmit)",
                     argv[1]);
}
