/* SPDX-License-Identifier: MIT */
/* The decision on every mount considered: its shape and its place in the mount tree. */
#include <stdlib.h>
#include <string.h>

#include "judge.h"

void judge_keep(struct verdict *v, enum reason reason, pid_t holder, const char *proc_dir)
{
	if (v->reason != REASON_STALE)
		return;
	v->reason = reason;
	v->holder_pid = holder;
	if (holder > 0)
		read_comm(proc_dir, holder, v->holder_comm, sizeof(v->holder_comm));
}

void judge_shapes(struct judgement *j, struct mount_table *tab, const char *store_dir,
		  const struct tmp_dir *dirs, size_t ndirs)
{
	size_t i;

	memset(j, 0, sizeof(*j));
	j->verdicts = xcalloc(tab->count, sizeof(*j->verdicts));
	j->by_entry = xcalloc(tab->count, sizeof(*j->by_entry));

	for (i = 0; i < tab->count; i++) {
		struct mount_entry *e = &tab->entries[i];
		struct verdict *v;

		if (!shape_is_considered(e, store_dir))
			continue;

		v = &j->verdicts[j->count++];
		j->by_entry[i] = v;
		v->mount = e;
		v->basename = shape_store_basename(e, store_dir);
		v->is_drv = v->basename && str_has_suffix(v->basename, ".drv");
		v->reason = shape_check(e, store_dir, dirs, ndirs);
		v->leak = v->reason == REASON_STALE;
	}
}

static struct verdict *verdict_of(const struct judgement *j, const struct mount_table *tab,
				  const struct mount_entry *e)
{
	return e ? j->by_entry[e - tab->entries] : NULL;
}

static int compare_depth(const void *a, const void *b)
{
	const struct verdict *x = *(struct verdict *const *)a, *y = *(struct verdict *const *)b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? 1 : -1;
	return (x->mount->line > y->mount->line) - (x->mount->line < y->mount->line);
}

/*
 * Keep the leak V when its place in the tree makes an unmount unsafe: a mount
 * inside it, a mount on top that is no leak, or a kept leak on top.
 */
static void judge_place(const struct judgement *j, const struct mount_table *tab, struct verdict *v)
{
	const struct mount_entry *top = v->mount->top;
	struct verdict *top_verdict = verdict_of(j, tab, top);
	enum reason age_reason = v->reason;

	/*
	 * The tree keeps a mount for good, and age only for a while, so the
	 * tree's reason replaces an age reason.  The age reason stays when the
	 * tree gives none.
	 */
	if (age_reason == REASON_TOO_YOUNG || age_reason == REASON_AGE_UNKNOWN)
		v->reason = REASON_STALE;

	if (v->mount->has_inner) {
		strbuf_addf(&v->trace, "children: a mount lies inside the mount point\n");
		judge_keep(v, REASON_HAS_CHILDREN, 0, NULL);
	}
	if (top && (!top_verdict || !top_verdict->leak)) {
		strbuf_addf(&v->trace, "top: mount %d on top is not a leak\n", top->id);
		judge_keep(v, REASON_FOREIGN_TOP, 0, NULL);
	} else if (top && !verdict_reaps(top_verdict)) {
		strbuf_addf(&v->trace, "top: leak %d on top is kept (%s)\n", top->id,
			    reason_keyword(top_verdict->reason));
		judge_keep(v, REASON_TOP_KEPT, 0, NULL);
	} else if (top) {
		strbuf_addf(&v->trace, "top: leak %d on top is reaped first\n", top->id);
	}

	if (verdict_reaps(v))
		v->reason = age_reason;
}

void judge_structure(struct judgement *j, const struct mount_table *tab)
{
	size_t i, n = 0;

	/* Depth: how many mounts lie below it on the same mount point. */
	j->order = xcalloc(j->count, sizeof(*j->order));
	for (i = 0; i < j->count; i++) {
		struct verdict *v = &j->verdicts[i];
		const struct mount_entry *below = v->mount;

		if (!v->leak)
			continue;
		while (below->parent && strcmp(below->parent->target, below->target) == 0 &&
		       v->depth < tab->count) {
			below = below->parent;
			v->depth++;
		}
		j->order[n++] = v;
	}
	qsort(j->order, n, sizeof(*j->order), compare_depth);

	/* Top of each stack first, so a kept leak is known before the ones below it. */
	for (i = 0; i < n; i++)
		judge_place(j, tab, j->order[i]);
	j->norder = n;
}

struct verdict *judge_find(const struct judgement *j, const char *id_or_path)
{
	int64_t id;
	bool by_id = parse_uint(id_or_path, INT32_MAX, &id) == 0;
	char *path = by_id ? NULL : path_normalize(id_or_path);
	struct verdict *found = NULL;

	for (size_t i = 0; i < j->count; i++) {
		struct verdict *v = &j->verdicts[i];

		if (v->mount->malformed)
			continue;
		if (by_id && v->mount->id == (int)id) {
			found = v;
			break;
		}
		/* Of the mounts on one path, the topmost is the one a path names. */
		if (!by_id && path && strcmp(v->mount->target, path) == 0 && (!found || !v->mount->top))
			found = v;
	}
	free(path);
	return found;
}

void judge_free(struct judgement *j)
{
	for (size_t i = 0; i < j->count; i++) {
		strbuf_release(&j->verdicts[i].trace);
		free(j->verdicts[i].namespaces);
	}
	free(j->verdicts);
	free(j->by_entry);
	free(j->order);
	memset(j, 0, sizeof(*j));
}
