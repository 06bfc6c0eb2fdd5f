#!/bin/sh
# --verbose lists every signal checked on each mount, and --explain prints the
# decision on one mount, found by mount ID or by path, with the same signals.
# A dry run also makes the check that comes right before an unmount.
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

enter_private_ns "$@"
make_work_dir t28

mkdir "$work/store" "$work/tmp" "$work/state"
hash=0123456789abcdfghijklmnpqrsvwxyz
target=$work/store/$hash-x
mkdir "$target"
copy=$(mktemp -d "$work/tmp/$hash-x.patched.XXXXXX")
mount --bind "$copy" "$target" || fail "mount --bind failed"
id=$(awk -v t="$target" '$5 == t { print $1 }' /proc/self/mountinfo)

nmr() {
	"$NMR" --pid $$ --store-dir "$work/store" --tmp-dir "$work/tmp" --state-dir "$work/state" \
		--state-file "$work/seen" --lock-file "$work/lock" --dry-run "$@"
}

nmr -v --min-age 1h > "$work/out" 2> "$work/err" || fail "the verbose run failed: $(cat "$work/err")"
for signal in "mount $id on $target: keep (too-young" "lock $target.lock: not held" \
	"temproots for $hash: none locked" "active builds: none names it" \
	"processes: none has a descriptor" "age: copy's birth time is"; do
	grep -qF "$signal" "$work/err" || fail "--verbose does not print '$signal': $(cat "$work/err")"
done

# A dry run goes as far as the check before the unmount and skips only umount2.
nmr -v --min-age 0 > "$work/out" 2> "$work/err" || fail "the verbose dry run failed: $(cat "$work/err")"
grep -qF "would umount2 $target (mount $id," "$work/err" ||
	fail "the dry run did not check mount $id before the unmount: $(cat "$work/err")"
grep -q "$target " /proc/self/mountinfo || fail "the dry run unmounted $target"

nmr --explain "$id" --min-age 0 > "$work/by-id" 2> "$work/err" || fail "--explain $id failed: $(cat "$work/err")"
grep -qF "mount $id on $target: reap (stale" "$work/by-id" || fail "--explain $id: $(cat "$work/by-id")"
grep -qF "root: $copy" "$work/by-id" || fail "--explain $id does not name the copy: $(cat "$work/by-id")"

nmr --explain "$target/" --min-age 0 > "$work/by-path" 2> "$work/err" ||
	fail "--explain by path failed: $(cat "$work/err")"
cmp -s "$work/by-id" "$work/by-path" || fail "--explain by path differs from --explain by ID"

nmr --explain "$work/store/nothing" > "$work/out" 2> "$work/err"
status=$?
[ "$status" -eq 2 ] || fail "--explain of an unknown mount exited $status, expected 2"
grep -q "no mount considered matches" "$work/err" || fail "unexpected message: $(cat "$work/err")"
echo "--verbose and --explain show every signal"
