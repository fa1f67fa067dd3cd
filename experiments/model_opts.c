#include "model_opts.h"
#include "condition.h"
#include <stdio.h>
#include <string.h>

#define O(f) offsetof(struct model_opts, f)
const struct opt model_opt_table[] = {
    { "backbone", OPT_STR, O(backbone), "NAME", "backbone model (apg list shows them)", 0, 0 },
    { "emb-dim", OPT_INT, O(m.emb_dim), "D", "embedding size of every field", 1, 4096 },
    { "emb-init", OPT_FLOAT, O(m.emb_init), "STD", "std of the normal embedding initialisation", 0, 10 },
    { "hidden", OPT_STR, O(hidden), "L1,L2,..", "MLP hidden layer widths", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};

const struct opt apg_opt_table[] = {
    { "apg", OPT_STR, O(m.apg.variant), "FORM", "APG weight form of the MLP hidden layers: none (base) or v1..v8", 0, 0 },
    { "condition", OPT_STR, O(m.apg.condition), "COND",
      "self | group:FIELD | mix-in:mean|concat|attention:F1,F2,.. | mix-out:mean|concat|attention:F1,F2,..", 0, 0 },
    { "K", OPT_INT, O(m.apg.K), "K", "rank of the generated S_i (K x K)", 1, 4096 },
    { "P", OPT_INT, O(m.apg.P), "P", "inner size of the over-parameterised factors (v6-v8)", 1, 65536 },
    { "gen-layers", OPT_INT, O(m.apg.gen_layers), "L", "layers of the generator G (1 = linear map)", 1, 4 },
    { "gen-hidden", OPT_INT, O(m.apg.gen_hidden), "H", "hidden width of G when --gen-layers > 1", 1, 65536 },
    { "apg-init", OPT_STR, O(m.apg.init), "KIND",
      "scaled (variance-preserving factors, G centred on a learned static part) or plain", 0, 0 },
    { "gen-scale", OPT_FLOAT, O(m.apg.gen_scale), "S", "scale of G's output weight initialisation", 0, 100 },
    { "chain-lr", OPT_FLOAT, O(m.apg.chain_lr), "S",
      "step multiplier of v6-v8's factor chains (0 = 1/sqrt(P) when scaled, 1 when plain)", 0, 100 },
    { "gen-lr", OPT_FLOAT, O(m.apg.gen_lr), "M",
      "step multiplier of the generator G's parameters (1: the learning rate of the rest)", 1e-4, 1e4 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

void model_opts_default(struct model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->hidden = "256,128,64";
    model_cfg_default(&o->m);
    model_opts_backbone(o, "wdl", NULL, 0);
}

int model_opts_backbone(struct model_opts *o, const char *name, char *err, size_t errlen)
{
    const struct backbone_ops *b = backbone_find(name);
    if (!b) {
        if (err) snprintf(err, errlen, "unknown backbone '%s' (valid: %s)", name, backbone_names());
        return -1;
    }
    o->backbone = b->name;
    backbone_cfg_default(b, &o->m);
    return 0;
}

int model_opts_prescan(struct model_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    const char *name = "wdl";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--backbone") == 0 && i + 1 < argc) name = argv[++i];
        else if (strncmp(argv[i], "--backbone=", 11) == 0) name = argv[i] + 11;
    }
    if (model_opts_backbone(o, name, err, errlen)) return -1;
    /* an option of another backbone: name the backbone it belongs to */
    const struct backbone_ops *mine = backbone_find(o->backbone);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        const char *opt = argv[i] + 2;
        size_t len = strcspn(opt, "=");
        int own = 0;
        for (const struct opt *q = mine->opts; q && q->name && !own; q++)
            own = strlen(q->name) == len && strncmp(q->name, opt, len) == 0;
        for (int b = 0; b < backbone_count() && !own; b++) {
            const struct backbone_ops *bb = backbone_at(b);
            for (const struct opt *q = bb->opts; bb != mine && q && q->name; q++)
                if (strlen(q->name) == len && strncmp(q->name, opt, len) == 0) {
                    snprintf(err, errlen, "--%.*s is an option of backbone %s: add --backbone %s (the backbone is %s)",
                             (int)len, opt, bb->name, bb->name, o->backbone);
                    return -1;
                }
        }
    }
    return 0;
}

int data_load_exit_code(const char *err)
{
    return strstr(err, ": --") || strstr(err, "unknown preset") || strncmp(err, "unknown dataset", 15) == 0 ? 2 : 1;
}

static char bb_title[MODEL_OPT_GROUPS][48];

int model_opts_groups(struct model_opts *o, struct opt_group *g)
{
    int n = 0;
    g[n++] = (struct opt_group){ "model", model_opt_table, o };
    g[n++] = (struct opt_group){ "APG", apg_opt_table, o };
    const struct backbone_ops *b = backbone_find(o->backbone);
    if (b && b->opts) {
        snprintf(bb_title[0], sizeof bb_title[0], "backbone %s", b->name);
        g[n++] = (struct opt_group){ bb_title[0], b->opts, o->m.bb_cfg };
    }
    return n;
}

void model_opts_help_backbones(FILE *f)
{
    for (int i = 0; i < backbone_count(); i++) {
        const struct backbone_ops *b = backbone_at(i);
        if (!b->opts) continue;
        struct model_cfg c;
        backbone_cfg_default(b, &c);
        char title[64];
        snprintf(title, sizeof title, "backbone %s (with --backbone %s)", b->name, b->name);
        const struct opt_group g = { title, b->opts, c.bb_cfg };
        cli_help(f, &g, 1);
    }
}

int model_opts_parse_text(struct model_opts *o, char *text, char *err, size_t errlen)
{
    const char *name = "wdl";
    char *p = strstr(text, "--backbone=");
    char buf[64] = "";
    if (p && (p == text || p[-1] == '\n')) {
        size_t len = strcspn(p + 11, "\n");
        snprintf(buf, sizeof buf, "%.*s", (int)len, p + 11);
        name = buf;
    }
    if (model_opts_backbone(o, name, err, errlen)) return -1;
    struct opt_group g[MODEL_OPT_GROUPS];
    int n = model_opts_groups(o, g);
    if (cli_parse_lines(g, n, text, err, errlen)) return -1;
    return model_opts_finish(o, err, errlen);
}

int model_opts_finish(struct model_opts *o, char *err, size_t errlen)
{
    int n = cli_int_list(o->hidden, o->m.hidden, MODEL_MAX_HIDDEN);
    if (n < 0) {
        snprintf(err, errlen, "--hidden: expected up to %d positive widths like 256,128,64, got '%s'",
                 MODEL_MAX_HIDDEN, o->hidden);
        return -1;
    }
    o->m.n_hidden = n;
    if (!backbone_find(o->backbone)) {
        snprintf(err, errlen, "unknown backbone '%s' (valid: %s)", o->backbone, backbone_names());
        return -1;
    }
    const struct apg_cfg *a = &o->m.apg;
    if (apg_enabled(a) && !reparam_find(a->variant)) {
        snprintf(err, errlen, "--apg: unknown form '%s' (valid: none, %s)", a->variant, reparam_names());
        return -1;
    }
    const char *spec;
    if (!condition_find(a->condition, &spec)) {
        snprintf(err, errlen, "--condition: unknown strategy '%s' (valid: self, group:FIELD, "
                 "mix-in:AGG:F1,F2,.., mix-out:AGG:F1,F2,.. with AGG mean|concat|attention)", a->condition);
        return -1;
    }
    if (strcmp(a->init, "scaled") != 0 && strcmp(a->init, "plain") != 0) {
        snprintf(err, errlen, "--apg-init: expected scaled or plain, got '%s'", a->init);
        return -1;
    }
    return 0;
}

/* argv holds --name or --name=... */
static int given(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
            (argv[i][2 + n] == '\0' || argv[i][2 + n] == '='))
            return 1;
    return 0;
}

