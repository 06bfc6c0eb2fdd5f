# Shared helpers for the test scripts; source it with ". "$TESTS/lib.sh"".
# NMR is the binary under test and TESTS this folder; tests/run sets both.

: "${TESTS:=$(cd "$(dirname "$0")" && pwd)}"
: "${NMR:=$TESTS/../nix-mount-reap}"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "$*"
	exit 77
}

# Check that a command exits with the expected status: expect_status N CMD...
expect_status() {
	want=$1
	shift
	"$@"
	got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to create mount namespaces"
}

require_cmd() {
	for cmd in "$@"; do
		command -v "$cmd" > /dev/null 2>&1 || skip "'$cmd' is not installed"
	done
}

# Re-run the calling script inside a new private mount namespace, once.
# Everything the script mounts after this call lives and dies with that
# namespace.  NMR_OUTER_NS records the caller's namespace so that the guard
# below can prove the script really left it.
enter_private_ns() {
	if [ -z "${NMR_OUTER_NS:-}" ]; then
		require_root
		require_cmd unshare
		NMR_OUTER_NS=$(readlink /proc/self/ns/mnt)
		export NMR_OUTER_NS
		exec unshare -m --propagation private sh "$0" "$@"
	fi
	assert_private_ns
}

# Stop the script unless it runs in a mount namespace of its own, so that no
# test can ever mount or unmount in the namespace it was started from.
assert_private_ns() {
	current=$(readlink /proc/self/ns/mnt)
	[ -n "${NMR_OUTER_NS:-}" ] || fail "NMR_OUTER_NS is not set"
	[ "$current" != "$NMR_OUTER_NS" ] || fail "still in the caller's mount namespace"
	if init_ns=$(readlink /proc/1/ns/mnt 2>/dev/null); then
		[ "$current" != "$init_ns" ] || fail "in the mount namespace of PID 1"
	fi
}

# Print the mount IDs that nix-mount-reap's JSON output marks for reaping,
# sorted, one per line.
reap_ids() {
	jq -r '.mounts[] | select(.action == "reap") | .id' | sort -n
}

# Create the scratch directory $work for test NAME and remove it on exit.
# Before that, end the processes listed in $work_pids and, in a private
# namespace only, detach every mount below $work, stacked ones included.
make_work_dir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/nmr-$1.XXXXXX") || fail "mktemp -d failed"
	work_pids=
	trap remove_work_dir EXIT
	trap 'exit 1' HUP INT TERM
}

remove_work_dir() {
	for pid in $work_pids; do
		kill "$pid" 2> /dev/null
	done
	if [ -n "${NMR_OUTER_NS:-}" ]; then
		pass=0
		while [ "$pass" -lt 10 ]; do
			targets=$(awk -v prefix="$work/" 'index($5, prefix) == 1 { print $5 }' /proc/self/mountinfo)
			[ -n "$targets" ] || break
			for target in $targets; do
				umount -l "$target" 2> /dev/null
			done
			pass=$((pass + 1))
		done
	fi
	rm -rf "$work"
}
