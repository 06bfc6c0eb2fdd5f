/* SPDX-License-Identifier: MIT */
/*
 * Signs of running Nix processes in the state directory.
 *
 *   temproots/<pid>          store paths separated by NUL bytes, locked for
 *                            the lifetime of the Nix process <pid>
 *   active-builds/<pid>-<n>  Determinate Nix 3.14 and later: a JSON object
 *                            whose "derivation" names the .drv being built,
 *                            locked while the build runs
 *   gc.lock                  locked by a running garbage collection
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nixstate.h"
#include "util.h"

/* A state file larger than this is not read: no real one comes near it. */
#define STATE_FILE_MAX (64u << 20)

static int compare_roots(const void *a, const void *b)
{
	return strcmp(((const struct temp_root *)a)->hash, ((const struct temp_root *)b)->hash);
}

/* Call FN for each locked regular file in DIR, with its path and the lock's holder. */
static void for_each_locked_file(const char *dir, const struct lock_table *locks,
				 void (*fn)(struct nix_state *, const char *, pid_t),
				 struct nix_state *state)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const struct file_lock *lock;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (locks_find_path(locks, path, &lock) == 1)
			fn(state, path, lock->pid);
		free(path);
	}
	closedir(d);
}

static void add_temp_roots(struct nix_state *state, const char *path, pid_t pid)
{
	size_t len, pos = 0;
	char *text;

	if (read_file(path, &text, &len) < 0 || len > STATE_FILE_MAX) {
		state->unreadable++;
		return;
	}

	/* Paths are separated, and in newer Nix also ended, by NUL bytes. */
	while (pos < len) {
		const char *entry = text + pos;
		size_t n = strnlen(entry, len - pos);
		const char *base = strrchr(entry, '/');

		pos += n + 1;
		base = base ? base + 1 : entry;
		if (strlen(base) < 32)
			continue;

		state->roots = xrealloc(state->roots, (state->nroots + 1) * sizeof(*state->roots));
		memcpy(state->roots[state->nroots].hash, base, 32);
		state->roots[state->nroots].hash[32] = '\0';
		state->roots[state->nroots].pid = pid;
		state->nroots++;
	}
	free(text);
}

static void add_active_build(struct nix_state *state, const char *path, pid_t pid)
{
	struct active_build *build;
	char *text, *drv;
	size_t len;

	if (read_file(path, &text, &len) < 0 || len > STATE_FILE_MAX) {
		state->unreadable++;
		return;
	}
	drv = nixstate_parse_derivation(text);
	free(text);
	if (!drv) {
		state->unreadable++;
		return;
	}

	state->builds = xrealloc(state->builds, (state->nbuilds + 1) * sizeof(*state->builds));
	build = &state->builds[state->nbuilds++];
	build->drv_name = xstrdup(strrchr(drv, '/') ? strrchr(drv, '/') + 1 : drv);
	build->pid = pid;
	build->outputs = NULL;
	free(drv);
}

void nixstate_read(struct nix_state *state, const char *state_dir, const struct lock_table *locks)
{
	char *dir;

	memset(state, 0, sizeof(*state));

	dir = xasprintf("%s/temproots", state_dir);
	for_each_locked_file(dir, locks, add_temp_roots, state);
	free(dir);
	if (state->nroots)
		qsort(state->roots, state->nroots, sizeof(*state->roots), compare_roots);

	dir = xasprintf("%s/active-builds", state_dir);
	for_each_locked_file(dir, locks, add_active_build, state);
	free(dir);
}

void nixstate_free(struct nix_state *state)
{
	for (size_t i = 0; i < state->nbuilds; i++) {
		free(state->builds[i].drv_name);
		for (char **p = state->builds[i].outputs; p && *p; p++)
			free(*p);
		free(state->builds[i].outputs);
	}
	free(state->builds);
	free(state->roots);
	memset(state, 0, sizeof(*state));
}

const struct temp_root *nixstate_find_root(const struct nix_state *state, const char *hash)
{
	struct temp_root key = { .pid = 0 };

	if (state->nroots == 0 || strlen(hash) < 32)
		return NULL;
	memcpy(key.hash, hash, 32);
	key.hash[32] = '\0';
	return bsearch(&key, state->roots, state->nroots, sizeof(key), compare_roots);
}

/*
 * A minimal reader for one JSON object: enough to find a top-level string
 * member and skip every other value, nested ones included.
 */
static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Read a JSON string at P; return its end, and its decoded value in *ret when RET is set. */
static const char *read_json_string(const char *p, char **ret)
{
	struct strbuf out = { 0 };

	if (*p != '"')
		return NULL;
	strbuf_addf(&out, "%s", "");
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\') {
			p++;
			if (!*p)
				break;
			/* Store names never need \u escapes; keep them as they are. */
			char c = *p;

			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			strbuf_addf(&out, "%c", c);
			continue;
		}
		strbuf_addf(&out, "%c", *p);
	}
	if (*p != '"') {
		strbuf_release(&out);
		return NULL;
	}
	if (ret)
		*ret = out.buf;
	else
		strbuf_release(&out);
	return p + 1;
}

/* Skip any JSON value at P and return its end, or NULL when it is not valid. */
static const char *skip_json_value(const char *p)
{
	int depth = 0;

	do {
		p = skip_space(p);
		if (*p == '"') {
			p = read_json_string(p, NULL);
			if (!p)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return NULL;
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (depth == 0)
				return NULL;
			p++;
		} else if (*p) {
			while (*p && !strchr(",:{}[]\" \t\r\n", *p))
				p++;
		} else {
			return NULL;
		}
	} while (depth > 0);
	return p;
}

char *nixstate_parse_derivation(const char *json)
{
	const char *p = skip_space(json);

	if (*p++ != '{')
		return NULL;
	for (;;) {
		char *key = NULL, *value = NULL;

		p = skip_space(p);
		p = read_json_string(p, &key);
		if (!p)
			return NULL;
		p = skip_space(p);
		if (*p++ != ':') {
			free(key);
			return NULL;
		}
		p = skip_space(p);

		if (strcmp(key, "derivation") == 0 && *p == '"') {
			free(key);
			p = read_json_string(p, &value);
			return value;
		}
		free(key);

		p = skip_json_value(p);
		if (!p)
			return NULL;
		p = skip_space(p);
		if (*p != ',')
			return NULL;
		p++;
	}
}

int nixstate_gc_running(const char *state_dir, const struct lock_table *locks, pid_t *ret_pid)
{
	const struct file_lock *lock;
	char *path = xasprintf("%s/gc.lock", state_dir);
	int r;

	/* Other Nix processes take gc.lock shared for a moment to add a temporary root. */
	r = locks_find_path(locks, path, &lock);
	free(path);
	if (r == 1 && !lock->exclusive)
		return 0;
	if (r == 1)
		*ret_pid = lock->pid;
	return r;
}
