/* SPDX-License-Identifier: MIT */
/* The exact shape of a leaked mount: a tmp copy bound over its own store path. */
#ifndef NMR_SHAPE_H
#define NMR_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounttab.h"
#include "reason.h"

#define STORE_HASH_LEN 32
#define STORE_NAME_MAX 211

/* A tmp directory where leaked copies live, and where it sits in the mount table. */
struct tmp_dir {
	const char *path;	/* normalized path, as configured */
	bool resolved;		/* false when no mount in the table holds it */
	dev_t devno;		/* device of the mount that holds it */
	char *fs_dir;		/* the directory as seen from its filesystem's root */
};

/*
 * Find, for each tmp directory, the topmost mount that holds it and the
 * directory's path relative to that mount's filesystem, so that a copy's root
 * can be compared by device and path whether /tmp is on / or a tmpfs.
 */
void shape_resolve_tmp_dirs(struct tmp_dir *dirs, size_t count, const struct mount_table *tab);

/* Is E worth reporting: its target directly in the store, or ".patched." in its root's last component? */
bool shape_is_considered(const struct mount_entry *e, const char *store_dir);

/* Is BASE a valid store path base name "<hash>-<name>"?  On false, *ret_why names the invalid part. */
bool shape_store_basename_valid(const char *base, enum reason *ret_why);

/*
 * Check E against the leak shape.  Returns REASON_STALE when it has the exact
 * shape, or the first rule it breaks.  Liveness and the mounts around it are
 * not looked at here.
 */
enum reason shape_check(const struct mount_entry *e, const char *store_dir,
			const struct tmp_dir *dirs, size_t ndirs);

/*
 * Return the path of E's copy as seen through the matching tmp directory
 * ("<tmp dir>/<hash>-<name>.patched.<rand>"), or NULL when the copy was
 * deleted or E does not have the leak shape.
 */
char *shape_copy_path(const struct mount_entry *e, const struct tmp_dir *dirs, size_t ndirs);

/* Return the store base name of E's target, or NULL when it is not directly in STORE_DIR. */
const char *shape_store_basename(const struct mount_entry *e, const char *store_dir);

#endif
