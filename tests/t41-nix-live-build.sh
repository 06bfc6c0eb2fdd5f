#!/bin/sh
# Leaked-shape mounts over the output and the .drv of a build that is still
# running are kept (live-lock, held by the nix-store process), while a
# garbage leak next to them is reaped, and the build still succeeds.  A leak
# younger than --min-age is kept as too-young.
set -u
TESTS=${TESTS:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS/lib.sh"
. "$TESTS/nixlib.sh"

enter_private_ns "$@"
require_nix
require_cmd jq
start_work t41
use_private_nix

# The builder writes $out/file, then waits until the test creates the release
# file (at most 120 s), so the build stays live for as long as the test needs.
cat > "$WORK/live.nix" <<'EOF'
{ tag, release }:
builtins.derivation {
  name = "nmr-live-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit release;
  args = [ "-c" ''
    mkdir $out
    echo "built $name" > $out/file
    i=0
    while [ ! -e "$release" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
  '' ];
}
EOF
tag=$$-$(date +%s)
drv=$(nix_instantiate --argstr tag "$tag" --argstr release "$WORK/release" "$WORK/live.nix" 2> "$WORK/instantiate.log") ||
	fail "nix-instantiate failed: $(tail -n 5 "$WORK/instantiate.log")"
out=$(nix_store --query --outputs "$drv") || fail "nix-store --query --outputs $drv failed"

nix-store --option substituters '' --option sandbox false --option build-users-group '' --realise "$drv" \
	> "$WORK/build.out" 2> "$WORK/build.err" &
build_pid=$!
echo "$build_pid" >> "$WORK/pids"
comm=$(cat "/proc/$build_pid/comm")
[ "$comm" = nix-store ] || fail "process $build_pid is '$comm', expected the nix-store build"
output_written_or_build_ended() {
	[ -e "$out/file" ] || ! kill -0 "$build_pid" 2> /dev/null
}
wait_until 120 output_written_or_build_ended || fail "the builder did not write $out/file within 120 s"
kill -0 "$build_pid" 2> /dev/null ||
	fail "the build ended before the test could mount over it: $(tail -n 5 "$WORK/build.err")"

# Leaks over the live output and its .drv, and one over a garbage path.
leak_mount "$out" /tmp
leak_mount "$drv" /tmp
: > "$WORK/control"
make_fixed_paths 1 control "$WORK/control"
control=$(cat "$WORK/control")
leak_mount "$control" /tmp

"$NMR" --json --pid $$ --min-age 0 --state-file "$WORK/seen" --lock-file "$WORK/lock" \
	> "$WORK/live.json" 2> "$WORK/live.err"
NMR_STATUS=$?
expect_exit 0 "$WORK/live.err"
expect_judgement "$WORK/live.json" "$out" keep live-lock
expect_holder "$WORK/live.json" "$out" "$build_pid"
expect_judgement "$WORK/live.json" "$drv" keep live-lock
expect_holder "$WORK/live.json" "$drv" "$build_pid"
expect_judgement "$WORK/live.json" "$control" reap stale
expect_result "$WORK/live.json" "$control" unmounted
expect_mounted "$out"
expect_mounted "$drv"
expect_unmounted "$control"

# The build finishes normally with the kept mounts in place.
: > "$WORK/release"
wait_bg "$build_pid"
[ "$BG_STATUS" -eq 0 ] ||
	fail "the build exited $BG_STATUS: $(tail -n 5 "$WORK/build.err")"
[ "$(cat "$WORK/build.out")" = "$out" ] ||
	fail "nix-store --realise printed '$(cat "$WORK/build.out")', expected $out"
content=$(cat "$out/file")
[ "$content" = "built nmr-live-$tag" ] ||
	fail "$out/file contains '$content', expected what the builder wrote: 'built nmr-live-$tag'"

# With the build over, no sign of a live build keeps the two mounts.
"$NMR" --json --pid $$ --min-age 0 --state-file "$WORK/seen" --lock-file "$WORK/lock" \
	> "$WORK/after.json" 2> "$WORK/after.err"
NMR_STATUS=$?
expect_exit 0 "$WORK/after.err"
expect_judgement "$WORK/after.json" "$out" reap stale
expect_judgement "$WORK/after.json" "$drv" reap stale
expect_unmounted "$out"
expect_unmounted "$drv"
content=$(cat "$out/file")
[ "$content" = "built nmr-live-$tag" ] ||
	fail "the registered output $out/file contains '$content', expected 'built nmr-live-$tag'"
nix_store --verify-path "$out" 2> "$WORK/verify.err" ||
	fail "nix-store --verify-path $out failed: $(cat "$WORK/verify.err")"

# A leak younger than --min-age is kept.
: > "$WORK/young"
make_fixed_paths 1 young "$WORK/young"
young=$(cat "$WORK/young")
leak_mount "$young" /tmp
"$NMR" --json --pid $$ --min-age 1h --state-file "$WORK/seen" --lock-file "$WORK/lock" \
	> "$WORK/young.json" 2> "$WORK/young.err"
NMR_STATUS=$?
expect_exit 0 "$WORK/young.err"
expect_judgement "$WORK/young.json" "$young" keep too-young
expect_mounted "$young"

echo "mounts of a live build are kept and the build succeeds"
