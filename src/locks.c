/* SPDX-License-Identifier: MIT */
/* File locks held on this machine, from one read of /proc/locks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "locks.h"
#include "util.h"

static int compare_locks(const void *a, const void *b)
{
	const struct file_lock *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/*
 * Parse one line such as
 *   "3: FLOCK  ADVISORY  WRITE 4242 fe:00:1835012 0 EOF"
 * Lines of waiters ("3: -> FLOCK ...") describe no held lock and are skipped.
 */
static bool parse_lock_line(const char *line, struct file_lock *ret)
{
	char kind[16], mode[16], access[16];
	unsigned int major_number, minor_number;
	uint64_t ino;
	int pid, n = 0;

	if (strstr(line, "->"))
		return false;
	if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%" SCNu64 "%n",
		   kind, mode, access, &pid, &major_number, &minor_number, &ino, &n) != 7 || n == 0)
		return false;

	ret->dev = makedev(major_number, minor_number);
	ret->ino = (ino_t)ino;
	ret->pid = pid;
	ret->exclusive = strcmp(access, "WRITE") == 0;
	return true;
}

void locks_parse(struct lock_table *tab, const char *text)
{
	size_t alloc = 16;
	const char *line = text;

	tab->count = 0;
	tab->locks = xmalloc(alloc * sizeof(*tab->locks));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char *copy = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);

		if (tab->count == alloc) {
			alloc *= 2;
			tab->locks = xrealloc(tab->locks, alloc * sizeof(*tab->locks));
		}
		if (parse_lock_line(copy, &tab->locks[tab->count]))
			tab->count++;
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	qsort(tab->locks, tab->count, sizeof(*tab->locks), compare_locks);
}

int locks_read(struct lock_table *tab, const char *path)
{
	char *text;
	int r;

	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	locks_parse(tab, text);
	free(text);
	return 0;
}

void locks_free(struct lock_table *tab)
{
	free(tab->locks);
	tab->locks = NULL;
	tab->count = 0;
}

/*
 * Find a lock on inode INO of any device with major number 0.
 *
 * /proc/locks names the superblock's device, but stat() on a file in a btrfs
 * subvolume reports an anonymous device of the subvolume (on Linux 6.18,
 * 00:2a for a lock that /proc/locks lists on 00:28).  So for devices with
 * major number 0, a lock on the same inode number of any other such device
 * counts too: at worst a mount is kept needlessly.
 */
static const struct file_lock *find_on_anonymous_device(const struct lock_table *tab, ino_t ino)
{
	const struct file_lock *found = NULL;

	for (size_t i = 0; i < tab->count; i++) {
		const struct file_lock *lock = &tab->locks[i];

		if (lock->ino != ino || major(lock->dev) != 0)
			continue;
		if (!found || (lock->exclusive && !found->exclusive))
			found = lock;
	}
	return found;
}

const struct file_lock *locks_find(const struct lock_table *tab, dev_t dev, ino_t ino)
{
	struct file_lock key = { .dev = dev, .ino = ino };
	const struct file_lock *found, *first, *last, *end = tab->locks + tab->count;

	if (tab->count == 0)
		return NULL;
	found = bsearch(&key, tab->locks, tab->count, sizeof(key), compare_locks);
	if (!found)
		return major(dev) == 0 ? find_on_anonymous_device(tab, ino) : NULL;

	/* Several processes may share a lock on one inode; prefer an exclusive one. */
	for (first = found; first > tab->locks && compare_locks(first - 1, &key) == 0; first--)
		;
	for (last = found; last < end && compare_locks(last, &key) == 0; last++)
		if (last->exclusive)
			return last;
	for (; first < found; first++)
		if (first->exclusive)
			return first;
	return found;
}

int locks_find_path(const struct lock_table *tab, const char *path, const struct file_lock **ret_lock)
{
	const struct file_lock *lock;
	struct stat st;

	*ret_lock = NULL;
	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

	lock = locks_find(tab, st.st_dev, st.st_ino);
	if (!lock)
		return 0;
	*ret_lock = lock;
	return 1;
}
