/* Streaming delimited-file reader on top of libcsv: one callback per record with
 * its fields (NUL-terminated, bytes passed through unchanged, so Latin-1 stays
 * Latin-1; a NUL byte inside a field is an error "PATH:LINE: field N: NUL byte ...")
 * and the 1-based line the record starts on. Handles LF and CRLF line
 * ends, a missing final newline, blank lines (skipped), RFC 4180 quoting when
 * enabled, and MovieLens' two-character "::" separator (CSVREAD_DCOLON). */
#ifndef APG_CSVREAD_H
#define APG_CSVREAD_H
#include <stddef.h>
#include <stdio.h>

#define CSVREAD_DCOLON 0x100   /* delim value: fields separated by "::" */

struct csvread_opts {
    int delim;      /* a byte (',', '\t', ' ', '|') or CSVREAD_DCOLON */
    int quote;      /* 1: '"' quotes fields (CSV); 0: quotes are ordinary bytes */
    int trim;       /* 1: strip spaces/tabs around unquoted fields (libcsv default) */
    size_t max_record;  /* bytes in one record; 0 = CSVREAD_MAX_RECORD */
};

struct csvread_row {
    int           n;       /* number of fields */
    char *const  *f;       /* f[i]: field i, NUL-terminated (valid during the callback) */
    const size_t *len;     /* len[i]: bytes in f[i] */
    long          line;    /* line the record starts on (1-based) */
    const char   *path;    /* the file being read (for messages) */
};

/* Returns 0 to go on; anything else stops the read and is returned by csvread_file
 * (the callback writes its own message into err). */
typedef int (*csvread_fn)(void *ctx, const struct csvread_row *r, char *err, size_t errlen);

/* Limits on what a data file may hold, so a device, a binary file or a runaway
 * line ends in a clear error instead of unbounded memory. */
#define CSVREAD_MAX_RECORD ((size_t)64 << 20)        /* bytes in one record (line) */
#define CSVREAD_MAX_FILE   ((long long)1 << 40)      /* bytes in one file (1 TiB) */

/* Opens path for reading without ever blocking (O_NONBLOCK, cleared once the file is
 * known to be a regular file): a FIFO, a device, a socket or a folder is refused
 * ("PATH: not a regular file (a FIFO)"), as is a file over CSVREAD_MAX_FILE bytes.
 * NULL with err set on failure. */
FILE *csvread_open(const char *path, char *err, size_t errlen);

/* Reads path record by record (opened with csvread_open; a record over
 * max_record bytes, default CSVREAD_MAX_RECORD, is an error naming its line). Returns 0 at the end of the file, -1 with err set
 * ("PATH: reason") when the file cannot be read, or the callback's nonzero value. */
int csvread_file(const char *path, const struct csvread_opts *o, csvread_fn fn, void *ctx,
                 char *err, size_t errlen);

/* Splits s (len bytes, not modified) at sep; calls fn(ctx, piece, piece_len) for
 * each piece. An empty s gives no pieces; "a;;b" gives a, "", b. Returns the first
 * nonzero fn result, else 0. */
int csvread_split(const char *s, size_t len, char sep,
                  int (*fn)(void *ctx, const char *piece, size_t n), void *ctx);

/* Bad-row policy shared by the loaders. A malformed row is reported as
 * "PATH:LINE: field NAME: reason"; with skip set it is counted instead (the first
 * message is kept for the summary). */
struct csvread_bad {
    int  skip;
    long count;
    char first[320];
};
/* Formats the message; returns 0 when the row is skipped (the caller drops it and
 * goes on), otherwise 1 with err set (the caller stops). */
int  csvread_bad_row(struct csvread_bad *b, const struct csvread_row *r, const char *field,
                     char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Prints "SPEC: skipped N bad rows (--skip-bad-rows); first: MESSAGE" to stderr when N > 0. */
void csvread_bad_report(const struct csvread_bad *b, const char *spec);

/* Finds a dataset file: DIR/SUB/FILE, else DIR/FILE (when --data names the folder
 * itself). Writes the path into out and returns 0; otherwise -1 with err saying what
 * was looked for where and to run `scripts/fetch-data.sh SPEC`. */
int  csvread_locate(char *out, size_t n, const char *dir, const char *sub, const char *file,
                    const char *spec, char *err, size_t errlen);

/* Headerless formats (u.data, ratings.dat, users.dat, movies.dat, Amazon's ratings
 * file) as some public copies ship them, with a header line: 1 when r is line 1 and
 * every field at the indices num[0..n_num) is a word (a letter first, then letters,
 * digits, '_', '-' or spaces) where the format wants a number, e.g. Amazon's
 * "UserId,ItemId,rating,timestamp". Says on stderr "SPEC: FILE:1 is a header line
 * (...): skipped". A malformed first row (a number and a word) is not a header. */
int csvread_header_line(const struct csvread_row *r, const int *num, int n_num, const char *spec);

/* Strict number parsers for whole fields (no leading/trailing junk). 0 ok, -1 bad. */
int csvread_i64(const char *s, long long *out);
int csvread_f64(const char *s, double *out);
/* A Unix time in whole seconds as the real datasets write it: an integer in
 * [0, CSVREAD_TIME_MAX] (9999-12-31 23:59:59 UTC), so day and hour arithmetic on it
 * cannot overflow. 0 ok, -1 bad. */
#define CSVREAD_TIME_MAX 253402300799LL
int csvread_time(const char *s, long long *out);

#endif
