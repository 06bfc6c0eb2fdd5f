#!/bin/sh
# On a btrfs subvolume, stat() reports an anonymous device of the
# subvolume's own, while /proc/locks names the filesystem's device.  A held
# output lock must still be found by its inode.  So the leak over a path
# whose .lock is held is kept, and its neighbour is reaped.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd mkfs.btrfs btrfs flock jq
grep -qw btrfs /proc/filesystems || skip "this kernel has no btrfs"
enter_private_ns "$@"
make_work_dir t27

truncate -s 300M "$work/image" || fail "truncate failed"
mkfs.btrfs -q "$work/image" > /dev/null 2>&1 || fail "mkfs.btrfs failed"
mkdir "$work/fs"
mount -o loop "$work/image" "$work/fs" 2> "$work/err" || skip "cannot mount a loop device: $(cat "$work/err")"
btrfs subvolume create "$work/fs/nix" > /dev/null || fail "btrfs subvolume create failed"

store=$work/fs/nix/store
mkdir "$store" "$work/tmp" "$work/state"
held=0123456789abcdfghijklmnpqrsvwxyz-held
free=1123456789abcdfghijklmnpqrsvwxyz-free
for name in $held $free; do
	mkdir "$store/$name"
	copy=$(mktemp -d "$work/tmp/$name.patched.XXXXXX")
	mount --bind "$copy" "$store/$name" || fail "mount --bind failed"
done

: > "$store/$held.lock"
sh -c 'exec 9>> "$1" && flock -x 9 && exec sleep 60' sh "$store/$held.lock" &
work_pids=$!
tries=0
until grep -q ":$(stat -c %i "$store/$held.lock") " /proc/locks; do
	tries=$((tries + 1))
	[ "$tries" -lt 50 ] || fail "the lock on $store/$held.lock did not show in /proc/locks"
	sleep 0.1
done
lock_dev=$(awk -v ino="$(stat -c %i "$store/$held.lock")" '$0 ~ ":" ino " " { print $6 }' /proc/locks)
echo "stat device $(stat -c %D "$store/$held.lock"), /proc/locks device ${lock_dev%:*}"

"$NMR" --pid $$ --store-dir "$store" --tmp-dir "$work/tmp" --state-dir "$work/state" --min-age 0 \
	--state-file "$work/seen" --lock-file "$work/lock" --json > "$work/out.json" 2> "$work/err" ||
	fail "the run failed: $(cat "$work/err")"
reason_of() {
	jq -r --arg target "$store/$1" '.mounts[] | select(.target == $target) | .reason' "$work/out.json"
}
[ "$(reason_of $held)" = live-lock ] || fail "$held has reason '$(reason_of $held)', expected live-lock"
[ "$(reason_of $free)" = stale ] || fail "$free has reason '$(reason_of $free)', expected stale"
grep -q "$store/$held " /proc/self/mountinfo || fail "the leak whose lock is held was unmounted"
echo "a lock on a btrfs subvolume keeps its leak"
