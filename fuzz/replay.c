/* replay.c - runs every file of the given corpus directories (or single files) through a
 * fuzz target once, in sorted order: seeds and past crashes replay in ctest without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct path_list {
    char **v;
    size_t n, cap;
} path_list;

static int add_path(path_list *l, const char *dir, const char *name)
{
    size_t need = strlen(name) + 1 + (dir ? strlen(dir) + 1 : 0);
    char *p;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, cap * sizeof(*nv));
        if (nv == NULL) return -1;
        l->v = nv;
        l->cap = cap;
    }
    p = malloc(need);
    if (p == NULL) return -1;
    if (dir)
        snprintf(p, need, "%s/%s", dir, name);
    else
        snprintf(p, need, "%s", name);
    l->v[l->n++] = p;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files directly in dir, dotfiles (.gitkeep) left out. */
static int list_dir(path_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        char full[4096];
        struct stat st;
        if (e->d_name[0] == '.') continue;
        snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (add_path(l, dir, e->d_name) != 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL) return NULL;
    for (;;) {
        size_t got;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    path_list l = {0};
    size_t done = 0;
    int status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: cannot stat %s\n", argv[0], argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode) ? list_dir(&l, argv[i]) : add_path(&l, NULL, argv[i])) {
            fprintf(stderr, "%s: cannot list %s\n", argv[0], argv[i]);
            return 1;
        }
    }
    if (l.n > 1) qsort(l.v, l.n, sizeof(*l.v), cmp_str);
    for (size_t i = 0; i < l.n; i++) {
        size_t len = 0;
        uint8_t *buf = read_all(l.v[i], &len);
        if (buf == NULL) {
            fprintf(stderr, "%s: cannot read %s\n", argv[0], l.v[i]);
            status = 1;
        } else {
            /* print first: if the target crashes, the log names the input */
            fprintf(stderr, "replay %s (%zu bytes)\n", l.v[i], len);
            LLVMFuzzerTestOneInput(buf, len);
            free(buf);
            done++;
        }
        free(l.v[i]);
    }
    free(l.v);
    printf("replayed %zu inputs\n", done);
    if (done == 0) {
        fprintf(stderr, "%s: no inputs found\n", argv[0]);
        return 1;
    }
    return status;
}
