/* SPDX-License-Identifier: MIT */
/* Messages on stderr, all prefixed with the program name. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "util.h"

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	max_level = level;
}

enum log_level log_get_level(void)
{
	return max_level;
}

static void log_message(enum log_level level, const char *prefix, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	fprintf(stderr, "%s: %s", PROGRAM_NAME, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define DEFINE_LOG(name, level, prefix)				\
	void name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		va_start(ap, fmt);				\
		log_message(level, prefix, fmt, ap);		\
		va_end(ap);					\
	}

DEFINE_LOG(log_error, LOG_ERROR, "")
DEFINE_LOG(log_warning, LOG_WARNING, "warning: ")
DEFINE_LOG(log_info, LOG_INFO, "")
DEFINE_LOG(log_debug, LOG_DEBUG, "")
