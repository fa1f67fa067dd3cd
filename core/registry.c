#include "registry.h"
#include <string.h>

/* A pointer to a struct converts to a pointer to its first member (C11 6.7.2.1). */
static const char *entry_name(const void *entry) { return *(const char *const *)entry; }

int registry_index(const void *const *table, int n, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(entry_name(table[i]), name) == 0) return i;
    return -1;
}

const char *registry_names(const void *const *table, int n, char *buf, size_t len)
{
    if (!len) return buf;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, entry_name(table[i]), len - strlen(buf) - 1);
    }
    return buf;
}
