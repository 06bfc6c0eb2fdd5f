/* SPDX-License-Identifier: MIT */
/* One reaper at a time: an exclusive flock(2) on a lock file. */
#ifndef NMR_INSTANCE_H
#define NMR_INSTANCE_H

#include <stdint.h>

/*
 * Take the lock on PATH, creating the file if needed, waiting until
 * DEADLINE_MS on the monotonic_ms() clock for another instance to release
 * it.  Returns the descriptor that holds the lock (kept open for the whole
 * run), -EWOULDBLOCK when the wait ran out, or -errno.
 */
int instance_lock(const char *path, int64_t deadline_ms);

#endif
