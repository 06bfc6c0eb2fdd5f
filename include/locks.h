/* SPDX-License-Identifier: MIT */
/*
 * File locks held on this machine, from one read of /proc/locks.
 *
 * Nix takes only flock(2) locks, which F_GETLK cannot see, and its own
 * readers take "I got the lock" to mean "stale, delete it".  So the tool
 * never tries a lock: it reads the kernel's list once instead.
 */
#ifndef NMR_LOCKS_H
#define NMR_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct file_lock {
	dev_t dev;
	ino_t ino;
	pid_t pid;		/* the process that took it; -1 for an OFD lock */
	bool exclusive;
};

struct lock_table {
	struct file_lock *locks;	/* sorted by device and inode */
	size_t count;
};

/* Parse the text of /proc/locks; lines that are not understood are skipped. */
void locks_parse(struct lock_table *tab, const char *text);

/* Read and parse a locks file.  Returns 0 or -errno. */
int locks_read(struct lock_table *tab, const char *path);

void locks_free(struct lock_table *tab);

/*
 * Find a lock held on the inode DEV:INO, an exclusive one where there is one,
 * or NULL.  For a device with major number 0 the same inode number on any
 * such device also counts, because btrfs subvolumes report devices of their
 * own that /proc/locks does not show.
 */
const struct file_lock *locks_find(const struct lock_table *tab, dev_t dev, ino_t ino);

/*
 * Look up a lock held on the file at PATH.  Returns 1 and the lock when one is
 * held, 0 when none is or the file does not exist, or -errno when it cannot
 * be examined.
 */
int locks_find_path(const struct lock_table *tab, const char *path, const struct file_lock **ret_lock);

#endif
