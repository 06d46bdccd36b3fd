# tests/vmmalloc_helper.bash -- fixtures and assertions of the libvmmalloc
# suites (load it with `load vmmalloc_helper`)
#
# Everything runs the uninstalled shim, $top_builddir/libvmmalloc/.libs/
# libvmmalloc.so.1, through LD_PRELOAD, each command under a timeout.
# Pools go to /dev/shm (tmpfs: pages never touched cost nothing; note that
# posix_fallocate does take the whole size of RAM while the pool lives).

bats_require_minimum_version 1.5.0

: "${top_builddir:?run through make check (top_builddir unset)}"
: "${top_srcdir:?run through make check (top_srcdir unset)}"

VMLIB=$top_builddir/libvmmalloc/.libs/libvmmalloc.so.1
PROGS=$top_builddir/tests/progs
VMCMD=$top_builddir/scripts/vmmalloc
POOL_DIR=${VMMALLOC_TEST_POOL_DIR:-/dev/shm}
# seconds one command may take before it counts as hung
VM_TIMEOUT=${VM_TIMEOUT:-60}
# and a test as a whole (bats >= 1.7)
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-180}

# vm_setup -- the library must exist; no variable of ours leaks in
vm_setup() {
	[ -r "$VMLIB" ] || {
		echo "# $VMLIB missing: build first" >&2
		return 1
	}
	unset VMMALLOC_POOL_DIR VMMALLOC_POOL_SIZE VMMALLOC_FORK \
		VMMALLOC_LOG_STATS VMMALLOC_LOG_LEVEL VMMALLOC_LOG_FILE \
		VMMALLOC_PUNCH_HOLES VMMALLOC_LIBRARY LD_PRELOAD MALLOC_CONF
	export LC_ALL=C
}

# vm_raw ASSIGNMENTS... COMMAND... -- the shim with only what is given
vm_raw() {
	timeout -k 5 "$VM_TIMEOUT" env LD_PRELOAD="$VMLIB" "$@"
}

# vm COMMAND... -- the shim with a pool of POOL_SIZE (32M) in POOL_DIR
vm() {
	vm_raw VMMALLOC_POOL_DIR="$POOL_DIR" \
		VMMALLOC_POOL_SIZE="${POOL_SIZE:-32M}" "$@"
}

# plain COMMAND... -- the same without the shim (glibc's malloc)
plain() {
	timeout -k 5 "$VM_TIMEOUT" env -u LD_PRELOAD "$@"
}

# assert_status N -- $status of the last run is N
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "# status $status, expected $1" >&2
		echo "# stdout: $output" >&2
		echo "# stderr: ${stderr-}" >&2
		return 1
	fi
}

# assert_equal ACTUAL EXPECTED
assert_equal() {
	if [ "$1" != "$2" ]; then
		printf '# got:      %s\n# expected: %s\n' "$1" "$2" >&2
		return 1
	fi
}

# assert_match TEXT REGEX -- TEXT matches the extended regex
assert_match() {
	if ! [[ $1 =~ $2 ]]; then
		printf '# %s\n# does not match: %s\n' "$1" "$2" >&2
		return 1
	fi
}

# assert_contains TEXT FIXED
assert_contains() {
	if [[ $1 != *"$2"* ]]; then
		printf '# %s\n# does not contain: %s\n' "$1" "$2" >&2
		return 1
	fi
}

# assert_stopped LINE -- the last run (with --separate-stderr) stopped at
# start: status 1, exactly LINE on stderr, nothing on stdout
assert_stopped() {
	assert_status 1
	assert_equal "$stderr" "$1"
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$output" ""
}

# stats_nmalloc TEXT -- small + large nmalloc of the (first) statistics
stats_nmalloc() {
	sed -n 's/^small: nmalloc \([0-9]*\), ndalloc [0-9]*; large: nmalloc \([0-9]*\), .*/\1 \2/p' <<<"$1" |
		head -1 | { read -r s l; echo $(( ${s:-0} + ${l:-0} )); }
}

# assert_pool_used TEXT [MIN] -- TEXT has the pool's statistics with more
# than MIN (0) allocations
assert_pool_used() {
	assert_contains "$1" "___ Begin libvmmalloc statistics ___"
	assert_contains "$1" "___ End libvmmalloc statistics ___"
	local n
	n=$(stats_nmalloc "$1")
	if [ "$n" -le "${2:-0}" ]; then
		echo "# nmalloc $n, expected more than ${2:-0}" >&2
		return 1
	fi
}

# need_root_mount -- skip unless a tmpfs can be mounted here
need_root_mount() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root"
	command -v mount >/dev/null || skip "no mount command"
}

# mount_small SIZE -- a tmpfs of SIZE at $BATS_TEST_TMPDIR/mnt (echoes it)
mount_small() {
	need_root_mount
	SMALL_MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$SMALL_MNT"
	mount -t tmpfs -o "size=$1,mode=0700" vmmalloc-test "$SMALL_MNT" ||
		skip "cannot mount a tmpfs (not permitted in this container)"
}

# umount_small -- undo mount_small (for teardown)
umount_small() {
	if [ -n "${SMALL_MNT-}" ] && mountpoint -q "$SMALL_MNT"; then
		umount "$SMALL_MNT" || umount -l "$SMALL_MNT"
	fi
	SMALL_MNT=
}

# wait_for TRIES COMMAND... -- poll COMMAND every 0.1 s until it succeeds
wait_for() {
	local tries=$1
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}
