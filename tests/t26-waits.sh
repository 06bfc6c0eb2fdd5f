#!/bin/sh
# Waiting and side effects: --wait waits its full time for a collection and
# for another reaper, a shared lock on gc.lock is no collection, and a dry
# run writes no first-seen record.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd flock
enter_private_ns "$@"
make_work_dir t26

mkdir "$work/store" "$work/tmp" "$work/state"
hash=0123456789abcdfghijklmnpqrsvwxyz
mkdir "$work/store/$hash-x"
copy=$(mktemp -d "$work/tmp/$hash-x.patched.XXXXXX")
mount --bind "$copy" "$work/store/$hash-x" || fail "mount --bind failed"

nmr() {
	"$NMR" --pid $$ --store-dir "$work/store" --tmp-dir "$work/tmp" --state-dir "$work/state" \
		--min-age 0 --lock-file "$work/lock" -q "$@"
}

# Hold FILE with flock MODE (-x or -s) in the background.  The shell takes
# the lock on its own descriptor and then becomes the sleep, so killing $!
# releases the lock; killing a plain 'flock FILE sleep' would leave its child
# holding it.
hold_lock() {
	sh -c 'exec 9>> "$2" && flock "$1" 9 && exec sleep 60' sh "$1" "$2" &
	work_pids="$work_pids $!"
	tries=0
	until grep -q "$(stat -c %i "$2")" /proc/locks 2> /dev/null; do
		tries=$((tries + 1))
		[ "$tries" -lt 50 ] || fail "flock $1 $2 did not take the lock"
		sleep 0.1
	done
}

release_locks() {
	for pid in $work_pids; do
		kill "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	work_pids=
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Run nmr with the given options, and set status and elapsed (milliseconds).
timed_nmr() {
	start=$(now_ms)
	nmr "$@" 2> "$work/err"
	status=$?
	elapsed=$(($(now_ms) - start))
}

: > "$work/state/gc.lock"
hold_lock -x "$work/state/gc.lock"
timed_nmr --dry-run --wait 2
[ "$status" -eq 3 ] || fail "a held gc.lock gave status $status, expected 3"
[ "$elapsed" -ge 2000 ] || fail "--wait 2 gave up after $elapsed ms"
grep -q "did not end within --wait" "$work/err" || fail "unexpected message: $(cat "$work/err")"
release_locks

hold_lock -s "$work/state/gc.lock"
nmr --dry-run --state-file "$work/seen-dry" 2> "$work/err" ||
	fail "a shared lock on gc.lock stopped the run: $(cat "$work/err")"
[ ! -e "$work/seen-dry" ] || fail "a dry run wrote the first-seen record"
release_locks

: > "$work/lock"
hold_lock -x "$work/lock"
timed_nmr --wait 1 --state-file "$work/seen"
[ "$status" -eq 4 ] || fail "a held lock file gave status $status, expected 4"
[ "$elapsed" -ge 1000 ] || fail "--wait 1 gave up after $elapsed ms"
grep -q "was not released within --wait" "$work/err" || fail "unexpected message: $(cat "$work/err")"
# /proc/locks names the flock process that took the lock, which has exited.
grep -Eq "pid [0-9]+ \(exited\) holds $work/lock" "$work/err" ||
	fail "the message does not name the process that took the lock: $(cat "$work/err")"
grep -q "$work/store/$hash-x" /proc/self/mountinfo || fail "the leak was unmounted while another reaper held the lock"
release_locks

# The lock file is released after about 1.5 s while gc.lock stays held.
# With one deadline the run gives up on the collection at 2 s; with a
# deadline per wait it would take about 3.5 s.
hold_lock -x "$work/state/gc.lock"
gc_holder=$work_pids
hold_lock -x "$work/lock"
lock_holder=${work_pids#"$gc_holder "}
(sleep 1.5; kill "$lock_holder") &
timed_nmr --wait 2 --state-file "$work/seen"
[ "$status" -eq 3 ] || fail "gc.lock held after the lock file was released gave status $status, expected 3"
[ "$elapsed" -lt 3000 ] || fail "--wait 2 over both locks took $elapsed ms; the waits add up"
release_locks

nmr --state-file "$work/seen" || fail "the run after the lock was released failed"
grep -q "$work/store/$hash-x" /proc/self/mountinfo && fail "the leak is still mounted after a free run"
echo "waits are honoured, shared gc.lock ignored, dry run writes nothing"
