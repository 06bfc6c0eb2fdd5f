/* SPDX-License-Identifier: MIT */
/* Processes that use a mount: an open descriptor, a working directory or a root on it. */
#ifndef NMR_PROCSCAN_H
#define NMR_PROCSCAN_H

#include <stddef.h>
#include <sys/types.h>

struct mount_user {
	int mount_id;
	pid_t pid;
	int fd;			/* the descriptor, or -1 for a cwd or root */
	const char *how;	/* "fd", "cwd" or "root" */
};

struct mount_users {
	struct mount_user *users;	/* sorted by mount ID */
	size_t count;
};

/*
 * Scan every process under PROC_DIR, this one excepted, for descriptors, a
 * working directory or a root on one of the NIDS mounts IDS, in any order.
 * Processes that vanish or cannot be read meanwhile are skipped.
 */
void procscan_users(struct mount_users *users, const char *proc_dir, const int *ids, size_t nids);

/* Find a process that uses mount ID, or NULL. */
const struct mount_user *procscan_find(const struct mount_users *users, int id);

void procscan_free(struct mount_users *users);

#endif
