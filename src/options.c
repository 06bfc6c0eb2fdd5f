/* SPDX-License-Identifier: MIT */
/* The command line, parsed into one structure. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "util.h"

#ifndef NMR_VERSION
#define NMR_VERSION "0.1.0"
#endif

enum {
	OPT_STORE_DIR = 0x100,
	OPT_STATE_DIR,
	OPT_TMP_DIR,
	OPT_MIN_AGE,
	OPT_PROC_DIR,
	OPT_STATE_FILE,
	OPT_LOCK_FILE,
	OPT_WAIT,
	OPT_DB_TIMEOUT,
	OPT_EXPLAIN,
	OPT_ALL_NAMESPACES,
	OPT_REAP_ALL_NAMESPACES,
};

static const struct option long_options[] = {
	{ "dry-run",		no_argument,		NULL, 'n' },
	{ "json",		no_argument,		NULL, 'j' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "pid",		required_argument,	NULL, 'p' },
	{ "mountinfo",		required_argument,	NULL, 'm' },
	{ "store-dir",		required_argument,	NULL, OPT_STORE_DIR },
	{ "state-dir",		required_argument,	NULL, OPT_STATE_DIR },
	{ "tmp-dir",		required_argument,	NULL, OPT_TMP_DIR },
	{ "min-age",		required_argument,	NULL, OPT_MIN_AGE },
	{ "proc-dir",		required_argument,	NULL, OPT_PROC_DIR },
	{ "state-file",		required_argument,	NULL, OPT_STATE_FILE },
	{ "lock-file",		required_argument,	NULL, OPT_LOCK_FILE },
	{ "wait",		required_argument,	NULL, OPT_WAIT },
	{ "db-timeout",		required_argument,	NULL, OPT_DB_TIMEOUT },
	{ "explain",		required_argument,	NULL, OPT_EXPLAIN },
	{ "all-namespaces",	no_argument,		NULL, OPT_ALL_NAMESPACES },
	{ "reap-all-namespaces", no_argument,		NULL, OPT_REAP_ALL_NAMESPACES },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void print_help(void)
{
	fputs("Usage: " PROGRAM_NAME " [options]\n"
	      "\n"
	      "Find the bind mounts that interrupted Nix builds leave over store paths\n"
	      "(/tmp/<hash>-<name>.patched.XXXXXX mounted on <store>/<hash>-<name>),\n"
	      "keep every one a live build may still use, and lazily unmount the rest.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --dry-run            judge and report, unmount nothing\n"
	      "  -j, --json               print the report as JSON\n"
	      "  -q, --quiet              print only errors\n"
	      "  -v, --verbose            print every signal checked for each mount\n"
	      "  -p, --pid PID            use the mount table and namespace of PID (default 1)\n"
	      "  -m, --mountinfo FILE     judge a saved mountinfo file; implies --dry-run\n"
	      "      --store-dir DIR      Nix store (default $NIX_STORE_DIR or /nix/store)\n"
	      "      --state-dir DIR      Nix state (default $NIX_STATE_DIR or /nix/var/nix)\n"
	      "      --tmp-dir DIR        where leaked copies live; repeatable (default /tmp)\n"
	      "      --min-age AGE        keep copies younger than AGE: 0, seconds, or a number\n"
	      "                           with s, m, h or d (default 10m)\n"
	      "      --proc-dir DIR       read process information under DIR (default /proc)\n"
	      "      --state-file PATH    first-seen record (default /var/lib/nix-mount-reap/seen)\n"
	      "      --lock-file PATH     one reaper at a time (default /run/nix-mount-reap.lock)\n"
	      "      --wait SECONDS       wait for a running GC or reaper (default 0)\n"
	      "      --db-timeout SECONDS busy timeout for the store database (default 3)\n"
	      "      --explain ID|PATH    explain the decision on one mount, then exit\n"
	      "      --all-namespaces     list the other mount namespaces holding each leak\n"
	      "      --reap-all-namespaces\n"
	      "                           also judge and reap in each namespace listed\n"
	      "  -h, --help               print this help and exit\n"
	      "  -V, --version            print the version and exit\n"
	      "\n"
	      "Exit status: 0 done, 1 some mounts not reaped or malformed table lines,\n"
	      "2 usage or fatal error, 3 garbage collection running, 4 another reaper running.\n"
	      "See nix-mount-reap(8).\n", stdout);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROGRAM_NAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROGRAM_NAME " --help' for more information.\n");
	return EXIT_FATAL;
}

/* Normalize a directory option into *RET; a usage error when it is not absolute. */
static int set_dir(char **ret, const char *value, const char *option)
{
	char *dir = path_normalize(value);

	if (!dir) {
		fprintf(stderr, PROGRAM_NAME ": invalid %s '%s': expected an absolute path "
			"without . or .. components\n", option, value);
		return EXIT_FATAL;
	}
	free(*ret);
	*ret = dir;
	return -1;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value && *value ? value : fallback;
}

