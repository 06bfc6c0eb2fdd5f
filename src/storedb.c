/* SPDX-License-Identifier: MIT */
/*
 * Read-only access to the Nix store database (db/db.sqlite, schema 10).
 *
 * Nix itself writes this database while builds run, so this reader opens it
 * read-only, waits at most the busy timeout, keeps every transaction to a
 * single statement and never writes, checkpoints or changes a pragma.  Any
 * SQLITE_BUSY or error makes the database "unknown", and the caller keeps the
 * mounts whose judgement depends on it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "storedb.h"
#include "util.h"

#define NIX_SCHEMA_VERSION "10"

static void set_unknown(struct store_db *db, char *problem)
{
	db->state = STOREDB_UNKNOWN;
	free(db->problem);
	db->problem = problem;
}

static bool schema_is_supported(struct store_db *db, const char *db_dir)
{
	char *path = xasprintf("%s/schema", db_dir);
	char *text = NULL;
	int r;

	r = read_file(path, &text, NULL);
	if (r < 0) {
		set_unknown(db, xasprintf("cannot read %s: %s", path, strerror(-r)));
		free(path);
		return false;
	}

	text[strcspn(text, " \t\r\n")] = '\0';
	if (strcmp(text, NIX_SCHEMA_VERSION) != 0)
		set_unknown(db, xasprintf("%s holds schema version '%s', expected %s", path, text,
					  NIX_SCHEMA_VERSION));
	free(text);
	free(path);
	return db->state == STOREDB_OK;
}

void storedb_open(struct store_db *db, const char *db_dir, int timeout_ms)
{
	static const char outputs_sql[] =
		"SELECT o.path FROM DerivationOutputs o JOIN ValidPaths v ON o.drv = v.id WHERE v.path = ?";
	char *path = xasprintf("%s/db.sqlite", db_dir);
	sqlite3 *handle = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	memset(db, 0, sizeof(*db));
	db->state = STOREDB_OK;

	if (access(path, F_OK) < 0) {
		db->state = STOREDB_MISSING;
		db->problem = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!schema_is_supported(db, db_dir))
		goto out;

	rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_unknown(db, xasprintf("cannot open %s: %s", path,
					  handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)));
		sqlite3_close(handle);
		goto out;
	}
	sqlite3_busy_timeout(handle, timeout_ms);

	rc = sqlite3_prepare_v2(handle, outputs_sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		set_unknown(db, xasprintf("cannot query %s: %s", path, sqlite3_errmsg(handle)));
		sqlite3_close(handle);
		goto out;
	}

	db->handle = handle;
	db->outputs_stmt = stmt;
out:
	free(path);
}

int storedb_drv_outputs(struct store_db *db, const char *drv_path, char ***ret_paths)
{
	sqlite3_stmt *stmt = db->outputs_stmt;
	char **paths = NULL;
	size_t n = 0;
	int rc;

	if (db->state != STOREDB_OK)
		return -EAGAIN;

	sqlite3_reset(stmt);
	sqlite3_bind_text(stmt, 1, drv_path, -1, SQLITE_TRANSIENT);
	paths = xcalloc(1, sizeof(*paths));
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);

		if (!text)
			continue;
		paths = xrealloc(paths, (n + 2) * sizeof(*paths));
		paths[n++] = xstrdup((const char *)text);
		paths[n] = NULL;
	}
	sqlite3_reset(stmt);

	if (rc != SQLITE_DONE) {
		set_unknown(db, xasprintf("query for %s failed: %s", drv_path,
					  sqlite3_errmsg(db->handle)));
		storedb_free_paths(paths);
		return -EAGAIN;
	}
	*ret_paths = paths;
	return 0;
}

void storedb_free_paths(char **paths)
{
	if (!paths)
		return;
	for (char **p = paths; *p; p++)
		free(*p);
	free(paths);
}

void storedb_close(struct store_db *db)
{
	sqlite3_finalize(db->outputs_stmt);
	sqlite3_close(db->handle);
	free(db->problem);
	memset(db, 0, sizeof(*db));
}
