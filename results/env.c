/* Reads the host facts of a run (results/env.h). The compiler flags are those this
 * file was built with (the Makefile passes them as APG_BUILD_CFLAGS). */
#include "env.h"
#include "threads.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef APG_BUILD_CFLAGS
#define APG_BUILD_CFLAGS "unknown"
#endif

/* First line of a command's output into out ("" when it fails). */
static void first_line(const char *cmd, char *out, size_t n)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(out, (int)n, p)) out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    pclose(p);
}

void host_env_read(struct host_env *e)
{
    memset(e, 0, sizeof *e);
    if (gethostname(e->host, sizeof e->host - 1) != 0 || !e->host[0]) snprintf(e->host, sizeof e->host, "unknown");
    snprintf(e->cpu_model, sizeof e->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) != 0) continue;
            const char *v = strchr(line, ':');
            if (!v) break;
            v++;
            while (*v == ' ' || *v == '\t') v++;
            snprintf(e->cpu_model, sizeof e->cpu_model, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
        fclose(f);
    }
#ifdef __VERSION__
    snprintf(e->compiler, sizeof e->compiler, "%s", __VERSION__);
#else
    snprintf(e->compiler, sizeof e->compiler, "unknown");
#endif
    snprintf(e->cflags, sizeof e->cflags, "%s", APG_BUILD_CFLAGS);
    snprintf(e->blis_arch, sizeof e->blis_arch, "%s", apg_blis_arch());
    first_line("git rev-parse HEAD 2>/dev/null", e->git_rev, sizeof e->git_rev);
    if (!e->git_rev[0]) {
        snprintf(e->git_rev, sizeof e->git_rev, "unknown");
        e->git_dirty = -1;
    } else {
        char st[64];
        first_line("git status --porcelain --untracked-files=no 2>/dev/null | head -1", st, sizeof st);
        e->git_dirty = st[0] != 0;
    }
}
