/* SPDX-License-Identifier: MIT */
/* The report: a findmnt-like table or JSON on stdout, and one summary line on stderr. */
#ifndef NMR_REPORT_H
#define NMR_REPORT_H

#include <stdbool.h>

#include "judge.h"
#include "options.h"

/* Print one row per mount considered, as a table or as JSON.  Returns 0 or -errno. */
int report_print(const struct judgement *j, const struct options *opts, bool real_run);

/* Print the summary line, e.g. "reaped 793 of 795 leaked mounts; kept 2 (live-lock 2)". */
void report_summary(const struct judgement *j, const struct mount_table *tab, bool real_run,
		    const char *label);

/* Print every signal checked on each mount, for --verbose. */
void report_traces(const struct judgement *j);

/* Print the decision on one mount and every signal behind it, for --explain. */
void report_explain(const struct verdict *v);

#endif
