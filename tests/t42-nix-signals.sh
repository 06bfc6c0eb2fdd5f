#!/bin/sh
# Each sign that a leaked mount may still belong to a live build keeps it,
# with the matching reason, and the same mount is reaped once the sign is
# gone.  Also: a running garbage collection, a locked store database, two
# reapers at once, a target in another mount namespace and the first-seen
# record of the state file.
set -u
TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"
. "$TESTS/nixlib.sh"

enter_private_ns "$@"
require_nix
require_cmd jq sqlite3 flock mkfifo
start_work t42
use_private_nix

is_sleeping() {
	[ "$(cat "/proc/$1/comm" 2> /dev/null)" = sleep ]
}

# A process whose cwd is inside a leak, and one with a file inside another
# leak open, keep both leaks (in-use) until they end.
check_in_use() {
	echo "case: in-use"
	make_fake_store in-use
	make_fake_leak cwd-holder
	cwd_leak=$FAKE_PATH
	make_fake_leak fd-holder
	fd_leak=$FAKE_PATH

	start_bg sh -c 'cd "$1" && exec sleep 120' sh "$cwd_leak/sub"
	cwd_pid=$BG_PID
	start_bg sh -c 'exec 3< "$1" && exec sleep 120' sh "$fd_leak/file"
	fd_pid=$BG_PID
	wait_until 10 is_sleeping "$cwd_pid" || fail "the process in $cwd_leak/sub did not start"
	wait_until 10 is_sleeping "$fd_pid" || fail "the process holding $fd_leak/file did not start"
	[ -e "/proc/$fd_pid/fd/3" ] || fail "test setup: process $fd_pid has no descriptor 3"

	reap_case "$CASE_DIR/held.json" "$CASE_DIR/held.err" --json --pid $$ --min-age 0
	expect_exit 0 "$CASE_DIR/held.err"
	expect_judgement "$CASE_DIR/held.json" "$cwd_leak" keep in-use
	expect_holder "$CASE_DIR/held.json" "$cwd_leak" "$cwd_pid"
	expect_judgement "$CASE_DIR/held.json" "$fd_leak" keep in-use
	expect_holder "$CASE_DIR/held.json" "$fd_leak" "$fd_pid"
	expect_mounted "$cwd_leak"
	expect_mounted "$fd_leak"

	stop_bg "$cwd_pid"
	stop_bg "$fd_pid"
	reap_case "$CASE_DIR/released.json" "$CASE_DIR/released.err" --json --pid $$ --min-age 0
	expect_exit 0 "$CASE_DIR/released.err"
	for leak in "$cwd_leak" "$fd_leak"; do
		expect_judgement "$CASE_DIR/released.json" "$leak" reap stale
		expect_result "$CASE_DIR/released.json" "$leak" unmounted
		expect_unmounted "$leak"
	done
}

# A locked temproots/<pid> file that lists a leak keeps it (temp-root), and a
# locked active-builds/<pid>-<n> file that names a leaked .drv keeps that
# (active-build).  The same files without a lock holder keep nothing.
check_temp_root_and_active_build() {
	echo "case: temp-root and active-build"
	make_fake_store roots
	make_fake_leak temp-rooted
	rooted_leak=$FAKE_PATH
	make_fake_leak building.drv file
	building_leak=$FAKE_PATH

	hold_temp_roots "$STATE" "$STORE/$(random_hashes 1)-other" "$rooted_leak"
	roots_pid=$BG_PID
	roots_file=$HELD_FILE
	hold_active_build "$STATE" "${building_leak##*/}"
	build_pid=$BG_PID
	build_file=$HELD_FILE

	reap_case "$CASE_DIR/held.json" "$CASE_DIR/held.err" --json --pid $$ --min-age 0
	expect_exit 0 "$CASE_DIR/held.err"
	expect_judgement "$CASE_DIR/held.json" "$rooted_leak" keep temp-root
	expect_judgement "$CASE_DIR/held.json" "$building_leak" keep active-build
	expect_mounted "$rooted_leak"
	expect_mounted "$building_leak"

	stop_bg "$roots_pid"
	stop_bg "$build_pid"
	[ -e "$roots_file" ] || fail "test setup: $roots_file disappeared with its process"
	[ -e "$build_file" ] || fail "test setup: $build_file disappeared with its process"
	reap_case "$CASE_DIR/unlocked.json" "$CASE_DIR/unlocked.err" --json --pid $$ --min-age 0
	expect_exit 0 "$CASE_DIR/unlocked.err"
	for leak in "$rooted_leak" "$building_leak"; do
		expect_judgement "$CASE_DIR/unlocked.json" "$leak" reap stale
		expect_result "$CASE_DIR/unlocked.json" "$leak" unmounted
		expect_unmounted "$leak"
	done
}

