/* SPDX-License-Identifier: MIT */
/*
 * One run of the command:
 *   1. take the one-reaper lock and join the judged namespace (real runs)
 *   2. read the mount table, then /proc/locks once no GC runs (waits.c)
 *   3. judge every mount considered: shape, liveness, place in the tree
 *   4. unmount the stale leaks and read the table once more to confirm
 *   5. record first sightings, print the report and pick the exit status
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judge.h"
#include "liveness.h"
#include "log.h"
#include "locks.h"
#include "mounttab.h"
#include "nixstate.h"
#include "nsjoin.h"
#include "reap.h"
#include "report.h"
#include "run.h"
#include "shape.h"
#include "waits.h"

/* Does this process have CAP_SYS_ADMIN, which umount2 and setns need? */
static bool has_sys_admin(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &header, data) < 0)
		return geteuid() == 0;
	return data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}

/*
 * Find where the judged namespace's files are seen from here: "" when it is
 * this namespace, /proc/PID/root otherwise.  A real run joins it instead, so
 * that its mounts can be unmounted at all.
 */
static int enter_namespace(const struct options *opts, char **ret_prefix)
{
	bool same;
	int r;

	*ret_prefix = xstrdup("");
	if (opts->mountinfo)
		return 0;

	r = ns_is_same(opts->proc_dir, opts->pid, &same);
	if (r == -EACCES && opts->dry_run) {
		/* Judging is still sound for a namespace that shares this one's files. */
		log_warning("cannot tell whether pid %d shares this mount namespace (%s); "
			    "judging its paths as seen from here", (int)opts->pid, strerror(-r));
		return 0;
	}
	if (r < 0) {
		log_error("cannot read the mount namespace of pid %d: %s", (int)opts->pid, strerror(-r));
		return EXIT_FATAL;
	}
	if (same)
		return 0;

	if (opts->dry_run) {
		free(*ret_prefix);
		*ret_prefix = xasprintf("%s/%d/root", opts->proc_dir, (int)opts->pid);
		return 0;
	}
	r = ns_join(opts->proc_dir, opts->pid);
	if (r < 0) {
		log_error("cannot join the mount namespace of pid %d: %s", (int)opts->pid, strerror(-r));
		return EXIT_FATAL;
	}
	log_debug("joined the mount namespace of pid %d", (int)opts->pid);
	return 0;
}

static char *table_path(const struct options *opts)
{
	if (opts->mountinfo)
		return xstrdup(opts->mountinfo);
	return xasprintf("%s/%d/mountinfo", opts->proc_dir, (int)opts->pid);
}

static int read_table(const char *path, struct mount_table *tab)
{
	int r = mounttab_read(tab, path);

	if (r == -EINVAL) {
		log_error("cannot read mount table %s: not a regular file", path);
		return EXIT_FATAL;
	}
	if (r < 0) {
		log_error("cannot read mount table %s: %s", path, strerror(-r));
		return EXIT_FATAL;
	}
	if (tab->count == 0) {
		/* Every mount table has at least the root; an empty one is a wrong file. */
		log_error("mount table %s is empty", path);
		return EXIT_FATAL;
	}
	for (size_t i = 0; i < tab->count; i++)
		if (tab->entries[i].malformed)
			log_warning("%s:%u: malformed line kept: %s", path, tab->entries[i].line,
				    tab->entries[i].error);
	return 0;
}

static struct tmp_dir *resolve_tmp_dirs(const struct options *opts, const char *prefix,
				       const struct mount_table *tab)
{
	struct tmp_dir *dirs = xcalloc(opts->ntmp_dirs, sizeof(*dirs));

	for (size_t i = 0; i < opts->ntmp_dirs; i++)
		dirs[i].path = opts->tmp_dirs[i];
	shape_resolve_tmp_dirs(dirs, opts->ntmp_dirs, tab);

	for (size_t i = 0; i < opts->ntmp_dirs; i++) {
		char *seen_path = path_prefixed(prefix, dirs[i].path);
		struct stat st;

		if (!dirs[i].resolved)
			log_warning("no mount in the table holds tmp directory %s", dirs[i].path);
		else if (!opts->mountinfo && stat(seen_path, &st) < 0)
			log_warning("tmp directory %s: %s, so no leak can be found in it", dirs[i].path,
				    strerror(errno));
		else if (!opts->mountinfo && !S_ISDIR(st.st_mode))
			log_warning("tmp directory %s is not a directory, so no leak can be found in it",
				    dirs[i].path);
		free(seen_path);
	}
	return dirs;
}

static void free_tmp_dirs(struct tmp_dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i].fs_dir);
	free(dirs);
}

/*
 * Judge every mount considered in TAB into J.  With --all-namespaces, also
 * list the other namespaces that hold a copy of a leak, one process of each
 * in *RET_HOLDERS.
 */
static void judge_table(const struct options *opts, const char *prefix, struct mount_table *tab,
			const struct tmp_dir *dirs, struct lock_table *locks, struct judgement *j,
			struct liveness *l, pid_t **ret_holders, size_t *ret_nholders)
{
	judge_shapes(j, tab, opts->store_dir, dirs, opts->ntmp_dirs);
	liveness_init(l, opts, prefix, dirs, locks, j);
	for (size_t i = 0; i < j->count; i++)
		if (j->verdicts[i].leak)
			liveness_judge(l, &j->verdicts[i]);
	judge_structure(j, tab);
	if (opts->all_namespaces)
		*ret_nholders = ns_list_copies(j, opts->proc_dir, opts->pid, ret_holders);
}

