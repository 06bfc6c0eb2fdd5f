/* SPDX-License-Identifier: MIT */
/*
 * The mount table: a mountinfo file read once, validated line by line.
 *
 * Each line is checked here against the kernel's format before libmount
 * parses it, because libmount 2.38 accepts some broken lines (a relative
 * root, a stray backslash, extra fields) and silently strips a " (deleted)"
 * suffix from the target.  A line either check rejects stays in the table as
 * a malformed entry with its line number, so that the caller can report it
 * and keep going.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libmount.h>

#include "mounttab.h"
#include "util.h"

/* The fields of one mountinfo line, as offsets into the line. */
struct fields {
	const char **start;
	size_t *len;
	size_t count;
	size_t alloc;
};

static void fields_add(struct fields *f, const char *start, size_t len)
{
	if (f->count == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 16;
		f->start = xrealloc(f->start, f->alloc * sizeof(*f->start));
		f->len = xrealloc(f->len, f->alloc * sizeof(*f->len));
	}
	f->start[f->count] = start;
	f->len[f->count] = len;
	f->count++;
}

static bool fields_equal(const struct fields *f, size_t i, const char *s)
{
	return f->len[i] == strlen(s) && memcmp(f->start[i], s, f->len[i]) == 0;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

char *mounttab_unescape(const char *field, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i = 0;
	int value;

	while (i < len) {
		if (field[i] != '\\') {
			*o++ = field[i++];
			continue;
		}
		if (i + 3 >= len || !is_octal(field[i + 1]) ||
		    !is_octal(field[i + 2]) || !is_octal(field[i + 3]))
			goto invalid;

		value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
		if (value == 0 || value > 255)
			goto invalid;
		*o++ = (char)value;
		i += 4;
	}
	*o = '\0';
	return out;

invalid:
	free(out);
	return NULL;
}

static bool parse_number(const char *s, size_t len, int *ret)
{
	int64_t value;
	char *text = xstrndup(s, len);
	int r = parse_uint(text, INT32_MAX, &value);

	free(text);
	if (r < 0)
		return false;
	*ret = (int)value;
	return true;
}

static bool parse_devno(const char *s, size_t len, dev_t *ret)
{
	const char *colon = memchr(s, ':', len);
	int major_number, minor_number;

	if (!colon)
		return false;
	if (!parse_number(s, (size_t)(colon - s), &major_number) ||
	    !parse_number(colon + 1, len - (size_t)(colon - s) - 1, &minor_number))
		return false;
	*ret = makedev((unsigned int)major_number, (unsigned int)minor_number);
	return true;
}

/*
 * Validate one line and fill E from it.  Returns NULL on success or a short
 * description of the first problem found.
 *
 * The fields are:
 *   0 mount ID   1 parent ID   2 major:minor   3 root   4 mount point
 *   5 mount options   6.. optional fields   "-"   fstype   source   super options
 */
static const char *parse_line(const char *line, size_t len, struct mount_entry *e)
{
	struct fields f = { 0 };
	const char *error = NULL;
	size_t i, start = 0, sep;

	if (len == 0)
		return "empty line";
	if (memchr(line, '\t', len))
		return "unescaped tab";

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start) {
			error = "empty field (a leading, trailing or doubled space)";
			goto out;
		}
		fields_add(&f, line + start, i - start);
		start = i + 1;
	}

	if (!parse_number(f.start[0], f.len[0], &e->id)) {
		error = "mount ID is not a number";
		goto out;
	}
	if (!parse_number(f.start[1], f.len[1], &e->parent_id)) {
		error = "parent ID is not a number";
		goto out;
	}
	for (sep = 6; sep < f.count; sep++)
		if (fields_equal(&f, sep, "-"))
			break;
	if (sep >= f.count) {
		error = "no ' - ' separator after the mount options";
		goto out;
	}
	if (f.count - sep - 1 != 3) {
		error = "not exactly three fields after the separator";
		goto out;
	}

	if (!parse_devno(f.start[2], f.len[2], &e->devno)) {
		error = "device is not major:minor";
		goto out;
	}

	e->root = mounttab_unescape(f.start[3], f.len[3]);
	if (!e->root) {
		error = "invalid escape in the root";
		goto out;
	}
	if (e->root[0] != '/') {
		error = "root is not an absolute path";
		goto out;
	}

	e->target = mounttab_unescape(f.start[4], f.len[4]);
	if (!e->target) {
		error = "invalid escape in the mount point";
		goto out;
	}
	if (e->target[0] != '/') {
		error = "mount point is not an absolute path";
		goto out;
	}

	e->fstype = mounttab_unescape(f.start[sep + 1], f.len[sep + 1]);
	if (!e->fstype)
		error = "invalid escape in the filesystem type";

