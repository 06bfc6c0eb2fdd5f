/* SPDX-License-Identifier: MIT */
/* The mount table: a mountinfo file read once, validated line by line. */
#ifndef NMR_MOUNTTAB_H
#define NMR_MOUNTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mount_entry {
	unsigned int line;	/* 1-based line number in the table */
	bool malformed;		/* the line failed validation; only line and error are set */
	const char *error;	/* why it is malformed (static text) */
	int id;			/* mount ID, or -1 when the line gave none */
	int parent_id;
	dev_t devno;
	char *root;		/* decoded, relative to its filesystem, "//deleted" kept */
	char *target;		/* decoded exactly, a " (deleted)" suffix kept */
	char *fstype;

	/* Links inside the table, set by mounttab_parse(). */
	struct mount_entry *parent;	/* NULL when not in the table */
	struct mount_entry *top;	/* a mount stacked right on this one, if any */
	bool has_inner;			/* some mount lies strictly inside the target */
};

struct mount_table {
	struct mount_entry *entries;
	size_t count;
	size_t malformed;
	struct mount_entry **by_id;	/* valid entries sorted by mount ID */
	size_t by_id_count;
};

/*
 * Parse a mountinfo text of LEN bytes.  Every line becomes an entry, a
 * malformed one too.  The valid lines are parsed by libmount as well, and a
 * line that libmount rejects counts as malformed.  NAME is used in libmount's
 * messages only.  Returns 0 or -errno; the table is empty on error.
 */
int mounttab_parse(struct mount_table *tab, const char *text, size_t len, const char *name);

/* Read and parse a mountinfo file.  Returns 0 or -errno (-EISDIR for a directory). */
int mounttab_read(struct mount_table *tab, const char *path);

void mounttab_free(struct mount_table *tab);

/* Find the valid entry with mount ID ID, or NULL. */
struct mount_entry *mounttab_find(const struct mount_table *tab, int id);

/* Decode the \ooo escapes of a mountinfo field.  Returns NULL when an escape is invalid or decodes to NUL. */
char *mounttab_unescape(const char *field, size_t len);

#endif