/*
 * Run once more in the namespace of each process in HOLDERS, with the same
 * checks, for --reap-all-namespaces.  Each run is a child process, because
 * joining a namespace cannot be undone.  A child inherits the lock file and
 * prints only its summary line.  Its exit status counts when this run's is 0.
 */
static int run_in_other_namespaces(const struct options *opts, const pid_t *holders, size_t n)
{
	int worst = EXIT_DONE;

	for (size_t i = 0; i < n; i++) {
		struct options child_opts = *opts;
		char label[64];
		int status;
		pid_t child;

		snprintf(label, sizeof(label), "the mount namespace of pid %d", (int)holders[i]);
		child_opts.pid = holders[i];
		child_opts.all_namespaces = false;
		child_opts.reap_all_namespaces = false;
		child_opts.namespace_label = label;
		child_opts.lock_inherited = true;

		fflush(stdout);
		fflush(stderr);
		child = fork();
		if (child < 0) {
			log_error("cannot start a run in %s: %s", label, strerror(errno));
			worst = EXIT_PARTIAL;
			continue;
		}
		if (child == 0)
			_exit(run(&child_opts));

		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status)) {
			log_error("the run in %s did not finish", label);
			worst = EXIT_PARTIAL;
		} else if (WEXITSTATUS(status) != EXIT_DONE && worst == EXIT_DONE) {
			worst = WEXITSTATUS(status);
		}
	}
	return worst;
}

/* Unmount the stale leaks and confirm in a fresh read of the table; returns how many remain. */
static size_t reap_and_verify(struct judgement *j, const char *path)
{
	size_t failed = reap_all(j);
	int still = reap_verify(j, path);

	if (still < 0) {
		log_error("cannot read mount table %s again to confirm: %s", path, strerror(-still));
		return failed ? failed : 1;
	}
	for (size_t i = 0; i < j->count; i++) {
		const struct verdict *v = &j->verdicts[i];

		if (v->result && (strcmp(v->result, "failed") == 0 || strcmp(v->result, "moved") == 0))
			log_error("cannot unmount %s (mount %d): %s", v->mount->target, v->mount->id,
				  strcmp(v->result, "moved") == 0 ? "another mount is on top now"
								 : strerror(v->error));
	}
	return (size_t)still;
}

static int explain(const struct judgement *j, const char *what)
{
	const struct verdict *v = judge_find(j, what);

	if (!v) {
		log_error("no mount considered matches '%s'; give a mount ID or a mount point "
			  "directly in the store", what);
		return EXIT_FATAL;
	}
	report_explain(v);
	return EXIT_DONE;
}

int run(const struct options *opts)
{
	struct mount_table tab = { 0 };
	struct lock_table locks = { 0 };
	struct judgement j = { 0 };
	struct liveness l;
	struct tmp_dir *dirs = NULL;
	pid_t *holders = NULL;
	size_t nholders = 0;
	char *prefix = NULL, *path = NULL, *state_dir = NULL;
	bool real_run = !opts->dry_run, judged = false;
	/* One deadline for both waits: another reaper first, then a collection. */
	int64_t deadline_ms = monotonic_ms() + opts->wait * 1000;
	size_t remaining = 0;
	int lock_fd = -1, r;

	if (real_run && !has_sys_admin()) {
		log_error("unmounting needs CAP_SYS_ADMIN: run as root, or add --dry-run to only judge");
		return EXIT_FATAL;
	}
	if (real_run && !opts->lock_inherited) {
		r = waits_take_lock(opts, deadline_ms, &lock_fd);
		if (r)
			return r;
	}

	r = enter_namespace(opts, &prefix);
	if (r)
		goto out;

	path = table_path(opts);
	r = read_table(path, &tab);
	if (r)
		goto out;

	state_dir = path_prefixed(prefix, opts->state_dir);
	r = waits_for_gc(opts, state_dir, &locks, deadline_ms);
	if (r)
		goto out;

	dirs = resolve_tmp_dirs(opts, prefix, &tab);
	judge_table(opts, prefix, &tab, dirs, &locks, &j, &l, &holders, &nholders);
	judged = true;

	if (opts->explain) {
		r = explain(&j, opts->explain);
		goto out;
	}

	/* A dry run of a live table makes the same checks and skips only umount2. */
	if (real_run)
		remaining = reap_and_verify(&j, path);
	else if (!opts->mountinfo)
		reap_check_all(&j, prefix);

	/*
	 * A dry run changes nothing on the host, and a run on behalf of another
	 * namespace leaves the record to the run that started it.
	 */
	r = opts->dry_run || opts->namespace_label ? 0 : liveness_save_seen(&l, &j);
	if (r < 0)
		log_warning("cannot write state file %s: %s", opts->state_file, strerror(-r));

	if (opts->verbose)
		report_traces(&j);
	if (!opts->quiet && !opts->namespace_label) {
		r = report_print(&j, opts, real_run);
		if (r < 0)
			log_error("cannot print the report: %s", strerror(-r));
	}
	report_summary(&j, &tab, real_run, opts->namespace_label);

	r = remaining || tab.malformed ? EXIT_PARTIAL : EXIT_DONE;
	if (opts->reap_all_namespaces) {
		int others = run_in_other_namespaces(opts, holders, nholders);

		if (r == EXIT_DONE)
			r = others;
	}
out:
	if (judged)
		liveness_free(&l);
	judge_free(&j);
	locks_free(&locks);
	if (dirs)
		free_tmp_dirs(dirs, opts->ntmp_dirs);
	mounttab_free(&tab);
	free(holders);
	free(state_dir);
	free(path);
	free(prefix);
	if (lock_fd >= 0)
		close(lock_fd);
	return r;
}
