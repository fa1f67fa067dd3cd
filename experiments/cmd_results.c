/* apg results: reads the results DB and never trains. `apg results TABLE` prints a
 * paper table from the latest grid of that table, `apg results` lists runs
 * (--where filters them), `apg results --sql "SELECT .."` runs a read-only query. */
#include "cli.h"
#include "commands.h"
#include "spec.h"
#include "table.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct results_cli {
    const char *db, *where, *sql, *format;
    int csv;
    int64_t grid;
};

#define O(f) offsetof(struct results_cli, f)
static const struct opt results_opts[] = {
    { "db", OPT_STR, O(db), "PATH", "results DB", 0, 0 },
    { "where", OPT_STR, O(where), "EXPR", "list only runs matching this SQL expression over the runs columns", 0, 0 },
    { "sql", OPT_STR, O(sql), "QUERY", "run one read-only SQL query and print its rows", 0, 0 },
    { "csv", OPT_FLAG, O(csv), NULL, "print run lists and --sql rows as CSV with a header", 0, 0 },
    { "format", OPT_STR, O(format), "F", "table format: text, md, csv, latex", 0, 0 },
    { "grid", OPT_I64, O(grid), "ID", "print this grid of the table (default: its latest)", 0, 9e18 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static void csv_field(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Runs sql (one statement) on the read-only DB and prints its rows. 0, or -1 with err. */
static int print_query(sqlite3 *db, const char *sql, int csv, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    const char *tail;
    if (sqlite3_prepare_v2(db, sql, -1, &s, &tail) != SQLITE_OK) {
        snprintf(err, errlen, "SQL error: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (!s) {
        snprintf(err, errlen, "empty query");
        return -1;
    }
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')) tail++;
    if (tail && *tail) {
        sqlite3_finalize(s);
        snprintf(err, errlen, "one statement at a time (got more after the first)");
        return -1;
    }
    if (!sqlite3_stmt_readonly(s)) {
        sqlite3_finalize(s);
        snprintf(err, errlen, "--sql runs read-only queries: this statement would write to the DB (refused)");
        return -1;
    }
    int nc = sqlite3_column_count(s);
    for (int c = 0; c < nc; c++) {
        if (c) fputs(csv ? "," : "|", stdout);
        if (csv) csv_field(stdout, sqlite3_column_name(s, c));
        else fputs(sqlite3_column_name(s, c), stdout);
    }
    if (nc) putchar('\n');
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int c = 0; c < nc; c++) {
            if (c) fputs(csv ? "," : "|", stdout);
            int t = sqlite3_column_type(s, c);
            if (t == SQLITE_NULL) continue;
            if (t == SQLITE_BLOB) {
                printf("<blob %d bytes>", sqlite3_column_bytes(s, c));
                continue;
            }
            const char *v = (const char *)sqlite3_column_text(s, c);
            if (csv) csv_field(stdout, v);
            else fputs(v, stdout);
        }
        putchar('\n');
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "SQL error: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

int cmd_results(int argc, char **argv)
{
    struct results_cli a = { .db = "out/results.db", .format = "text" };
    const struct opt_group g = { "results", results_opts, &a };
    char *pos[4], err[768];
    int n_pos, help;
    if (cli_parse(&g, 1, argc, argv, pos, 4, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg results: %s\n", err);
        return 2;
    }
    if (help) {
        printf("usage: apg results [TABLE] [options]\n\n"
               "Reads the results DB (never trains). With TABLE (apg reproduce --list): that paper table\n"
               "from its latest grid. Without: one line per run. --sql runs a read-only query, e.g.\n"
               "  apg results --sql \"SELECT backbone, apg, AVG(test_auc) FROM runs WHERE status='done' GROUP BY 1, 2\"\n"
               "The schema is documented in README (Results database).\n");
        cli_help(stdout, &g, 1);
        return 0;
    }
    int fmt = table_format_parse(a.format);
    if (fmt < 0) {
        fprintf(stderr, "apg results: --format: expected text, md, csv or latex, got '%s'\n", a.format);
        return 2;
    }
    const struct spec_table *spec = NULL;
    if (n_pos > 1 || (n_pos == 1 && (a.sql || a.where))) {
        fprintf(stderr, "apg results: give one TABLE, or --sql / --where without a table\n");
        return 2;
    }
    if (n_pos == 1 && !(spec = spec_find(pos[0]))) {
        fprintf(stderr, "apg results: unknown table '%s' (valid: %s)\n", pos[0], spec_names());
        return 2;
    }
    struct store st;
    if (store_open(&st, a.db, 1, err, sizeof err)) {
        fprintf(stderr, "apg results: %s\n", err);
        return 1;
    }
    sqlite3_exec(st.db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    int rc = 0;
    if (spec) {
        int r = table_print(stdout, &st, spec, a.grid, (enum table_format)fmt, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "apg results: %s\n", err);
            rc = 1;
        }
    } else {
        char *q = NULL;
        if (!a.sql) {
            const char *base = "SELECT substr(key, 1, 12) AS key, spec, status, dataset, data_kind, backbone, apg, "
                               "condition, K, P, seed, printf('%.5f', test_auc) AS test_auc, epochs_run, "
                               "printf('%.1f', finished_at - started_at) AS seconds FROM runs";
            size_t len = strlen(base) + (a.where ? strlen(a.where) : 0) + 64;
            q = malloc(len);
            if (q) snprintf(q, len, "%s%s%s ORDER BY scheduled_at, key", base, a.where ? " WHERE " : "",
                            a.where ? a.where : "");
        }
        if (!a.sql && !q) {
            fprintf(stderr, "apg results: out of memory\n");
            rc = 1;
        } else if (print_query(st.db, a.sql ? a.sql : q, a.csv, err, sizeof err)) {
            fprintf(stderr, "apg results: %s\n", err);
            rc = a.sql && strstr(err, "read-only") ? 2 : 1;
        }
        free(q);
    }
    store_close(&st);
    return rc;
}
