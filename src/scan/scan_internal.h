/* scan_internal.h - what the scan, its merge and the cleaner share: the per-shard record
 * file (one escaped, tab-separated record per line) and the scan's parameter file. */
#ifndef DV_SCAN_INTERNAL_H
#define DV_SCAN_INTERNAL_H

#include "../common/common.h"
#include "../report/report.h"

#include <stdio.h>
#include <sys/types.h>

/* Per-shard record lines (shards/NNNNNN.rec), fields escaped with dv__rec_put:
 *   F <25 fields of dv__finding in struct order>
 *   E <shard_index> <row> <id> <url> <reason> <message>
 *   C <key> <value>
 *   I <path> <sha256 hex> <bytes>
 *   END                      (last line: a file without it is incomplete) */
#define DV__REC_FINDING_FIELDS 25
/* F records of datavet before the item's own hashes (the last 5 fields): read with those
 * empty */
#define DV__REC_FINDING_FIELDS_OLD 20
#define DV__REC_MAX_LINE (4u << 20)

/* Write s escaped (\\ \t \n \r) to f. */
void dv__rec_put(FILE *f, const char *s);
/* getline for record files, bounded: a line of at most DV__REC_MAX_LINE bytes (newline
 * included) into *line (realloc'd, free() it), its length; -1 at the end of the file;
 * DV_ETOOBIG for a longer line (nothing more of it is kept). */
ssize_t dv__rec_getline(char **line, size_t *cap, FILE *f);
/* Split a line (no newline) in place into at most max fields, unescaping each.
 * Returns the field count. */
size_t dv__rec_split(char *line, char **fields, size_t max);

/* Caption terms: whole-word, case-folded (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic), multi-word terms allowed. */
typedef struct dv__terms dv__terms;
int dv__terms_load(const char *path, const dv_alloc *a, dv__terms **out, char *err, size_t cap);
/* The same from text in memory; name is used in messages. */
int dv__terms_parse(const char *name, const void *text, size_t len, const dv_alloc *a,
                    dv__terms **out, char *err, size_t cap);
/* Index of the first term found in text, or -1; *term_out is its text as loaded. */
int dv__terms_find(dv__terms *t, const char *text, const char **term_out);
size_t dv__terms_count(const dv__terms *t);
void dv__terms_free(dv__terms *t);

/* A set of named counters kept sorted by key (strcmp), as the merge and the report want
 * them; keys are copied. Zero-initialise. */
typedef struct dv__ctrs {
    dv__counter *v;
    size_t n, cap;
} dv__ctrs;
int dv__ctrs_add(const dv_alloc *a, dv__ctrs *c, const char *key, uint64_t value);
uint64_t dv__ctrs_get(const dv__ctrs *c, const char *key);
void dv__ctrs_clear(const dv_alloc *a, dv__ctrs *c); /* keys freed, storage kept */
void dv__ctrs_free(const dv_alloc *a, dv__ctrs *c);

/* Ensure dir exists (mode 0700); parents must exist. A folder of OUTDIR's own (sub: shards)
 * must be a folder, not a link to one elsewhere; dir itself, given by the user, may be. */
int dv__mkdir_private(const char *dir, char *err, size_t cap);
int dv__mkdir_private_sub(const char *dir, char *err, size_t cap);
/* Create path (a temporary name in OUTDIR or a cleaned copy, renamed into place by
 * dv__commit_file) anew, mode 0600, for writing: dv_file_open_new, so a link or file planted
 * at that name is removed, never followed, truncated or chmod'ed. */
FILE *dv__fopen_private(const char *path);
/* fdatasync + fclose; rename tmp to path; fsync the directory (dv_file_sync, dv_file_rename). On failure (DV_EIO) tmp is
 * removed and errno says why (the first thing that failed: a full disk, ENOSPC). */
int dv__commit_file(FILE *f, const char *tmp, const char *path);
/* As dv__commit_file, *renamed as dv__file_rename_ex says it (1: path is the new file and
 * only its folder's sync failed; tmp is then gone already). */
int dv__commit_file_ex(FILE *f, const char *tmp, const char *path, int *renamed);
/* What a failed commit or rename of path says (errno e): "PATH: cannot write: WHY", or, where
 * the file was renamed into place and only its folder's sync failed, that it is in place but
 * may not survive a power loss. */
void dv__commit_err(char *err, size_t cap, const char *path, int renamed, int e);
/* As dv__commit_file, but path is created only if it does not exist (link, not rename):
 * DV_OK when this call created it, 1 when it was there already (tmp is removed either way). */
int dv__commit_new_file(FILE *f, const char *tmp, const char *path);

/* OUTDIR/lock: fcntl record locks that keep runs into one outdir apart. A scan holds a
 * read lock on byte 0 and a write lock on byte 1 + i of each shard i it scans; a merge holds
 * a write lock on the whole file. dv__lock_open gives the descriptor (-1 where the file
 * system has no record locks: runs are then not kept apart); dv__lock_range takes a lock
 * without waiting: DV_OK, or DV_EINVAL with *holder the pid holding a conflicting one
 * (0 if unknown). Closing the descriptor releases every lock of the process on the file. */
