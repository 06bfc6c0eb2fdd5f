/* SPDX-License-Identifier: MIT */
/* The outputs of a derivation, read from its .drv file (ATerm text). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drvfile.h"
#include "storedb.h"
#include "util.h"

/* Read a quoted ATerm string at *P, decoding \" \\ \n \r \t; advance *P past it. */
static char *parse_string(const char **p)
{
	const char *s = *p;
	struct strbuf out = { 0 };

	if (*s != '"')
		return NULL;
	strbuf_addf(&out, "%s", "");
	for (s++; *s && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			s++;
			switch (*s) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '\0': strbuf_release(&out); return NULL;
			default: c = *s; break;
			}
		}
		strbuf_addf(&out, "%c", c);
	}
	if (*s != '"') {
		strbuf_release(&out);
		return NULL;
	}
	*p = s + 1;
	return out.buf;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Parse one ("name","path","algo","hash") tuple and return its path. */
static char *parse_output(const char **p)
{
	char *fields[4] = { 0 };
	char *path = NULL;
	int i;

	if (!expect(p, '('))
		return NULL;
	for (i = 0; i < 4; i++) {
		if (i > 0 && !expect(p, ','))
			goto out;
		fields[i] = parse_string(p);
		if (!fields[i])
			goto out;
	}
	if (!expect(p, ')'))
		goto out;
	path = fields[1];
	fields[1] = NULL;
out:
	for (i = 0; i < 4; i++)
		free(fields[i]);
	return path;
}

int drvfile_parse_outputs(const char *text, char ***ret_paths)
{
	const char *p = text;
	char **paths = xcalloc(1, sizeof(*paths));
	size_t n = 0, tuples = 0;

	if (!str_has_prefix(p, "Derive(["))
		goto invalid;
	p += strlen("Derive([");

	while (*p != ']') {
		char *path;

		if (tuples++ > 0 && !expect(&p, ','))
			goto invalid;
		path = parse_output(&p);
		if (!path)
			goto invalid;
		/* A content-addressed output has no path until it is built. */
		if (path[0] != '/') {
			free(path);
			continue;
		}
		paths = xrealloc(paths, (n + 2) * sizeof(*paths));
		paths[n++] = path;
		paths[n] = NULL;
	}
	*ret_paths = paths;
	return 0;

invalid:
	storedb_free_paths(paths);
	return -EBADMSG;
}

int drvfile_read_outputs(const char *path, char ***ret_paths)
{
	char *text;
	int r;

	r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	r = drvfile_parse_outputs(text, ret_paths);
	free(text);
	return r;
}
