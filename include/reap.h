/* SPDX-License-Identifier: MIT */
/* Lazy, race-free unmounting of the leaks chosen for reaping. */
#ifndef NMR_REAP_H
#define NMR_REAP_H

#include <stdbool.h>

#include "judge.h"

/*
 * Unmount the mount ID mounted at TARGET with MNT_DETACH, but only while it
 * is the topmost mount there; with DRY_RUN, make the same check and skip
 * only the umount2 call.  Returns 0, -ESTALE when another mount is on top
 * (or the path is gone), or -errno from the kernel.
 */
int reap_mount(const char *target, int id, bool dry_run);

/*
 * Unmount every leak of J chosen for reaping, top of each stack first, and
 * record each attempt in its verdict.  Returns how many attempts failed.
 */
size_t reap_all(struct judgement *j);

/*
 * Make the checks of reap_all() on every leak of J chosen for reaping,
 * reaching the mount points through PREFIX, without unmounting, and warn
 * about each one a real run would find changed.  A leak under another leak
 * to be reaped is skipped, since only the unmount above it would uncover it.
 */
void reap_check_all(const struct judgement *j, const char *prefix);

/*
 * Read the mount table at MOUNTINFO once more and settle each attempt:
 * "unmounted" or "gone" when the mount left the table, "failed" or "moved"
 * while it is still there.  Returns how many are still mounted, or -errno
 * when the table cannot be read.
 */
int reap_verify(struct judgement *j, const char *mountinfo);

#endif
