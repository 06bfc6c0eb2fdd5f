/* SPDX-License-Identifier: MIT */
/*
 * The exact shape of a leaked mount: a tmp copy bound over its own store path.
 *
 *   target:  <store dir>/<hash>-<name>
 *   root:    <tmp dir, as seen on its filesystem>/<hash>-<name>.patched.<6 of A-Za-z0-9>
 *            optionally followed by "//deleted" once the copy was removed
 *
 * The name is always taken from the target, because a store name may itself
 * contain ".patched.".
 */
#include <stdlib.h>
#include <string.h>

#include "shape.h"
#include "util.h"

/* Nix's base-32 alphabet: digits and lower-case letters without e, o, u and t. */
static const char nix32_alphabet[] = "0123456789abcdfghijklmnpqrsvwxyz";

static const char deleted_suffix[] = "//deleted";
static const char patched_infix[] = ".patched.";

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("+-._?=", c) != NULL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Pick the entry with the longest mount point that contains PATH, topmost of a stack. */
static const struct mount_entry *find_holder(const struct mount_table *tab, const char *path)
{
	const struct mount_entry *best = NULL;
	size_t best_len = 0, i;

	for (i = 0; i < tab->count; i++) {
		const struct mount_entry *e = &tab->entries[i];
		size_t len;

		if (e->malformed || !path_below(path, e->target))
			continue;
		len = strlen(e->target);
		if (best && len < best_len)
			continue;
		/* Of equal mount points, the one nothing is stacked on is the visible one. */
		if (best && len == best_len && e->top)
			continue;
		best = e;
		best_len = len;
	}
	return best;
}

void shape_resolve_tmp_dirs(struct tmp_dir *dirs, size_t count, const struct mount_table *tab)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct tmp_dir *d = &dirs[i];
		const struct mount_entry *holder = find_holder(tab, d->path);
		char *joined;

		free(d->fs_dir);
		d->fs_dir = NULL;
		d->resolved = false;
		if (!holder || str_has_suffix(holder->root, deleted_suffix))
			continue;

		joined = xasprintf("%s/%s", holder->root, path_below(d->path, holder->target));
		d->fs_dir = path_normalize(joined);
		free(joined);
		d->devno = holder->devno;
		d->resolved = d->fs_dir != NULL;
	}
}

const char *shape_store_basename(const struct mount_entry *e, const char *store_dir)
{
	const char *below;

	if (e->malformed)
		return NULL;
	below = path_below(e->target, store_dir);
	if (!below || !*below || strchr(below, '/'))
		return NULL;
	return below;
}

/* Return the root's last component with "//deleted" removed, as a new string. */
static char *root_last_component(const char *root, char **ret_dir)
{
	size_t n = strlen(root);
	const char *slash;

	if (str_has_suffix(root, deleted_suffix))
		n -= strlen(deleted_suffix);

	slash = root;
	for (size_t i = 0; i < n; i++)
		if (root[i] == '/')
			slash = root + i;

	if (ret_dir)
		*ret_dir = slash == root ? xstrdup("/") : xstrndup(root, (size_t)(slash - root));
	return xstrndup(slash + 1, n - (size_t)(slash - root) - 1);
}

bool shape_is_considered(const struct mount_entry *e, const char *store_dir)
{
	char *last;
	bool patched;

	if (e->malformed)
		return true;
	if (shape_store_basename(e, store_dir))
		return true;

	last = root_last_component(e->root, NULL);
	patched = strstr(last, patched_infix) != NULL;
	free(last);
	return patched;
}

bool shape_store_basename_valid(const char *base, enum reason *ret_why)
{
	const char *name = base + STORE_HASH_LEN + 1;
	size_t i, name_len;

	for (i = 0; i < STORE_HASH_LEN; i++) {
		if (!base[i] || !strchr(nix32_alphabet, base[i])) {
			*ret_why = REASON_BAD_HASH;
			return false;
		}
	}
	if (base[STORE_HASH_LEN] != '-') {
		*ret_why = REASON_BAD_HASH;
		return false;
	}

	/* Nix 2.8 rejects an empty name, one that starts with a dot, and any other character. */
	name_len = strlen(name);
	if (name_len == 0 || name_len > STORE_NAME_MAX || name[0] == '.') {
		*ret_why = REASON_BAD_NAME;
		return false;
	}
	for (i = 0; i < name_len; i++) {
		if (!is_name_char(name[i])) {
			*ret_why = REASON_BAD_NAME;
			return false;
		}
	}
	return true;
}

/* Is the directory DIR on device DEVNO one of the tmp directories? */
static enum reason check_tmp_dir(const char *dir, dev_t devno, const struct tmp_dir *dirs, size_t ndirs)
{
	bool other_fs = false;
	size_t i;

	for (i = 0; i < ndirs; i++) {
		if (!dirs[i].resolved || strcmp(dirs[i].fs_dir, dir) != 0)
			continue;
		if (dirs[i].devno == devno)
			return REASON_STALE;
		other_fs = true;
	}
	return other_fs ? REASON_WRONG_FS : REASON_WRONG_TMPDIR;
}

/* Check the copy's file name "<base>.patched.<rand>" against the store base name. */
static enum reason check_copy_name(const char *last, const char *base)
{
	size_t base_len = strlen(base);
	const char *rand;

	if (strncmp(last, base, base_len) != 0 || !str_has_prefix(last + base_len, patched_infix)) {
		if (strncmp(last, base, STORE_HASH_LEN + 1) != 0)
			return REASON_HASH_MISMATCH;
		return REASON_NAME_MISMATCH;
	}

	rand = last + base_len + strlen(patched_infix);
	if (strlen(rand) != 6)
		return REASON_BAD_RAND;
	for (size_t i = 0; i < 6; i++)
		if (!is_alnum(rand[i]))
			return REASON_BAD_RAND;
	return REASON_STALE;
}

char *shape_copy_path(const struct mount_entry *e, const struct tmp_dir *dirs, size_t ndirs)
{
	char *last, *dir, *path = NULL;

	if (e->malformed || str_has_suffix(e->root, deleted_suffix))
		return NULL;

	last = root_last_component(e->root, &dir);
	for (size_t i = 0; i < ndirs && !path; i++)
		if (dirs[i].resolved && dirs[i].devno == e->devno && strcmp(dirs[i].fs_dir, dir) == 0)
			path = xasprintf("%s/%s", strcmp(dirs[i].path, "/") ? dirs[i].path : "", last);
	free(last);
	free(dir);
	return path;
}

enum reason shape_check(const struct mount_entry *e, const char *store_dir,
			const struct tmp_dir *dirs, size_t ndirs)
{
	const char *base;
	enum reason reason;
	char *last, *dir;

	if (e->malformed)
		return REASON_MALFORMED;

	base = shape_store_basename(e, store_dir);
	if (!base)
		return REASON_NOT_CANDIDATE;
	if (str_has_suffix(e->target, " (deleted)"))
		return REASON_TARGET_DELETED;
	if (!shape_store_basename_valid(base, &reason))
		return reason;

	last = root_last_component(e->root, &dir);
	if (!strstr(last, patched_infix))
		reason = REASON_NOT_CANDIDATE;
	else
		reason = check_copy_name(last, base);
	if (reason == REASON_STALE)
		reason = check_tmp_dir(dir, e->devno, dirs, ndirs);

	free(last);
	free(dir);
	return reason;
}
