#!/usr/bin/env bats
# vmem_fs.bats -- pools on real file systems: full ones, small ones, ext4,
# read-only ones, and the mkstemp fallback; nothing ever left behind

load helper

teardown() {
	teardown_mounts
	teardown_scratch
}

MIB=1048576
MIN_POOL=14680064

@test "FS-01: ENOSPC on an 8 MiB tmpfs leaves nothing behind" {
	mount_tmpfs 8m
	before=$(used_kib "$MNT")
	run_prog vmem_tool create "$MNT" $MIN_POOL
	assert_status 2
	assert_output_contains "fail ENOSPC"
	assert_output_contains "$MNT"
	assert_dir_empty "$MNT"
	[ "$(used_kib "$MNT")" -eq "$before" ] ||
		fail_with "df: $(used_kib "$MNT") KiB used, $before before"
}

@test "FS-02: a 14 MiB pool on a 4 MiB tmpfs: ENOSPC, empty, no space used" {
	mount_tmpfs 4m
	run_prog vmem_tool create "$MNT" $MIN_POOL
	assert_status 2
	assert_output_contains "fail ENOSPC"
	assert_dir_empty "$MNT"
	[ "$(used_kib "$MNT")" -eq 0 ] || fail_with "df shows space used"
}

@test "FS-03: the space is reserved at create and given back at delete" {
	mount_tmpfs 16m
	run_prog vmem_tool create "$MNT" $MIN_POOL fill
	assert_success
	# all 14 MiB reserved up front (posix_fallocate), not on first touch
	used=$(sed -n 's/.*used=\([0-9]*\).*/\1/p' <<<"$output")
	[ "$used" -ge $MIN_POOL ] || fail_with "only $used bytes reserved"
	assert_output_contains "check=1"
	filled=$(sed -n 's/.*filled=\([0-9]*\).*/\1/p' <<<"$output")
	[ "$filled" -ge 12 ] || fail_with "only $filled MiB written"
	assert_dir_empty "$MNT"
	[ "$(used_kib "$MNT")" -eq 0 ] || fail_with "space not given back"
}

@test "FS-04: a second pool that does not fit fails, the first is unharmed" {
	mount_tmpfs 24m
	run_prog vmem_tool two "$MNT" $((16 * MIB)) $MIN_POOL
	assert_success
	assert_output_contains "second fail ENOSPC"
	assert_line_equals "first intact 1 more 1 check 1"
	assert_dir_empty "$MNT"
	[ "$(used_kib "$MNT")" -eq 0 ] || fail_with "space left used"
}

@test "FS-05: pools on an ext4 image: reserve, fill, ENOSPC, give back" {
	mount_image ext4 64 mkfs.ext4 -q -F
	before=$(used_kib "$MNT")
	run_prog vmem_tool create "$MNT" $((32 * MIB)) fill
	assert_success
	assert_output_contains "check=1"
	used=$(sed -n 's/.*used=\([0-9]*\).*/\1/p' <<<"$output")
	[ "$used" -ge $((32 * MIB)) ] || fail_with "only $used bytes reserved"
	# only lost+found: the pool file had no name
	[ "$(ls -A "$MNT")" = "lost+found" ] || fail_with "left: $(ls -A "$MNT")"
	[ "$(used_kib "$MNT")" -le $((before + 64)) ] ||
		fail_with "df $(used_kib "$MNT") KiB used, $before before"
	run_prog vmem_tool create "$MNT" $((96 * MIB))
	assert_status 2
	assert_output_contains "fail ENOSPC"
	[ "$(ls -A "$MNT")" = "lost+found" ] || fail_with "left: $(ls -A "$MNT")"
	[ "$(used_kib "$MNT")" -le $((before + 64)) ] ||
		fail_with "ENOSPC left space used"
}

@test "FS-06: a read-only file system: a clean error, nothing left" {
	mount_tmpfs 32m
	mount -o remount,ro "$MNT" || skip "cannot remount read-only"
	run_prog vmem_tool create "$MNT" $MIN_POOL
	assert_status 2
	assert_output_contains "fail EROFS"
	assert_dir_empty "$MNT"
}

@test "FS-07: no O_TMPFILE: the mkstemp fallback makes a working pool and leaves no name" {
	# a file system without O_TMPFILE: vfat where this kernel has it, else
	# tmpfs with O_TMPFILE refused by a preloaded fault injector
	if grep -qw vfat /proc/filesystems && command -v mkfs.vfat >/dev/null; then
		mount_image vfat 64 mkfs.vfat
	else
		mount_tmpfs 64m
		export LD_PRELOAD=$top_builddir/tests/.libs/libnotmpfile.so
		[ -r "$LD_PRELOAD" ] || fail_with "$LD_PRELOAD not built"
	fi
	run_prog vmem_tool create "$MNT" $((16 * MIB)) fill
	unset LD_PRELOAD
	assert_success
	assert_output_contains "check=1"
	assert_dir_empty "$MNT"
}

@test "FS-08: missing dir, a file, /dev/null: ENOENT, ENOTDIR, EINVAL" {
	scratch_dir
	run_prog vmem_tool create "$SCRATCH/missing" $MIN_POOL
	assert_status 2
	assert_output_contains "fail ENOENT"
	touch "$SCRATCH/file"
	run_prog vmem_tool create "$SCRATCH/file" $MIN_POOL
	assert_status 2
	assert_output_contains "fail ENOTDIR"
	run_prog vmem_tool create /dev/null $MIN_POOL
	assert_status 2
	assert_output_contains "fail EINVAL"
	run_prog vmem_tool create "$SCRATCH" $((MIN_POOL - 1))
	assert_status 2
	assert_line_equals "fail EINVAL size $((MIN_POOL - 1)) smaller than $MIN_POOL"
	[ "$(ls -A "$SCRATCH")" = "file" ] || fail_with "left: $(ls -A "$SCRATCH")"
}

@test "FS-09: hole punching (VMEM_PUNCH_HOLES=1) gives freed space back" {
	mount_tmpfs 40m
	VMEM_PUNCH_HOLES=1 run_prog vmem_tool punch "$MNT"
	assert_success
	full=$(sed -n 's/.* full \([0-9]*\) .*/\1/p' <<<"$output")
	after=$(sed -n 's/.* after \([0-9]*\) .*/\1/p' <<<"$output")
	[ "$after" -lt $((full - 16 * MIB)) ] ||
		fail_with "file blocks $full before, $after after the purge"
	assert_output_contains "calloc-zero 1"
	# without it the blocks stay with the file
	run_prog vmem_tool punch "$MNT"
	assert_success
	full=$(sed -n 's/.* full \([0-9]*\) .*/\1/p' <<<"$output")
	after=$(sed -n 's/.* after \([0-9]*\) .*/\1/p' <<<"$output")
	[ "$after" -eq "$full" ] || fail_with "punched without being asked"
	assert_output_contains "calloc-zero 1"
	assert_dir_empty "$MNT"
}
