/* The subcommands of `synack`: each takes its own argv (argv[0] is the
 * subcommand's name) and returns the process exit status. */
#ifndef SYNACK_TOOLS_COMMANDS_H
#define SYNACK_TOOLS_COMMANDS_H

int cmd_demo(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_host(int argc, char **argv);

#endif
