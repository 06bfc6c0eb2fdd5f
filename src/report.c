/* SPDX-License-Identifier: MIT */
/* The report: a findmnt-like table or JSON on stdout, and one summary line on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols.h>

#include "log.h"
#include "report.h"

enum column_id {
	COL_ID,
	COL_PARENT,
	COL_LINE,
	COL_ACTION,
	COL_REASON,
	COL_HOLDER,
	COL_RESULT,
	COL_NAMESPACES,
	COL_TARGET,
	COL_ROOT,
	COL_ERROR,
};

struct column {
	const char *name;
	double width;
	int flags;
	int json_type;
};

static const struct column columns[] = {
	[COL_ID]	 = { "ID",	   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_PARENT]	 = { "PARENT",	   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_LINE]	 = { "LINE",	   5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_ACTION]	 = { "ACTION",	   4, 0, SCOLS_JSON_STRING },
	[COL_REASON]	 = { "REASON",	  12, 0, SCOLS_JSON_STRING },
	[COL_HOLDER]	 = { "HOLDER",	  0.1, 0, SCOLS_JSON_STRING },
	[COL_RESULT]	 = { "RESULT",	   8, 0, SCOLS_JSON_STRING },
	[COL_NAMESPACES] = { "NAMESPACES", 0.2, SCOLS_FL_WRAP, SCOLS_JSON_STRING },
	[COL_TARGET]	 = { "TARGET",	  0.5, SCOLS_FL_NOEXTREMES, SCOLS_JSON_STRING },
	[COL_ROOT]	 = { "ROOT",	  0.3, SCOLS_FL_NOEXTREMES, SCOLS_JSON_STRING },
	[COL_ERROR]	 = { "ERROR",	  0.3, 0, SCOLS_JSON_STRING },
};

static void set_cell(struct libscols_line *line, size_t col, const char *text)
{
	if (text && *text)
		scols_line_set_data(line, col, text);
}

static void set_number(struct libscols_line *line, size_t col, long long value)
{
	char *text = xasprintf("%lld", value);

	scols_line_refer_data(line, col, text);
}

static void fill_cell(struct libscols_line *line, size_t col, enum column_id id,
		      const struct verdict *v, bool json)
{
	const struct mount_entry *e = v->mount;
	char holder[64];

	switch (id) {
	case COL_ID:
		if (e->id >= 0)
			set_number(line, col, e->id);
		break;
	case COL_PARENT:
		if (!e->malformed)
			set_number(line, col, e->parent_id);
		break;
	case COL_LINE:
		set_number(line, col, e->line);
		break;
	case COL_ACTION:
		set_cell(line, col, verdict_reaps(v) ? "reap" : "keep");
		break;
	case COL_REASON:
		set_cell(line, col, reason_keyword(v->reason));
		break;
	case COL_HOLDER:
		if (v->holder_pid > 0) {
			snprintf(holder, sizeof(holder), "%d (%s)", (int)v->holder_pid, v->holder_comm);
			set_cell(line, col, holder);
		}
		break;
	case COL_RESULT:
		set_cell(line, col, v->result);
		break;
	case COL_NAMESPACES:
		set_cell(line, col, v->namespaces);
		break;
	case COL_TARGET:
		/* The table has no error column, so a malformed line shows its error here. */
		if (e->malformed && !json)
			scols_line_refer_data(line, col, xasprintf("line %u: %s", e->line, e->error));
		else
			set_cell(line, col, e->target);
		break;
	case COL_ROOT:
		set_cell(line, col, e->root);
		break;
	case COL_ERROR:
		set_cell(line, col, e->malformed ? e->error : NULL);
		break;
	}
}

/* Choose the columns: JSON carries all of them, the table the ones worth a glance. */
static size_t pick_columns(enum column_id *ids, const struct options *opts, bool real_run)
{
	size_t n = 0;

	ids[n++] = COL_ID;
	if (opts->json) {
		ids[n++] = COL_PARENT;
		ids[n++] = COL_LINE;
	}
	ids[n++] = COL_ACTION;
	ids[n++] = COL_REASON;
	ids[n++] = COL_HOLDER;
	if (real_run)
		ids[n++] = COL_RESULT;
	if (opts->all_namespaces)
		ids[n++] = COL_NAMESPACES;
	ids[n++] = COL_TARGET;
	if (opts->json) {
		ids[n++] = COL_ROOT;
		ids[n++] = COL_ERROR;
	}
	return n;
}

