/* The training side of a runner child process and the message it sends back: a fixed
 * head (status, error text, the train_result, serving latency), then the per-epoch
 * records, then the test scores. Both ends are this binary, so the head is sent as the
 * struct's bytes. */
#ifndef APG_RUN_CHILD_H
#define APG_RUN_CHILD_H
#include "runcfg.h"
#include "store.h"

struct child_head {
    char   magic[8];               /* "APGRUN1" */
    int    rc;                     /* 0 ok; else err holds why */
    char   err[512];
    struct train_result tr;
    double latency_ms;             /* ms per 1024-row batch of the serving model */
    char   serving_form[16];
    int64_t serving_param_bytes;
    int    n_epochs;
    int64_t n_test;
    /* group-wise runs (Fig 9): the generated parameters of the most frequent values of
     * the condition field, per adaptive layer, sent after the test scores as n_spec
     * records {value, layer, rows, cols} (int32) then their spec_floats floats */
    char   spec_field[48];
    int    n_spec;
    int64_t spec_floats;
};

#define CHILD_SPEC_VALUES 10          /* values of the condition field recorded (the paper's 10 categories) */
#define CHILD_SPEC_MAX (CHILD_SPEC_VALUES * 8)

struct child_result {
    struct child_head head;
    const struct run_epoch *epochs;   /* point into the message buffer */
    const float *scores;
    const int32_t *spec_hdr;          /* n_spec x {value, layer, rows, cols} */
    const float *spec_data;           /* spec_floats, record after record */
};

/* The name (/proc/PID/comm, ps) a training process takes, so that it can be told
 * from the runner's other children (a popen shell not yet exec'd runs the same binary). */
#define RUN_CHILD_COMM "apg-run"
/* Trains rc with threads threads, writes the message to fd, exits the process. */
_Noreturn void run_child_main(int fd, const struct run_cfg *rc, int threads);
/* Forks a child that trains rc (run_child_main): *pid, and *fd the read end of its
 * message pipe. The child closes close_fds[0..n_close) (the other children's pipes)
 * and takes the default SIGINT/SIGTERM. 0, or -1 with err (pipe or fork failed). */
int  run_child_spawn(const struct run_cfg *rc, int threads, const int *close_fds, int n_close, int *pid, int *fd,
                     char *err, size_t errlen);
/* Reads what the pipe fd holds of a child's message onto buf[0..len) (grown as needed,
 * capacity cap); *eof = 1 at its end or on a read error. 0, or -1 on OOM. */
int  child_pipe_read(int fd, char **buf, size_t *len, size_t *cap, int *eof);
/* A complete message of a run that failed before training, with why as its error:
 * malloc'd, its length in *len; NULL on OOM. */
char *child_failure_message(const char *why, size_t *len);
/* Parses a complete message of buf[0..len) for a split of n_test test rows: 0, or -1
 * when truncated or malformed (pointers into buf). */
int  child_result_parse(struct child_result *cr, const char *buf, size_t len, int64_t n_test);

/* The group-wise condition field of a trained model m (apg.condition "group:FIELD") and
 * the generated parameters G(e_v) of each adaptive layer for the CHILD_SPEC_VALUES values
 * v of FIELD most frequent in the training rows (ties: smaller id), computed from the
 * value's embedding row through the layer's generator (linear maps, ReLU between).
 * Records into hdr (4 int32 each, at most CHILD_SPEC_MAX) and data (malloc'd, *n_floats).
 * Returns the number of records; 0 when the run is not group-wise; -1 on OOM. */
int  run_specific_params(const struct model *m, const char *condition, const struct dataset *d,
                         const struct split *s, char field[48], int32_t *hdr, float **data, int64_t *n_floats);

/* Inference latency of m: ms per batch of 1024 rows over up to 16 batches of rows,
 * the best of 3 passes. */
double run_latency_ms(struct model *m, const struct dataset *d, const int32_t *rows, int n);

#endif
