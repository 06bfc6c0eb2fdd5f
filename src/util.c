/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every part: allocation, strings, paths, durations. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void out_of_memory(void)
{
	fprintf(stderr, "%s: out of memory\n", PROGRAM_NAME);
	exit(2);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	char *p;
	int len;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		out_of_memory();

	p = xmalloc((size_t)len + 1);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *piece;
	size_t n;

	va_start(ap, fmt);
	piece = xvasprintf(fmt, ap);
	va_end(ap);

	n = strlen(piece);
	if (sb->len + n + 1 > sb->alloc) {
		sb->alloc = (sb->len + n + 1) * 2;
		sb->buf = xrealloc(sb->buf, sb->alloc);
	}
	memcpy(sb->buf + sb->len, piece, n + 1);
	sb->len += n;
	free(piece);
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *path_normalize(const char *path)
{
	char *out, *o;
	const char *p = path;

	if (!path || path[0] != '/')
		return NULL;

	out = o = xmalloc(strlen(path) + 1);
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			free(out);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

const char *path_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/' ? path + 1 : NULL;
	if (strncmp(path, dir, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return path + n;
	if (path[n] == '/')
		return path + n + 1;
	return NULL;
}

char *path_prefixed(const char *prefix, const char *path)
{
	if (!prefix || !*prefix)
		return xstrdup(path);
	return xasprintf("%s%s", prefix, path);
}

int parse_uint(const char *text, int64_t max, int64_t *ret_value)
{
	int64_t value = 0;
	const char *p;

	if (!text || !*text)
		return -EINVAL;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (value > (max - (*p - '0')) / 10)
			return -EINVAL;
		value = value * 10 + (*p - '0');
	}
	*ret_value = value;
	return 0;
}

int parse_duration(const char *text, int64_t *ret_seconds)
{
	static const int64_t max_seconds = INT64_C(100) * 365 * 86400;
	int64_t unit = 1, value;
	char *number;
	size_t n;
	int r;

	if (!text || !*text)
		return -EINVAL;

	n = strlen(text);
	switch (text[n - 1]) {
	case 's': unit = 1; n--; break;
	case 'm': unit = 60; n--; break;
	case 'h': unit = 3600; n--; break;
	case 'd': unit = 86400; n--; break;
	default: break;
	}

	number = xstrndup(text, n);
	r = parse_uint(number, max_seconds / unit, &value);
	free(number);
	if (r < 0)
		return r;

	*ret_seconds = value * unit;
	return 0;
}

int read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, alloc = 8192;
	struct stat st;
	char *buf;
	int fd, r = 0;

	/* O_NONBLOCK and the type check keep a FIFO from blocking the run. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return r;
	}

	buf = xmalloc(alloc);
	for (;;) {
		ssize_t n;

		if (alloc - len < 4096) {
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);

	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	return 0;
}

void read_comm(const char *proc_dir, pid_t pid, char *buf, size_t size)
{
	char *path = xasprintf("%s/%d/comm", proc_dir, (int)pid);
	char *text;
	int r;

	r = read_file(path, &text, NULL);
	free(path);
	if (r == -ENOENT) {
		/* A lock outlives the process that took it when a child inherited the descriptor. */
		snprintf(buf, size, "exited");
		return;
	}

	snprintf(buf, size, "?");
	if (r == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (*text)
			snprintf(buf, size, "%s", text);
		free(text);
	}
}

int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}
