#!/bin/sh
# Judge every saved mount table in tests/fixtures/ with --mountinfo and compare
# the mounts chosen for reaping with the fixture's NAME.expected file.
#
# NAME.expected has one line per line of NAME.mountinfo, and its first word
# (reap or keep) is the contract.  The second word is a suggested reason code,
# and this script reads only the code "malformed:".  Those lines must come back
# with reason "malformed", and their fixture must exit with status 1.
# NAME.args adds options, one per line.  NAME.live lists store paths whose
# build is running, which a saved table cannot show, so for that fixture only
# the leaks of other paths are checked.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd jq
[ -x "$NMR" ] || fail "binary $NMR not found; run make first"

fixtures=$TESTS/fixtures
work=$(mktemp -d "${TMPDIR:-/tmp}/nmr-t10.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# An empty state directory (no database, no temporary roots, no gc.lock) and a
# proc directory whose only file is an empty locks file, so that no lock, open
# file or running build is seen.
mkdir "$work/state" "$work/proc" || fail "cannot create $work/state and $work/proc"
: > "$work/proc/locks" || fail "cannot create $work/proc/locks"

failures=0
fixture_count=0
malformed_count=0

check_failed() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Print the IDs of the mountinfo lines whose .expected line starts with "reap",
# sorted as comm(1) needs.  Lines whose target is listed in the file $3 (if
# given) are left out.
expected_reap_ids() {
	awk -v live_file="${3:-}" '
		BEGIN {
			if (live_file != "")
				while ((getline path < live_file) > 0)
					live[path] = 1
		}
		NR == FNR { action[FNR] = $1; next }
		action[FNR] == "reap" && !($5 in live) { print $1 }
	' "$1" "$2" | sort
}

# Print the line numbers that NAME.expected marks as malformed.
malformed_lines() {
	awk '$1 == "keep" && $2 == "malformed:" { print NR }' "$1"
}

check_fixture() {
	mountinfo=$1
	name=$(basename "$mountinfo" .mountinfo)
	expected=$fixtures/$name.expected
	run=$work/$name

	[ -f "$expected" ] || { check_failed "$name: $expected is missing"; return; }
	lines_mountinfo=$(wc -l < "$mountinfo")
	lines_expected=$(wc -l < "$expected")
	if [ "$lines_mountinfo" -ne "$lines_expected" ]; then
		check_failed "$name: $lines_mountinfo mountinfo lines but $lines_expected expected lines"
		return
	fi
	mkdir "$run" || fail "cannot create $run"

	set -- --mountinfo "$mountinfo" --dry-run --json --min-age 0 \
		--state-dir "$work/state" --proc-dir "$work/proc" \
		--state-file "$run/seen" --lock-file "$run/lock"
	if [ -f "$fixtures/$name.args" ]; then
		while IFS= read -r option || [ -n "$option" ]; do
			set -- "$@" "$option"
		done < "$fixtures/$name.args"
	fi

	"$NMR" "$@" > "$run/out.json" 2> "$run/err"
	status=$?

	malformed_lines "$expected" > "$run/malformed"
	if [ -s "$run/malformed" ]; then
		want_status=1
	else
		want_status=0
	fi
	if [ "$status" -ne "$want_status" ]; then
		check_failed "$name: exit status $status, expected $want_status; stderr: $(head -n 5 "$run/err")"
	fi

	if ! jq -e '.mounts | type == "array"' "$run/out.json" > /dev/null 2>&1; then
		check_failed "$name: stdout is not a JSON object with a mounts array"
		return
	fi
	reap_ids < "$run/out.json" | sort > "$run/got"

	if [ -f "$fixtures/$name.live" ]; then
		# The table decides only the leaks of paths without a running build,
		# and those must be reaped.
		expected_reap_ids "$expected" "$mountinfo" "$fixtures/$name.live" > "$run/want"
		[ -s "$run/want" ] || check_failed "$name: no leak outside $name.live to check"
		for id in $(cat "$run/want"); do
			grep -qx "$id" "$run/got" ||
				check_failed "$name: mount $id (no running build) is not reaped"
		done
	else
		expected_reap_ids "$expected" "$mountinfo" > "$run/want"
		for id in $(comm -23 "$run/want" "$run/got"); do
			check_failed "$name: mount $id is not reaped, but $name.expected says reap"
		done
		for id in $(comm -13 "$run/want" "$run/got"); do
			check_failed "$name: mount $id is reaped, but $name.expected says keep"
		done
	fi

	for line in $(cat "$run/malformed"); do
		malformed_count=$((malformed_count + 1))
		jq -e --argjson line "$line" \
			'any(.mounts[]; .line == $line and .reason == "malformed")' \
			"$run/out.json" > /dev/null ||
			check_failed "$name: malformed line $line has no JSON entry with reason \"malformed\" and line $line"
	done

	jq -r '.mounts[] | select(.reason == "malformed") | .line' "$run/out.json" > "$run/reported-malformed"
	for line in $(sort -u "$run/reported-malformed"); do
		grep -qx "$line" "$run/malformed" ||
			check_failed "$name: line $line is reported malformed, but $name.expected does not say so"
	done
}

for mountinfo in "$fixtures"/*.mountinfo; do
	[ -f "$mountinfo" ] || continue
	fixture_count=$((fixture_count + 1))
	check_fixture "$mountinfo"
done

# With a minimum age and no copy to time, the tree's reasons still show:
# a leak that will never be reaped must not read as merely too young.
reason_of() {
	"$NMR" --mountinfo "$fixtures/$1.mountinfo" --json --min-age 1h --state-dir "$work/state" \
		--proc-dir "$work/proc" 2> /dev/null | jq -r --argjson id "$2" '.mounts[] | select(.id == $id) | .reason'
}
reason=$(reason_of 18-foreign-child 750)
[ "$reason" = has-children ] || check_failed "18-foreign-child: mount 750 has reason '$reason', expected has-children"
reason=$(reason_of 06-stacked-foreign 650)
[ "$reason" = foreign-top ] || check_failed "06-stacked-foreign: mount 650 has reason '$reason', expected foreign-top"
reason=$(reason_of 18-foreign-child 752)
[ "$reason" = age-unknown ] || check_failed "18-foreign-child: mount 752 has reason '$reason', expected age-unknown"

[ "$fixture_count" -gt 0 ] || fail "no *.mountinfo file in $fixtures"
[ "$malformed_count" -gt 0 ] || fail "no fixture marks a line malformed, so the malformed checks did not run"
[ "$failures" -eq 0 ] || fail "$failures check(s) failed in $fixture_count fixtures"
echo "checked $fixture_count fixtures"
