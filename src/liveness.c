/* SPDX-License-Identifier: MIT */
/*
 * Every sign that a build still uses a leak.
 *
 * The signals, in the order they are checked:
 *   1. <path>.lock is held (Nix locks each output it builds or substitutes)
 *   2. for a .drv, the lock of one of its outputs is held; the outputs come
 *      from DerivationOutputs, or from the .drv file when a failed garbage
 *      collection already removed those rows
 *   3. a locked temproots file names the path's hash (or an output's)
 *   4. a locked active-builds file names the .drv, or a .drv with this output
 *   5. a process has a descriptor, working directory or root on the mount
 *   6. the store database cannot answer for a .drv
 *   7. the copy is younger than --min-age, by the oldest evidence: its birth
 *      time (ctime where none is recorded) and when this tool first saw it
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "drvfile.h"
#include "liveness.h"
#include "log.h"

/* Linux 6.8 and later; older kernel headers lack it. */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

static void describe_holder(struct strbuf *sb, const char *proc_dir, pid_t pid)
{
	char comm[32];

	if (pid <= 0) {
		strbuf_addf(sb, "a process outside this PID namespace");
		return;
	}
	read_comm(proc_dir, pid, comm, sizeof(comm));
	strbuf_addf(sb, "pid %d (%s)", (int)pid, comm);
}

/* Read the outputs of the derivation DRV_NAME: database rows first, else the .drv file. */
static char **derivation_outputs(struct liveness *l, const char *drv_name, struct strbuf *trace)
{
	char *drv_path = xasprintf("%s/%s", l->opts->store_dir, drv_name);
	char *drv_file = path_prefixed(l->prefix, drv_path);
	char **outputs = NULL;
	int r;

	r = storedb_drv_outputs(&l->db, drv_path, &outputs);
	if (r == 0 && outputs[0]) {
		if (trace)
			strbuf_addf(trace, "outputs: from the store database\n");
		goto out;
	}
	storedb_free_paths(outputs);
	outputs = NULL;

	r = drvfile_read_outputs(drv_file, &outputs);
	if (trace) {
		if (r == 0)
			strbuf_addf(trace, "outputs: from %s\n", drv_file);
		else
			strbuf_addf(trace, "outputs: cannot read %s: %s\n", drv_file, strerror(-r));
	}
out:
	free(drv_path);
	free(drv_file);
	return outputs;
}

/* Check the lock of store path PATH; keep V when it is held. */
static void check_output_lock(struct liveness *l, struct verdict *v, const char *path)
{
	char *store_path = path_prefixed(l->prefix, path);
	char *lock_path = xasprintf("%s.lock", store_path);
	const struct file_lock *lock;
	int r;

	r = locks_find_path(&l->locks, lock_path, &lock);
	strbuf_addf(&v->trace, "lock %s: ", lock_path);
	if (r == 1) {
		describe_holder(&v->trace, l->opts->proc_dir, lock->pid);
		strbuf_addf(&v->trace, " holds it\n");
		judge_keep(v, REASON_LIVE_LOCK, lock->pid, l->opts->proc_dir);
	} else if (r == 0) {
		strbuf_addf(&v->trace, "not held\n");
	} else {
		/* A lock that cannot be examined may be held: count it as held. */
		strbuf_addf(&v->trace, "cannot check (%s), counted as held\n", strerror(-r));
		judge_keep(v, REASON_LIVE_LOCK, 0, NULL);
	}
	free(lock_path);
	free(store_path);
}

static void check_temp_root(struct liveness *l, struct verdict *v, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const struct temp_root *root = nixstate_find_root(&l->nix, base);

	strbuf_addf(&v->trace, "temproots for %.32s: ", base);
	if (!root) {
		strbuf_addf(&v->trace, "none locked\n");
		return;
	}
	describe_holder(&v->trace, l->opts->proc_dir, root->pid);
	strbuf_addf(&v->trace, " holds it\n");
	judge_keep(v, REASON_TEMP_ROOT, root->pid, l->opts->proc_dir);
}

static void check_active_builds(struct liveness *l, struct verdict *v, const char *store_path)
{
	for (size_t i = 0; i < l->nix.nbuilds; i++) {
		const struct active_build *b = &l->nix.builds[i];
		bool match = v->is_drv && strcmp(b->drv_name, v->basename) == 0;

		for (char **out = b->outputs; !match && out && *out; out++)
			match = strcmp(*out, store_path) == 0;
		if (!match)
			continue;

		strbuf_addf(&v->trace, "active build of %s: ", b->drv_name);
		describe_holder(&v->trace, l->opts->proc_dir, b->pid);
		strbuf_addf(&v->trace, " runs it\n");
		judge_keep(v, REASON_ACTIVE_BUILD, b->pid, l->opts->proc_dir);
		return;
	}
	strbuf_addf(&v->trace, "active builds: none names it (%zu locked)\n", l->nix.nbuilds);
}

