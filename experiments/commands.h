#ifndef APG_COMMANDS_H
#define APG_COMMANDS_H
/* Each command gets the arguments after its name; returns the process exit status
 * (0 ok, 1 run failure, 2 usage error). */
#define X(name, help) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef X
#endif
