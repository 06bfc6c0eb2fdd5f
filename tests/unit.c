/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the parsers and rules that need no privilege: durations,
 * paths, mountinfo lines, the leak shape, .drv outputs, active-builds JSON,
 * /proc/locks and the first-seen state file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "drvfile.h"
#include "locks.h"
#include "mounttab.h"
#include "nixstate.h"
#include "seen.h"
#include "shape.h"
#include "storedb.h"
#include "util.h"

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define HASH "0123456789abcdfghijklmnpqrsvwxyz"

static void test_durations(void)
{
	static const struct {
		const char *text;
		int64_t seconds;	/* -1: invalid */
	} cases[] = {
		{ "0", 0 }, { "90", 90 }, { "10m", 600 }, { "2h", 7200 }, { "1d", 86400 },
		{ "5s", 5 }, { "", -1 }, { "-1", -1 }, { "10x", -1 }, { "m", -1 },
		{ "1.5h", -1 }, { "99999999999999999999", -1 }, { " 5", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t seconds = -1;
		int r = parse_duration(cases[i].text, &seconds);

		if (cases[i].seconds < 0)
			CHECK(r == -EINVAL, "duration '%s' accepted as %lld", cases[i].text, (long long)seconds);
		else
			CHECK(r == 0 && seconds == cases[i].seconds, "duration '%s' gave %d, %lld",
			      cases[i].text, r, (long long)seconds);
	}
}

static void test_paths(void)
{
	char *p;

	p = path_normalize("//nix///store/");
	CHECK(p && strcmp(p, "/nix/store") == 0, "normalize gave '%s'", p ? p : "(null)");
	free(p);
	p = path_normalize("/");
	CHECK(p && strcmp(p, "/") == 0, "normalize of / gave '%s'", p ? p : "(null)");
	free(p);
	CHECK(path_normalize("nix/store") == NULL, "relative path accepted");
	CHECK(path_normalize("/nix/../etc") == NULL, "'..' accepted");

	CHECK(path_below("/nix/store/x", "/nix/store") && strcmp(path_below("/nix/store/x", "/nix/store"), "x") == 0,
	      "path_below of a child");
	CHECK(path_below("/nix/storex", "/nix/store") == NULL, "path_below compares whole components");
	CHECK(path_below("/tmp", "/") && strcmp(path_below("/tmp", "/"), "tmp") == 0, "path_below of /");
}

static int parse_text(struct mount_table *tab, const char *text)
{
	return mounttab_parse(tab, text, strlen(text), "test");
}

static void test_mounttab(void)
{
	struct mount_table tab;
	const char *text =
		"22 1 254:0 / / rw shared:1 - ext4 /dev/vda rw\n"
		"30 22 254:0 /tmp/a\\040b /mnt/x\\134y rw - ext4 /dev/vda rw\n"
		"31 22 254:0 /tmp/a /nix/store/" HASH "-hello\\040(deleted) rw - ext4 /dev/vda rw\n"
		"32 22 254:0 /tmp/a /mnt/bad\\04 rw - ext4 /dev/vda rw\n"
		"33 22 254:0 /tmp/a /mnt/ok rw master:1 shared:2 - ext4 /dev/vda rw extra\n"
		"33 22 254:0 /tmp/a /mnt/dup rw - ext4 /dev/vda rw\n"
		"34 33 254:0 /tmp/b /mnt/dup rw - ext4 /dev/vda rw\n"
		"35 34 0:40 / /mnt/dup/inner rw - tmpfs tmpfs rw";

	CHECK(parse_text(&tab, text) == 0, "parse failed");
	CHECK(tab.count == 8, "expected 8 lines, got %zu", tab.count);
	CHECK(!tab.entries[1].malformed && strcmp(tab.entries[1].root, "/tmp/a b") == 0,
	      "escaped space in the root");
	CHECK(!tab.entries[1].malformed && strcmp(tab.entries[1].target, "/mnt/x\\y") == 0,
	      "escaped backslash in the target");
	CHECK(!tab.entries[2].malformed &&
	      strcmp(tab.entries[2].target, "/nix/store/" HASH "-hello (deleted)") == 0,
	      "a ' (deleted)' suffix is kept");
	CHECK(tab.entries[3].malformed, "an incomplete escape is malformed");
	CHECK(tab.entries[4].malformed, "four fields after the separator are malformed");
	CHECK(tab.entries[5].malformed == false, "a repeated ID after a malformed line is valid");
	CHECK(tab.entries[6].parent == &tab.entries[5], "a stacked mount's parent is the mount below");
	CHECK(tab.entries[5].top == &tab.entries[6], "a mount on the same mount point is linked as the top");
	CHECK(tab.entries[6].has_inner, "a mount inside is noted");
	CHECK(tab.entries[7].line == 8, "a last line without newline keeps its number");
	CHECK(!tab.entries[7].malformed, "a last line without newline is valid");
	CHECK(tab.entries[2].devno == makedev(254, 0), "device number");
	mounttab_free(&tab);

	CHECK(parse_text(&tab, "40 1 8:1 / / rw - ext4 /dev/a rw\n40 1 8:1 / /x rw - ext4 /dev/a rw\n") == 0,
	      "parse failed");
	CHECK(!tab.entries[0].malformed, "the first of two repeated IDs is valid");
	CHECK(tab.entries[1].malformed, "the later of two repeated IDs is malformed");
	mounttab_free(&tab);

	CHECK(parse_text(&tab, "") == 0, "an empty table parses");
	CHECK(tab.count == 0, "an empty table has no entries");
	mounttab_free(&tab);
}

static void test_shape(void)
{
	struct mount_table tab;
	struct tmp_dir dirs[1] = { { .path = "/tmp" } };
	enum reason why;
	const char *text =
		"22 1 254:0 / / rw - ext4 /dev/vda rw\n"
		"31 22 0:34 / /tmp rw - tmpfs tmpfs rw\n"
		"40 22 0:34 /" HASH "-a.patched.AbC123 /nix/store/" HASH "-a rw - tmpfs tmpfs rw\n"
		"41 22 254:0 /tmp/" HASH "-a.patched.AbC123 /nix/store/" HASH "-a rw - ext4 /dev/vda rw\n"
		"42 22 0:34 /" HASH "-a.patched.AbC123//deleted /nix/store/" HASH "-a rw - tmpfs tmpfs rw\n"
		"43 22 0:34 /" HASH "-a.patched.AbC12 /nix/store/" HASH "-a rw - tmpfs tmpfs rw\n"
		"44 22 0:34 /" HASH "-b.patched.AbC123 /nix/store/" HASH "-a rw - tmpfs tmpfs rw\n"
		"45 22 0:34 /sub/" HASH "-a.patched.AbC123 /nix/store/" HASH "-a rw - tmpfs tmpfs rw\n"
		"46 22 0:34 /" HASH "-a.patched.x.patched.AbC123 /nix/store/" HASH "-a.patched.x rw - tmpfs tmpfs rw\n"
		"47 22 0:34 /" HASH "-a.patched.AbC123 /nix/store/sub/" HASH "-a rw - tmpfs tmpfs rw\n";
	static const enum reason expected[] = {
		REASON_NOT_CANDIDATE, REASON_NOT_CANDIDATE, REASON_STALE, REASON_WRONG_TMPDIR, REASON_STALE,
		REASON_BAD_RAND, REASON_NAME_MISMATCH, REASON_WRONG_TMPDIR, REASON_STALE, REASON_NOT_CANDIDATE,
	};

	CHECK(parse_text(&tab, text) == 0, "parse failed");
	shape_resolve_tmp_dirs(dirs, 1, &tab);
	CHECK(dirs[0].resolved, "a tmpfs /tmp resolves");
	CHECK(dirs[0].devno == makedev(0, 34), "a tmpfs /tmp resolves to the tmpfs device");
	CHECK(dirs[0].fs_dir && strcmp(dirs[0].fs_dir, "/") == 0, "a tmpfs /tmp resolves to its own root");
	for (size_t i = 0; i < tab.count; i++) {
		enum reason got = shape_check(&tab.entries[i], "/nix/store", dirs, 1);

		CHECK(got == expected[i], "line %zu: got %s, expected %s", i + 1, reason_keyword(got),
		      reason_keyword(expected[i]));
	}
	CHECK(!shape_is_considered(&tab.entries[0], "/nix/store"), "the root mount is not considered");
	CHECK(shape_is_considered(&tab.entries[9], "/nix/store"), "a .patched. root is considered");
	free(dirs[0].fs_dir);
	mounttab_free(&tab);

	CHECK(shape_store_basename_valid(HASH "-hello-1.0+x?=_.drv", &why), "a valid name");
	CHECK(!shape_store_basename_valid(HASH "-", &why) && why == REASON_BAD_NAME, "an empty name");
	CHECK(!shape_store_basename_valid(HASH "-.hidden", &why) && why == REASON_BAD_NAME, "a leading dot");
	CHECK(!shape_store_basename_valid(HASH "-a@b", &why) && why == REASON_BAD_NAME, "an '@'");
	CHECK(!shape_store_basename_valid("e123456789abcdfghijklmnpqrsvwxyz-a", &why) && why == REASON_BAD_HASH,
	      "an 'e' in the hash");
	CHECK(!shape_store_basename_valid(HASH "x-a", &why) && why == REASON_BAD_HASH, "33 hash characters");
}

static void test_drvfile(void)
{
	char **outputs = NULL;

	CHECK(drvfile_parse_outputs("Derive([(\"dev\",\"/nix/store/" HASH "-x-dev\",\"\",\"\"),"
				    "(\"out\",\"/nix/store/" HASH "-x\",\"r:sha256\",\"ab\\\"c\")],[],[])",
				    &outputs) == 0, "a two-output .drv");
	CHECK(outputs && outputs[0] && strcmp(outputs[0], "/nix/store/" HASH "-x-dev") == 0, "first output");
	CHECK(outputs && outputs[1] && strcmp(outputs[1], "/nix/store/" HASH "-x") == 0, "second output");
	CHECK(outputs && !outputs[2], "only two outputs");
	storedb_free_paths(outputs);

	CHECK(drvfile_parse_outputs("Derive([(\"out\",\"/nix", &outputs) == -EBADMSG, "a truncated .drv");
	CHECK(drvfile_parse_outputs("", &outputs) == -EBADMSG, "an empty .drv");
	CHECK(drvfile_parse_outputs("Derive([],[])", &outputs) == 0 && !outputs[0], "no outputs");
	storedb_free_paths(outputs);

	CHECK(drvfile_parse_outputs("Derive([(\"out\",\"\",\"r:sha256\",\"\"),"
				    "(\"doc\",\"/nix/store/" HASH "-x-doc\",\"\",\"\")],[])", &outputs) == 0,
	      "a floating content-addressed output before a fixed one");
	CHECK(outputs && outputs[0] && strcmp(outputs[0], "/nix/store/" HASH "-x-doc") == 0,
	      "the output without a path is skipped");
	CHECK(outputs && outputs[0] && !outputs[1], "only the output with a path");
	storedb_free_paths(outputs);
}

static void test_active_builds_json(void)
{
	char *drv;

	drv = nixstate_parse_derivation("{\"nixPid\": 12, \"extra\": {\"derivation\": \"no\"}, "
					"\"list\": [1, \"x]\"], \"derivation\": \"" HASH "-a.drv\"}");
	CHECK(drv && strcmp(drv, HASH "-a.drv") == 0, "derivation after nested values: '%s'",
	      drv ? drv : "(null)");
	free(drv);
	CHECK(nixstate_parse_derivation("{\"nixPid\": 12}") == NULL, "no derivation key");
	CHECK(nixstate_parse_derivation("[\"derivation\"]") == NULL, "not an object");
	CHECK(nixstate_parse_derivation("{\"derivation\": ") == NULL, "truncated JSON");
}

static void test_locks(void)
{
	struct lock_table tab;
	const struct file_lock *lock;

	locks_parse(&tab, "1: FLOCK  ADVISORY  WRITE 4242 fe:01:1835012 0 EOF\n"
			  "1: -> FLOCK  ADVISORY  WRITE 4343 fe:01:1835012 0 EOF\n"
			  "2: POSIX  ADVISORY  READ 77 00:1a:99 0 EOF\n"
			  "garbage line\n");
	CHECK(tab.count == 2, "expected 2 held locks, got %zu", tab.count);
	lock = locks_find(&tab, makedev(0xfe, 0x01), 1835012);
	CHECK(lock && lock->pid == 4242 && lock->exclusive, "the flock holder, not the waiter");
	lock = locks_find(&tab, makedev(0, 0x1a), 99);
	CHECK(lock && lock->pid == 77 && !lock->exclusive, "a shared lock");
	CHECK(locks_find(&tab, makedev(0, 0x1a), 98) == NULL, "no lock on another inode");
	lock = locks_find(&tab, makedev(0, 0x2f), 99);
	CHECK(lock && lock->pid == 77, "an anonymous device matches by inode");
	CHECK(locks_find(&tab, makedev(8, 1), 99) == NULL, "a real device needs an exact match");
	locks_free(&tab);
}

static void test_seen(void)
{
	char path[] = "/tmp/nmr-unit-seen.XXXXXX";
	struct seen_state state = { 0 }, loaded;
	int fd = mkstemp(path);
	FILE *f;

	CHECK(fd >= 0, "mkstemp failed");
	close(fd);

	seen_add(&state, 40, 0, "/tmp/a b", "/nix/store/x", 1000);
	seen_add(&state, 41, 777, "/tmp/c", "/nix/store/y", 2000);
	CHECK(seen_save(&state, path) == 0, "save failed");
	seen_free(&state);

	CHECK(seen_load(&loaded, path) == 0 && loaded.count == 2, "load failed");
	CHECK(seen_lookup(&loaded, 40, 0, "/tmp/a b", "/nix/store/x") == 1000, "lookup by ID, root and target");
	CHECK(seen_lookup(&loaded, 40, 0, "/tmp/other", "/nix/store/x") == 0, "a reused ID with another root");
	CHECK(seen_lookup(&loaded, 41, 777, "/tmp/changed", "/nix/store/y") == 2000, "lookup by unique ID");
	CHECK(seen_lookup(&loaded, 41, 778, "/tmp/c", "/nix/store/y") == 0, "another unique ID");
	seen_free(&loaded);

	f = fopen(path, "w");
	fputs("# nix-mount-reap first-seen v1\n12 x\n", f);
	fclose(f);
	CHECK(seen_load(&loaded, path) == -EBADMSG && loaded.count == 0, "a corrupt file is rejected whole");
	unlink(path);
	CHECK(seen_load(&loaded, path) == 0 && loaded.count == 0, "a missing file is empty");
}

int main(void)
{
	test_durations();
	test_paths();
	test_mounttab();
	test_shape();
	test_drvfile();
	test_active_builds_json();
	test_locks();
	test_seen();

	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