# While gc.lock is held, nothing is reaped and the exit status is 3.  With
# --wait 2 the run waits for the lock and then reaps.
check_gc_lock() {
	echo "case: gc.lock"
	make_fake_store gc-lock
	make_fake_leak during-gc
	gc_leak=$FAKE_PATH

	hold_flock "$STATE/gc.lock" 120
	gc_pid=$BG_PID
	reap_case "$CASE_DIR/busy.json" "$CASE_DIR/busy.err" --json --pid $$ --min-age 0
	expect_exit 3 "$CASE_DIR/busy.err"
	grep -qi 'garbage collect' "$CASE_DIR/busy.err" ||
		fail "the message for a held gc.lock does not mention the garbage collection: $(cat "$CASE_DIR/busy.err")"
	expect_mounted "$gc_leak"

	# reap_case is a shell function, so it runs in a subshell that exits with
	# the tool's status.  start_bg takes only external commands, so the
	# subshell's PID is recorded here.
	(
		reap_case "$CASE_DIR/waited.json" "$CASE_DIR/waited.err" --json --pid $$ --min-age 0 --wait 2
		exit "$NMR_STATUS"
	) &
	reaper_pid=$!
	echo "$reaper_pid" >> "$WORK/pids"
	sleep 1
	kill -0 "$reaper_pid" 2> /dev/null ||
		fail "nix-mount-reap --wait 2 ended within 1 s while gc.lock was held: $(cat "$CASE_DIR/waited.err")"
	stop_bg "$gc_pid"
	wait_bg "$reaper_pid"
	NMR_STATUS=$BG_STATUS
	expect_exit 0 "$CASE_DIR/waited.err"
	expect_judgement "$CASE_DIR/waited.json" "$gc_leak" reap stale
	expect_unmounted "$gc_leak"
}

