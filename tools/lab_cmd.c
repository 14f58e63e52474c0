/* `synack lab`: list, show, run and tour the scenarios. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lab.h"

static void lab_usage(FILE *f)
{
	fprintf(f,
		"usage: synack lab list                  the built-in scenarios, their catalog IDs\n"
		"       synack lab show NAME             a built-in scenario's text\n"
		"       synack lab run NAME|FILE [--pcap FILE] [--set [HOST.]KNOB=VALUE]...\n"
		"                                [--seed N] [--ss TIME]...\n"
		"                                        run one scenario, print its timeline\n"
		"       synack lab tour                  run every built-in scenario, one table\n"
		"The language of scenario files: docs/lab.md.\n");
}

static const struct lab_builtin *builtin_find(const char *name)
{
	for (unsigned long i = 0; i < lab_nbuiltin; i++)
		if (!strcmp(lab_builtin[i].name, name))
			return &lab_builtin[i];
	return NULL;
}

static struct lab_scenario *builtin_parse(const struct lab_builtin *b)
{
	char file[256], err[512];
	snprintf(file, sizeof(file), "scenarios/%s.scn", b->name);
	struct lab_scenario *sc = lab_parse(file, b->text, err, sizeof(err));
	if (!sc)
		fprintf(stderr, "synack lab: built-in scenario %s\n", err);
	return sc;
}

static char *file_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (len < cap - 1)
			break;
		char *nb = realloc(buf, cap *= 2);
		if (!nb)
			free(buf);
		buf = nb;
	}
	int bad = ferror(f);
	fclose(f);
	if (buf && bad) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[len] = 0;
	return buf;
}

/* A built-in scenario by name, else a file. */
static struct lab_scenario *scenario_load(const char *arg)
{
	const struct lab_builtin *b = builtin_find(arg);
	if (b)
		return builtin_parse(b);
	char *text = file_read(arg);
	if (!text) {
		fprintf(stderr, "synack lab run: no built-in scenario or readable file named '%s' (%s); "
			"'synack lab list' shows the built-in ones\n", arg, strerror(errno));
		return NULL;
	}
	char err[512];
	struct lab_scenario *sc = lab_parse(arg, text, err, sizeof(err));
	free(text);
	if (!sc)
		fprintf(stderr, "%s\n", err);
	return sc;
}

static int lab_list(void)
{
	printf("%-30s %-16s %s\n", "SCENARIO", "IDS", "WHAT IT SHOWS");
	int rc = 0;
	for (unsigned long i = 0; i < lab_nbuiltin; i++) {
		struct lab_scenario *sc = builtin_parse(&lab_builtin[i]);
		if (!sc) {
			rc = 1;
			continue;
		}
		char ids[128] = "";
		for (int k = 0; k < sc->nids; k++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s", k ? " " : "", sc->ids[k]);
		printf("%-30s %-16s %s\n", sc->name, ids, sc->desc);
		lab_scenario_free(sc);
	}
	return rc;
}

static int lab_show(int argc, char **argv)
{
	const struct lab_builtin *b = argc == 3 ? builtin_find(argv[2]) : NULL;
	if (!b) {
		fprintf(stderr, "synack lab show: %s; 'synack lab list' shows the names\n",
			argc == 3 ? "no built-in scenario by that name" : "give one scenario name");
		return 2;
	}
	fwrite(b->text, 1, b->len, stdout);
	return 0;
}

/* --set [HOST.]KNOB=VALUE */
static int set_parse(const char *arg, struct lab_set *s)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		fprintf(stderr, "synack lab run: --set takes KNOB=VALUE or HOST.KNOB=VALUE (like "
			"--set tcp_syn_retries=5), got '%s'\n", arg);
		return -1;
	}
	const char *dot = memchr(arg, '.', (size_t)(eq - arg));
	s->host = dot ? strndup(arg, (size_t)(dot - arg)) : NULL;
	s->knob = dot ? strndup(dot + 1, (size_t)(eq - dot - 1)) : strndup(arg, (size_t)(eq - arg));
	s->value = strdup(eq + 1);
	if (!s->knob || !s->value || (dot && !s->host)) {
		fprintf(stderr, "synack lab run: out of memory\n");
		free(s->host);
		free(s->knob);
		free(s->value);
		return -1;
	}
	return 0;
}

