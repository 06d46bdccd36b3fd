#!/usr/bin/env bats
# vmmalloc_cmd.bats -- the wrapper command, build/scripts/vmmalloc (see
# vmmalloc(1)), run with VMMALLOC_LIBRARY pointing at the uninstalled
# library: options, what it exports, exit statuses, help and version

load vmmalloc_helper

setup() {
	vm_setup
	export VMMALLOC_LIBRARY=$VMLIB
	[ -x "$VMCMD" ] || {
		echo "# $VMCMD missing: build first" >&2
		return 1
	}
}

# cmd ARGS... -- the wrapper under a timeout
cmd() {
	timeout -k 5 "$VM_TIMEOUT" "$VMCMD" "$@"
}

# pool_line MAPS -- the pool's line of a maps text
pool_line() {
	grep ' (deleted)$' <<<"$1" | grep -E " $2/(#[0-9]+|\.vmem\.[A-Za-z0-9]+) "
}

# line_size LINE -- the size of the mapping of a maps line
line_size() {
	local lo=${1%%-*} hi=${1#*-}
	hi=${hi%% *}
	echo $((16#$hi - 16#$lo))
}

@test "CMD-01: runs a program with its heap in a pool of -s SIZE in /dev/shm" {
	run --separate-stderr cmd -s 32M /bin/cat /proc/self/maps
	assert_status 0
	assert_equal "$stderr" ""
	local line
	line=$(pool_line "$output" /dev/shm)
	[ -n "$line" ]
	assert_equal "$(line_size "$line")" $((32 << 20))
	assert_match "$line" " rw-s "
}

@test "CMD-02: -d DIR and --dir=DIR put the pool file in DIR" {
	local d=$BATS_TEST_TMPDIR/pools
	mkdir "$d"
	run --separate-stderr cmd -s 16M -d "$d" /bin/cat /proc/self/maps
	assert_status 0
	[ -n "$(pool_line "$output" "$d")" ]
	run --separate-stderr cmd --size=16M --dir="$d" /bin/cat /proc/self/maps
	assert_status 0
	[ -n "$(pool_line "$output" "$d")" ]
	# nameless: nothing left in DIR
	[ -z "$(ls -A "$d")" ]
}

@test "CMD-03: -s, --size SIZE and --size=SIZE set the pool size (suffixes)" {
	local a want
	for a in "-s 16M:16777216" "--size 20m:20971520" "--size=16384K:16777216" \
			"-s 15728640:15728640"; do
		want=${a#*:}
		# shellcheck disable=SC2086
		run --separate-stderr cmd ${a%%:*} --stats /bin/true
		assert_status 0
		assert_match "$stderr" "pool: 0x[0-9a-f]+, size $want, file,"
	done
}

@test "CMD-04: -f MODE, --fork MODE, --fork=MODE set VMMALLOC_FORK, and the mode works" {
	run --separate-stderr cmd -s 16M -f 2 /usr/bin/env
	assert_status 0
	assert_contains "$output" "VMMALLOC_FORK=2"
	run --separate-stderr cmd -s 16M --fork=0 /usr/bin/env
	assert_contains "$output" "VMMALLOC_FORK=0"
	run --separate-stderr cmd -s 32M --fork 2 "$PROGS/fork" 3
	assert_status 0
	assert_equal "$output" "forks 3: ok 3, failed 0, shared 0, copies 3, parent shared"
	run --separate-stderr cmd -s 32M -f 0 "$PROGS/fork" 3
	assert_status 0
	assert_equal "$output" "forks 3: ok 3, failed 0, shared 3, copies 0, parent shared"
}

@test "CMD-05: -p and --punch-holes turn hole punching on" {
	run --separate-stderr cmd -s 16M -p --stats /bin/true
	assert_status 0
	assert_match "$stderr" "hole punching on"
	run --separate-stderr cmd -s 16M --punch-holes /usr/bin/env
	assert_contains "$output" "VMMALLOC_PUNCH_HOLES=1"
	run --separate-stderr cmd -s 16M --stats /bin/true
	assert_match "$stderr" "hole punching off"
}

@test "CMD-06: --stats prints the pool's statistics at exit; without it nothing" {
	run --separate-stderr cmd -s 16M --stats /usr/bin/sort "$top_srcdir/tests/vmmalloc_cmd.bats"
	assert_status 0
	assert_equal "$output" "$(sort "$top_srcdir/tests/vmmalloc_cmd.bats")"
	assert_pool_used "$stderr"
	run --separate-stderr cmd -s 16M /usr/bin/sort "$top_srcdir/tests/vmmalloc_cmd.bats"
	assert_status 0
	assert_equal "$stderr" ""
}

@test "CMD-07: the exit status of the command is passed through (0, 1, 7, 143 for SIGTERM)" {
	run cmd -s 16M /bin/true
	assert_status 0
	run cmd -s 16M /bin/false
	assert_status 1
	run cmd -s 16M /bin/sh -c 'exit 7'
	assert_status 7
	run cmd -s 16M /bin/sh -c 'kill -TERM $$'
	assert_status 143
}

@test "CMD-08: a missing command: status 127 and one line" {
	run -127 --separate-stderr cmd -s 16M no-such-command-here arg
	assert_equal "$stderr" "vmmalloc: no-such-command-here: command not found"
	assert_equal "$output" ""
	run -127 --separate-stderr cmd -s 16M "$BATS_TEST_TMPDIR/missing"
	assert_equal "$stderr" "vmmalloc: $BATS_TEST_TMPDIR/missing: command not found"
}

@test "CMD-09: a command that cannot be executed: status 126" {
	: >"$BATS_TEST_TMPDIR/not-executable"
	run --separate-stderr cmd -s 16M "$BATS_TEST_TMPDIR/not-executable"
	assert_status 126
	assert_contains "$stderr" "Permission denied"
}

@test "CMD-10: a missing library (VMMALLOC_LIBRARY): status 127 and one line" {
	VMMALLOC_LIBRARY=$BATS_TEST_TMPDIR/libnone.so.1 run -127 --separate-stderr \
		cmd -s 16M /bin/true
	assert_equal "$stderr" "vmmalloc: $BATS_TEST_TMPDIR/libnone.so.1 not found"
	assert_equal "$output" ""
}

@test "CMD-11: usage errors (no command, unknown option, option without its value, -ps): status 2, usage on stderr" {
	local args
	for args in "" "-s 16M" "-x /bin/true" "--bogus /bin/true" "-ps /bin/true" \
			"-s" "-d" "-f" "--size" "--dir" "--fork"; do
		# shellcheck disable=SC2086
		run --separate-stderr cmd $args
		[ "$status" -eq 2 ] || echo "# args: $args" >&2
		assert_status 2
		assert_equal "$output" ""
		assert_contains "$stderr" "usage: vmmalloc [-d DIR] [-s SIZE] [-f MODE] [-p] [--stats] [--] command [args...]"
	done
	run --separate-stderr cmd -s 16M
	assert_equal "${stderr_lines[0]}" "vmmalloc: no command given"
	run --separate-stderr cmd -x /bin/true
	assert_equal "${stderr_lines[0]}" "vmmalloc: unknown option -x"
}

@test "CMD-12: --help and -h print the usage on stdout, status 0" {
	local a
	for a in --help -h; do
		run --separate-stderr cmd $a
		assert_status 0
		assert_equal "$stderr" ""
		assert_equal "${lines[0]}" "usage: vmmalloc [-d DIR] [-s SIZE] [-f MODE] [-p] [--stats] [--] command [args...]"
		assert_contains "$output" "-V, --version"
	done
}

@test "CMD-13: --version and -V print the package version, status 0" {
	local v
	v=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
	[ -n "$v" ]
	run --separate-stderr cmd --version
	assert_status 0
	assert_equal "$output" "vmmalloc $v"
	run --separate-stderr cmd -V
	assert_equal "$output" "vmmalloc $v"
}

@test "CMD-14: options end at the command or --; the command's own arguments pass verbatim" {
	run --separate-stderr cmd -s 16M /bin/echo -s 1G -d x --stats
	assert_status 0
	assert_equal "$output" "-s 1G -d x --stats"
	assert_equal "$stderr" ""
	run --separate-stderr cmd -s 16M -- /usr/bin/printf '%s\n' --help
	assert_status 0
	assert_equal "$output" "--help"
	run -127 --separate-stderr cmd -s 16M -- -V
}

@test "CMD-15: the library goes first in LD_PRELOAD, what was there stays after it" {
	LD_PRELOAD=libc.so.6 run --separate-stderr cmd -s 16M /usr/bin/env
	assert_status 0
	assert_contains "$output" "LD_PRELOAD=$VMLIB:libc.so.6"
	run --separate-stderr cmd -s 16M /usr/bin/env
	assert_contains "$output" "LD_PRELOAD=$VMLIB"$'\n'
}

@test "CMD-16: defaults: /dev/shm, 1G, fork mode 1, no punching, no statistics; values in the environment are replaced" {
	VMMALLOC_POOL_SIZE=99M VMMALLOC_FORK=3 VMMALLOC_LOG_STATS=1 \
		run --separate-stderr cmd /usr/bin/env
	assert_status 0
	assert_equal "$stderr" ""
	local e
	e=$(grep '^VMMALLOC_' <<<"$output" | grep -v '^VMMALLOC_LIBRARY=' | sort | tr '\n' ' ')
	assert_equal "$e" "VMMALLOC_FORK=1 VMMALLOC_LOG_STATS=0 VMMALLOC_POOL_DIR=/dev/shm VMMALLOC_POOL_SIZE=1G VMMALLOC_PUNCH_HOLES=0 "
}

@test "CMD-17: a value the library rejects stops the command with its one line, status 1" {
	run --separate-stderr cmd -s 16x /bin/echo ran
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=16x: not a size"
	run --separate-stderr cmd -s 16M -f 7 /bin/echo ran
	assert_stopped "libvmmalloc: VMMALLOC_FORK=7: not a number from 0 to 3"
	run --separate-stderr cmd -s 16M -d "$BATS_TEST_TMPDIR/none" /bin/echo ran
	assert_stopped "libvmmalloc: VMMALLOC_POOL_DIR=$BATS_TEST_TMPDIR/none: cannot create a pool file in $BATS_TEST_TMPDIR/none: No such file or directory"
}

@test "CMD-18: VMMALLOC_LOG_LEVEL and VMMALLOC_LOG_FILE pass through" {
	local log=$BATS_TEST_TMPDIR/log
	VMMALLOC_LOG_LEVEL=3 VMMALLOC_LOG_FILE=$log run --separate-stderr \
		cmd -s 16M /bin/true
	assert_status 0
	assert_contains "$(cat "$log")" "size 16777216 dir /dev/shm fork mode 1"
}
