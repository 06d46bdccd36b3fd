#!/usr/bin/env bats
# vmmalloc_programs.bats -- real, unmodified programs under libvmmalloc:
# the output is the same as without the shim, and the pool was used (its
# statistics at exit, or the pool file in /proc/PID/maps)

load vmmalloc_helper

PY=/usr/bin/python3
PERL=/usr/bin/perl
SORT=/usr/bin/sort
SQLITE=/usr/bin/sqlite3

setup() {
	vm_setup
}

# need PATH -- skip unless the (distribution's) program is there
need() {
	[ -x "$1" ] || skip "$1 is not installed (scripts/setup installs it)"
}

# same_output MIN COMMAND... -- stdout with and without the shim equal,
# exit status 0 both times, the pool's statistics show more than MIN
# allocations
same_output() {
	local min=$1
	shift
	run --separate-stderr plain "$@"
	assert_status 0
	local want=$output
	[ -n "$want" ]
	run --separate-stderr vm VMMALLOC_LOG_STATS=1 "$@"
	assert_status 0
	assert_equal "$output" "$want"
	assert_pool_used "$stderr" "$min"
}

@test "PROG-01: python3, threads and a subprocess: same output, pool used" {
	need $PY
	POOL_SIZE=256M same_output 1000 $PY "$top_srcdir/tests/progs/workload.py"
}

@test "PROG-02: python3 with PYTHONMALLOC=malloc (every object in the pool): same output" {
	need $PY
	POOL_SIZE=256M same_output 100000 env PYTHONMALLOC=malloc \
		$PY "$top_srcdir/tests/progs/workload.py"
}

@test "PROG-03: perl, a hash of 100k keys: same output, pool used" {
	need $PERL
	local script='my %h; for my $i (1 .. 100000) { $h{"key$i"} = [$i, "v" x ($i % 10)] }
my $s = 0; $s += $h{$_}[0] for keys %h;
print scalar(keys %h), " $s\n", join(",", (sort keys %h)[0 .. 4]), "\n";
delete $h{"key$_"} for 1 .. 50000; print scalar(keys %h), "\n";'
	POOL_SIZE=128M same_output 100000 $PERL -e "$script"
}

# big_file -- about 20 MB of lines in random order (made once a run)
big_file() {
	BIG=$BATS_FILE_TMPDIR/big.txt
	[ -s "$BIG" ] || awk 'BEGIN { srand(42); for (i = 0; i < 700000; i++)
		printf "%010d %s line %d\n", int(rand() * 1e9),
		(i % 3 ? "alpha" : "beta"), i }' >"$BIG"
}

# vm_sort_md5 ASSIGNMENTS... -- md5sum of sort of $BIG under the shim
vm_sort_md5() {
	set -o pipefail
	vm "$@" $SORT -T "$BATS_TEST_TMPDIR" "$BIG" | md5sum
}

@test "PROG-04: sort of a 20 MB file: same output, its buffer in the pool" {
	need $SORT
	big_file
	[ "$(stat -c %s "$BIG")" -gt 19000000 ]
	local want
	want=$(plain $SORT -T "$BATS_TEST_TMPDIR" "$BIG" | md5sum)
	POOL_SIZE=256M run --separate-stderr vm_sort_md5 VMMALLOC_LOG_STATS=1
	assert_status 0
	assert_equal "$output" "$want"
	assert_pool_used "$stderr" 100
	# a large block (sort's buffer, several MiB) came from the pool
	local biggest
	biggest=$(sed -n '/^large:/,/^___ End/p' <<<"$stderr" |
		awk '$1 ~ /^[0-9]+$/ && $3 > 0 { if ($1 > m) m = $1 } END { print m + 0 }')
	[ "$biggest" -ge $((8 << 20)) ] || {
		echo "# largest block $biggest" >&2
		return 1
	}
}

@test "PROG-05: sort of a 20 MB file in a 16 MiB pool: allocations fail, sort copes, same output" {
	need $SORT
	big_file
	local want
	want=$(plain $SORT -T "$BATS_TEST_TMPDIR" "$BIG" | md5sum)
	POOL_SIZE=16M run --separate-stderr vm_sort_md5
	assert_status 0
	assert_equal "$output" "$want"
	assert_equal "$stderr" ""
}

@test "PROG-06: sqlite3, 200k rows, an index: same output, pool used" {
	need $SQLITE
	local sql="CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT x, printf('name-%07d', (x * 7919) % 200000), x * 0.5 FROM c;
CREATE INDEX ti ON t(name);
SELECT count(*), sum(v), min(name), max(name) FROM t;
SELECT name FROM t ORDER BY name LIMIT 3 OFFSET 100000;
SELECT count(*) FROM t WHERE name LIKE 'name-00001%';"
	POOL_SIZE=128M same_output 1000 $SQLITE :memory: "$sql"
}

@test "PROG-07: a C++ program (new/delete, aligned new, string, vector, map, thread): same output" {
	same_output 1000 "$PROGS/cxx"
	assert_contains "$output" "aligned new: aligned"
}

@test "PROG-08: C++ new, new[], alignas(64), alignas(4096), align_val_t, string, vector, thread, statics all in the pool" {
	run --separate-stderr vm "$PROGS/cxx" where
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 9
	local l
	for l in "${lines[@]}"; do
		assert_match "$l" " pool$"
	done
	# and without the shim none of it is (the check can tell)
	run --separate-stderr plain env VMMALLOC_POOL_DIR="$POOL_DIR" "$PROGS/cxx" where
	assert_status 0
	assert_equal "$(grep -c ' not-pool$' <<<"$output")" 9
}

@test "PROG-09: 5000 short-lived threads, 8 at a time: all in the pool, nothing stranded" {
	run --separate-stderr vm "$PROGS/threads" 5000 8
	assert_status 0
	assert_equal "$stderr" ""
	assert_match "$output" "^threads 5000: fill [0-9]+ [0-9]+, allocated [0-9]+ [0-9]+$"
}

@test "PROG-10: the pool file shows in /proc/PID/maps of a running program" {
	need $PERL
	local fifo=$BATS_TEST_TMPDIR/fifo pid maps
	mkfifo "$fifo"
	LD_PRELOAD=$VMLIB VMMALLOC_POOL_DIR=$POOL_DIR VMMALLOC_POOL_SIZE=32M \
		timeout 60 $PERL -e 'my @a = map { "x" x $_ } 1 .. 1000; <STDIN>;' \
		<"$fifo" 3>&- &
	pid=$!
	exec 5>"$fifo"
	# timeout's child is perl
	wait_for 100 pgrep -P "$pid" >/dev/null
	local child
	child=$(pgrep -P "$pid")
	wait_for 100 grep -q "$POOL_DIR/.* (deleted)" "/proc/$child/maps"
	maps=$(cat "/proc/$child/maps")
	exec 5>&-
	wait "$pid"
	assert_match "$maps" "rw-s 00000000 [0-9a-f:]+ [0-9]+ +$POOL_DIR/#[0-9]+ \(deleted\)"
	# one mapping of exactly the pool size
	local line lo hi
	line=$(grep "$POOL_DIR/#" <<<"$maps")
	assert_equal "$(wc -l <<<"$line")" 1
	lo=$((16#${line%%-*}))
	hi=${line#*-}
	hi=$((16#${hi%% *}))
	assert_equal $((hi - lo)) $((32 << 20))
	# aligned to 2 MiB
	assert_equal $((lo % (2 << 20))) 0
}