/* 1 when form f's sizes change with dims field K (which = 0) or P (which = 1). */
static int form_uses(const struct reparam_form *f, int which)
{
    struct reparam_dims a = { 16, 16, 2, 4 }, b = a;
    if (which == 0) b.K = 3;
    else b.P = 5;
    return f->gen_size(&a) != f->gen_size(&b) || f->shared_size(&a) != f->shared_size(&b);
}

int model_opts_check_effect(const struct model_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    const struct apg_cfg *a = &o->m.apg;
    if (!apg_enabled(a)) {
        for (const struct opt *q = apg_opt_table; q->name; q++)
            if (strcmp(q->name, "apg") != 0 && given(argc, argv, q->name)) {
                snprintf(err, errlen, "--%s has no effect with --apg none (the base model): drop it, or "
                         "choose an APG form with --apg v1..v8", q->name);
                return -1;
            }
        return 0;
    }
    const struct reparam_form *f = reparam_find(a->variant);
    if (!f) return 0;   /* model_opts_finish reports it */
    static const char *const kp[2] = { "K", "P" };
    for (int w = 0; w < 2; w++)
        if (given(argc, argv, kp[w]) && !form_uses(f, w)) {
            snprintf(err, errlen, "--%s has no effect with --apg %s (%s, generated %s): drop it", kp[w], f->name,
                     f->formula, f->generated);
            return -1;
        }
    if (given(argc, argv, "chain-lr") && !f->collapse_to) {
        snprintf(err, errlen, "--chain-lr has no effect with --apg %s (only the factor chains of v6-v8 have "
                 "it): drop it", f->name);
        return -1;
    }
    if (given(argc, argv, "gen-hidden") && a->gen_layers < 2) {
        snprintf(err, errlen, "--gen-hidden has no effect with --gen-layers %d (G is one linear map): drop it, "
                 "or set --gen-layers 2..4", a->gen_layers);
        return -1;
    }
    return 0;
}

