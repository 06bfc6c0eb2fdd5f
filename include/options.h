/* SPDX-License-Identifier: MIT */
/* The command line, parsed into one structure. */
#ifndef NMR_OPTIONS_H
#define NMR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit statuses; the man page documents them. */
enum {
	EXIT_DONE = 0,		/* everything chosen was reaped, or the dry run judged the table */
	EXIT_PARTIAL = 1,	/* some mount could not be reaped, or the table had malformed lines */
	EXIT_FATAL = 2,		/* usage error, unreadable table, missing privilege */
	EXIT_GC_RUNNING = 3,	/* a garbage collection held gc.lock past --wait */
	EXIT_LOCKED = 4,	/* another instance held the lock file past --wait */
};

struct options {
	bool dry_run;
	bool json;
	bool quiet;
	int verbose;
	bool all_namespaces;
	bool reap_all_namespaces;	/* also judge and reap in the namespaces listed */

	pid_t pid;			/* whose mount table and namespace */
	const char *mountinfo;		/* a saved table to judge, or NULL */
	const char *explain;		/* a mount ID or path to explain, or NULL */

	char *store_dir;		/* normalized */
	char *state_dir;		/* normalized */
	char **tmp_dirs;		/* normalized */
	size_t ntmp_dirs;
	const char *proc_dir;
	const char *state_file;
	const char *lock_file;

	int64_t min_age;		/* seconds */
	int64_t wait;			/* seconds */
	int64_t db_timeout;		/* seconds */

	/* Set for a run in another namespace on behalf of --reap-all-namespaces. */
	const char *namespace_label;	/* names it in the summary; no table is printed */
	bool lock_inherited;		/* the parent run holds the lock file */
};

/*
 * Parse ARGV into OPTS.  Returns -1 to go on, or an exit status: 0 after
 * --help or --version, EXIT_FATAL after a usage error (already reported).
 */
int options_parse(struct options *opts, int argc, char **argv);

void options_free(struct options *opts);

#endif
