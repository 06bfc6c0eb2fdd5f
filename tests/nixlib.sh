# Helpers for tests that make leaked ".patched." bind mounts and run
# nix-mount-reap on them.  Source it after lib.sh, then call enter_private_ns
# and start_work before anything that mounts.
#
# A leak has the shape that interrupted Nix builds leave behind: a copy
# <tmpdir>/<hash>-<name>.patched.XXXXXX of a store path, bind-mounted over
# <store>/<hash>-<name>.  Tests build leaks either over a real Nix store
# (use_private_nix) or over a fake store of plain files (make_fake_store).
#
# POSIX sh has no local variables, so the variables that only one function
# uses start with an underscore.  Results for the caller are upper-case.

# Skip unless the Nix commands that the tests drive are installed.
require_nix() {
	require_cmd nix-store nix-instantiate nix-collect-garbage
}

# Nix commands that never contact a binary cache.  Builds run without a
# sandbox and as root, not as a nixbld user, because Nix (2.8, seen here)
# kills every process of the build user that it takes.  A private store does
# not share the lock files that keep other Nix processes off that user.
nix_store() {
	nix-store --option substituters '' --option sandbox false --option build-users-group '' "$@"
}

nix_instantiate() {
	nix-instantiate --option substituters '' "$@"
}

nix_collect_garbage() {
	nix-collect-garbage --option substituters '' "$@"
}

# Create the scratch directory WORK and install the cleanup that runs on exit.
# The helpers below append the background processes to stop to WORK/pids and
# the leak copies to delete to WORK/copies.
start_work() {
	assert_private_ns
	WORK=$(mktemp -d "/tmp/nmr-$1.XXXXXX") || fail "mktemp -d failed"
	: > "$WORK/pids"
	: > "$WORK/copies"
	trap cleanup_work EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# The tool's and Nix's defaults follow these variables, so unset them.
	unset NIX_STORE_DIR NIX_STATE_DIR NIX_REMOTE
}

# Stop the test's background processes, unmount what the test mounted and
# delete its files.  The namespace is private, so the unmounts reach nothing
# outside it.
cleanup_work() {
	_status=$?
	trap - EXIT HUP INT TERM
	for _pid in $(cat "$WORK/pids"); do
		if is_child "$_pid"; then
			stop_tree "$_pid"
		fi
	done
	for _pid in $(cat "$WORK/pids"); do
		wait "$_pid" 2> /dev/null
	done
	if [ "$(readlink /proc/self/ns/mnt)" != "${NMR_OUTER_NS:-}" ]; then
		awk -v work="$WORK" -v nix="$([ -d "$WORK/nix" ] && echo /nix)" '
			index($5, work "/") == 1 { print $5 }
			nix != "" && ($5 == nix || index($5, nix "/") == 1) { print $5 }
		' /proc/self/mountinfo | sort -r | while read -r _target; do
			umount -l "$_target" 2> /dev/null
		done
	fi
	while read -r _copy; do
		rm -rf "$_copy"
	done < "$WORK/copies"
	rm -rf "$WORK"
	exit "$_status"
}

# Hide the machine's /nix behind an empty directory, in this namespace only.
# Nix then creates a fresh store and database there, so the test's store
# paths and garbage collections never touch the machine's store, and the
# tool still finds them at its defaults /nix/store and /nix/var/nix.
use_private_nix() {
	assert_private_ns
	# Debian's nix-bin makes /nix when it installs; make it where that did not happen.
	[ -d /nix ] || mkdir /nix || skip "/nix does not exist and cannot be made"
	mkdir "$WORK/nix" || fail "mkdir $WORK/nix failed"
	mount --bind "$WORK/nix" /nix || fail "mount --bind $WORK/nix /nix failed"
}

