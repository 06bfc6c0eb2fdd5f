#!/bin/sh
# Make real leaks, near-misses and ordinary mounts with bind mounts in a private
# mount namespace.  Run nix-mount-reap against this shell ($$), first with
# --dry-run and then for real, and check in /proc/self/mountinfo that exactly
# the stale leaks are gone.
#
# Layout, all inside one temporary directory:
#   store/        the store directory (--store-dir)
#   tmp/          a tmp directory on the same filesystem as the store (--tmp-dir)
#   tmpfs-tmp/    a tmp directory with a tmpfs mounted on it (--tmp-dir)
#   other-tmpfs/  a tmpfs that is no tmp directory
#   var-tmp/      a directory next to tmp/ that is no tmp directory
#   state/        an empty Nix state directory (--state-dir)
set -u

TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"

require_cmd jq mount umount
[ -x "$NMR" ] || fail "binary $NMR not found; run make first"
enter_private_ns "$@"

make_work_dir t20

store=$work/store
tmp=$work/tmp
tmpfs_tmp=$work/tmpfs-tmp
other_tmpfs=$work/other-tmpfs
var_tmp=$work/var-tmp
state=$work/state
mkdir "$store" "$tmp" "$tmpfs_tmp" "$other_tmpfs" "$var_tmp" "$state" ||
	fail "cannot create the directories in $work"
: > "$work/expected"

failures=0

check_failed() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# Print a random store hash: 32 characters of Nix's base-32 alphabet.
new_hash() {
	od -An -N32 -tu1 /dev/urandom | awk '
		BEGIN { alphabet = "0123456789abcdfghijklmnpqrsvwxyz" }
		{ for (i = 1; i <= NF; i++) hash = hash substr(alphabet, $i % 32 + 1, 1) }
		END { print hash }'
}

# Create the store directory $store/<hash>-NAME with a file and a
# subdirectory in it, and set path to it.
new_store_dir() {
	path=$store/$(new_hash)-$1
	mkdir -p "$path/cache" || fail "setup: cannot create $path"
	echo "content of $1" > "$path/file" || fail "setup: cannot write $path/file"
}

# Create the store file $store/<hash>-NAME (a .drv, say) and set path to it.
new_store_file() {
	path=$store/$(new_hash)-$1
	echo "Derive([])" > "$path" || fail "setup: cannot write $path"
}

mount_table_ids() {
	awk '{ print $1 }' /proc/self/mountinfo | sort
}

# Run a mount command and set new_id to the ID of the one mount it added.
mount_new() {
	mount_table_ids > "$work/ids-before-mount"
	"$@" || fail "setup: '$*' failed"
	mount_table_ids > "$work/ids-after-mount"
	new_id=$(comm -13 "$work/ids-before-mount" "$work/ids-after-mount")
	case $new_id in
	'' | *[!0-9]*) fail "setup: '$*' did not add exactly one mount (new IDs: $new_id)" ;;
	esac
}

# Copy the store path PATH into COPY_DIR/<hash>-<name>.patched.XXXXXX and
# bind-mount the copy over PATH, as an interrupted build leaves it.  Sets copy
# and new_id.
leak() {
	base=${1##*/}
	if [ -d "$1" ]; then
		copy=$(mktemp -d "$2/$base.patched.XXXXXX") || fail "setup: mktemp -d in $2 failed"
		cp -R "$1/." "$copy/" || fail "setup: cannot copy $1 to $copy"
	else
		copy=$(mktemp "$2/$base.patched.XXXXXX") || fail "setup: mktemp in $2 failed"
		cp "$1" "$copy" || fail "setup: cannot copy $1 to $copy"
	fi
	mount_new mount --bind "$copy" "$1"
}

# Print field N of the mountinfo line of mount ID.
mount_field() {
	awk -v id="$1" -v field="$2" '$1 == id { print $field }' /proc/self/mountinfo
}

# Record the decision the tool must make for mount ID: expect ID ACTION REASON
# LABEL.  REASON "-" leaves the reason unchecked.  LABEL names the case in
# messages.
expect() {
	echo "$1 $2 $3 $4" >> "$work/expected"
}

label_of() {
	awk -v id="$1" '$1 == id { print $4 }' "$work/expected"
}

# --- Leaks that must be reaped ------------------------------------------------

new_store_dir pnpm-install
leak "$path" "$tmp"
expect "$new_id" reap - dir-leak

new_store_dir yarn-offline-cache
leak "$path" "$tmp"
expect "$new_id" reap - second-dir-leak

new_store_file pnpm-install.drv
leak "$path" "$tmp"
expect "$new_id" reap - drv-file-leak

new_store_dir source
leak "$path" "$tmp"
rm -rf "$copy" || fail "setup: cannot remove $copy"
case $(mount_field "$new_id" 4) in
*//deleted) ;;
*) fail "setup: root of mount $new_id does not end in //deleted after removing $copy" ;;
esac
expect "$new_id" reap - deleted-dir-copy

