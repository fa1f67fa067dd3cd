#include "stale_tmp.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The PID of NAME = PREFIX*SUFFIX.tmp.DIGITS, or 0 when it is not such a name. */
static long tmp_pid(const char *name, const char *prefix, const char *suffix)
{
    int exact = suffix == NULL;
    if (exact) suffix = "";
    size_t n = strlen(name), np = strlen(prefix), ns = strlen(suffix);
    if (strncmp(name, prefix, np) != 0) return 0;
    const char *t = strstr(name + np, ".tmp.");
    const char *last = NULL;
    while (t) { last = t; t = strstr(t + 1, ".tmp."); }
    if (!last || (size_t)(last - name) < np + ns || strncmp(last - ns, suffix, ns) != 0) return 0;
    if (exact && (size_t)(last - name) != np) return 0;
    const char *d = last + 5;
    if (!*d || (size_t)(d - name) >= n) return 0;
    long pid = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || pid > 99999999) return 0;
        pid = pid * 10 + (*d - '0');
    }
    return pid;
}

int stale_tmp_sweep(const char *dir, const char *prefix, const char *suffix)
{
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        long pid = tmp_pid(e->d_name, prefix, suffix);
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;   /* alive, or not ours to judge */
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p) break;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && unlink(p) == 0) removed++;
        free(p);
    }
    closedir(dp);
    return removed;
}

int stale_tmp_sweep_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return stale_tmp_sweep(".", path, NULL);
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 2);
    if (!dir) return 0;
    if (n == 0) strcpy(dir, "/");
    else { memcpy(dir, path, n); dir[n] = '\0'; }
    int r = slash[1] ? stale_tmp_sweep(dir, slash + 1, NULL) : 0;
    free(dir);
    return r;
}

int stale_tmp_sweep_cache(const char *cache_dir)
{
    return cache_dir && *cache_dir ? stale_tmp_sweep(cache_dir, "", ".apgcache") : 0;
}
