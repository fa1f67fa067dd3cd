/* Run-spec registry: the paper's tables (experiments/specs.def), one static cell list
 * each (spec_<name>.c), looked up by name through core/registry.h like every registry. */
#include "spec.h"
#include "registry.h"
#include <stddef.h>

static const struct spec_table *const spec_list[] = {
#define X(name) &spec_##name,
#include "specs.def"
#undef X
};
#define N_SPECS ((int)(sizeof spec_list / sizeof spec_list[0]))

_Static_assert(offsetof(struct spec_table, name) == 0, "registry entries start with their name");
#define ENTRIES ((const void *const *)spec_list)

const struct spec_table *spec_find(const char *name)
{
    int i = registry_index(ENTRIES, N_SPECS, name);
    return i < 0 ? NULL : spec_list[i];
}

int spec_count(void) { return N_SPECS; }

const struct spec_table *spec_at(int i) { return i >= 0 && i < N_SPECS ? spec_list[i] : NULL; }

const char *spec_names(void)
{
    static char buf[256];
    return registry_names(ENTRIES, N_SPECS, buf, sizeof buf);
}

static const char *const spec_data_names[] = {
    [SPEC_MOVIELENS] = "MovieLens",
    [SPEC_AMAZON]    = "Amazon",
    [SPEC_IAAC]      = "IAAC",
    [SPEC_CONTROL0]  = "Control S=0",
    [SPEC_CONTROL1]  = "Control S=1",
    [SPEC_CONTROL2]  = "Control S=2",
    [SPEC_CONTROL3]  = "Control S=3",
};
_Static_assert(sizeof spec_data_names / sizeof spec_data_names[0] == SPEC_N_DATA,
               "one name per enum spec_data");

const char *spec_data_name(enum spec_data d)
{
    return (int)d >= 0 && d < SPEC_N_DATA ? spec_data_names[d] : NULL;
}

const char *spec_data_control(enum spec_data d)
{
    static const char *const like[] = { "control:0", "control:1", "control:2", "control:3" };
    return d >= SPEC_CONTROL0 && d <= SPEC_CONTROL3 ? like[d - SPEC_CONTROL0] : NULL;
}