static int opts_parse(int argc, char **argv, struct lab_opts *o, const char **name)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (a[0] != '-') {
			if (*name) {
				fprintf(stderr, "synack lab run: one scenario at a time ('%s' and '%s')\n", *name, a);
				return -1;
			}
			*name = a;
		} else if (!strcmp(a, "--pcap") && has) {
			o->pcap = argv[++i];
		} else if (!strcmp(a, "--set") && has) {
			struct lab_set *v = realloc(o->sets, (size_t)(o->nsets + 1) * sizeof(*v));
			if (!v)
				return -1;
			o->sets = v;
			if (set_parse(argv[++i], &v[o->nsets]))
				return -1;
			o->nsets++;
		} else if (!strcmp(a, "--seed") && has) {
			char *end;
			o->seed = strtoull(argv[++i], &end, 10);
			o->has_seed = 1;
			if (!*argv[i] || *end) {
				fprintf(stderr, "synack lab run: --seed takes a whole number, got '%s'\n", argv[i]);
				return -1;
			}
		} else if (!strcmp(a, "--ss") && has) {
			uint64_t *v = realloc(o->ss_at, (size_t)(o->nss + 1) * sizeof(*v));
			if (!v)
				return -1;
			o->ss_at = v;
			if (lab_parse_time(argv[++i], &v[o->nss])) {
				fprintf(stderr, "synack lab run: --ss takes a time such as 0, 1.5s, 61s or "
					"2min, got '%s'\n", argv[i]);
				return -1;
			}
			o->nss++;
		} else {
			int known = !strcmp(a, "--pcap") || !strcmp(a, "--set") || !strcmp(a, "--seed") ||
				    !strcmp(a, "--ss");
			fprintf(stderr, known ? "synack lab run: %s needs a value\n"
					      : "synack lab run: unknown option '%s'; the options are --pcap FILE, "
						"--set [HOST.]KNOB=VALUE, --seed N, --ss TIME\n", a);
			return -1;
		}
	}
	if (!*name) {
		fprintf(stderr, "synack lab run: which scenario? give a built-in name ('synack lab list') or a file\n");
		return -1;
	}
	return 0;
}

static void opts_free(struct lab_opts *o)
{
	for (int i = 0; i < o->nsets; i++) {
		free(o->sets[i].host);
		free(o->sets[i].knob);
		free(o->sets[i].value);
	}
	free(o->sets);
	free(o->ss_at);
}

static int lab_run_cmd(int argc, char **argv)
{
	struct lab_opts o = { .out = stdout };
	const char *name = NULL;
	int rc = 2;
	if (!opts_parse(argc, argv, &o, &name)) {
		struct lab_scenario *sc = scenario_load(name);
		if (sc) {
			struct lab_result res;
			rc = lab_run(sc, &o, &res);
			lab_scenario_free(sc);
		}
	}
	opts_free(&o);
	return rc;
}

static int lab_tour(void)
{
	int held = 0, failed = 0, broken = 0, rc = 0;
	printf("%-30s %-14s %-64s %s\n", "scenario", "IDs", "what happened", "result");
	for (unsigned long i = 0; i < lab_nbuiltin; i++) {
		struct lab_scenario *sc = builtin_parse(&lab_builtin[i]);
		struct lab_opts o = { 0 };
		struct lab_result res = { 0 };
		if (!sc || lab_run(sc, &o, &res) == 2) {
			broken++;
			lab_scenario_free(sc);
			continue;
		}
		char ids[128] = "";
		for (int k = 0; k < sc->nids; k++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s", k ? " " : "", sc->ids[k]);
		if (strlen(res.story) > 64)
			strcpy(res.story + 61, "...");
		printf("%-30s %-14s %-64s %s\n", sc->name, ids, res.story,
		       res.failed ? (sc->pending ? "failed (pending)" : "FAILED") : "held");
		held += !res.failed;
		failed += res.failed != 0;
		if (res.failed && !sc->pending)
			rc = 1;
		lab_scenario_free(sc);
	}
	printf("\n%d scenarios: %d held, %d failed", held + failed + broken, held, failed);
	if (broken)
		printf(", %d could not run", broken);
	printf(". 'synack lab run NAME' prints one scenario's whole timeline.\n");
	return broken ? 2 : rc;
}

int cmd_lab(int argc, char **argv)
{
	if (argc < 2) {
		lab_usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "help") || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		lab_usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "list") && argc == 2)
		return lab_list();
	if (!strcmp(sub, "show"))
		return lab_show(argc, argv);
	if (!strcmp(sub, "run"))
		return lab_run_cmd(argc, argv);
	if (!strcmp(sub, "tour") && argc == 2)
		return lab_tour();
	fprintf(stderr, "synack lab: %s '%s'\n\n", !strcmp(sub, "list") || !strcmp(sub, "tour")
		? "this subcommand takes no arguments:" : "unknown subcommand", sub);
	lab_usage(stderr);
	return 2;
}
