#!/bin/sh
# Copies of leaks in other mount namespaces: --all-namespaces lists the
# namespace of a process that holds copies, a plain run leaves those copies
# alone, and --reap-all-namespaces reaps them there with the same checks.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd jq mount unshare
enter_private_ns "$@"

make_work_dir t25

mkdir "$work/store" "$work/tmp" "$work/state"

# Bind a leaked copy over a new store path for each hash given.
make_leaks() {
	for hash in "$@"; do
		mkdir "$work/store/$hash-x"
		copy=$(mktemp -d "$work/tmp/$hash-x.patched.XXXXXX")
		mount --bind "$copy" "$work/store/$hash-x" || fail "mount --bind failed"
	done
}

# Start a process in a nested private namespace, which gets its own copies of
# the mounts here that no unmount here reaches, and print its PID.
start_holder() {
	unshare -m --propagation private sleep 120 > /dev/null 2>&1 &
	echo "$!"
}

wait_for_namespace() {
	tries=0
	until [ "$(readlink "/proc/$1/ns/mnt" 2> /dev/null)" != "$(readlink /proc/self/ns/mnt)" ]; do
		tries=$((tries + 1))
		[ "$tries" -lt 50 ] || fail "the nested namespace of pid $1 did not start"
		sleep 0.1
	done
}

count_copies() {
	grep -c "$work/store/" "/proc/$1/mountinfo"
}

nmr() {
	"$NMR" --pid $$ --store-dir "$work/store" --tmp-dir "$work/tmp" --state-dir "$work/state" \
		--min-age 0 --state-file "$work/seen" --lock-file "$work/lock" "$@"
}

make_leaks 0123456789abcdfghijklmnpqrsvwxyz 1123456789abcdfghijklmnpqrsvwxyz
first=$(start_holder)
work_pids=$first
wait_for_namespace "$first"

nmr --dry-run --all-namespaces --json > "$work/listed.json" 2> "$work/listed.err" ||
	fail "dry run failed: $(cat "$work/listed.err")"
listed=$(jq -r '.mounts[].namespaces' "$work/listed.json" | grep -c "pid $first")
[ "$listed" -eq 2 ] || fail "expected both leaks to list pid $first, got $listed: $(cat "$work/listed.json")"

nmr --all-namespaces -q || fail "the run with --all-namespaces failed"
[ "$(count_copies $$)" -eq 0 ] || fail "leaks are left in the caller's namespace"
[ "$(count_copies "$first")" -eq 2 ] || fail "--all-namespaces alone unmounted copies in another namespace"

# A dry run aimed at another namespace judges it through /proc/PID/root.
# Here the copies lie on a tmpfs that only that namespace has, so only
# through that path are their time stamps readable: a fresh copy reads as
# too young, not as of unknown age.
mkdir "$work/private-tmp"
hash=4123456789abcdfghijklmnpqrsvwxyz
mkdir "$work/store/$hash-x"
unshare -m --propagation private sh -c '
	mount -t tmpfs tmpfs "$1/private-tmp" &&
	mkdir "$1/private-tmp/$2-x.patched.AbCdEf" &&
	mount --bind "$1/private-tmp/$2-x.patched.AbCdEf" "$1/store/$2-x" &&
	exec sleep 120' sh "$work" "$hash" > /dev/null 2>&1 &
third=$!
work_pids="$work_pids $third"
tries=0
until grep -q "$work/store/$hash-x" "/proc/$third/mountinfo" 2> /dev/null; do
	tries=$((tries + 1))
	[ "$tries" -lt 50 ] || fail "the namespace of pid $third did not get its leak"
	sleep 0.1
done
"$NMR" --pid "$third" --store-dir "$work/store" --tmp-dir "$work/private-tmp" --state-dir "$work/state" \
	--min-age 1h --dry-run --json > "$work/other.json" 2> "$work/other.err" ||
	fail "dry run on pid $third failed: $(cat "$work/other.err")"
reason=$(jq -r --arg target "$work/store/$hash-x" '.mounts[] | select(.target == $target) | .reason' "$work/other.json")
[ "$reason" = too-young ] || fail "dry run on pid $third gave reason '$reason', expected too-young"
grep -q "$work/store/$hash-x" "/proc/$third/mountinfo" || fail "a dry run on pid $third unmounted its leak"

# New leaks, copied into a second namespace: --reap-all-namespaces reaps
# them here and there, and leaves the first namespace's copies, which are
# no copies of a leak here any more.
make_leaks 2123456789abcdfghijklmnpqrsvwxyz 3123456789abcdfghijklmnpqrsvwxyz
second=$(start_holder)
work_pids="$work_pids $second"
wait_for_namespace "$second"

nmr --reap-all-namespaces > "$work/out" 2> "$work/err" || fail "--reap-all-namespaces failed: $(cat "$work/err")"
[ "$(count_copies $$)" -eq 0 ] || fail "new leaks are left in the caller's namespace"
[ "$(count_copies "$second")" -eq 0 ] || fail "copies are left in the namespace of pid $second"
[ "$(count_copies "$first")" -eq 2 ] || fail "the run reached a namespace that holds no copy of a current leak"
grep -q "in the mount namespace of pid $second: reaped 2 of 2 leaked mounts" "$work/err" ||
	fail "no summary for the other namespace: $(cat "$work/err")"
echo "listed and reaped the copies in the namespace of pid $second only"
