/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every part: allocation, strings, paths, durations. */
#ifndef NMR_UTIL_H
#define NMR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROGRAM_NAME "nix-mount-reap"

/* Allocation helpers that end the program with a message when memory runs out. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable, always NUL-terminated string. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_release(struct strbuf *sb);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/*
 * Copy an absolute path with repeated slashes folded and any trailing slash
 * removed ("/" stays "/").  Returns NULL when the path is not absolute or
 * contains a "." or ".." component, which this tool never resolves.
 */
char *path_normalize(const char *path);

/*
 * Return the part of PATH below directory DIR when PATH lies strictly inside it
 * ("" when they are equal), comparing whole components; NULL otherwise.  Both
 * must be normalized.
 */
const char *path_below(const char *path, const char *dir);

/* Join a prefix such as "/proc/42/root" and an absolute path; "" joins nothing. */
char *path_prefixed(const char *prefix, const char *path);

/*
 * Parse an age: "0", plain seconds, or a number with an s, m, h or d suffix.
 * Returns 0 and stores seconds in *ret_seconds, or -EINVAL.
 */
int parse_duration(const char *text, int64_t *ret_seconds);

/* Parse a non-negative decimal integer that fits in [0, max].  Returns 0 or -EINVAL. */
int parse_uint(const char *text, int64_t max, int64_t *ret_value);

/* Read a whole file into a NUL-terminated buffer.  Returns 0 or -errno. */
int read_file(const char *path, char **ret_buf, size_t *ret_len);

/* Read /proc/PID/comm below PROC_DIR into BUF (at least 17 bytes): "exited" when it is gone, "?" when unreadable. */
void read_comm(const char *proc_dir, pid_t pid, char *buf, size_t size);

/* Seconds since the epoch on the real-time clock. */
int64_t now_seconds(void);

/* Milliseconds on the monotonic clock, for measuring waits. */
int64_t monotonic_ms(void);

#endif
