/* failsync.c - an LD_PRELOAD shim for tests/cli/outputs.sh: fsync(2) of a folder whose path
 * ends with DV_FAILSYNC_DIR fails with EIO, as on a failing disk: the one way a test reaches
 * what a run says when a file was renamed into place but its folder could not be synced. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd)
{
    const char *want = getenv("DV_FAILSYNC_DIR");
    int (*real)(int);
    struct stat st;
    if (want && want[0] && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        char link[64], path[4096];
        size_t wl = strlen(want);
        ssize_t n;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, path, sizeof path - 1);
        if (n > 0 && (size_t)n >= wl && memcmp(path + n - wl, want, wl) == 0) {
            errno = EIO;
            return -1;
        }
    }
    real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real ? real(fd) : 0;
}
