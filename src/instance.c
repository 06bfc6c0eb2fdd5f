/* SPDX-License-Identifier: MIT */
/* One reaper at a time: an exclusive flock(2) on a lock file. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "util.h"

int instance_lock(const char *path, int64_t deadline_ms)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		if (saved != EWOULDBLOCK && saved != EINTR) {
			close(fd);
			return -saved;
		}
		if (monotonic_ms() >= deadline_ms) {
			close(fd);
			return -EWOULDBLOCK;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}
