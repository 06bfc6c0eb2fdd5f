/* SPDX-License-Identifier: MIT */
/* Messages on stderr, all prefixed with the program name. */
#ifndef NMR_LOG_H
#define NMR_LOG_H

enum log_level {
	LOG_ERROR,	/* always shown */
	LOG_WARNING,	/* hidden by --quiet */
	LOG_INFO,	/* the summary line; hidden by --quiet */
	LOG_DEBUG,	/* shown by --verbose */
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
