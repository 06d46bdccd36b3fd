#!/usr/bin/env bats
# vmmalloc_env.bats -- libvmmalloc's environment: every error stops the
# program at start with one line naming the variable and its value, and
# status 1; sizes with suffixes; statistics and logging at exit

load vmmalloc_helper

setup() {
	vm_setup
}

teardown() {
	umount_small
}

# stopped_by ASSIGNMENTS... -- run /bin/echo under the shim with only
# these variables of ours set
stopped_by() {
	run --separate-stderr vm_raw "$@" /bin/echo the program ran
}

@test "ENV-01: VMMALLOC_POOL_DIR unset stops with one line" {
	stopped_by VMMALLOC_POOL_SIZE=32M
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR is not set"
}

@test "ENV-02: VMMALLOC_POOL_DIR empty stops with one line" {
	stopped_by VMMALLOC_POOL_DIR= VMMALLOC_POOL_SIZE=32M
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=: empty"
}

@test "ENV-03: VMMALLOC_POOL_DIR missing directory stops with one line" {
	local d=$BATS_TEST_TMPDIR/no-such-dir
	stopped_by VMMALLOC_POOL_DIR="$d" VMMALLOC_POOL_SIZE=32M
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$d: cannot create a pool file in $d: No such file or directory"
}

@test "ENV-04: VMMALLOC_POOL_DIR not a directory stops with one line" {
	local f=$BATS_TEST_TMPDIR/a-file
	: >"$f"
	stopped_by VMMALLOC_POOL_DIR="$f" VMMALLOC_POOL_SIZE=32M
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$f: cannot create a pool file in $f: Not a directory"
	[ ! -s "$f" ]
}

@test "ENV-05: VMMALLOC_POOL_DIR not writable (as nobody) stops with one line" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch to nobody"
	command -v setpriv >/dev/null || skip "no setpriv"
	local d=$BATS_TEST_TMPDIR/ro
	mkdir -m 0555 "$d"
	run --separate-stderr timeout 30 env LD_PRELOAD="$VMLIB" \
		VMMALLOC_POOL_DIR="$d" VMMALLOC_POOL_SIZE=32M \
		setpriv --reuid=65534 --regid=65534 --clear-groups /bin/echo ran
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$d: cannot create a pool file in $d: Permission denied"
	[ -z "$(ls -A "$d")" ]
}

@test "ENV-06: VMMALLOC_POOL_SIZE unset stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR"
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE is not set"
}

@test "ENV-07: VMMALLOC_POOL_SIZE empty stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=: empty"
}

@test "ENV-08: VMMALLOC_POOL_SIZE=16x stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=16x
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=16x: not a size"
}

@test "ENV-09: VMMALLOC_POOL_SIZE=-1 stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=-1
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=-1: not a size"
}

@test "ENV-10: VMMALLOC_POOL_SIZE=' 16M' (leading blank) stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" "VMMALLOC_POOL_SIZE= 16M"
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE= 16M: not a size"
}

@test "ENV-11: VMMALLOC_POOL_SIZE=abc stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=abc
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=abc: not a size"
}

@test "ENV-12: VMMALLOC_POOL_SIZE overflowing (99999999999999999999, 20000000T) stops with one line" {
	local v
	for v in 99999999999999999999 20000000T 18446744073709551616 \
			17179869184G 16777216T; do
		stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=$v
		assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=$v: not a size"
	done
}

@test "ENV-13: VMMALLOC_POOL_SIZE with junk (16MB, 16M+blank, 0x1000000, +16M, 16 M, M, 1.5G) stops with one line" {
	local v
	for v in 16MB "16M " 0x1000000 +16M "16 M" M 1.5G 16K16 16MM; do
		stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" "VMMALLOC_POOL_SIZE=$v"
		assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=$v: not a size"
	done
}

@test "ENV-14: VMMALLOC_POOL_SIZE too small (1M, 0T, 0, 14680063) stops with one line" {
	local v
	for v in 1M 0T 0 0k 14680063 14335K; do
		stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=$v
		assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=$v: smaller than 14680064"
	done
}

