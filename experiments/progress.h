/* A one-line progress bar on stderr, drawn only when enabled (stdout is a TTY). */
#ifndef APG_PROGRESS_H
#define APG_PROGRESS_H
struct progress {
    int    enabled;
    long   total, done;
    double t0, last_draw;
    char   label[48];
};
void progress_start(struct progress *p, int enabled, const char *label, long total);
void progress_update(struct progress *p, long done, double loss);
void progress_end(struct progress *p);
double now_seconds(void);   /* monotonic clock */
#endif
