/* SPDX-License-Identifier: MIT */
/* Why a mount is reaped or kept: one stable keyword per reason. */
#ifndef NMR_REASON_H
#define NMR_REASON_H

enum reason {
	REASON_STALE,		/* a leak with no sign of life: reap it */

	/* Leaks that something still uses. */
	REASON_LIVE_LOCK,	/* <path>.lock, or a lock of one of a .drv's outputs, is held */
	REASON_TEMP_ROOT,	/* a locked temproots file names the path */
	REASON_ACTIVE_BUILD,	/* a locked active-builds file names the .drv */
	REASON_IN_USE,		/* a process has a descriptor, cwd or root on the mount */
	REASON_DB_UNKNOWN,	/* the store database could not answer */
	REASON_TOO_YOUNG,	/* the copy is younger than --min-age */
	REASON_AGE_UNKNOWN,	/* no time stamp of the copy could be read */

	/* Leaks whose place in the mount tree makes an unmount unsafe. */
	REASON_FOREIGN_TOP,	/* a mount that is not a leak sits on top */
	REASON_TOP_KEPT,	/* a leak on top is kept, so this one stays covered */
	REASON_HAS_CHILDREN,	/* a mount lies inside it, and MNT_DETACH would take it along */

	/* Mounts that do not have the leak shape. */
	REASON_WRONG_TMPDIR,
	REASON_WRONG_FS,
	REASON_HASH_MISMATCH,
	REASON_NAME_MISMATCH,
	REASON_BAD_HASH,
	REASON_BAD_NAME,
	REASON_BAD_RAND,
	REASON_TARGET_DELETED,
	REASON_NOT_CANDIDATE,
	REASON_MALFORMED,

	REASON_COUNT
};

/* Return the keyword of REASON, e.g. "live-lock". */
const char *reason_keyword(enum reason reason);

/* Return a few words for people, e.g. "a build still holds the lock". */
const char *reason_description(enum reason reason);

#endif
