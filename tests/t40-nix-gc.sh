#!/bin/sh
# Leaked mounts over garbage store paths make nix-collect-garbage fail with
# EBUSY.  One real nix-mount-reap run with its default store and state
# directories unmounts them all, and the next garbage collection deletes the
# paths.
set -u
TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"
. "$TESTS/nixlib.sh"

enter_private_ns "$@"
require_nix
require_cmd jq
start_work t40
use_private_nix
export LC_ALL=C

# Twenty registered garbage store paths: ten fixed-output directories and ten
# .drv files, each with a leaked copy in /tmp mounted over it.
paths=$WORK/paths
: > "$paths"
make_fixed_paths 10 fixed "$paths"
make_drv_paths 10 drv "$paths"
count=$(wc -l < "$paths")
[ "$count" -eq 20 ] || fail "expected 20 store paths, Nix printed $count"
nix_store --check-validity $(cat "$paths") || fail "the new store paths are not all registered"
nix_store --gc --print-dead > "$WORK/dead" 2> "$WORK/dead.log" ||
	fail "nix-store --gc --print-dead failed: $(tail -n 5 "$WORK/dead.log")"
while read -r path; do
	grep -qx "$path" "$WORK/dead" || fail "$path is not garbage: nix-store --gc --print-dead omits it"
	leak_mount "$path" /tmp
done < "$paths"

# The garbage collector stops at the first leaked mount.
nix_collect_garbage > "$WORK/gc1.out" 2> "$WORK/gc1.err"
gc_status=$?
[ "$gc_status" -ne 0 ] || fail "nix-collect-garbage succeeded with 20 leaked mounts in the store"
grep -q 'Device or resource busy' "$WORK/gc1.err" ||
	fail "nix-collect-garbage failed without EBUSY: $(tail -n 3 "$WORK/gc1.err")"

# A dry run judges all twenty stale and leaves them mounted.
"$NMR" --dry-run --json --pid $$ --min-age 0 --state-file "$WORK/seen" \
	--lock-file "$WORK/lock" > "$WORK/dry.json" 2> "$WORK/dry.err"
NMR_STATUS=$?
expect_exit 0 "$WORK/dry.err"
while read -r path; do
	expect_judgement "$WORK/dry.json" "$path" reap stale
	result=$(mount_field "$WORK/dry.json" "$path" result)
	[ "$result" = null ] || fail "$path: the dry run reports result '$result', expected none"
	expect_mounted "$path"
done < "$paths"

# One real run with the default store and state directories unmounts them.
"$NMR" --pid $$ --min-age 0 --state-file "$WORK/seen" --lock-file "$WORK/lock" \
	> "$WORK/reap.table" 2> "$WORK/reap.err"
NMR_STATUS=$?
expect_exit 0 "$WORK/reap.err"
grep -q 'reaped 20 of 20 ' "$WORK/reap.err" ||
	fail "the summary does not report 'reaped 20 of 20': $(cat "$WORK/reap.err")"
while read -r path; do
	grep -F " $path" "$WORK/reap.table" | grep -qw unmounted ||
		fail "the table has no 'unmounted' row for $path"
	expect_unmounted "$path"
done < "$paths"

# Now the garbage collection succeeds and deletes every path.
nix_collect_garbage > "$WORK/gc2.out" 2> "$WORK/gc2.err"
gc_status=$?
[ "$gc_status" -eq 0 ] ||
	fail "nix-collect-garbage exited $gc_status after the reap: $(tail -n 3 "$WORK/gc2.err")"
! grep -q 'Device or resource busy' "$WORK/gc2.err" ||
	fail "nix-collect-garbage still reports EBUSY after the reap"
while read -r path; do
	[ ! -e "$path" ] || fail "$path is still in the store after the garbage collection"
done < "$paths"

echo "nix-collect-garbage succeeds after nix-mount-reap"
