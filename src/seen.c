/* SPDX-License-Identifier: MIT */
/*
 * When each leak was first seen, kept in a small state file between runs.
 *
 * The file is text, one mount a line after a header:
 *   <first seen> <mount ID> <unique mount ID or 0> <root> <mount point>
 * with paths escaped as in mountinfo (\040 for a space, and so on).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounttab.h"
#include "seen.h"
#include "util.h"

static const char header[] = "# nix-mount-reap first-seen v1";

static int compare_entries(const void *a, const void *b)
{
	const struct seen_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Parse one line; returns false when it does not have the five fields. */
static bool parse_entry(char *line, struct seen_entry *e)
{
	char *fields[5], *save = NULL;
	int64_t value;
	int i;

	for (i = 0; i < 5; i++) {
		fields[i] = strtok_r(i == 0 ? line : NULL, " ", &save);
		if (!fields[i])
			return false;
	}
	if (strtok_r(NULL, " ", &save))
		return false;

	if (parse_uint(fields[0], INT64_MAX, &e->first_seen) < 0)
		return false;
	if (parse_uint(fields[1], INT32_MAX, &value) < 0)
		return false;
	e->id = (int)value;
	if (parse_uint(fields[2], INT64_MAX, &value) < 0)
		return false;
	e->unique_id = (uint64_t)value;

	e->root = mounttab_unescape(fields[3], strlen(fields[3]));
	e->target = mounttab_unescape(fields[4], strlen(fields[4]));
	if (!e->root || !e->target) {
		free(e->root);
		free(e->target);
		return false;
	}
	return true;
}

int seen_load(struct seen_state *state, const char *path)
{
	char *text, *line, *save = NULL;
	int r;

	memset(state, 0, sizeof(*state));
	r = read_file(path, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, header) != 0) {
		free(text);
		return -EBADMSG;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct seen_entry e;

		if (!parse_entry(line, &e)) {
			free(text);
			seen_free(state);
			return -EBADMSG;
		}
		state->entries = xrealloc(state->entries, (state->count + 1) * sizeof(e));
		state->entries[state->count++] = e;
	}
	free(text);

	if (state->count)
		qsort(state->entries, state->count, sizeof(*state->entries), compare_entries);
	return 0;
}

static bool entry_matches(const struct seen_entry *e, int id, uint64_t unique_id,
			  const char *root, const char *target)
{
	if (e->id != id)
		return false;
	if (e->unique_id && unique_id)
		return e->unique_id == unique_id;
	return strcmp(e->root, root) == 0 && strcmp(e->target, target) == 0;
}

int64_t seen_lookup(const struct seen_state *state, int id, uint64_t unique_id,
		    const char *root, const char *target)
{
	size_t lo = 0, hi = state->count;

	/* Find the first entry with this mount ID, then try each of them. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (state->entries[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < state->count && state->entries[lo].id == id; lo++)
		if (entry_matches(&state->entries[lo], id, unique_id, root, target))
			return state->entries[lo].first_seen;
	return 0;
}

void seen_add(struct seen_state *state, int id, uint64_t unique_id,
	      const char *root, const char *target, int64_t first_seen)
{
	struct seen_entry *e;

	state->entries = xrealloc(state->entries, (state->count + 1) * sizeof(*state->entries));
	e = &state->entries[state->count++];
	e->first_seen = first_seen;
	e->id = id;
	e->unique_id = unique_id;
	e->root = xstrdup(root);
	e->target = xstrdup(target);
}

/* Write S with space, tab, newline and backslash escaped as in mountinfo. */
static void write_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
}

/* Create the directory that holds PATH when it is missing; one level only. */
static void make_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash || slash == path)
		return;
	dir = xstrndup(path, (size_t)(slash - path));
	(void)mkdir(dir, 0755);
	free(dir);
}

int seen_save(const struct seen_state *state, const char *path)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = NULL;
	int fd, r = 0;

	make_parent_dir(path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto out;
	}

	fprintf(f, "%s\n", header);
	for (size_t i = 0; i < state->count; i++) {
		const struct seen_entry *e = &state->entries[i];

		fprintf(f, "%" PRId64 " %d %" PRIu64 " ", e->first_seen, e->id, e->unique_id);
		write_escaped(f, e->root);
		fputc(' ', f);
		write_escaped(f, e->target);
		fputc('\n', f);
	}

	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
out:
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	return r;
}

void seen_free(struct seen_state *state)
{
	for (size_t i = 0; i < state->count; i++) {
		free(state->entries[i].root);
		free(state->entries[i].target);
	}
	free(state->entries);
	memset(state, 0, sizeof(*state));
}
