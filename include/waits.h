/* SPDX-License-Identifier: MIT */
/* The waits before a run judges anything: for another reaper, then for a collection. */
#ifndef NMR_WAITS_H
#define NMR_WAITS_H

#include <stdint.h>

#include "locks.h"
#include "options.h"

/*
 * Take the one-reaper lock file, waiting until DEADLINE_MS on the
 * monotonic_ms() clock.  Returns 0 with the descriptor that holds the lock
 * in *RET_FD, or an exit status after reporting why not.
 */
int waits_take_lock(const struct options *opts, int64_t deadline_ms, int *ret_fd);

/*
 * Read /proc/locks into LOCKS, again and again until no collection locks
 * STATE_DIR/gc.lock exclusively or DEADLINE_MS passes.  Returns 0 with LOCKS
 * filled in, or an exit status after reporting why not.
 */
int waits_for_gc(const struct options *opts, const char *state_dir, struct lock_table *locks,
		 int64_t deadline_ms);

#endif