static void check_users(struct liveness *l, struct verdict *v)
{
	const struct mount_user *u = procscan_find(&l->users, v->mount->id);

	if (!u) {
		strbuf_addf(&v->trace, "processes: none has a descriptor, cwd or root on it\n");
		return;
	}
	strbuf_addf(&v->trace, "processes: ");
	describe_holder(&v->trace, l->opts->proc_dir, u->pid);
	if (u->fd >= 0)
		strbuf_addf(&v->trace, " has descriptor %d on it\n", u->fd);
	else
		strbuf_addf(&v->trace, " has its %s on it\n", u->how);
	judge_keep(v, REASON_IN_USE, u->pid, l->opts->proc_dir);
}

/* Birth time where the filesystem records one, else ctime; 0 when unreadable. */
static int64_t file_time(const char *path, dev_t expected_dev, const char **ret_kind)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_CTIME, &stx) < 0)
		return 0;
	if (expected_dev && makedev(stx.stx_dev_major, stx.stx_dev_minor) != expected_dev)
		return 0;
	if ((stx.stx_mask & STATX_BTIME) && stx.stx_btime.tv_sec > 0) {
		*ret_kind = "birth time";
		return stx.stx_btime.tv_sec;
	}
	*ret_kind = "ctime";
	return stx.stx_ctime.tv_sec;
}

