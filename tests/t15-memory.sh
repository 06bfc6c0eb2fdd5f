#!/bin/sh
# Run the unit tests and the binary under AddressSanitizer, UndefinedBehavior-
# Sanitizer and valgrind: every fixture through every output mode, and a real
# run that unmounts leaks in a private mount namespace.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

asan_nmr=$TESTS/../nix-mount-reap-asan
asan_unit=$TESTS/unit-asan
[ -x "$asan_nmr" ] && [ -x "$asan_unit" ] || fail "sanitizer builds missing; run 'make check'"
require_cmd valgrind

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
status_of_memory_error=99

make_work_dir t15

mkdir "$work/proc" "$work/state"
: > "$work/proc/locks"

# Run a command and fail on the memory checkers' exit status, 99.
checked() {
	"$@" > "$work/out" 2> "$work/err"
	status=$?
	if [ "$status" -eq "$status_of_memory_error" ]; then
		cat "$work/err" >&2
		fail "memory error in: $*"
	fi
	return 0
}

valgrind_nmr() {
	checked valgrind -q --error-exitcode=$status_of_memory_error --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$@"
}

if [ -z "${NMR_OUTER_NS:-}" ]; then
	checked "$asan_unit"
	grep -q ", 0 failed" "$work/out" || fail "sanitized unit tests failed: $(cat "$work/out")"
	valgrind_nmr "$TESTS/unit"

	for mountinfo in "$TESTS"/fixtures/*.mountinfo; do
		common="--mountinfo $mountinfo --min-age 0 --state-dir $work/state --proc-dir $work/proc"
		# shellcheck disable=SC2086
		{
			checked "$asan_nmr" $common --json
			checked "$asan_nmr" $common -v
			checked "$asan_nmr" $common --explain 1842
			checked "$asan_nmr" $common --min-age 1h
			valgrind_nmr "$NMR" $common --json
		}
	done
	echo "fixtures: no memory errors"
fi

# The real unmount path needs a private namespace, and root to make one.
[ "$(id -u)" -eq 0 ] || skip "fixtures checked; the unmount path needs root"
if [ -z "${NMR_OUTER_NS:-}" ]; then
	# The script runs again in the namespace with a work directory of its own.
	remove_work_dir
	trap - EXIT
fi
enter_private_ns "$@"

hash=0123456789abcdfghijklmnpqrsvwxyz
mkdir "$work/store" "$work/tmp"
for name in a b c; do
	mkdir "$work/store/$hash-$name"
	copy=$(mktemp -d "$work/tmp/$hash-$name.patched.XXXXXX")
	mount --bind "$copy" "$work/store/$hash-$name" || fail "mount --bind failed"
	hash=1${hash#?}
	[ "$name" = b ] && hash=2${hash#?}
done

common="--pid $$ --store-dir $work/store --tmp-dir $work/tmp --state-dir $work/state --min-age 0 --lock-file $work/lock"
# shellcheck disable=SC2086
valgrind_nmr "$NMR" $common --state-file "$work/seen1" --dry-run -v
# shellcheck disable=SC2086
checked "$asan_nmr" $common --state-file "$work/seen2" --json
grep -c '"result": "unmounted"' "$work/out" | grep -qx 3 || fail "the sanitized real run did not unmount 3 leaks"
echo "real run: no memory errors"
