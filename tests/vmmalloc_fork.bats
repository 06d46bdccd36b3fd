#!/usr/bin/env bats
# vmmalloc_fork.bats -- fork(2) under each VMMALLOC_FORK mode while other
# threads allocate: no child deadlocks (every run under a timeout), mode 0
# shares the heap, modes 1-3 keep parent and child apart; mode 2 without
# room for the copy ends the child, mode 3 falls back to mode 1
#
# tests/progs/fork prints "forks N: ok K, failed F, shared S, copies C,
# parent shared|private": children that exited 0, that failed, whose write
# into a block of the parent showed in the parent, that mapped a copy of
# the pool (another file), and how the parent's pool is mapped at the end.

load vmmalloc_helper

NFORKS=50
NFORKS_WORKER=20

setup() {
	vm_setup
}

teardown() {
	umount_small
}

# forks MODE N [worker] -- run tests/progs/fork under VMMALLOC_FORK=MODE
# ("" leaves it unset)
forks() {
	local mode=$1
	shift
	if [ -n "$mode" ]; then
		run --separate-stderr vm VMMALLOC_FORK="$mode" "$PROGS/fork" "$@"
	else
		run --separate-stderr vm "$PROGS/fork" "$@"
	fi
}

@test "FORK-01: VMMALLOC_FORK=0, $NFORKS forks while 2 threads allocate: no deadlock, the heap is shared" {
	forks 0 $NFORKS
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks $NFORKS: ok $NFORKS, failed 0, shared $NFORKS, copies 0, parent shared"
}

@test "FORK-02: VMMALLOC_FORK=1, $NFORKS forks while 2 threads allocate: independent heaps (private copy-on-write)" {
	forks 1 $NFORKS
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks $NFORKS: ok $NFORKS, failed 0, shared 0, copies 0, parent private"
}

@test "FORK-03: VMMALLOC_FORK=2, $NFORKS forks while 2 threads allocate: each child maps its own copy" {
	forks 2 $NFORKS
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks $NFORKS: ok $NFORKS, failed 0, shared 0, copies $NFORKS, parent shared"
}

@test "FORK-04: VMMALLOC_FORK=3, $NFORKS forks while 2 threads allocate: copies when it can" {
	forks 3 $NFORKS
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks $NFORKS: ok $NFORKS, failed 0, shared 0, copies $NFORKS, parent shared"
}

@test "FORK-05: VMMALLOC_FORK unset means mode 1" {
	forks "" 5
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks 5: ok 5, failed 0, shared 0, copies 0, parent private"
}

@test "FORK-06: fork from a worker thread, every mode, $NFORKS_WORKER forks each while 2 threads allocate" {
	local m want
	for m in 0 1 2 3; do
		forks $m $NFORKS_WORKER worker
		[ "$status" -eq 0 ] || echo "# VMMALLOC_FORK=$m" >&2
		assert_status 0
		assert_equal "$stderr" ""
		case $m in
		0) want="shared $NFORKS_WORKER, copies 0, parent shared" ;;
		1) want="shared 0, copies 0, parent private" ;;
		*) want="shared 0, copies $NFORKS_WORKER, parent shared" ;;
		esac
		assert_equal "$output" "forks $NFORKS_WORKER: ok $NFORKS_WORKER, failed 0, $want"
	done
}

@test "FORK-07: VMMALLOC_FORK=2 without room for the copy: each child exits 1 with one line, the parent goes on" {
	mount_small 48m
	POOL_DIR=$SMALL_MNT forks 2 3
	assert_status 0
	local msg="libvmmalloc: fork: cannot copy the pool for the child: No space left on device"
	assert_equal "$stderr" "$(printf '%s\n%s\n%s' "$msg" "$msg" "$msg")"
	assert_equal "${lines[0]}" "child 0: status 1"
	assert_equal "${lines[1]}" "child 1: status 1"
	assert_equal "${lines[2]}" "child 2: status 1"
	# the parent went on allocating and checked its memory after them
	assert_equal "${lines[3]}" "forks 3: ok 0, failed 3, shared 0, copies 0, parent shared"
	# no copy is left behind
	[ -z "$(ls -A "$SMALL_MNT")" ]
	assert_equal "$(df -k --output=used "$SMALL_MNT" | tail -1 | tr -d ' ')" 0
}

