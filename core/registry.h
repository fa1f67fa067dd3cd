/* Name lookup shared by every static registry (backbones, datasets, APG forms). Each
 * registry is a table of pointers to const structs whose FIRST member is
 * `const char *name`; these helpers read that member, so a registry file only lists
 * its entries (from its .def) and wraps the typed calls. */
#ifndef APG_REGISTRY_H
#define APG_REGISTRY_H
#include <stddef.h>

/* Index of the entry called name, or -1. */
int registry_index(const void *const *table, int n, const char *name);
/* "a, b, c" into buf (truncated to len); returns buf. */
const char *registry_names(const void *const *table, int n, char *buf, size_t len);

#endif