out:
	free(f.start);
	free(f.len);
	return error;
}

static void entry_clear(struct mount_entry *e)
{
	free(e->root);
	free(e->target);
	free(e->fstype);
	e->root = e->target = e->fstype = NULL;
}

static void mark_malformed(struct mount_table *tab, struct mount_entry *e, const char *error)
{
	int id = e->id;

	entry_clear(e);
	e->malformed = true;
	e->error = error;
	e->id = id;
	tab->malformed++;
}

/* Stream line numbers that libmount rejected, collected by its error callback. */
struct rejects {
	bool *line;
	size_t count;
};

static int libmount_reject(struct libmnt_table *tb, const char *filename, int line)
{
	struct rejects *rejects = mnt_table_get_userdata(tb);

	(void)filename;
	if (line > 0 && (size_t)line <= rejects->count)
		rejects->line[line - 1] = true;
	return 1;	/* skip the line and go on */
}

/* Does libmount's reading of a line agree with ours? */
static bool libmount_agrees(struct libmnt_fs *fs, const struct mount_entry *e)
{
	const char *root = mnt_fs_get_root(fs);
	const char *target = mnt_fs_get_target(fs);
	size_t n;

	if (mnt_fs_get_id(fs) != e->id || mnt_fs_get_parent_id(fs) != e->parent_id)
		return false;
	if (mnt_fs_get_devno(fs) != e->devno)
		return false;
	if (!root || strcmp(root, e->root) != 0 || !target)
		return false;

	/* libmount strips " (deleted)" from the mount point; that is the only difference allowed. */
	n = strlen(target);
	if (strcmp(target, e->target) == 0)
		return true;
	return strncmp(target, e->target, n) == 0 && strcmp(e->target + n, " (deleted)") == 0;
}

/*
 * Parse the lines that passed validation with libmount, in one stream, and
 * mark the ones it rejects or reads differently as malformed.
 */
static int parse_with_libmount(struct mount_table *tab, const char *text, const char *name,
			       const size_t *line_start, const size_t *line_len)
{
	struct mount_entry **valid = xcalloc(tab->count, sizeof(*valid));
	struct rejects rejects = { 0 };
	struct libmnt_table *tb = NULL;
	struct libmnt_iter *iter = NULL;
	struct libmnt_fs *fs;
	struct strbuf buf = { 0 };
	size_t i, nvalid = 0, k;
	FILE *stream = NULL;
	int r = 0;

	for (i = 0; i < tab->count; i++) {
		if (tab->entries[i].malformed)
			continue;
		valid[nvalid++] = &tab->entries[i];
		strbuf_addf(&buf, "%.*s\n", (int)line_len[i], text + line_start[i]);
	}
	if (nvalid == 0)
		goto out;

	rejects.line = xcalloc(nvalid, sizeof(*rejects.line));
	rejects.count = nvalid;

	stream = fmemopen(buf.buf, buf.len, "r");
	tb = mnt_new_table();
	iter = mnt_new_iter(MNT_ITER_FORWARD);
	if (!stream || !tb || !iter) {
		r = -ENOMEM;
		goto out;
	}
	mnt_table_set_userdata(tb, &rejects);
	mnt_table_set_parser_errcb(tb, libmount_reject);

	r = mnt_table_parse_stream(tb, stream, name);
	if (r < 0)
		goto out;

	k = 0;
	while (mnt_table_next_fs(tb, iter, &fs) == 0) {
		while (k < nvalid && rejects.line[k]) {
			mark_malformed(tab, valid[k], "rejected by libmount");
			k++;
		}
		if (k == nvalid)
			break;
		if (!libmount_agrees(fs, valid[k]))
			mark_malformed(tab, valid[k], "libmount reads the line differently");
		k++;
	}
	for (; k < nvalid; k++)
		mark_malformed(tab, valid[k], "rejected by libmount");

out:
	if (stream)
		fclose(stream);
	mnt_free_iter(iter);
	mnt_unref_table(tb);
	strbuf_release(&buf);
	free(rejects.line);
	free(valid);
	return r;
}