int data_opts_check_effect(const struct data_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    /* options only some loaders read (dataset_spec.options) */
    static const char *const spec_only[] = { "label", "fields", "multi", "delim", "file", "train-file", "val-file",
                                             "test-file", "val-frac", "time-col", "hash-buckets", "numeric",
                                             "numeric-missing" };
    const struct dataset_spec *ds = dataset_spec_find(o->dataset);
    if (ds)
        for (size_t i = 0; i < sizeof spec_only / sizeof spec_only[0]; i++)
            if (given(argc, argv, spec_only[i]) && !dataset_spec_takes(ds, spec_only[i])) {
                char who[128] = "";
                for (int k = 0; k < dataset_spec_count(); k++)
                    if (dataset_spec_takes(dataset_spec_at(k), spec_only[i]) && strlen(who) < sizeof who - 24) {
                        if (*who) strcat(who, ", ");
                        strcat(who, dataset_spec_at(k)->name);
                    }
                snprintf(err, errlen, "--%s is an option of --dataset %s, not of --dataset %s: drop it", spec_only[i],
                         who, o->dataset);
                return -1;
            }
    if (given(argc, argv, "val-frac") && (!o->train_file || o->val_file)) {
        snprintf(err, errlen, "--val-frac has no effect %s: drop it",
                 o->val_file ? "with --val-file (the validation rows are given)" : "without a given split (--train-file)");
        return -1;
    }
    if ((given(argc, argv, "numeric-transform") || given(argc, argv, "numeric-missing")) &&
        (!o->numeric || !*o->numeric)) {
        snprintf(err, errlen, "--%s has no effect without --numeric: drop it, or name the numeric columns",
                 given(argc, argv, "numeric-transform") ? "numeric-transform" : "numeric-missing");
        return -1;
    }
    if (strcmp(o->dataset, "synthetic") != 0 && given(argc, argv, "like")) {
        snprintf(err, errlen, "--like is an option of --dataset synthetic, not of --dataset %s: drop it", o->dataset);
        return -1;
    }
    return 0;
}
