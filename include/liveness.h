/* SPDX-License-Identifier: MIT */
/*
 * Every sign that a build still uses a leak: output locks, temporary roots,
 * active builds, processes on the mount, the store database's answer, and
 * the age of the copy.  The first sign found is the reason to keep; every
 * sign checked goes into the verdict's trace.
 */
#ifndef NMR_LIVENESS_H
#define NMR_LIVENESS_H

#include <stdbool.h>

#include "judge.h"
#include "locks.h"
#include "nixstate.h"
#include "options.h"
#include "procscan.h"
#include "seen.h"
#include "storedb.h"

struct liveness {
	const struct options *opts;
	const char *prefix;		/* prepended to paths of the judged namespace: "" or /proc/PID/root */
	char *state_dir;		/* opts->state_dir as seen from here */
	const struct tmp_dir *tmp_dirs;
	size_t ntmp_dirs;
	struct lock_table locks;
	struct store_db db;
	pid_t db_holder;		/* a process that locks the database, when it cannot answer */
	struct nix_state nix;
	struct mount_users users;
	struct seen_state seen;
	int64_t now;
};

/*
 * Gather what the signals need, each read once: the state file, the store
 * database, temporary roots and active builds, and the processes that use
 * one of the leaks in J.  LOCKS is taken over and freed by liveness_free().
 * Problems that only weaken the judgement are reported as warnings.
 */
void liveness_init(struct liveness *l, const struct options *opts, const char *prefix,
		   const struct tmp_dir *tmp_dirs, struct lock_table *locks, struct judgement *j);

/* Check every sign on the leak V, and keep it when one shows life. */
void liveness_judge(struct liveness *l, struct verdict *v);

/* Record the leaks of J that are still mounted in the state file.  Returns 0 or -errno. */
int liveness_save_seen(struct liveness *l, const struct judgement *j);

void liveness_free(struct liveness *l);

#endif
