/* SPDX-License-Identifier: MIT */
/*
 * nix-mount-reap: find the bind mounts that interrupted Nix builds leave over
 * store paths, keep every one a live build may use, and lazily unmount the rest.
 */
#include "log.h"
#include "options.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct options opts;
	int status;

	status = options_parse(&opts, argc, argv);
	if (status < 0) {
		if (opts.quiet)
			log_set_level(LOG_ERROR);
		else if (opts.verbose)
			log_set_level(LOG_DEBUG);
		status = run(&opts);
	}
	options_free(&opts);
	return status;
}
