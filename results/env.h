/* The facts every run row records about where it ran: host, CPU model, compiler and
 * flags of this binary, BLIS kernel set, git revision of the working tree. */
#ifndef APG_ENV_H
#define APG_ENV_H
struct host_env {
    char host[128], cpu_model[128], compiler[96], cflags[256], blis_arch[32], git_rev[48];
    int  git_dirty;   /* 1: the tree had uncommitted changes to tracked files, -1: unknown */
};
/* Fills e (every field set; "unknown" where a fact cannot be read). */
void host_env_read(struct host_env *e);
#endif
