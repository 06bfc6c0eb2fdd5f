/* SPDX-License-Identifier: MIT */
/* Why a mount is reaped or kept: one stable keyword per reason. */
#include "reason.h"

static const struct {
	const char *keyword;
	const char *description;
} reasons[REASON_COUNT] = {
	[REASON_STALE]		= { "stale", "a leak with no sign of a live build" },
	[REASON_LIVE_LOCK]	= { "live-lock", "a build holds the output lock" },
	[REASON_TEMP_ROOT]	= { "temp-root", "a locked temproots file names the path" },
	[REASON_ACTIVE_BUILD]	= { "active-build", "a locked active-builds file names the derivation" },
	[REASON_IN_USE]		= { "in-use", "a process has a descriptor, cwd or root on it" },
	[REASON_DB_UNKNOWN]	= { "db-unknown", "the store database cannot tell the outputs" },
	[REASON_TOO_YOUNG]	= { "too-young", "the copy is younger than the minimum age" },
	[REASON_AGE_UNKNOWN]	= { "age-unknown", "the age of the copy cannot be read" },
	[REASON_FOREIGN_TOP]	= { "foreign-top", "another mount sits on top" },
	[REASON_TOP_KEPT]	= { "top-kept", "the leak on top of it is kept" },
	[REASON_HAS_CHILDREN]	= { "has-children", "a mount lies inside it" },
	[REASON_WRONG_TMPDIR]	= { "wrong-tmpdir", "the copy is not directly in a tmp directory" },
	[REASON_WRONG_FS]	= { "wrong-fs", "the copy is not on the filesystem of the tmp directory" },
	[REASON_HASH_MISMATCH]	= { "hash-mismatch", "the copy's hash differs from the store path's" },
	[REASON_NAME_MISMATCH]	= { "name-mismatch", "the copy's name differs from the store path's" },
	[REASON_BAD_HASH]	= { "bad-hash", "the store path has no valid hash" },
	[REASON_BAD_NAME]	= { "bad-name", "the store path has no valid name" },
	[REASON_BAD_RAND]	= { "bad-rand", "the copy's suffix is not 6 letters or digits" },
	[REASON_TARGET_DELETED]	= { "target-deleted", "the mount point was deleted" },
	[REASON_NOT_CANDIDATE]	= { "not-candidate", "not a copy bound over a store path" },
	[REASON_MALFORMED]	= { "malformed", "the mount table line is malformed" },
};

const char *reason_keyword(enum reason reason)
{
	return reason < REASON_COUNT ? reasons[reason].keyword : "unknown";
}

const char *reason_description(enum reason reason)
{
	return reason < REASON_COUNT ? reasons[reason].description : "unknown";
}
