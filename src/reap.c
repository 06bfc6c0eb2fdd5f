/* SPDX-License-Identifier: MIT */
/*
 * Lazy, race-free unmounting of the leaks chosen for reaping.
 *
 * umount2() always acts on the topmost mount at a path, so each mount point
 * is opened O_PATH|O_NOFOLLOW, statx(STATX_MNT_ID) proves that the topmost
 * mount there is the one judged, and only then is /proc/self/fd/N unmounted.
 * UMOUNT_NOFOLLOW must not be added: that path is a magic link the kernel
 * has to follow, and with the flag it fails with EINVAL.  The table is read
 * once before and once after, never per mount, and umount(8) is never run,
 * since it rereads the whole table on each call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mounttab.h"
#include "reap.h"

int reap_mount(const char *target, int id, bool dry_run)
{
	char fd_path[64];
	struct statx stx;
	int fd, r = 0;

	fd = open(target, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESTALE : -errno;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0) {
		r = -errno;
		goto out;
	}
	if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != (uint64_t)id) {
		r = -ESTALE;
		goto out;
	}

	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	log_debug("%sumount2 %s (mount %d, %s), MNT_DETACH", dry_run ? "would " : "", target, id, fd_path);
	if (!dry_run && umount2(fd_path, MNT_DETACH) < 0)
		r = -errno;
out:
	close(fd);
	return r;
}

size_t reap_all(struct judgement *j)
{
	size_t failed = 0;

	for (size_t i = 0; i < j->norder; i++) {
		struct verdict *v = j->order[i];
		int r;

		if (!verdict_reaps(v))
			continue;

		r = reap_mount(v->mount->target, v->mount->id, false);
		v->error = -r;
		if (r == 0) {
			v->result = "unmounted";
		} else if (r == -ESTALE) {
			v->result = "moved";
			failed++;
		} else {
			v->result = "failed";
			failed++;
		}
	}
	return failed;
}

void reap_check_all(const struct judgement *j, const char *prefix)
{
	for (size_t i = 0; i < j->norder; i++) {
		const struct verdict *v = j->order[i];
		const struct mount_entry *top = v->mount->top;
		char *target;
		int r;

		if (!verdict_reaps(v) || top)
			continue;

		target = path_prefixed(prefix, v->mount->target);
		r = reap_mount(target, v->mount->id, true);
		if (r == -ESTALE)
			log_warning("mount %d on %s is no longer the topmost mount there; "
				    "a real run would not unmount it", v->mount->id, v->mount->target);
		else if (r < 0)
			log_warning("cannot check mount %d on %s: %s", v->mount->id, v->mount->target,
				    strerror(-r));
		free(target);
	}
}

int reap_verify(struct judgement *j, const char *mountinfo)
{
	struct mount_table after;
	int still = 0, r;

	r = mounttab_read(&after, mountinfo);
	if (r < 0)
		return r;

	for (size_t i = 0; i < j->count; i++) {
		struct verdict *v = &j->verdicts[i];
		const struct mount_entry *now;
		bool present;

		if (!v->result)
			continue;
		now = mounttab_find(&after, v->mount->id);
		present = now && strcmp(now->target, v->mount->target) == 0 &&
			  strcmp(now->root, v->mount->root) == 0;

		if (!present) {
			/* EINVAL and ENOENT are ambiguous, so only the second table read proves it gone. */
			if (strcmp(v->result, "unmounted") != 0)
				v->result = "gone";
			continue;
		}
		if (strcmp(v->result, "unmounted") == 0) {
			v->result = "failed";
			v->error = EBUSY;
		}
		still++;
	}
	mounttab_free(&after);
	return still;
}
