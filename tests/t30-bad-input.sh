#!/bin/sh
# Feed nix-mount-reap bad input and check each run: its exit status, a clear
# message on stderr, and an unchanged mount table.  The runs happen in a
# private mount namespace that contains one real leak, so a run that wrongly
# went ahead would unmount it.  Runs without --dry-run target this shell
# (--pid $$) only.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd jq mount umount
[ -x "$NMR" ] || fail "binary $NMR not found; run make first"
enter_private_ns "$@"

make_work_dir t30

# --- One real leak ------------------------------------------------------------

# The unprivileged runs below must reach the binary and these directories.
chmod 755 "$work" || fail "cannot chmod $work"
store=$work/store
tmp=$work/tmp
state=$work/state
unprivileged=$work/unprivileged
mkdir "$store" "$tmp" "$state" "$unprivileged" || fail "cannot create the directories in $work"

hash=$(od -An -N32 -tu1 /dev/urandom | awk '
	BEGIN { alphabet = "0123456789abcdfghijklmnpqrsvwxyz" }
	{ for (i = 1; i <= NF; i++) hash = hash substr(alphabet, $i % 32 + 1, 1) }
	END { print hash }')
path=$store/$hash-pnpm-install
mkdir "$path" || fail "setup: cannot create $path"
echo content > "$path/file" || fail "setup: cannot write $path/file"
copy=$(mktemp -d "$tmp/$hash-pnpm-install.patched.XXXXXX") || fail "setup: mktemp failed"
cp -R "$path/." "$copy/" || fail "setup: cannot copy $path to $copy"
mount --bind "$copy" "$path" || fail "setup: mount --bind $copy $path failed"
leak_id=$(awk -v target="$path" '$5 == target { id = $1 } END { print id }' /proc/self/mountinfo)
[ -n "$leak_id" ] || fail "setup: the bind mount on $path is not in /proc/self/mountinfo"

# Options that point the tool at the files of this test only.  Every run adds
# --pid $$ or --dry-run itself.
set -- --store-dir "$store" --state-dir "$state" --tmp-dir "$tmp" \
	--state-file "$work/seen" --lock-file "$work/lock"

cat /proc/self/mountinfo > "$work/mountinfo-before"

# The leak must be one the tool reaps, or the unchanged-table checks prove
# nothing.
"$NMR" --pid $$ --dry-run --json --min-age 0 "$@" > "$work/precheck.json" 2> "$work/precheck.err" ||
	fail "precheck: dry run exited $?; stderr: $(head -n 5 "$work/precheck.err")"
reap_ids < "$work/precheck.json" | grep -qx "$leak_id" ||
	fail "precheck: dry run does not mark the leak (mount $leak_id) for reaping"

# --- Helpers ------------------------------------------------------------------

failures=0

check_failed() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Compare the mount table with the one saved before the first run.  The table
# is copied to a file first, because cmp -s takes the st_size of 0 that
# /proc/self/mountinfo reports as a difference.
check_table_unchanged() {
	cat /proc/self/mountinfo > "$work/mountinfo-now"
	cmp -s "$work/mountinfo-before" "$work/mountinfo-now" && return
	if awk -v id="$leak_id" '$1 == id { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		check_failed "$1: /proc/self/mountinfo changed"
	else
		check_failed "$1: the leak (mount $leak_id) was unmounted"
	fi
	fail "$failures check(s) failed; the later cases were not run because the mount table changed"
}

# Run a command that must fail: expect_error CASE STATUS PATTERN COMMAND...
# PATTERN is an extended regular expression, matched without regard to case,
# that the message on stderr must contain.
expect_error() {
	case_name=$1
	want_status=$2
	pattern=$3
	shift 3
	"$@" > "$work/out" 2> "$work/err"
	status=$?
	[ "$status" -eq "$want_status" ] ||
		check_failed "$case_name: exit status $status, expected $want_status; stderr: $(head -n 3 "$work/err")"
	grep -Eiq -e "$pattern" "$work/err" ||
		check_failed "$case_name: stderr does not match /$pattern/: $(head -n 3 "$work/err")"
	grep -q '^nix-mount-reap: ' "$work/err" ||
		check_failed "$case_name: no stderr line starts with 'nix-mount-reap: ': $(head -n 3 "$work/err")"
	check_table_unchanged "$case_name"
}

# Run a command that must print to stdout and exit 0: expect_output CASE
# PATTERN COMMAND...
expect_output() {
	case_name=$1
	pattern=$2
	shift 2
	"$@" > "$work/out" 2> "$work/err"
	status=$?
	[ "$status" -eq 0 ] ||
		check_failed "$case_name: exit status $status, expected 0; stderr: $(head -n 3 "$work/err")"
	grep -Eq -e "$pattern" "$work/out" ||
		check_failed "$case_name: stdout does not match /$pattern/: $(head -n 3 "$work/out")"
	[ ! -s "$work/err" ] ||
		check_failed "$case_name: unexpected stderr: $(head -n 3 "$work/err")"
	check_table_unchanged "$case_name"
}

# --- Bad --mountinfo files ----------------------------------------------------

expect_error "missing --mountinfo file" 2 'no such file|not found|does not exist' \
	"$NMR" --mountinfo "$work/no-such-file" --dry-run --min-age 0 "$@"

expect_error "directory as --mountinfo" 2 'directory' \
	"$NMR" --mountinfo "$state" --dry-run --min-age 0 "$@"

expect_error "device as --mountinfo" 2 'not a regular file' \
	"$NMR" --mountinfo /dev/null --dry-run --min-age 0 "$@"

: > "$work/empty-table"
expect_error "empty --mountinfo file" 2 'empty' \
	"$NMR" --mountinfo "$work/empty-table" --dry-run --min-age 0 "$@"

# Root reads a mode-000 file anyway, so an unprivileged user runs this case.
cat /proc/self/mountinfo > "$work/unreadable" || fail "setup: cannot copy the mount table"
chmod 000 "$work/unreadable" || fail "setup: cannot chmod $work/unreadable"
chown nobody "$unprivileged" || fail "setup: cannot chown $unprivileged to nobody"

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

unprivileged_runs=yes
if ! command -v setpriv > /dev/null 2>&1; then
	echo "note: setpriv is not installed; unprivileged cases skipped"
	unprivileged_runs=no
elif ! as_nobody test -x "$NMR"; then
	echo "note: user nobody cannot run $NMR; unprivileged cases skipped"
	unprivileged_runs=no
fi

if [ "$unprivileged_runs" = no ]; then
	:
elif as_nobody test -r "$work/unreadable"; then
	echo "note: user nobody can read a mode-000 file; unreadable --mountinfo case skipped"
else
	expect_error "unreadable --mountinfo file" 2 'permission denied|unreadable|not readable' \
		as_nobody "$NMR" --mountinfo "$work/unreadable" --dry-run --min-age 0 \
		--store-dir "$store" --state-dir "$state" --tmp-dir "$tmp" \
		--state-file "$unprivileged/seen" --lock-file "$unprivileged/lock"
fi

# --- Bad options --------------------------------------------------------------

# Real runs against this shell: a tool that ignored the error would reap the
# leak, which check_table_unchanged would catch.
expect_error "unknown option" 2 'no-such-option' \
	"$NMR" --pid $$ --min-age 0 --no-such-option "$@"

for age in 10x -1 ''; do
	expect_error "--min-age '$age'" 2 'age' \
		"$NMR" --pid $$ --min-age "$age" "$@"
done

# A bad PID must never fall back to PID 1, so these runs keep --dry-run.
for pid in 0 -3 abc; do
	expect_error "--pid '$pid'" 2 'pid' \
		"$NMR" --pid "$pid" --dry-run --min-age 0 "$@"
done

sh -c 'exit 0' &
dead_pid=$!
wait "$dead_pid"
if kill -0 "$dead_pid" 2> /dev/null; then
	echo "note: PID $dead_pid was reused at once; nonexistent --pid case skipped"
else
	expect_error "--pid of an exited process" 2 "$dead_pid" \
		"$NMR" --pid "$dead_pid" --dry-run --min-age 0 "$@"
fi

# --- Missing privilege --------------------------------------------------------

if [ "$unprivileged_runs" = yes ]; then
	expect_error "real run without privilege" 2 'privilege|root|CAP_SYS_ADMIN|capabilit' \
		as_nobody "$NMR" --pid $$ --min-age 0 \
		--store-dir "$store" --state-dir "$state" --tmp-dir "$tmp" \
		--state-file "$unprivileged/seen" --lock-file "$unprivileged/lock"
fi

# --- Help and version ---------------------------------------------------------

expect_output "--help" '--dry-run' "$NMR" --help
expect_output "-h" '--dry-run' "$NMR" -h
expect_output "--version" 'nix-mount-reap.*[0-9]' "$NMR" --version
expect_output "-V" 'nix-mount-reap.*[0-9]' "$NMR" -V

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "all bad-input checks passed"
