/* placeholder until the auth core lands */
#include "commands.h"
int cmd_milenage(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int cmd_auts(int argc, char **argv) { (void)argc; (void)argv; return 1; }
