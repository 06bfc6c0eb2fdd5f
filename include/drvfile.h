/* SPDX-License-Identifier: MIT */
/* The outputs of a derivation, read from its .drv file (ATerm text). */
#ifndef NMR_DRVFILE_H
#define NMR_DRVFILE_H

/*
 * Parse the output list at the start of a .drv text,
 *   Derive([("out","/nix/store/...-name","",""),...],...
 * Returns 0 with a NULL-terminated array of output paths, or -EBADMSG when
 * the text does not start that way.  Free it with storedb_free_paths().
 */
int drvfile_parse_outputs(const char *text, char ***ret_paths);

/* Read the .drv file at PATH and parse its outputs.  Returns 0 or -errno. */
int drvfile_read_outputs(const char *path, char ***ret_paths);

#endif
