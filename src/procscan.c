/* SPDX-License-Identifier: MIT */
/*
 * Processes that use a mount.  The mount ID of an open descriptor is the
 * "mnt_id:" line of /proc/PID/fdinfo/FD; for the working directory and the
 * root, statx(STATX_MNT_ID) on the /proc/PID/cwd and /proc/PID/root links.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procscan.h"
#include "util.h"

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int compare_users(const void *a, const void *b)
{
	return compare_ints(&((const struct mount_user *)a)->mount_id,
			    &((const struct mount_user *)b)->mount_id);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void add_user(struct mount_users *users, const int *ids, size_t nids,
		     int mount_id, pid_t pid, int fd, const char *how)
{
	struct mount_user *u;

	if (!bsearch(&mount_id, ids, nids, sizeof(*ids), compare_ints))
		return;
	users->users = xrealloc(users->users, (users->count + 1) * sizeof(*users->users));
	u = &users->users[users->count++];
	u->mount_id = mount_id;
	u->pid = pid;
	u->fd = fd;
	u->how = how;
}

static void scan_link(struct mount_users *users, const int *ids, size_t nids,
		      const char *pid_dir, pid_t pid, const char *link)
{
	char *path = xasprintf("%s/%s", pid_dir, link);
	struct statx stx;

	/* Only the mount ID is wanted, so a network filesystem is not asked to refresh attributes. */
	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID))
		add_user(users, ids, nids, (int)stx.stx_mnt_id, pid, -1, link);
	free(path);
}

static void scan_fds(struct mount_users *users, const int *ids, size_t nids,
		     const char *pid_dir, pid_t pid)
{
	char *dir = xasprintf("%s/fdinfo", pid_dir);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		free(dir);
		return;
	}
	while ((de = readdir(d))) {
		char *path, *text, *line;

		if (!is_number(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (read_file(path, &text, NULL) == 0) {
			line = strstr(text, "mnt_id:");
			if (line)
				add_user(users, ids, nids, atoi(line + strlen("mnt_id:")), pid,
					 atoi(de->d_name), "fd");
			free(text);
		}
		free(path);
	}
	closedir(d);
	free(dir);
}

void procscan_users(struct mount_users *users, const char *proc_dir, const int *unsorted_ids, size_t nids)
{
	pid_t self = getpid();
	struct dirent *de;
	int *ids;
	DIR *d;

	users->users = NULL;
	users->count = 0;
	if (nids == 0)
		return;

	d = opendir(proc_dir);
	if (!d)
		return;

	/* Sorted for the bsearch of every descriptor's mount ID. */
	ids = xmalloc(nids * sizeof(*ids));
	memcpy(ids, unsorted_ids, nids * sizeof(*ids));
	qsort(ids, nids, sizeof(*ids), compare_ints);
	while ((de = readdir(d))) {
		pid_t pid;
		char *pid_dir;

		if (!is_number(de->d_name))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (pid == self)
			continue;

		pid_dir = xasprintf("%s/%s", proc_dir, de->d_name);
		scan_link(users, ids, nids, pid_dir, pid, "cwd");
		scan_link(users, ids, nids, pid_dir, pid, "root");
		scan_fds(users, ids, nids, pid_dir, pid);
		free(pid_dir);
	}
	closedir(d);
	free(ids);

	if (users->count)
		qsort(users->users, users->count, sizeof(*users->users), compare_users);
}

const struct mount_user *procscan_find(const struct mount_users *users, int id)
{
	struct mount_user key = { .mount_id = id };

	if (users->count == 0)
		return NULL;
	return bsearch(&key, users->users, users->count, sizeof(key), compare_users);
}

void procscan_free(struct mount_users *users)
{
	free(users->users);
	users->users = NULL;
	users->count = 0;
}
