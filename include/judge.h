/* SPDX-License-Identifier: MIT */
/*
 * The decision on every mount considered: its shape, its place in the mount
 * tree, and (through liveness.h) every sign that a build still uses it.
 */
#ifndef NMR_JUDGE_H
#define NMR_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mounttab.h"
#include "reason.h"
#include "shape.h"
#include "util.h"

struct verdict {
	struct mount_entry *mount;
	const char *basename;	/* store base name inside mount->target, or NULL */
	bool is_drv;
	bool leak;		/* it has the exact leak shape */
	enum reason reason;	/* REASON_STALE when it is to be reaped */
	pid_t holder_pid;	/* the process behind the reason, or 0 */
	char holder_comm[32];
	struct strbuf trace;	/* every signal checked, one per line */
	char *namespaces;	/* other namespaces holding a copy, with --all-namespaces */
	unsigned int depth;	/* how many leaks on the same mount point lie below it */
	uint64_t unique_id;	/* unique mount ID, 0 when unknown */

	/* Set by a real run for each mount it tried to unmount. */
	const char *result;	/* "unmounted", "gone", "moved" or "failed" */
	int error;		/* errno of a failed attempt */
};

struct judgement {
	struct verdict *verdicts;	/* in table order */
	size_t count;
	struct verdict **by_entry;	/* indexed by position in the mount table; NULL when not considered */
	struct verdict **order;		/* every leak, in reap order: top of a stack first */
	size_t norder;
};

/* Make a verdict on the shape of every mount considered in TAB. */
void judge_shapes(struct judgement *j, struct mount_table *tab, const char *store_dir,
		  const struct tmp_dir *dirs, size_t ndirs);

/*
 * Keep the leaks that cannot be unmounted safely: a mount inside one, a
 * mount that is not a leak on top, or a kept leak on top.  Call it after
 * the liveness signals, since a kept leak keeps the ones below it.
 */
void judge_structure(struct judgement *j, const struct mount_table *tab);

/* Record the reason to keep V, unless an earlier signal already gave one. */
void judge_keep(struct verdict *v, enum reason reason, pid_t holder, const char *proc_dir);

static inline bool verdict_reaps(const struct verdict *v)
{
	return v->reason == REASON_STALE;
}

/* Find the verdict on a mount by mount ID or by mount point; NULL when none matches. */
struct verdict *judge_find(const struct judgement *j, const char *id_or_path);

void judge_free(struct judgement *j);

#endif
