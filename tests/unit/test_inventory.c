/* test_inventory.c - dv_inventory_run examines the very file its walk found: a file swapped
 * (for another file, or a FIFO) while the inventory runs is described from the bytes it
 * hashed, never opened again by its path, and one swapped before it is read is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"

typedef struct swap {
    char dir[64];
    int fifo;   /* 1: a.npy becomes a FIFO; 0: other.npy is renamed over a.npy, b2 over b */
    int done;
} swap;

typedef struct got {
    char detail_a[128], error_a[128], detail_b[128], error_b[128];
} got;

static void write_npy(const char *path, uint64_t rows, uint64_t dims)
{
    float v[64] = {0};
    char err[256];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dv_npy_write_fd(fd, DV_NPY_F32, v, rows, dims, err, sizeof err), DV_OK);
    assert_int_equal(close(fd), 0);
}

/* The first call comes while a.npy (the first file, one thread) is being read: the swap
 * happens between its hashing and its description, and before b.npy is opened. */
static void on_progress(void *ctx, uint64_t files_done, uint64_t files, uint64_t bytes_done,
                        uint64_t bytes)
{
    swap *s = ctx;
    char a[128], other[128];
    (void)files;
    (void)bytes;
    if (s->done || files_done != 0 || bytes_done == 0) return;
    s->done = 1;
    snprintf(a, sizeof a, "%s/in/a.npy", s->dir);
    if (s->fifo) {
        assert_int_equal(unlink(a), 0);
        assert_int_equal(mkfifo(a, 0600), 0);
        return;
    }
    snprintf(other, sizeof other, "%s/other.npy", s->dir);
    assert_int_equal(rename(other, a), 0);
    snprintf(a, sizeof a, "%s/in/b.npy", s->dir);
    snprintf(other, sizeof other, "%s/other2.npy", s->dir);
    assert_int_equal(rename(other, a), 0);
}

static int on_record(void *ud, const dv_inventory_record *r)
{
    got *g = ud;
    size_t n = strlen(r->path);
    int is_a = n >= 5 && strcmp(r->path + n - 5, "a.npy") == 0;
    snprintf(is_a ? g->detail_a : g->detail_b, sizeof g->detail_a, "%s",
             r->detail ? r->detail : "");
    snprintf(is_a ? g->error_a : g->error_b, sizeof g->error_a, "%s", r->error ? r->error : "");
    return 0;
}

static void run(int fifo, got *g)
{
    swap s = {.fifo = fifo};
    char p[128], err[256];
    const char *paths[1];
    dv_inventory_opts o;
    dv_inventory_result res;
    snprintf(s.dir, sizeof s.dir, "/tmp/dv-test-inventory.XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    snprintf(p, sizeof p, "%s/in", s.dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/in/a.npy", s.dir);
    write_npy(p, 2, 4);
    snprintf(p, sizeof p, "%s/in/b.npy", s.dir);
    write_npy(p, 2, 4);
    snprintf(p, sizeof p, "%s/other.npy", s.dir);
    write_npy(p, 3, 8);
    snprintf(p, sizeof p, "%s/other2.npy", s.dir);
    write_npy(p, 3, 8);
    snprintf(p, sizeof p, "%s/in", s.dir);
    paths[0] = p;
    memset(&o, 0, sizeof o);
    o.paths = paths;
    o.npaths = 1;
    o.threads = 1;
    o.progress = on_progress;
    o.progress_ctx = &s;
    memset(g, 0, sizeof *g);
    assert_int_equal(dv_inventory_run(&o, on_record, g, &res, err, sizeof err), DV_OK);
    assert_int_equal(s.done, 1);
    snprintf(p, sizeof p, "rm -rf %s", s.dir);
    assert_int_equal(system(p), 0);
}

static void test_swapped_for_a_file(void **state)
{
    got g;
    (void)state;
    run(0, &g);
    /* a.npy as hashed (2x4), not the 3x8 file at its path when it was described */
    assert_string_equal(g.error_a, "");
    assert_string_equal(g.detail_a, "npy float32 2x4");
    /* b.npy was replaced before it was opened: not the file the walk found */
    assert_string_equal(g.error_b, "no longer the regular file the walk found");
}

static void test_swapped_for_a_fifo(void **state)
{
    got g;
    (void)state;
    run(1, &g);
    assert_string_equal(g.error_a, "");
    assert_string_equal(g.detail_a, "npy float32 2x4");
    assert_string_equal(g.error_b, "");
    assert_string_equal(g.detail_b, "npy float32 2x4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swapped_for_a_file),
        cmocka_unit_test(test_swapped_for_a_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