# Add N directories to the Nix store with 'nix-store --add-fixed --recursive
# sha256' (what a fixed-output derivation produces) and append their store
# paths to FILE.  TAG makes the names unique: nmr-TAG-<i>.
make_fixed_paths() {
	_count=$1 _tag=$2 _list=$3
	_stage=$WORK/stage-$_tag
	mkdir "$_stage" || fail "mkdir $_stage failed"
	_i=0
	while [ "$_i" -lt "$_count" ]; do
		mkdir "$_stage/nmr-$_tag-$_i"
		echo "fixed $_tag $_i $$" > "$_stage/nmr-$_tag-$_i/file"
		_i=$((_i + 1))
	done
	(cd "$_stage" && nix_store --add-fixed --recursive sha256 ./*) \
		>> "$_list" 2> "$WORK/add-fixed.log" ||
		fail "nix-store --add-fixed failed: $(tail -n 5 "$WORK/add-fixed.log")"
}

# Instantiate N derivations and append their .drv paths to FILE.  Each builder
# would write a file to $out; nothing builds them.
make_drv_paths() {
	_count=$1 _tag=$2 _list=$3
	cat > "$WORK/drvs.nix" <<'EOF'
{ count, tag }:
builtins.genList (i: builtins.derivation {
  name = "nmr-${tag}-${toString i}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" "mkdir $out && echo $name > $out/file" ];
}) count
EOF
	nix_instantiate --arg count "$_count" --argstr tag "$_tag-$$" "$WORK/drvs.nix" \
		>> "$_list" 2> "$WORK/instantiate.log" ||
		fail "nix-instantiate failed: $(tail -n 5 "$WORK/instantiate.log")"
}

# Copy TARGET (a file or a directory) to DIR/<basename>.patched.XXXXXX and
# set LEAK_COPY to the copy.  Copies outside WORK are recorded for cleanup,
# because they outlive the namespace.
make_leak_copy() {
	_target=$1 _dir=$2
	_name=${_target##*/}
	if [ -d "$_target" ]; then
		LEAK_COPY=$(mktemp -d "$_dir/$_name.patched.XXXXXX") || fail "mktemp -d in $_dir failed"
	else
		LEAK_COPY=$(mktemp "$_dir/$_name.patched.XXXXXX") || fail "mktemp in $_dir failed"
	fi
	case $LEAK_COPY in
	"$WORK"/*) ;;
	*) echo "$LEAK_COPY" >> "$WORK/copies" ;;
	esac
	if [ -d "$_target" ]; then
		cp -Rp "$_target/." "$LEAK_COPY/" || fail "copying $_target to $LEAK_COPY failed"
	else
		cp -p "$_target" "$LEAK_COPY" || fail "copying $_target to $LEAK_COPY failed"
	fi
}

# Copy TARGET to DIR/<basename>.patched.XXXXXX and bind-mount the copy over
# TARGET.  Sets LEAK_COPY.
leak_mount() {
	make_leak_copy "$1" "$2"
	mount --bind "$LEAK_COPY" "$1" || fail "mount --bind $LEAK_COPY $1 failed"
}

# Print N random store hashes: 32 characters of Nix's base-32 alphabet, which
# is the digits and the lower-case letters except e, o, u and t.  Each
# character takes one byte of /dev/urandom modulo 32.
random_hashes() {
	od -An -v -tu1 -N $(($1 * 32)) /dev/urandom | awk '
		BEGIN { alphabet = "0123456789abcdfghijklmnpqrsvwxyz" }
		{
			for (i = 1; i <= NF; i++) {
				hash = hash substr(alphabet, $i % 32 + 1, 1)
				if (length(hash) == 32) {
					print hash
					hash = ""
				}
			}
		}'
}

# Create an empty store database in directory DIR with the tables that Nix
# (schema version 10) reads: ValidPaths, Refs and DerivationOutputs.
create_store_db() {
	require_cmd sqlite3
	sqlite3 "$1/db.sqlite" <<'EOF' > /dev/null || fail "creating the store database in $1 failed"
PRAGMA journal_mode = WAL;
CREATE TABLE ValidPaths (
	id integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	path text UNIQUE NOT NULL,
	hash text NOT NULL,
	registrationTime integer NOT NULL,
	deriver text,
	narSize integer,
	ultimate integer,
	sigs text,
	ca text
);
CREATE TABLE Refs (
	referrer integer NOT NULL,
	reference integer NOT NULL,
	PRIMARY KEY (referrer, reference),
	FOREIGN KEY (referrer) REFERENCES ValidPaths(id) ON DELETE CASCADE,
	FOREIGN KEY (reference) REFERENCES ValidPaths(id) ON DELETE RESTRICT
);
CREATE INDEX IndexReferrer ON Refs(referrer);
CREATE INDEX IndexReference ON Refs(reference);
CREATE TABLE DerivationOutputs (
	drv integer NOT NULL,
	id text NOT NULL,
	path text NOT NULL,
	PRIMARY KEY (drv, id),
	FOREIGN KEY (drv) REFERENCES ValidPaths(id) ON DELETE CASCADE
);
CREATE INDEX IndexDerivationOutputs ON DerivationOutputs(path);
EOF
	echo 10 > "$1/schema"
}

# Set up a fake store for test case NAME in WORK/NAME and set CASE_DIR,
# STORE, STATE, LEAK_TMP and SEEN_FILE.  STATE is a state directory with an
# empty store database, temproots/ and active-builds/.  LEAK_TMP, the tmp
# directory for the copies, is a fresh mount of FSTYPE (default tmpfs).
# SEEN_FILE is the --state-file.
make_fake_store() {
	CASE_DIR=$WORK/$1
	STORE=$CASE_DIR/store
	STATE=$CASE_DIR/state
	LEAK_TMP=$CASE_DIR/tmp
	SEEN_FILE=$CASE_DIR/seen
	mkdir -p "$STORE" "$STATE/db" "$STATE/temproots" "$STATE/active-builds" "$LEAK_TMP" ||
		fail "creating the fake store in $CASE_DIR failed"
	mount -t "${2:-tmpfs}" -o mode=1777 "nmr-test-$1" "$LEAK_TMP" ||
		fail "mounting a ${2:-tmpfs} on $LEAK_TMP failed"
	create_store_db "$STATE/db"
}

# Create a fake store path STORE/<random hash>-NAME and set FAKE_PATH to it.
# KIND "dir" (the default) makes a directory with a file and a subdirectory,
# like a build output.  KIND "file" makes a single file, like a .drv.
make_fake_path() {
	FAKE_PATH=$STORE/$(random_hashes 1)-$1
	if [ "${2:-dir}" = file ]; then
		echo "Derive([])" > "$FAKE_PATH" || fail "creating $FAKE_PATH failed"
	else
		mkdir -p "$FAKE_PATH/sub" || fail "creating $FAKE_PATH failed"
		echo "output of $1" > "$FAKE_PATH/file"
	fi
}

# Create a fake store path with make_fake_path NAME [KIND] and mount a leaked
# copy on LEAK_TMP over it.  Sets FAKE_PATH and LEAK_COPY.
make_fake_leak() {
	make_fake_path "$@"
	leak_mount "$FAKE_PATH" "$LEAK_TMP"
}

# Run nix-mount-reap on the current fake store case, with the case's state
# and lock files: reap_case OUT ERR ARGS...  Sets NMR_STATUS.
reap_case() {
	_out=$1 _err=$2
	shift 2
	"$NMR" --store-dir "$STORE" --state-dir "$STATE" --tmp-dir "$LEAK_TMP" \
		--state-file "$SEEN_FILE" --lock-file "$CASE_DIR/lock" "$@" > "$_out" 2> "$_err"
	NMR_STATUS=$?
}

# Fail unless the last nix-mount-reap run exited with status WANT.  The
# message quotes the end of ERR, the run's stderr.
expect_exit() {
	[ "$NMR_STATUS" -eq "$1" ] ||
		fail "nix-mount-reap exited $NMR_STATUS, expected $1; stderr: $(tail -n 5 "$2")"
}

# Print the JSON field FIELD of the entry for TARGET in the output FILE.
mount_field() {
	jq -r --arg target "$2" --arg field "$3" \
		'.mounts[] | select(.target == $target) | .[$field] // "null"' "$1"
}

# Print how many entries of the JSON output FILE have the target TARGET.
# Fail unless FILE contains exactly one JSON object with a "mounts" array.
mount_count() {
	jq -s --arg target "$2" '
		if length == 1 and (.[0].mounts | type) == "array"
		then [.[0].mounts[] | select(.target == $target)] | length
		else error("not one object with a mounts array") end' "$1" 2> /dev/null ||
		fail "$1 is not valid nix-mount-reap JSON output: $(head -c 200 "$1")"
}

# Fail unless the JSON output FILE lists TARGET exactly once, with ACTION
# (reap or keep) and REASON.
expect_judgement() {
	_file=$1 _target=$2 _action=$3 _reason=$4
	_count=$(mount_count "$_file" "$_target") || exit 1
	[ "$_count" -eq 1 ] || fail "$_target is listed $_count times in the output, expected once"
	_got=$(mount_field "$_file" "$_target" action)
	[ "$_got" = "$_action" ] ||
		fail "$_target: action is '$_got' (reason '$(mount_field "$_file" "$_target" reason)'), expected '$_action'"
	_got=$(mount_field "$_file" "$_target" reason)
	[ "$_got" = "$_reason" ] || fail "$_target: reason is '$_got', expected '$_reason'"
}

# Fail unless the holder of TARGET in the JSON output FILE names process PID,
# in the form "PID (comm)".
expect_holder() {
	_holder=$(mount_field "$1" "$2" holder)
	case $_holder in
	"$3 ("*")") ;;
	*) fail "$2: holder is '$_holder', expected process $3 as '$3 (comm)'" ;;
	esac
}

# Fail unless TARGET has RESULT in the JSON output FILE of a real run.
expect_result() {
	_got=$(mount_field "$1" "$2" result)
	[ "$_got" = "$3" ] || fail "$2: result is '$_got', expected '$3'"
}

# Succeed when something is mounted at TARGET in the mount namespace of PID
# (default: this shell).
is_mounted() {
	awk -v target="$1" '$5 == target { found = 1 } END { exit !found }' "/proc/${2:-$$}/mountinfo"
}

expect_mounted() {
	is_mounted "$1" "${2:-$$}" || fail "$1 is no longer mounted in the namespace of process ${2:-$$}"
}

expect_unmounted() {
	! is_mounted "$1" "${2:-$$}" || fail "$1 is still mounted in the namespace of process ${2:-$$}"
}

# Run CMD... every 0.1 s until it succeeds, or return 1 after SECONDS.
wait_until() {
	_tries=$(($1 * 10))
	shift
	until "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Print the time in milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# Start CMD... in the background, set BG_PID to its PID and record it for
# cleanup.  CMD must be an external command, so that BG_PID is its PID.
start_bg() {
	"$@" &
	BG_PID=$!
	echo "$BG_PID" >> "$WORK/pids"
}

# Succeed when PID is a child of this shell.  The shell reaps background
# processes that end on their own, so a recorded PID may since belong to an
# unrelated process.
is_child() {
	_stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
	set -- ${_stat##*") "}
	[ "$2" = "$$" ]
}

# Send SIGTERM to the descendants of PID, deepest first, then to PID.
stop_tree() {
	for _child in $(cat "/proc/$1/task/$1/children" 2> /dev/null); do
		stop_tree "$_child"
	done
	kill "$1" 2> /dev/null
}

# Remove PID from the processes that cleanup stops.
forget_bg() {
	grep -vx "$1" "$WORK/pids" > "$WORK/pids.new"
	mv "$WORK/pids.new" "$WORK/pids"
}

# Stop a background process of this shell and its descendants, wait for it
# and forget it.
stop_bg() {
	if is_child "$1"; then
		stop_tree "$1"
	fi
	wait "$1" 2> /dev/null
	forget_bg "$1"
}

# Wait for a background process of this shell, set BG_STATUS to its exit
# status and forget it.
wait_bg() {
	wait "$1"
	BG_STATUS=$?
	forget_bg "$1"
}

# Succeed when process PID holds a flock(2) lock on the file with inode INODE,
# as /proc/locks shows it.
holds_flock() {
	awk -v inode="$1" -v pid="$2" '
		$2 == "FLOCK" && $5 == pid && $6 ~ (":" inode "$") { found = 1 }
		END { exit !found }' /proc/locks
}

# Wait until process PID has created FILE and holds a flock(2) lock on it.
wait_flock() {
	wait_until 10 test -e "$1" || fail "process $2 did not create $1 within 10 s"
	_inode=$(stat -c %i "$1") || fail "stat $1 failed"
	wait_until 10 holds_flock "$_inode" "$2" || fail "process $2 did not lock $1 within 10 s"
}

# Start a process, flock(1), that holds an exclusive flock(2) lock on FILE
# for SECONDS, as Nix does with its lock files.  Sets BG_PID to its PID.
hold_flock() {
	start_bg flock -x "$1" sleep "$2"
	wait_flock "$1" "$BG_PID"
}

# Start a process that writes STATEDIR/temproots/<its PID> listing the store
# paths PATH... separated by NUL bytes, and locks it, as a live Nix process
# does.  Sets BG_PID and HELD_FILE.
hold_temp_roots() {
	_state_dir=$1
	shift
	start_bg sh -c 'file=$1/temproots/$$; shift
		printf "%s\0" "$@" > "$file" && exec flock -x "$file" sleep 120' sh "$_state_dir" "$@"
	HELD_FILE=$_state_dir/temproots/$BG_PID
	wait_flock "$HELD_FILE" "$BG_PID"
}

# Start a process that writes STATEDIR/active-builds/<its PID>-1 naming the
# derivation DRVNAME (a .drv basename), and locks it, as Determinate Nix does
# while it builds.  Sets BG_PID and HELD_FILE.
hold_active_build() {
	start_bg sh -c 'file=$1/active-builds/$$-1
		printf "{\"derivation\":\"%s\",\"nixPid\":%s,\"mainPid\":%s,\"startTime\":%s}\n" \
			"$2" $$ $$ "$(date +%s)" > "$file" && exec flock -x "$file" sleep 120' sh "$1" "$2"
	HELD_FILE=$1/active-builds/$BG_PID-1
	wait_flock "$HELD_FILE" "$BG_PID"
}
