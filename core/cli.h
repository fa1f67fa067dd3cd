/* Table-driven command-line options. Each command lists its options in const tables
 * (name, type, where the value goes, help); cli_parse fills a struct from argv and
 * cli_help prints the tables. An unknown option or a bad value is an error with a
 * one-line reason (callers exit with status 2). */
#ifndef APG_CLI_H
#define APG_CLI_H
#include <stddef.h>
#include <stdio.h>

enum opt_type {
    OPT_INT,      /* int */
    OPT_I64,      /* int64_t */
    OPT_U64,      /* uint64_t */
    OPT_FLOAT,    /* float */
    OPT_DOUBLE,   /* double */
    OPT_STR,      /* const char * (points into argv) */
    OPT_FLAG,     /* int set to 1, takes no value */
};

struct opt {
    const char   *name;     /* without the leading "--" */
    enum opt_type type;
    size_t        offset;   /* offsetof(target struct, member) */
    const char   *metavar;  /* "N", "DIR", ... (NULL for flags) */
    const char   *help;     /* one line; the default is printed from the struct */
    double        min, max; /* numeric range checked when min < max */
};

/* A group of options writing into one struct. */
struct opt_group {
    const char       *title;
    const struct opt *opts;   /* terminated by an entry with name == NULL */
    void             *target;
};

/* Parses argv[0..argc) (options only, no command word). Positional arguments are
 * collected into pos[] (up to max_pos). Returns 0, or -1 with err set. "--help" sets
 * *want_help. */
int  cli_parse(const struct opt_group *groups, int n_groups, int argc, char **argv,
               char **pos, int max_pos, int *n_pos, int *want_help, char *err, size_t errlen);
/* Prints every group: "  --name METAVAR   help (default: value)". */
void cli_help(FILE *f, const struct opt_group *groups, int n_groups);
/* The current value of every option of the groups as text, one line per option,
 * "--name=value" in table order (a set flag is "--name"; unset flags and NULL strings
 * are left out; floats carry enough digits to round-trip exactly), so that
 * cli_parse_lines() sets the same values again. Returns a malloc'd string, or NULL
 * with err (out of memory, or a string value holding a newline). */
char *cli_format(const struct opt_group *groups, int n_groups, char *err, size_t errlen);
/* Sets the groups' targets from text made by cli_format(), as cli_parse() would from
 * the same options (positional arguments are an error). text is split in place at its
 * newlines and string values point into it: it must outlive the targets. 0, or -1
 * with err. */
int  cli_parse_lines(const struct opt_group *groups, int n_groups, char *text, char *err, size_t errlen);
/* Parses "256,128,64" into out[] (at most max); returns the count or -1. */
int  cli_int_list(const char *s, int *out, int max);

/* Rewrites the message s (capacity cap) onto one line: newline, CR and tab become \n,
 * \r and \t, other control bytes \xNN, so an error quoting a field of a damaged file
 * (a quoted header cell holding a line break) stays one line; truncated to fit cap. */
void cli_one_line(char *s, size_t cap);

#endif
