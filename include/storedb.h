/* SPDX-License-Identifier: MIT */
/* Read-only access to the Nix store database (db/db.sqlite, schema 10). */
#ifndef NMR_STOREDB_H
#define NMR_STOREDB_H

#include <stddef.h>

enum storedb_state {
	STOREDB_OK,
	STOREDB_MISSING,	/* no database: the signals that need it fall back or stay silent */
	STOREDB_UNKNOWN,	/* busy, locked, wrong schema or unreadable: it cannot tell */
};

struct store_db {
	enum storedb_state state;
	char *problem;		/* why it is missing or unknown, for messages */
	void *handle;		/* sqlite3 * */
	void *outputs_stmt;	/* sqlite3_stmt * */
};

/*
 * Open DB_DIR/db.sqlite read-only with a busy timeout of TIMEOUT_MS, after
 * checking that DB_DIR/schema contains version 10.  Never fails: the result is
 * in db->state.
 */
void storedb_open(struct store_db *db, const char *db_dir, int timeout_ms);

/*
 * Look up the outputs of the derivation DRV_PATH in DerivationOutputs.
 * Returns 0 with a NULL-terminated array of store paths (empty when the
 * database has no rows for it), or -EAGAIN when the database is not usable,
 * after which db->state is not STOREDB_OK.  Free the array with
 * storedb_free_paths().
 */
int storedb_drv_outputs(struct store_db *db, const char *drv_path, char ***ret_paths);

void storedb_free_paths(char **paths);
void storedb_close(struct store_db *db);

#endif