new_store_file source.tar.gz.drv
leak "$path" "$tmp"
rm -f "$copy" || fail "setup: cannot remove $copy"
case $(mount_field "$new_id" 4) in
*//deleted) ;;
*) fail "setup: root of mount $new_id does not end in //deleted after removing $copy" ;;
esac
expect "$new_id" reap - deleted-drv-copy

new_store_dir gradle-deps
leak "$path" "$tmp"
stack_lower=$new_id
leak "$path" "$tmp"
stack_upper=$new_id
expect "$stack_lower" reap - stack-lower
expect "$stack_upper" reap - stack-upper

# --- Leaks that must be kept --------------------------------------------------

new_store_dir maven-repo
leak "$path" "$tmp"
expect "$new_id" keep foreign-top leak-under-foreign-bind
mkdir "$work/debug-maven-repo" || fail "setup: cannot create $work/debug-maven-repo"
mount_new mount --bind "$work/debug-maven-repo" "$path"
expect "$new_id" keep - foreign-bind-on-leak

new_store_dir node-modules
leak "$path" "$tmp"
expect "$new_id" keep has-children leak-with-child
mount_new mount -t tmpfs nmr-t20-child "$path/cache"
child_id=$new_id

# A copy with the right path, made in tmpfs-tmp/ before the tmpfs hides it:
# its root names the tmp directory, but on the wrong filesystem.
new_store_dir go-modules
leak "$path" "$tmpfs_tmp"
expect "$new_id" keep - copy-hidden-under-tmpfs

# --- Leaks on a tmpfs ---------------------------------------------------------

mount_new mount -t tmpfs nmr-t20-tmp "$tmpfs_tmp"
mount_new mount -t tmpfs nmr-t20-other "$other_tmpfs"

new_store_dir bun-deps
leak "$path" "$tmpfs_tmp"
case $(mount_field "$new_id" 4) in
"/${path##*/}.patched."*) ;;
*) fail "setup: root of mount $new_id is not relative to the tmpfs: $(mount_field "$new_id" 4)" ;;
esac
expect "$new_id" reap - dir-leak-on-tmpfs

new_store_file bun-deps.drv
leak "$path" "$tmpfs_tmp"
expect "$new_id" reap - drv-leak-on-tmpfs

# Same root shape as a copy in tmpfs-tmp/, but on another tmpfs.
new_store_dir composer-vendor
leak "$path" "$other_tmpfs"
expect "$new_id" keep - copy-on-other-tmpfs

# --- Near-misses and ordinary mounts in the store -----------------------------

new_store_dir cargo-vendor
leak "$path" "$var_tmp"
expect "$new_id" keep - copy-outside-tmp-dirs

new_store_dir plain-bind
mkdir "$work/plain-source" || fail "setup: cannot create $work/plain-source"
mount_new mount --bind "$work/plain-source" "$path"
expect "$new_id" keep - plain-bind-in-store

new_store_dir store-tmpfs
mount_new mount -t tmpfs nmr-t20-store "$path"
expect "$new_id" keep - tmpfs-in-store

# --- Checks -------------------------------------------------------------------

awk '$2 == "reap" { print $1 }' "$work/expected" | sort > "$work/want-reaped"

run_nmr() {
	"$NMR" --pid $$ --json --min-age 0 \
		--store-dir "$store" --state-dir "$state" \
		--tmp-dir "$tmp" --tmp-dir "$tmpfs_tmp" \
		--state-file "$work/seen" --lock-file "$work/lock" "$@"
}

