/* The `synack` command: one binary, one subcommand per tool. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "demo", cmd_demo, "a client and a server in the simulator, step by step" },
	{ "lab", cmd_lab, "scenarios that reproduce TCP behaviour, packet by packet (synack lab help)" },
	{ "host", cmd_host, "synack as a host on a TAP device: servers and clients (Linux)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: synack COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-6s %s\n", "help", "this text");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "synack: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
