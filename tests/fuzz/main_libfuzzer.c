/* libFuzzer driver (`make fuzz`): APG_FUZZ_TARGET names the target (targets.def). */
#include "fuzz.h"
#include <stdio.h>
#include <stdlib.h>

static const struct fuzz_target *target;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    const char *name = getenv("APG_FUZZ_TARGET");
    target = name ? fuzz_target_find(name) : NULL;
    if (!target) {
        fprintf(stderr, "apg-fuzz: set APG_FUZZ_TARGET to one of:");
        for (int i = 0; i < fuzz_target_count(); i++) fprintf(stderr, " %s", fuzz_target_at(i)->name);
        fprintf(stderr, "\n");
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    target->one(data, n);
    return 0;
}