/* Is mount ID the topmost mount at PATH, so that PATH shows its copy? */
static bool mount_is_on_top(const char *path, int id)
{
	struct statx stx;

	return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0 &&
	       (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == (uint64_t)id;
}

/* Return the unique mount ID of the topmost mount at PATH, or 0 where the kernel has none. */
static uint64_t unique_mount_id(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return stx.stx_mnt_id;
	return 0;
}

static void check_age(struct liveness *l, struct verdict *v, const char *target)
{
	char *copy, *copy_path;
	const char *kind = NULL;
	int64_t copy_time = 0, first_seen, oldest;
	bool on_top;

	if (l->opts->min_age == 0) {
		strbuf_addf(&v->trace, "age: not checked (minimum age 0)\n");
		return;
	}

	copy = shape_copy_path(v->mount, l->tmp_dirs, l->ntmp_dirs);
	copy_path = copy ? path_prefixed(l->prefix, copy) : NULL;
	on_top = mount_is_on_top(target, v->mount->id);
	if (on_top)
		v->unique_id = unique_mount_id(target);

	if (copy_path)
		copy_time = file_time(copy_path, v->mount->devno, &kind);
	if (!copy_time && on_top)
		copy_time = file_time(target, 0, &kind);
	first_seen = seen_lookup(&l->seen, v->mount->id, v->unique_id, v->mount->root, v->mount->target);

	oldest = copy_time;
	if (first_seen && (!oldest || first_seen < oldest))
		oldest = first_seen;

	if (copy_time)
		strbuf_addf(&v->trace, "age: copy's %s is %lld s ago\n", kind, (long long)(l->now - copy_time));
	else
		strbuf_addf(&v->trace, "age: no time stamp of the copy is readable\n");
	if (first_seen)
		strbuf_addf(&v->trace, "age: first seen %lld s ago\n", (long long)(l->now - first_seen));
	else
		strbuf_addf(&v->trace, "age: not seen by an earlier run\n");

	if (!oldest)
		judge_keep(v, REASON_AGE_UNKNOWN, 0, NULL);
	else if (l->now - oldest < l->opts->min_age)
		judge_keep(v, REASON_TOO_YOUNG, 0, NULL);

	free(copy_path);
	free(copy);
}

void liveness_judge(struct liveness *l, struct verdict *v)
{
	char *store_path = xasprintf("%s/%s", l->opts->store_dir, v->basename);
	char *target = path_prefixed(l->prefix, v->mount->target);
	char **outputs = NULL;

	check_output_lock(l, v, store_path);
	if (v->is_drv) {
		outputs = derivation_outputs(l, v->basename, &v->trace);
		for (char **out = outputs; out && *out; out++)
			check_output_lock(l, v, *out);
	}

	check_temp_root(l, v, store_path);
	for (char **out = outputs; out && *out; out++)
		check_temp_root(l, v, *out);

	check_active_builds(l, v, store_path);
	check_users(l, v);

	if (v->is_drv && l->db.state == STOREDB_UNKNOWN) {
		strbuf_addf(&v->trace, "store database: cannot answer (%s)\n", l->db.problem);
		judge_keep(v, REASON_DB_UNKNOWN, l->db_holder, l->opts->proc_dir);
	}

	check_age(l, v, target);

	storedb_free_paths(outputs);
	free(target);
	free(store_path);
}

static void load_seen(struct liveness *l)
{
	int r;

	if (l->opts->mountinfo)
		return;
	r = seen_load(&l->seen, l->opts->state_file);
	if (r == -EBADMSG)
		log_warning("ignoring corrupt state file %s", l->opts->state_file);
	else if (r < 0)
		log_warning("cannot read state file %s: %s", l->opts->state_file, strerror(-r));
}

/* Open the store database; a problem with it is worth a warning only where a .drv leak needs it. */
static void open_store_db(struct liveness *l, const struct judgement *j)
{
	char *db_dir = xasprintf("%s/db", l->state_dir);
	bool needed = false;

	for (size_t i = 0; i < j->count && !needed; i++)
		needed = j->verdicts[i].leak && j->verdicts[i].is_drv;

	storedb_open(&l->db, db_dir, (int)l->opts->db_timeout * 1000);
	if (l->db.state == STOREDB_UNKNOWN) {
		/* SQLite's POSIX locks appear in /proc/locks too, so the locking process can be named. */
		char *db_file = xasprintf("%s/db.sqlite", db_dir);
		const struct file_lock *lock;

		if (locks_find_path(&l->locks, db_file, &lock) == 1 && lock->exclusive)
			l->db_holder = lock->pid;
		free(db_file);
	}
	if (l->db.state == STOREDB_MISSING && needed)
		log_warning("no store database (%s); reading derivation outputs from .drv files",
			    l->db.problem);
	else if (l->db.state == STOREDB_UNKNOWN && needed)
		log_warning("store database unusable: %s; keeping every leaked .drv", l->db.problem);
	free(db_dir);
}

static void scan_users(struct liveness *l, const struct judgement *j)
{
	int *ids = xcalloc(j->count, sizeof(*ids));
	size_t n = 0;

	for (size_t i = 0; i < j->count; i++)
		if (j->verdicts[i].leak)
			ids[n++] = j->verdicts[i].mount->id;
	procscan_users(&l->users, l->opts->proc_dir, ids, n);
	free(ids);
}

void liveness_init(struct liveness *l, const struct options *opts, const char *prefix,
		   const struct tmp_dir *tmp_dirs, struct lock_table *locks, struct judgement *j)
{
	memset(l, 0, sizeof(*l));
	l->opts = opts;
	l->prefix = prefix;
	l->state_dir = path_prefixed(prefix, opts->state_dir);
	l->tmp_dirs = tmp_dirs;
	l->ntmp_dirs = opts->ntmp_dirs;
	l->locks = *locks;
	memset(locks, 0, sizeof(*locks));
	l->now = now_seconds();

	load_seen(l);
	open_store_db(l, j);

	nixstate_read(&l->nix, l->state_dir, &l->locks);
	if (l->nix.unreadable)
		log_warning("%zu locked temproots or active-builds files could not be read",
			    l->nix.unreadable);
	for (size_t i = 0; i < l->nix.nbuilds; i++)
		l->nix.builds[i].outputs = derivation_outputs(l, l->nix.builds[i].drv_name, NULL);

	scan_users(l, j);
}

int liveness_save_seen(struct liveness *l, const struct judgement *j)
{
	struct seen_state next = { 0 };
	int r;

	if (l->opts->mountinfo)
		return 0;

	for (size_t i = 0; i < j->count; i++) {
		const struct verdict *v = &j->verdicts[i];
		const struct mount_entry *e = v->mount;
		uint64_t unique_id;
		int64_t first_seen;

		if (!v->leak || (v->result && (strcmp(v->result, "unmounted") == 0 ||
					       strcmp(v->result, "gone") == 0)))
			continue;
		unique_id = v->unique_id;
		if (!unique_id) {
			/* Skipped by a run without an age check; only a mount on top has one to read. */
			char *target = path_prefixed(l->prefix, e->target);

			if (mount_is_on_top(target, e->id))
				unique_id = unique_mount_id(target);
			free(target);
		}
		first_seen = seen_lookup(&l->seen, e->id, unique_id, e->root, e->target);
		seen_add(&next, e->id, unique_id, e->root, e->target, first_seen ? first_seen : l->now);
	}

	r = seen_save(&next, l->opts->state_file);
	seen_free(&next);
	return r;
}

void liveness_free(struct liveness *l)
{
	locks_free(&l->locks);
	storedb_close(&l->db);
	nixstate_free(&l->nix);
	procscan_free(&l->users);
	seen_free(&l->seen);
	free(l->state_dir);
}
