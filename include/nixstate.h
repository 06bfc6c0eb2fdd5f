/* SPDX-License-Identifier: MIT */
/*
 * Signs of running Nix processes in the state directory: temporary roots,
 * Determinate Nix's active builds and the garbage collector's lock.  Each
 * file counts only while a live process holds its lock; the files are read
 * O_RDONLY and never locked or deleted.
 */
#ifndef NMR_NIXSTATE_H
#define NMR_NIXSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "locks.h"

/* A store hash part named by a locked temproots file. */
struct temp_root {
	char hash[33];
	pid_t pid;
};

/* A derivation named by a locked active-builds file. */
struct active_build {
	char *drv_name;		/* base name of the .drv */
	pid_t pid;		/* the process that holds the file's lock */
	char **outputs;		/* filled in by the caller; NULL-terminated or NULL */
};

struct nix_state {
	struct temp_root *roots;	/* sorted by hash */
	size_t nroots;
	struct active_build *builds;
	size_t nbuilds;
	size_t unreadable;		/* locked files that could not be read */
};

/*
 * Collect the temporary roots and active builds under STATE_DIR whose files
 * are locked according to LOCKS.  Missing directories are not an error.
 */
void nixstate_read(struct nix_state *state, const char *state_dir, const struct lock_table *locks);

void nixstate_free(struct nix_state *state);

/* Find a temporary root naming HASH (32 characters), or NULL. */
const struct temp_root *nixstate_find_root(const struct nix_state *state, const char *hash);

/* Parse the "derivation" value of an active-builds JSON text; returns a new string or NULL. */
char *nixstate_parse_derivation(const char *json);

/* Is STATE_DIR/gc.lock locked exclusively, by a collection?  Returns 1 with the holder's PID, 0, or -errno. */
int nixstate_gc_running(const char *state_dir, const struct lock_table *locks, pid_t *ret_pid);

#endif