int dv__lock_open(const char *outdir, int *fd, char *err, size_t cap);
int dv__lock_range(int fd, int write, uint64_t start, uint64_t len, long *holder);
/* " (pid N)" for a holder's pid, "" when it is not known (another run's descriptor lock). */
void dv__lock_who(long pid, char *out, size_t cap);

/* --clean (clean.c): the cleaned copy and outdir/removal-public.txt from outdir/removal.txt;
 * commit_hex gets the salted commitment to the removed ids. */
/* The real path of p, or where p does not exist yet (nor its folders, maybe) the real path
 * of its nearest existing folder joined with the rest (free() it); whether real path a is
 * real path b or below it. */
char *dv__real_or_parent(const char *p);
int dv__path_within(const char *a, const char *b);

/* Whether done shard i's files changed (size or mtime) since it was scanned into outdir: its
 * done marker records them (an empty marker, from an older datavet, says nothing: 0). */
int dv__shard_changed(const dv_dataset *ds, const char *outdir, uint64_t i);

/* Whether clean_dir can take the cleaned copy: not the dataset, OUTDIR, inside or around
 * either, and new, empty or this scan's own copy (OUTDIR/clean.dir). */
int dv__clean_check(const char *outdir, const char *clean_dir, const char *dataset, char *err,
                    size_t cap);
/* Every shard's X.npz (DataComp; its embeddings used or not) can be written again in step
 * with its parquet's rows (dv__npz_clean_check); DV_EINVAL naming the first that cannot. */
int dv__clean_npz_shards(dv_dataset *ds, const dv_alloc *a, char *err, size_t cap);
/* Before anything is written: dv__clean_check, no shard changed since its scan, and
 * dv__clean_npz_shards. */
int dv__clean_precheck(const char *outdir, const char *clean_dir, const char *dataset,
                       const dv_dataset_opts *dso, char *err, size_t cap);
/* Write the cleaned copy; the caller ran dv__clean_precheck first. */
/* A merge's progress: the caller's callback and what it is told (dv_merge_opts). */
typedef struct dv__mprog {
    void (*fn)(void *ctx, const dv_merge_progress *p);
    void *ctx;
    dv_merge_progress p;
} dv__mprog;
/* Enter stage (done = bytes = 0, the totals given) and tell the caller. */
void dv__mprog_stage(dv__mprog *m, int stage, uint64_t total, uint64_t bytes_total);
void dv__mprog_emit(dv__mprog *m);

/* The cleaned copy, shards on `threads` workers (0: the usable CPUs); its outputs are the same
 * whatever the count. */
int dv__clean_dataset(const char *outdir, const char *clean_dir, const char *dataset,
                      const dv_dataset_opts *dso, uint32_t decoys, unsigned threads,
                      char commit_hex[65], uint64_t *removed_out, uint64_t *decoys_out,
                      uint64_t *files_out, uint64_t *bytes_out, uint64_t *left_out,
                      char **left_text, dv__mprog *prog, char *err, size_t cap);

/* Neighbour expansion (neighbors.c): a finding as the 20 record fields (malloc'd strings). */
typedef struct dv__nbfinding {
    char *f[DV__REC_FINDING_FIELDS];
} dv__nbfinding;
/* Seeds: the embedding rows of the match-tier findings in outdir's shard records. Search
 * every embedding file of the dataset; rows with similarity >= min_sim (the k best per seed
 * when k > 0) that are not matches become candidates, one per row (best seed), sorted by
 * shard and row. *nseeds_out: the seeds searched; *nbad_out: seeds left out because their
 * embedding row holds NaN, infinite or only zero values. */
int dv__neighbors_expand(const char *outdir, const char *dataset, const dv_dataset_opts *dso,
                         uint64_t nshards, float min_sim, size_t k, dv__nbfinding **out,
                         size_t *nout, uint64_t *nseeds_out, uint64_t *nbad_out,
                         unsigned threads, dv__mprog *prog, char *err, size_t cap);
void dv__neighbors_free(dv__nbfinding *f, size_t n);

/* outdir/scan.params: "key\tvalue" records (dv__rec_split, so unescaped), in file order. */
typedef struct dv__param {
    char *k, *v;
} dv__param;
typedef struct dv__params {
    dv__param *v;
    size_t n;
} dv__params;
/* DV_EINVAL with "not a scan output directory" when the file is missing or unreadable. */
int dv__params_load(const char *outdir, const dv_alloc *a, dv__params *out, char *err,
                    size_t cap);
const char *dv__params_get(const dv__params *p, const char *key); /* NULL if absent */
void dv__params_free(const dv_alloc *a, dv__params *p);

/* A JSON string of s (NULL: ""), quotes, backslashes and controls escaped (merge.c): text by
 * DV_TEXT_PLAIN (ill-formed UTF-8 becomes U+FFFD), a URL by DV_TEXT_URL (percent-encoded). */
void dv__jstr(FILE *f, const char *s);
void dv__jstr_url(FILE *f, const char *s);

/* SHA-256 of a whole file, as hex; bytes in *size. */
int dv__sha256_file(const char *path, char hex[65], uint64_t *size);
/* The same from an open file, read to its end. */
int dv__sha256_fd(int fd, char hex[65], uint64_t *size);

#endif
