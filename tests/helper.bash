# helper.bash -- named assertions and fixtures for the libvmem bats suites
#
# load helper   (from a .bats file in tests/)
# $top_builddir and $top_srcdir are exported by make check; when a suite
# is run by hand they default to ./build and the source tree.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir

LIBVMEM_SO="$top_builddir/libvmem/.libs/libvmem.so.1"
LIBTOOL="$top_builddir/libtool"

# the uninstalled library, for the programs in tests/.libs
export LD_LIBRARY_PATH="$top_builddir/libvmem/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# prog NAME -- path of the test helper program NAME: the binary itself
# rather than libtool's wrapper script (which costs a quarter second)
prog() {
	if [ -x "$top_builddir/tests/.libs/$1" ]; then
		echo "$top_builddir/tests/.libs/$1"
	else
		echo "$top_builddir/tests/$1"
	fi
}

# run_prog NAME ARGS... -- run a helper program (bats "run" semantics)
run_prog() {
	local name=$1
	shift
	run "$(prog "$name")" "$@"
}

# lt_exec CMD... -- run CMD with the uninstalled libraries (for valgrind)
lt_exec() {
	"$LIBTOOL" --mode=execute "$@"
}

# fail_with MESSAGE -- fail the test, saying why, with the last output
fail_with() {
	{
		echo "FAIL: $*"
		[ -n "${output+x}" ] && echo "--- output (status ${status:-?}):" &&
			printf '%s\n' "$output"
	} >&2
	return 1
}

# assert_success -- the last run exited 0
assert_success() {
	[ "$status" -eq 0 ] || fail_with "expected status 0, got $status"
}

# assert_status N -- the last run exited N
assert_status() {
	[ "$status" -eq "$1" ] || fail_with "expected status $1, got $status"
}

# assert_output_contains TEXT -- the last run printed TEXT (fixed string)
assert_output_contains() {
	case "$output" in
	*"$1"*) return 0 ;;
	esac
	fail_with "output does not contain '$1'"
}

# refute_output_contains TEXT -- the last run did not print TEXT
refute_output_contains() {
	case "$output" in
	*"$1"*) fail_with "output contains '$1'" ;;
	esac
	return 0
}

# assert_line_equals TEXT -- one line of the last output is exactly TEXT
assert_line_equals() {
	local l
	for l in "${lines[@]}"; do
		[ "$l" = "$1" ] && return 0
	done
	fail_with "no line equals '$1'"
}

# assert_file_contains FILE TEXT -- FILE exists and holds TEXT
assert_file_contains() {
	[ -f "$1" ] || fail_with "no file $1"
	grep -qF -- "$2" "$1" || {
		echo "--- $1:" >&2
		head -50 "$1" >&2
		fail_with "$1 does not contain '$2'"
	}
}

# assert_dir_empty DIR -- DIR has no entries at all (hidden ones too)
assert_dir_empty() {
	local left
	left=$(ls -A "$1")
	[ -z "$left" ] || fail_with "$1 is not empty: $left"
}

# used_kib DIR -- KiB in use on the file system of DIR
used_kib() {
	df -P -k "$1" | awk 'NR == 2 { print $3 }'
}

# mount_fs TYPE OPTIONS SOURCE -- mount a scratch file system on $MNT,
# or skip the test saying why; teardown_mounts undoes it
mount_fs() {
	MNT=$(mktemp -d "${BATS_TMPDIR:-/tmp}/vmem-mnt.XXXXXX")
	local err
	if ! err=$(mount -t "$1" ${2:+-o "$2"} "$3" "$MNT" 2>&1); then
		rmdir "$MNT"
		MNT=
		skip "cannot mount $1 here: $err"
	fi
	MOUNTS+=("$MNT")
}

# mount_tmpfs SIZE -- a tmpfs of SIZE (e.g. 8m) on $MNT, or skip
mount_tmpfs() {
	mount_fs tmpfs "size=$1,mode=0755" tmpfs
}

# mount_image FSTYPE MIB MKFS... -- a loop-mounted image file system
mount_image() {
	local fstype=$1 mib=$2
	shift 2
	command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"
	IMAGE=$(mktemp "${BATS_TMPDIR:-/tmp}/vmem-img.XXXXXX")
	IMAGES+=("$IMAGE")
	truncate -s "${mib}M" "$IMAGE"
	"$@" "$IMAGE" >/dev/null 2>&1 || skip "$* failed"
	mount_fs "$fstype" loop "$IMAGE"
}

# teardown_mounts -- unmount and remove what mount_* made
teardown_mounts() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		rmdir "$m" 2>/dev/null
	done
	for m in "${IMAGES[@]}"; do
		rm -f "$m"
	done
	MOUNTS=()
	IMAGES=()
}
MOUNTS=()
IMAGES=()

# scratch_dir -- a fresh directory on /dev/shm, removed by teardown
scratch_dir() {
	SCRATCH=$(mktemp -d /dev/shm/vmem-bats.XXXXXX)
	SCRATCHES+=("$SCRATCH")
}
SCRATCHES=()

# teardown_scratch -- remove the scratch directories
teardown_scratch() {
	local d
	for d in "${SCRATCHES[@]}"; do
		rm -rf "$d"
	done
	SCRATCHES=()
}