# A writer holding the store database in exclusive locking mode blocks every
# reader.  A leaked .drv, whose outputs only the database can tell, is then
# kept as db-unknown, and the busy wait ends after --db-timeout.
check_db_locked() {
	echo "case: locked store database"
	make_fake_store db-lock
	: > "$CASE_DIR/drvs"
	make_drv_paths 1 db-lock "$CASE_DIR/drvs"
	drv=$(cat "$CASE_DIR/drvs")
	STORE=/nix/store
	rm -f "$STATE/db/"*
	for file in /nix/var/nix/db/schema /nix/var/nix/db/db.sqlite /nix/var/nix/db/db.sqlite-wal; do
		if [ -e "$file" ]; then
			cp "$file" "$STATE/db/" || fail "copying $file failed"
		fi
	done
	db=$STATE/db/db.sqlite
	outputs=$(sqlite3 -readonly "$db" "SELECT count(*) FROM DerivationOutputs JOIN ValidPaths
		ON DerivationOutputs.drv = ValidPaths.id WHERE ValidPaths.path = '$drv'")
	[ "$outputs" = 1 ] || fail "test setup: the copied database lists $outputs outputs of $drv, expected 1"
	leak_mount "$drv" "$LEAK_TMP"

	# sqlite3 reads its commands from a FIFO that this shell keeps open on
	# descriptor 8, so its write transaction stays open until the FIFO closes.
	mkfifo "$CASE_DIR/sql"
	sqlite3 "$db" < "$CASE_DIR/sql" > "$CASE_DIR/sql.log" 2>&1 &
	sql_pid=$!
	echo "$sql_pid" >> "$WORK/pids"
	exec 8> "$CASE_DIR/sql"
	printf '%s\n' 'PRAGMA journal_mode=WAL;' 'PRAGMA locking_mode=EXCLUSIVE;' 'BEGIN;' \
		"INSERT INTO ValidPaths (path, hash, registrationTime) VALUES ('$STORE/$(random_hashes 1)-lock-holder', 'sha256:0', 0);" \
		'.print locked' >&8
	wait_until 10 grep -qx locked "$CASE_DIR/sql.log" ||
		fail "test setup: sqlite3 did not lock the database: $(cat "$CASE_DIR/sql.log")"
	! sqlite3 -readonly -cmd '.timeout 100' "$db" 'SELECT count(*) FROM ValidPaths' > /dev/null 2>&1 ||
		fail "test setup: the locked database still answers readers"

	start=$(now_ms)
	reap_case "$CASE_DIR/locked.json" "$CASE_DIR/locked.err" --json --pid $$ --min-age 0 --db-timeout 2
	elapsed=$(($(now_ms) - start))
	expect_exit 0 "$CASE_DIR/locked.err"
	expect_judgement "$CASE_DIR/locked.json" "$drv" keep db-unknown
	expect_holder "$CASE_DIR/locked.json" "$drv" "$sql_pid"
	expect_mounted "$drv"
	echo "the run on the locked database took $elapsed ms"
	[ "$elapsed" -le 3500 ] ||
		fail "the run took $elapsed ms on a locked database with --db-timeout 2, expected at most 3500 ms"

	exec 8>&-
	wait_bg "$sql_pid"
	reap_case "$CASE_DIR/unlocked.json" "$CASE_DIR/unlocked.err" --json --pid $$ --min-age 0 --db-timeout 2
	expect_exit 0 "$CASE_DIR/unlocked.err"
	expect_judgement "$CASE_DIR/unlocked.json" "$drv" reap stale
	expect_result "$CASE_DIR/unlocked.json" "$drv" unmounted
	expect_unmounted "$drv"
}

# Two reapers started together on 1,000 leaks: one takes the lock file and
# reaps, the other waits for it and finds nothing left.  Together they
# unmount every leak exactly once.
check_two_reapers() {
	echo "case: two reapers"
	make_fake_store two-reapers
	: > "$CASE_DIR/targets"
	i=0
	random_hashes 1000 > "$CASE_DIR/hashes"
	while read -r hash; do
		target=$STORE/$hash-nmr-many-$i
		mkdir "$target" || fail "mkdir $target failed"
		leak_mount "$target" "$LEAK_TMP"
		echo "$target" >> "$CASE_DIR/targets"
		i=$((i + 1))
	done < "$CASE_DIR/hashes"

	for reaper in first second; do
		(
			reap_case "$CASE_DIR/$reaper.json" "$CASE_DIR/$reaper.err" --json --pid $$ --min-age 0 --wait 30
			exit "$NMR_STATUS"
		) &
		echo "$!" > "$CASE_DIR/$reaper.pid"
		echo "$!" >> "$WORK/pids"
	done
	for reaper in first second; do
		wait_bg "$(cat "$CASE_DIR/$reaper.pid")"
		NMR_STATUS=$BG_STATUS
		expect_exit 0 "$CASE_DIR/$reaper.err"
	done

	for reaper in first second; do
		echo "the $reaper reaper unmounted $(jq '[.mounts[] | select(.result == "unmounted")] | length' \
			"$CASE_DIR/$reaper.json") leaks"
	done
	left=$(awk -v store="$STORE/" 'index($5, store) == 1' /proc/self/mountinfo | wc -l)
	[ "$left" -eq 0 ] || fail "$left of 1000 leaks are still mounted after both reapers"
	jq -r '.mounts[] | select(.result == "unmounted") | .target' \
		"$CASE_DIR/first.json" "$CASE_DIR/second.json" | sort > "$CASE_DIR/unmounted" ||
		fail "the reapers' JSON output is not valid"
	sort "$CASE_DIR/targets" > "$CASE_DIR/expected"
	twice=$(uniq -d "$CASE_DIR/unmounted" | wc -l)
	[ "$twice" -eq 0 ] || fail "$twice leaks are reported 'unmounted' by both reapers"
	missing=$(comm -23 "$CASE_DIR/expected" "$CASE_DIR/unmounted" | wc -l)
	[ "$missing" -eq 0 ] || fail "$missing leaks are reported 'unmounted' by neither reaper"
	extra=$(comm -13 "$CASE_DIR/expected" "$CASE_DIR/unmounted" | wc -l)
	[ "$extra" -eq 0 ] || fail "$extra mounts that are not leaks of this case are reported 'unmounted'"
}

# --pid of a process in a nested mount namespace reaps the leaks in that
# namespace and leaves the caller's namespace, leaks included, unchanged.
check_other_namespace() {
	echo "case: --pid in another mount namespace"
	make_fake_store other-ns
	: > "$CASE_DIR/pairs"
	: > "$CASE_DIR/nested"
	for kind in dir dir file; do
		make_fake_path "nested-$kind-$(wc -l < "$CASE_DIR/nested")" "$kind"
		make_leak_copy "$FAKE_PATH" "$LEAK_TMP"
		echo "$LEAK_COPY $FAKE_PATH" >> "$CASE_DIR/pairs"
		echo "$FAKE_PATH" >> "$CASE_DIR/nested"
	done

	start_bg unshare -m --propagation private sh -c '
		while read -r copy target; do
			mount --bind "$copy" "$target" || exit 1
		done < "$1"
		: > "$2"
		exec sleep 120' sh "$CASE_DIR/pairs" "$CASE_DIR/ready"
	nested_pid=$BG_PID
	nested_ready() {
		[ -e "$CASE_DIR/ready" ] || ! kill -0 "$nested_pid" 2> /dev/null
	}
	wait_until 10 nested_ready || fail "the nested namespace did not mount its leaks within 10 s"
	[ -e "$CASE_DIR/ready" ] || fail "the nested namespace failed to mount its leaks"
	[ "$(readlink "/proc/$nested_pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "test setup: process $nested_pid shares this shell's mount namespace"
	while read -r target; do
		expect_mounted "$target" "$nested_pid"
		! is_mounted "$target" || fail "test setup: $target is mounted in the caller's namespace too"
	done < "$CASE_DIR/nested"

	# Leaks made after the nested namespace split off exist only here.
	make_fake_leak caller-1
	caller_leak_1=$FAKE_PATH
	make_fake_leak caller-2
	caller_leak_2=$FAKE_PATH
	cat /proc/$$/mountinfo > "$CASE_DIR/mountinfo.before"

	reap_case "$CASE_DIR/nested.json" "$CASE_DIR/nested.err" --json --pid "$nested_pid" --min-age 0
	expect_exit 0 "$CASE_DIR/nested.err"
	while read -r target; do
		expect_judgement "$CASE_DIR/nested.json" "$target" reap stale
		expect_result "$CASE_DIR/nested.json" "$target" unmounted
		expect_unmounted "$target" "$nested_pid"
	done < "$CASE_DIR/nested"
	for target in "$caller_leak_1" "$caller_leak_2"; do
		count=$(mount_count "$CASE_DIR/nested.json" "$target") || exit 1
		[ "$count" -eq 0 ] ||
			fail "$target of the caller's namespace is listed in the run on process $nested_pid"
		expect_mounted "$target"
	done
	# Compare a copy, because cmp -s reports /proc files, whose size is 0, as different.
	cat /proc/$$/mountinfo > "$CASE_DIR/mountinfo.after"
	cmp -s "$CASE_DIR/mountinfo.before" "$CASE_DIR/mountinfo.after" ||
		fail "the caller's mount table changed during a run on another namespace"
	stop_bg "$nested_pid"
}

# On a ramfs, which records no birth time, the age of a leak comes from the
# first-seen record in the state file, not from the copy's ctime.
check_state_file() {
	echo "case: state file on ramfs"
	make_fake_store state-file ramfs
	make_fake_leak on-ramfs
	ramfs_leak=$FAKE_PATH
	copy=$LEAK_COPY
	[ "$(stat -c %W "$copy")" = 0 ] || fail "test setup: ramfs reports a birth time for $copy"

	reap_case "$CASE_DIR/first.json" "$CASE_DIR/first.err" --json --pid $$ --min-age 3s
	expect_exit 0 "$CASE_DIR/first.err"
	expect_judgement "$CASE_DIR/first.json" "$ramfs_leak" keep too-young
	expect_mounted "$ramfs_leak"
	[ -s "$SEEN_FILE" ] || fail "the state file $SEEN_FILE is empty after a run that kept a leak"

	sleep 4
	touch "$copy" || fail "touch $copy failed"
	chmod 0755 "$copy" || fail "chmod $copy failed"

	# Without the record, the fresh ctime makes the leak look young.
	SEEN_FILE=$CASE_DIR/seen-fresh
	reap_case "$CASE_DIR/fresh.json" "$CASE_DIR/fresh.err" --dry-run --json --pid $$ --min-age 3s
	SEEN_FILE=$CASE_DIR/seen
	expect_exit 0 "$CASE_DIR/fresh.err"
	action=$(mount_field "$CASE_DIR/fresh.json" "$ramfs_leak" action)
	reason=$(mount_field "$CASE_DIR/fresh.json" "$ramfs_leak" reason)
	[ "$action" = keep ] ||
		fail "$ramfs_leak: action is '$action' (reason '$reason') with an empty state file, expected 'keep'"
	case $reason in
	too-young | age-unknown) ;;
	*) fail "$ramfs_leak: reason is '$reason' with an empty state file, expected too-young or age-unknown" ;;
	esac

	reap_case "$CASE_DIR/second.json" "$CASE_DIR/second.err" --json --pid $$ --min-age 3s
	expect_exit 0 "$CASE_DIR/second.err"
	expect_judgement "$CASE_DIR/second.json" "$ramfs_leak" reap stale
	expect_result "$CASE_DIR/second.json" "$ramfs_leak" unmounted
	expect_unmounted "$ramfs_leak"
}

check_in_use
check_temp_root_and_active_build
check_gc_lock
check_db_locked
check_two_reapers
check_other_namespace
check_state_file

echo "every ownership signal keeps its leak"