@test "FORK-08: VMMALLOC_FORK=3 without room for the copy falls back to mode 1, silently" {
	mount_small 48m
	POOL_DIR=$SMALL_MNT forks 3 5
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "$output" "forks 5: ok 5, failed 0, shared 0, copies 0, parent private"
}

@test "FORK-09: perl forks 10 children that each build a hash (modes 1, 2, 3): parent's hash untouched" {
	[ -x /usr/bin/perl ] || skip "/usr/bin/perl is not installed"
	local script='my %h = map { ("k$_" => $_) } 1 .. 20000;
for my $i (1 .. 10) {
	my $pid = fork() // die "fork: $!";
	if (!$pid) {
		my %c = map { ("c$_" => $_ * $i) } 1 .. 5000;
		$h{k1} = -1;
		exit(($c{c5000} == 5000 * $i && $h{k2} == 2) ? 0 : 1);
	}
	waitpid($pid, 0) == $pid or die "waitpid";
	$? == 0 or die "child $i: $?";
	$h{k1} == 1 or die "the child wrote into the parent";
}
print scalar(keys %h), "\n";'
	local m
	for m in 1 2 3; do
		run --separate-stderr vm VMMALLOC_FORK=$m /usr/bin/perl -e "$script"
		[ "$status" -eq 0 ] || echo "# VMMALLOC_FORK=$m" >&2
		assert_status 0
		assert_equal "$stderr" ""
		assert_equal "$output" "20000"
	done
}

# (not mode 0: there a shell's children allocate in the parent's heap
# between fork and exec, and the two corrupt each other, as documented)
@test "FORK-10: a shell script (fork and exec of many commands) under modes 1, 2, 3: same output" {
	local script=$BATS_TEST_TMPDIR/script.sh
	cat >"$script" <<'SCRIPT'
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	n=$((n + $(/bin/echo $i | /usr/bin/wc -c)))
done
echo $n
/bin/ls / | /usr/bin/sort | /usr/bin/head -3 | /usr/bin/wc -l
SCRIPT
	local want m
	want=$(plain /bin/sh "$script")
	assert_equal "$want" "$(printf '21\n3')"
	for m in 1 2 3; do
		POOL_SIZE=16M run --separate-stderr vm VMMALLOC_FORK=$m /bin/sh "$script"
		assert_status 0
		assert_equal "$stderr" ""
		assert_equal "$output" "$want"
	done
}

# mount_xfs -- an XFS file system (reflink) on a loop image, at SMALL_MNT
mount_xfs() {
	need_root_mount
	command -v mkfs.xfs >/dev/null || skip "mkfs.xfs not installed (xfsprogs)"
	grep -qw xfs /proc/filesystems || skip "this kernel has no XFS"
	XFS_IMG=$BATS_TEST_TMPDIR/xfs.img
	truncate -s 512M "$XFS_IMG"
	mkfs.xfs -q -m reflink=1 "$XFS_IMG" || skip "mkfs.xfs failed"
	SMALL_MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$SMALL_MNT"
	mount -o loop "$XFS_IMG" "$SMALL_MNT" || skip "cannot loop-mount XFS here"
}

@test "FORK-12: VMMALLOC_FORK=2 on XFS: the child's pool is a reflink clone (takes next to no space)" {
	mount_xfs
	POOL_DIR=$SMALL_MNT run --separate-stderr vm VMMALLOC_FORK=2 "$PROGS/reflink" "$SMALL_MNT"
	assert_status 0
	assert_equal "$stderr" ""
	local kib=${output#copy }
	# a copy would take the whole 32 MiB pool; a clone a few blocks
	[ "$kib" -ge 0 ] && [ "$kib" -lt 4096 ] || { echo "# the copy took $kib KiB" >&2; return 1; }
}

@test "FORK-13: VMMALLOC_FORK=2 on tmpfs (no reflink): the child's pool is a full copy" {
	mount_small 128m
	POOL_DIR=$SMALL_MNT run --separate-stderr vm VMMALLOC_FORK=2 "$PROGS/reflink" "$SMALL_MNT"
	assert_status 0
	assert_equal "$stderr" ""
	local kib=${output#copy }
	[ "$kib" -ge $((32 * 1024 - 64)) ] || { echo "# the copy took only $kib KiB" >&2; return 1; }
}