int report_print(const struct judgement *j, const struct options *opts, bool real_run)
{
	enum column_id ids[16];
	struct libscols_table *tb;
	size_t ncols, i, c;
	int r = 0;

	tb = scols_new_table();
	if (!tb)
		return -ENOMEM;
	if (opts->json) {
		scols_table_enable_json(tb, 1);
		scols_table_set_name(tb, "mounts");
	}

	ncols = pick_columns(ids, opts, real_run);
	for (c = 0; c < ncols; c++) {
		const struct column *col = &columns[ids[c]];
		struct libscols_column *cl = scols_table_new_column(tb, col->name, col->width, col->flags);

		if (!cl) {
			r = -ENOMEM;
			goto out;
		}
		scols_column_set_json_type(cl, col->json_type);
		if (opts->json) {
			/* JSON keys are the lower-case column names. */
			char *key = xstrdup(col->name);

			for (char *p = key; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			scols_column_set_name(cl, key);
			free(key);
		}
	}

	for (i = 0; i < j->count; i++) {
		struct libscols_line *line = scols_table_new_line(tb, NULL);

		if (!line) {
			r = -ENOMEM;
			goto out;
		}
		for (c = 0; c < ncols; c++)
			fill_cell(line, c, ids[c], &j->verdicts[i], opts->json);
	}

	r = scols_print_table(tb);
out:
	scols_unref_table(tb);
	return r;
}

void report_summary(const struct judgement *j, const struct mount_table *tab, bool real_run,
		    const char *label)
{
	size_t count[REASON_COUNT] = { 0 }, leaks = 0, reaped = 0, kept = 0, failed = 0;
	struct strbuf sb = { 0 };
	const char *sep = "";

	for (size_t i = 0; i < j->count; i++) {
		const struct verdict *v = &j->verdicts[i];

		if (!v->leak)
			continue;
		leaks++;
		if (!verdict_reaps(v)) {
			kept++;
			count[v->reason]++;
		} else if (!real_run || strcmp(v->result, "unmounted") == 0 || strcmp(v->result, "gone") == 0) {
			reaped++;
		} else {
			failed++;
		}
	}

	if (label)
		strbuf_addf(&sb, "in %s: ", label);
	strbuf_addf(&sb, "%s %zu of %zu leaked mounts", real_run ? "reaped" : "would reap", reaped, leaks);
	if (kept) {
		strbuf_addf(&sb, "; %s %zu (", real_run ? "kept" : "would keep", kept);
		for (int r = 0; r < REASON_COUNT; r++) {
			if (!count[r])
				continue;
			strbuf_addf(&sb, "%s%s %zu", sep, reason_keyword((enum reason)r), count[r]);
			sep = ", ";
		}
		strbuf_addf(&sb, ")");
	}
	if (failed)
		strbuf_addf(&sb, "; failed to unmount %zu", failed);
	if (tab->malformed)
		strbuf_addf(&sb, "; %zu malformed table lines", tab->malformed);

	fflush(stdout);	/* after the table, also where both streams share one pipe */
	log_info("%s", sb.buf);
	strbuf_release(&sb);
}

static void print_decision(FILE *f, const struct verdict *v)
{
	const struct mount_entry *e = v->mount;

	if (e->malformed) {
		fprintf(f, "line %u: keep (malformed: %s)\n", e->line, e->error);
		return;
	}
	fprintf(f, "mount %d on %s: %s (%s: %s)\n", e->id, e->target, verdict_reaps(v) ? "reap" : "keep",
		reason_keyword(v->reason), reason_description(v->reason));
	if (v->holder_pid > 0)
		fprintf(f, "  holder: pid %d (%s)\n", (int)v->holder_pid, v->holder_comm);
}

/* Print each line of a trace indented under its decision. */
static void print_trace(FILE *f, const struct verdict *v)
{
	const char *p = v->trace.buf;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "  %.*s\n", n, p);
		p = nl ? nl + 1 : NULL;
	}
}

void report_traces(const struct judgement *j)
{
	for (size_t i = 0; i < j->count; i++) {
		print_decision(stderr, &j->verdicts[i]);
		print_trace(stderr, &j->verdicts[i]);
	}
}

void report_explain(const struct verdict *v)
{
	const struct mount_entry *e = v->mount;

	print_decision(stdout, v);
	if (!e->malformed) {
		printf("  root: %s\n", e->root);
		printf("  parent: %d, line %u\n", e->parent_id, e->line);
	}
	if (!v->leak && !e->malformed) {
		printf("  not a leak: %s\n", reason_description(v->reason));
		return;
	}
	print_trace(stdout, v);
}