static void set_defaults(struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->pid = 1;
	opts->proc_dir = "/proc";
	opts->state_file = "/var/lib/nix-mount-reap/seen";
	opts->lock_file = "/run/nix-mount-reap.lock";
	opts->min_age = 10 * 60;
	opts->db_timeout = 3;
}

/* Handle one option; returns -1 to go on or an exit status. */
static int parse_one(struct options *opts, int c, const char *arg)
{
	int64_t value;

	switch (c) {
	case 'n': opts->dry_run = true; break;
	case 'j': opts->json = true; break;
	case 'q': opts->quiet = true; break;
	case 'v': opts->verbose++; break;
	case 'p':
		if (parse_uint(arg, INT32_MAX, &value) < 0 || value == 0)
			return usage_error("invalid --pid '%s': expected a process ID", arg);
		opts->pid = (pid_t)value;
		break;
	case 'm': opts->mountinfo = arg; break;
	case OPT_STORE_DIR: return set_dir(&opts->store_dir, arg, "--store-dir");
	case OPT_STATE_DIR: return set_dir(&opts->state_dir, arg, "--state-dir");
	case OPT_TMP_DIR: {
		char *dir = NULL;
		int r = set_dir(&dir, arg, "--tmp-dir");

		if (r >= 0)
			return r;
		opts->tmp_dirs = xrealloc(opts->tmp_dirs, (opts->ntmp_dirs + 1) * sizeof(char *));
		opts->tmp_dirs[opts->ntmp_dirs++] = dir;
		break;
	}
	case OPT_MIN_AGE:
		if (parse_duration(arg, &opts->min_age) < 0)
			return usage_error("invalid --min-age '%s': expected 0, seconds, or a number "
					   "with s, m, h or d", arg);
		break;
	case OPT_PROC_DIR: opts->proc_dir = arg; break;
	case OPT_STATE_FILE: opts->state_file = arg; break;
	case OPT_LOCK_FILE: opts->lock_file = arg; break;
	case OPT_WAIT:
		if (parse_uint(arg, 86400, &opts->wait) < 0)
			return usage_error("invalid --wait '%s': expected seconds from 0 to 86400", arg);
		break;
	case OPT_DB_TIMEOUT:
		if (parse_uint(arg, 3600, &opts->db_timeout) < 0)
			return usage_error("invalid --db-timeout '%s': expected seconds from 0 to 3600", arg);
		break;
	case OPT_EXPLAIN: opts->explain = arg; break;
	case OPT_ALL_NAMESPACES: opts->all_namespaces = true; break;
	case OPT_REAP_ALL_NAMESPACES:
		opts->all_namespaces = true;
		opts->reap_all_namespaces = true;
		break;
	case 'h': print_help(); return EXIT_DONE;
	case 'V': printf(PROGRAM_NAME " %s\n", NMR_VERSION); return EXIT_DONE;
	default:
		return EXIT_FATAL;
	}
	return -1;
}

int options_parse(struct options *opts, int argc, char **argv)
{
	int c, r;

	set_defaults(opts);
	opterr = 0;	/* getopt would name argv[0]; the messages below name the program */
	while ((c = getopt_long(argc, argv, ":njqvp:m:hV", long_options, NULL)) != -1) {
		const char *given = argv[optind - 1];

		if (c == ':')
			return usage_error("option '%s' requires an argument", given);
		if (c == '?') {
			if (optopt && !str_has_prefix(given, "--"))
				return usage_error("invalid option -- '%c'", optopt);
			return usage_error("unrecognized option '%s'", given);
		}
		r = parse_one(opts, c, optarg);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	if (!opts->store_dir && (r = set_dir(&opts->store_dir, env_or("NIX_STORE_DIR", "/nix/store"),
					     "NIX_STORE_DIR")) >= 0)
		return r;
	if (!opts->state_dir && (r = set_dir(&opts->state_dir, env_or("NIX_STATE_DIR", "/nix/var/nix"),
					     "NIX_STATE_DIR")) >= 0)
		return r;
	if (opts->ntmp_dirs == 0) {
		opts->tmp_dirs = xmalloc(sizeof(char *));
		opts->tmp_dirs[opts->ntmp_dirs++] = xstrdup("/tmp");
	}
	if (opts->mountinfo || opts->explain)
		opts->dry_run = true;
	if (opts->mountinfo && opts->all_namespaces)
		return usage_error("%s", "--all-namespaces needs a live mount table, not --mountinfo");
	if (opts->quiet && opts->verbose)
		return usage_error("%s", "--quiet and --verbose exclude each other");
	return -1;
}

void options_free(struct options *opts)
{
	for (size_t i = 0; i < opts->ntmp_dirs; i++)
		free(opts->tmp_dirs[i]);
	free(opts->tmp_dirs);
	free(opts->store_dir);
	free(opts->state_dir);
}
