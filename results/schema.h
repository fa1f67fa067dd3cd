/* The results DB's DDL as numbered upgrade steps (results/schema.c). */
#ifndef APG_SCHEMA_H
#define APG_SCHEMA_H
/* SQL taking a DB from version i to i + 1 (i in 0 .. STORE_SCHEMA_VERSION - 1), or NULL. */
const char *schema_step(int i);
#endif
