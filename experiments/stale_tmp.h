/* Temporary files of dead processes. Checkpoint and cache writes go through
 * FINAL.tmp.PID and a rename, so a crash (kill -9, power loss) never leaves a partial
 * file under the final name, but it leaves the temporary one, up to the full size.
 * The next run removes those whose process is gone. */
#ifndef APG_STALE_TMP_H
#define APG_STALE_TMP_H

/* Removes the files in dir named PREFIX*SUFFIX.tmp.PID (prefix, suffix may be "";
 * suffix NULL: exactly PREFIX.tmp.PID)
 * whose process PID no longer exists (kill(PID, 0) fails with ESRCH); those of live
 * processes, e.g. a concurrent run, are kept. Only regular files, never following a
 * link. Returns the number removed (a missing dir: 0). */
int stale_tmp_sweep(const char *dir, const char *prefix, const char *suffix);

/* The sweep for the temporary files of path: PATH.tmp.PID. */
int stale_tmp_sweep_for(const char *path);

/* The sweep of a cache folder (*.apgcache.tmp.PID). */
int stale_tmp_sweep_cache(const char *cache_dir);
#endif