static int compare_by_id(const void *a, const void *b)
{
	const struct mount_entry *x = *(struct mount_entry *const *)a;
	const struct mount_entry *y = *(struct mount_entry *const *)b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->line > y->line) - (x->line < y->line);
}

/* Index the valid entries by mount ID; a repeated ID makes the later line malformed. */
static void index_by_id(struct mount_table *tab)
{
	size_t i, n = 0;

	tab->by_id = xcalloc(tab->count, sizeof(*tab->by_id));
	for (i = 0; i < tab->count; i++)
		if (!tab->entries[i].malformed)
			tab->by_id[n++] = &tab->entries[i];
	qsort(tab->by_id, n, sizeof(*tab->by_id), compare_by_id);

	/* Sorted by ID, then by line: the first of equal IDs is the earliest line. */
	tab->by_id_count = 0;
	for (i = 0; i < n; i++) {
		struct mount_entry *e = tab->by_id[i];

		if (tab->by_id_count > 0 && tab->by_id[tab->by_id_count - 1]->id == e->id) {
			mark_malformed(tab, e, "mount ID repeats an earlier line");
			continue;
		}
		tab->by_id[tab->by_id_count++] = e;
	}
}

/* Link each entry to its parent, and note stacked mounts and mounts inside others. */
static void link_entries(struct mount_table *tab)
{
	size_t i;

	for (i = 0; i < tab->by_id_count; i++) {
		struct mount_entry *e = tab->by_id[i];
		struct mount_entry *parent = e->parent_id != e->id ? mounttab_find(tab, e->parent_id) : NULL;

		e->parent = parent;
		if (!parent)
			continue;
		if (strcmp(parent->target, e->target) == 0)
			parent->top = e;
		else if (path_below(e->target, parent->target))
			parent->has_inner = true;
	}
}

int mounttab_parse(struct mount_table *tab, const char *text, size_t len, const char *name)
{
	size_t *line_start, *line_len, nlines = 0, alloc = 64, pos = 0, i;
	int r;

	memset(tab, 0, sizeof(*tab));
	line_start = xmalloc(alloc * sizeof(*line_start));
	line_len = xmalloc(alloc * sizeof(*line_len));

	/* Split on '\n' only; text after the last newline is a line of its own. */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		if (nlines == alloc) {
			alloc *= 2;
			line_start = xrealloc(line_start, alloc * sizeof(*line_start));
			line_len = xrealloc(line_len, alloc * sizeof(*line_len));
		}
		line_start[nlines] = pos;
		line_len[nlines] = end - pos;
		nlines++;
		pos = end + 1;
	}

	tab->entries = xcalloc(nlines, sizeof(*tab->entries));
	tab->count = nlines;
	for (i = 0; i < nlines; i++) {
		struct mount_entry *e = &tab->entries[i];
		const char *error;

		e->line = (unsigned int)i + 1;
		e->id = -1;
		error = parse_line(text + line_start[i], line_len[i], e);
		if (error)
			mark_malformed(tab, e, error);
	}

	r = parse_with_libmount(tab, text, name, line_start, line_len);
	free(line_start);
	free(line_len);
	if (r < 0) {
		mounttab_free(tab);
		return r;
	}

	index_by_id(tab);
	link_entries(tab);
	return 0;
}

int mounttab_read(struct mount_table *tab, const char *path)
{
	struct stat st;
	size_t len;
	char *text;
	int r;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;

	r = read_file(path, &text, &len);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len)) {
		free(text);
		return -EBADMSG;
	}

	r = mounttab_parse(tab, text, len, path);
	free(text);
	return r;
}

void mounttab_free(struct mount_table *tab)
{
	size_t i;

	for (i = 0; i < tab->count; i++)
		entry_clear(&tab->entries[i]);
	free(tab->entries);
	free(tab->by_id);
	memset(tab, 0, sizeof(*tab));
}

struct mount_entry *mounttab_find(const struct mount_table *tab, int id)
{
	size_t lo = 0, hi = tab->by_id_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int mid_id = tab->by_id[mid]->id;

		if (mid_id == id)
			return tab->by_id[mid];
		if (mid_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