# Compare the decisions in the JSON file $1 with $work/expected.  $2 names the
# run in messages.
check_decisions() {
	json=$1
	run=$2
	if ! jq -e '.mounts | type == "array"' "$json" > /dev/null 2>&1; then
		check_failed "$run: stdout is not a JSON object with a mounts array"
		return
	fi

	reap_ids < "$json" | sort > "$work/got-reaped"
	for id in $(comm -13 "$work/want-reaped" "$work/got-reaped"); do
		target=$(jq -r --argjson id "$id" 'first(.mounts[] | select(.id == $id) | .target)' "$json")
		label=$(label_of "$id")
		check_failed "$run: mount $id ${label:-at $target} is marked reap, expected keep"
	done

	while read -r id action reason label; do
		got_action=$(jq -r --argjson id "$id" 'first(.mounts[] | select(.id == $id) | .action) // "(missing)"' "$json")
		[ "$got_action" = "$action" ] ||
			check_failed "$run: $label (mount $id): action $got_action, expected $action"
		[ "$reason" = - ] && continue
		got_reason=$(jq -r --argjson id "$id" 'first(.mounts[] | select(.id == $id) | .reason) // "(missing)"' "$json")
		[ "$got_reason" = "$reason" ] ||
			check_failed "$run: $label (mount $id): reason $got_reason, expected $reason"
	done < "$work/expected"
}

cat /proc/self/mountinfo > "$work/mountinfo-before"
mount_table_ids > "$work/ids-before"
grep -qx "$child_id" "$work/ids-before" || fail "setup: child mount $child_id is missing"

# Dry run: same decisions, nothing unmounted.
run_nmr --dry-run > "$work/dry.json" 2> "$work/dry.err"
status=$?
[ "$status" -eq 0 ] ||
	check_failed "dry run exited $status, expected 0; stderr: $(head -n 5 "$work/dry.err")"
check_decisions "$work/dry.json" "dry run"
# cmp -s takes the st_size of 0 that /proc files report as a difference, so
# compare copies.
cat /proc/self/mountinfo > "$work/mountinfo-after-dry-run"
cmp -s "$work/mountinfo-before" "$work/mountinfo-after-dry-run" ||
	check_failed "dry run changed /proc/self/mountinfo"
[ "$failures" -eq 0 ] || fail "$failures check(s) of the dry run failed; real run skipped"

# Real run.
run_nmr > "$work/real.json" 2> "$work/real.err"
status=$?
[ "$status" -eq 0 ] ||
	check_failed "real run exited $status, expected 0; stderr: $(head -n 5 "$work/real.err")"
check_decisions "$work/real.json" "real run"

for id in $(cat "$work/want-reaped"); do
	result=$(jq -r --argjson id "$id" 'first(.mounts[] | select(.id == $id) | .result) // "(missing)"' "$work/real.json")
	[ "$result" = unmounted ] ||
		check_failed "real run: $(label_of "$id") (mount $id): result $result, expected unmounted"
done
# The lower mount of the stack can be unmounted only once the upper one is
# gone, and detaching the lower one first would take the upper one along
# (result "gone"), so both results "unmounted" show the order top first.

mount_table_ids > "$work/ids-after"
comm -23 "$work/ids-before" "$work/ids-after" > "$work/removed"
for id in $(comm -23 "$work/want-reaped" "$work/removed"); do
	check_failed "real run: $(label_of "$id") (mount $id) is still in /proc/self/mountinfo"
done
for id in $(comm -13 "$work/want-reaped" "$work/removed"); do
	label=$(label_of "$id")
	[ "$id" = "$child_id" ] && label=child-of-kept-leak
	check_failed "real run: mount $id ${label:-(not made by this test)} was removed, expected kept"
done
for id in $(comm -13 "$work/ids-before" "$work/ids-after"); do
	check_failed "real run: mount $id appeared in /proc/self/mountinfo"
done

[ "$failures" -eq 0 ] || fail "$failures check(s) failed"
echo "reaped $(wc -l < "$work/want-reaped") leaks, kept the other mounts"
