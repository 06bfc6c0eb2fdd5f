/* SPDX-License-Identifier: MIT */
/*
 * The waits before a run judges anything: for another reaper to release the
 * lock file, then for a garbage collection to release gc.lock.  Both waits
 * count against one deadline, and each reports why it gave up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "instance.h"
#include "log.h"
#include "nixstate.h"
#include "util.h"
#include "waits.h"

int waits_for_gc(const struct options *opts, const char *state_dir, struct lock_table *locks,
		 int64_t deadline_ms)
{
	char *locks_path = xasprintf("%s/locks", opts->proc_dir);
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };
	pid_t holder = 0;
	int r;

	for (;;) {
		r = locks_read(locks, locks_path);
		if (r < 0) {
			log_error("cannot read %s: %s", locks_path, strerror(-r));
			r = EXIT_FATAL;
			break;
		}
		if (nixstate_gc_running(state_dir, locks, &holder) != 1) {
			r = 0;
			break;
		}

		if (monotonic_ms() >= deadline_ms) {
			log_error("a garbage collection is running (pid %d holds %s/gc.lock); %s",
				  (int)holder, opts->state_dir,
				  opts->wait ? "it did not end within --wait, so nothing was judged"
					     : "nothing was judged: try again when it ends, or use --wait SECONDS");
			r = EXIT_GC_RUNNING;
			break;
		}
		locks_free(locks);
		nanosleep(&pause, NULL);
	}
	if (r != 0)
		locks_free(locks);
	free(locks_path);
	return r;
}

/* Say which process holds the lock file, as far as /proc/locks shows it. */
static void report_lock_holder(const struct options *opts)
{
	const char *advice = opts->wait ? "it was not released within --wait, so nothing was reaped"
					: "nothing was reaped: use --wait SECONDS to wait for it";
	char *locks_path = xasprintf("%s/locks", opts->proc_dir);
	struct lock_table locks = { 0 };
	const struct file_lock *lock = NULL;
	char comm[32];

	if (locks_read(&locks, locks_path) == 0 && locks_find_path(&locks, opts->lock_file, &lock) == 1 &&
	    lock->pid > 0) {
		read_comm(opts->proc_dir, lock->pid, comm, sizeof(comm));
		log_error("pid %d (%s) holds %s, as another nix-mount-reap would; %s", (int)lock->pid, comm,
			  opts->lock_file, advice);
	} else {
		log_error("another process holds %s, as another nix-mount-reap would; %s", opts->lock_file,
			  advice);
	}
	locks_free(&locks);
	free(locks_path);
}

int waits_take_lock(const struct options *opts, int64_t deadline_ms, int *ret_fd)
{
	int fd = instance_lock(opts->lock_file, deadline_ms);

	if (fd == -EWOULDBLOCK) {
		report_lock_holder(opts);
		return EXIT_LOCKED;
	}
	if (fd < 0) {
		log_error("cannot lock %s: %s", opts->lock_file, strerror(-fd));
		return EXIT_FATAL;
	}
	*ret_fd = fd;
	return 0;
}