@test "ENV-15: VMMALLOC_FORK=4, x, empty, 01, -1 stop with one line" {
	local v
	for v in 4 x "" 01 -1 "1 " 9; do
		stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=32M \
			"VMMALLOC_FORK=$v"
		assert_stopped "libvmmalloc: VMMALLOC_FORK=$v: not a number from 0 to 3"
	done
}

@test "ENV-16: VMMALLOC_LOG_STATS=2 (and empty, yes) stops with one line" {
	local v
	for v in 2 "" yes; do
		stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=32M \
			"VMMALLOC_LOG_STATS=$v"
		assert_stopped "libvmmalloc: VMMALLOC_LOG_STATS=$v: not a number from 0 to 1"
	done
}

@test "ENV-17: VMMALLOC_PUNCH_HOLES=2 stops with one line" {
	stopped_by VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=32M \
		VMMALLOC_PUNCH_HOLES=2
	assert_stopped "libvmmalloc: VMMALLOC_PUNCH_HOLES=2: not a number from 0 to 1"
}

@test "ENV-18: the directory is checked before the size" {
	stopped_by VMMALLOC_POOL_SIZE=16x
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR is not set"
}

@test "ENV-19: sizes with suffixes K M G (upper and lower case) and plain bytes are accepted" {
	local v want
	for v in 16M:16777216 16m:16777216 16384K:16777216 16384k:16777216 \
			14680064:14680064 14M:14680064 33554433:33554432 \
			1G:1073741824 1g:1073741824; do
		want=${v#*:}
		v=${v%%:*}
		run --separate-stderr vm_raw VMMALLOC_POOL_DIR="$POOL_DIR" \
			VMMALLOC_POOL_SIZE="$v" VMMALLOC_LOG_STATS=1 /bin/echo ok
		assert_status 0
		assert_equal "$output" "ok"
		assert_match "$stderr" "pool: 0x[0-9a-f]+, size $want, file,"
	done
}

@test "ENV-20: the T suffix (and t) means TiB: 1T is accepted, then does not fit a small file system" {
	mount_small 16m
	local v
	for v in 1T 1t; do
		stopped_by VMMALLOC_POOL_DIR="$SMALL_MNT" VMMALLOC_POOL_SIZE=$v
		assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$SMALL_MNT: cannot reserve 1099511627776 bytes in $SMALL_MNT: No space left on device"
	done
}

@test "ENV-21: a pool larger than the file system stops with one line and leaves nothing behind" {
	mount_small 20m
	stopped_by VMMALLOC_POOL_DIR="$SMALL_MNT" VMMALLOC_POOL_SIZE=32M
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$SMALL_MNT: cannot reserve 33554432 bytes in $SMALL_MNT: No space left on device"
	[ -z "$(ls -A "$SMALL_MNT")" ]
	assert_equal "$(df -k --output=used "$SMALL_MNT" | tail -1 | tr -d ' ')" 0
	# and a pool that fits works there
	run --separate-stderr vm_raw VMMALLOC_POOL_DIR="$SMALL_MNT" \
		VMMALLOC_POOL_SIZE=16M /bin/echo fits
	assert_status 0
	assert_equal "$output" "fits"
}

@test "ENV-22: VMMALLOC_LOG_STATS=1 prints the pool's statistics at exit, output unchanged" {
	run --separate-stderr vm VMMALLOC_LOG_STATS=1 /usr/bin/sort -r \
		"$top_srcdir/tests/vmmalloc_env.bats"
	assert_status 0
	assert_equal "$output" "$(sort -r "$top_srcdir/tests/vmmalloc_env.bats")"
	assert_pool_used "$stderr"
	assert_match "$stderr" "pool: 0x[0-9a-f]+, size 33554432, file, arena [0-9]+, hole punching off"
	# exactly one report, and nothing else on stderr
	assert_equal "$(grep -c '^___ Begin libvmmalloc statistics ___$' <<<"$stderr")" 1
	assert_match "${stderr_lines[0]}" "^___ Begin libvmmalloc statistics ___$"
	assert_match "${stderr_lines[-1]}" "^___ End libvmmalloc statistics ___$"
}

@test "ENV-23: VMMALLOC_LOG_STATS=1 prints even when the program closes stderr at exit (ls)" {
	run --separate-stderr vm VMMALLOC_LOG_STATS=1 /bin/ls -la "$top_srcdir/libvmmalloc"
	assert_status 0
	assert_equal "$output" "$(ls -la "$top_srcdir/libvmmalloc")"
	assert_pool_used "$stderr"
	# and ls really closes it: the same without us prints nothing
	run --separate-stderr vm VMMALLOC_LOG_STATS=0 /bin/ls /
	assert_equal "$stderr" ""
}

@test "ENV-24: VMMALLOC_LOG_STATS=0 or unset prints nothing" {
	run --separate-stderr vm VMMALLOC_LOG_STATS=0 /bin/echo quiet
	assert_status 0
	assert_equal "$stderr" ""
	run --separate-stderr vm /bin/echo quiet
	assert_status 0
	assert_equal "$output" "quiet"
	assert_equal "$stderr" ""
}

# (not /bin/sh: dash leaves with _exit, which runs no destructor, so it
# prints no statistics)
@test "ENV-25: VMMALLOC_LOG_LEVEL=3 with VMMALLOC_LOG_FILE ending in - logs the pool to FILE<pid>" {
	local log=$BATS_TEST_TMPDIR/vm.log-
	run --separate-stderr vm VMMALLOC_LOG_LEVEL=3 VMMALLOC_LOG_FILE="$log" \
		VMMALLOC_LOG_STATS=1 /usr/bin/perl -e 'print "$$\n"'
	assert_status 0
	local pid=$output
	[ -f "$log$pid" ]
	assert_equal "$stderr" ""
	run cat "$log$pid"
	assert_match "$output" "<libvmmalloc>: <3> \[[a-z_]+\] pool 0x[0-9a-f]+ size 33554432 dir $POOL_DIR fork mode 1"
	# the statistics went to the log file too
	assert_contains "$output" "___ Begin libvmmalloc statistics ___"
}
@test "ENV-26: a program with a closed standard descriptor keeps it closed (no pool file on 0, 1, 2)" {
	local r
	for r in '<&-' '>&-' '2>&-'; do
		run --separate-stderr bash -c \
			"exec $r; exec timeout 30 env LD_PRELOAD='$VMLIB' VMMALLOC_POOL_DIR='$POOL_DIR' VMMALLOC_POOL_SIZE=32M '$PROGS/stdfds'"
		[ "$status" -eq 0 ] || echo "# with $r" >&2
		assert_status 0
		assert_equal "$stderr$output" ""
	done
}

@test "ENV-27: the child's copy of the pool (VMMALLOC_FORK=2, 3) stays off a closed descriptor 0" {
	local m
	for m in 2 3; do
		run --separate-stderr vm VMMALLOC_FORK=$m "$PROGS/stdfds" fork
		[ "$status" -eq 0 ] || echo "# with VMMALLOC_FORK=$m" >&2
		assert_status 0
		assert_equal "$stderr$output" ""
	done
}

@test "ENV-28: started without stderr, statistics and log lines never land in the file the program opens as descriptor 2" {
	local out=$BATS_TEST_TMPDIR/data log=$BATS_TEST_TMPDIR/log
	run --separate-stderr bash -c \
		"exec 2>&-; exec timeout 30 env LD_PRELOAD='$VMLIB' VMMALLOC_POOL_DIR='$POOL_DIR' VMMALLOC_POOL_SIZE=32M VMMALLOC_LOG_STATS=1 VMMALLOC_LOG_LEVEL=3 '$PROGS/stdfds' write '$out'"
	assert_status 0
	assert_equal "$(cat "$out")" "the program's data"
	# with a log file, the statistics go there as asked
	run --separate-stderr bash -c \
		"exec 2>&-; exec timeout 30 env LD_PRELOAD='$VMLIB' VMMALLOC_POOL_DIR='$POOL_DIR' VMMALLOC_POOL_SIZE=32M VMMALLOC_LOG_STATS=1 VMMALLOC_LOG_FILE='$log' '$PROGS/stdfds' write '$out'"
	assert_status 0
	assert_equal "$(cat "$out")" "the program's data"
	assert_pool_used "$(cat "$log")"
}
