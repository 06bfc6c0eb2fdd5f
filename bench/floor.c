/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's floor: unmount each path named on stdin with
 * umount2(MNT_DETACH) and nothing else, no table read, no checks.  No real
 * tool can be faster, so nix-mount-reap's time is reported against it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(void)
{
	char line[4096];
	int failed = 0;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (umount2(line, MNT_DETACH) < 0)
			failed++;
	}
	return failed ? 1 : 0;
}
