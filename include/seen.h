/* SPDX-License-Identifier: MIT */
/*
 * When each leak was first seen, kept in a small state file between runs.
 *
 * A failed garbage collection changes the copy's ctime and some filesystems
 * record no birth time, so the first sighting is the age evidence that no
 * one else can move.  A mount is identified by its unique mount ID where the
 * kernel gives one, and otherwise by its mount ID, root and mount point, so
 * that a reused mount ID is never taken for an old mount.
 */
#ifndef NMR_SEEN_H
#define NMR_SEEN_H

#include <stddef.h>
#include <stdint.h>

struct seen_entry {
	int64_t first_seen;	/* seconds since the epoch */
	int id;
	uint64_t unique_id;	/* 0 when unknown */
	char *root;
	char *target;
};

struct seen_state {
	struct seen_entry *entries;	/* sorted by mount ID after seen_load() */
	size_t count;
};

/*
 * Load the state file at PATH.  A missing file gives an empty state and 0;
 * an unreadable or corrupt one gives an empty state and -errno or -EBADMSG.
 */
int seen_load(struct seen_state *state, const char *path);

/* Return when the mount was first seen, or 0 when the state has no record of it. */
int64_t seen_lookup(const struct seen_state *state, int id, uint64_t unique_id,
		    const char *root, const char *target);

void seen_add(struct seen_state *state, int id, uint64_t unique_id,
	      const char *root, const char *target, int64_t first_seen);

/* Write STATE to PATH atomically: a new file beside it, synced, then renamed over it.  Returns 0 or -errno. */
int seen_save(const struct seen_state *state, const char *path);

void seen_free(struct seen_state *state);

#endif
