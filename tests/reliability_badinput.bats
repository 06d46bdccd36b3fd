#!/usr/bin/env bats
# reliability_badinput.bats -- what the libraries are given that they must
# refuse: bad handles, pointers, sizes and alignments for libvmem; every
# VMEM_* and VMMALLOC_* variable with empty, negative, huge, non-numeric,
# trailing-junk and overflowing values

load stress/helper

setup() {
	DIR=$(rel_tmpdir)
	export TEST_DIR=$DIR
}

teardown() {
	rel_cleanup
}

@test "BAD-01: every libvmem function with NULL, deleted, foreign handles, pointers, absurd sizes" {
	tap_run "$REL/vmem_badapi"
	[ -z "$(ls -A "$DIR")" ]
}

@test "BAD-02: junk in VMEM_LOG_LEVEL, VMEM_LOG_FILE, VMEM_PUNCH_HOLES: ignored, no crash" {
	local v
	for v in "" "-1" "5" "99999999999999999999999" "abc" "3x" " 2" \
		"0x10" "+1" "1.5"; do
		VMEM_LOG_LEVEL=$v VMEM_PUNCH_HOLES=$v tap_run "$REL/vmem_badapi"
	done
	# log files apart from the pools ("-" alone names "-<pid>" here)
	local logd
	logd=$(rel_tmpdir)
	cd "$logd"
	for v in "" "-" "/" "$logd" "/nonexistent/dir/log" "$logd/log-"; do
		VMEM_LOG_LEVEL=1 VMEM_LOG_FILE=$v tap_run "$REL/vmem_badapi"
	done
	# a trailing - appends the pid
	ls "$logd"
	[ "$(ls "$logd" | grep -c '^log-[0-9][0-9]*$')" -eq 1 ]
	[ "$(ls "$logd" | grep -c '^-[0-9][0-9]*$')" -eq 1 ]
}

# shim_bad VAR VALUE -- the shim must stop: one line naming VAR, status 1
shim_bad() {
	local var=$1 val=$2
	local env=(VMMALLOC_POOL_DIR="$DIR" VMMALLOC_POOL_SIZE=16M)
	env+=("$var=$val")
	run timeout 20 env LD_PRELOAD="$SHIM" "${env[@]}" /bin/true
	if [ "$status" -ne 1 ] || [ "$(wc -l <<<"$output")" -ne 1 ] ||
		! grep -q "^libvmmalloc: $var" <<<"$output"; then
		echo "$var='$val': status $status, output:"
		echo "$output"
		return 1
	fi
	echo "$var='$val' -> $output"
}

# shim_good VAR VALUE -- the shim accepts the value
shim_good() {
	local var=$1 val=$2
	run timeout 20 env LD_PRELOAD="$SHIM" VMMALLOC_POOL_DIR="$DIR" \
		VMMALLOC_POOL_SIZE=16M "$var=$val" /bin/true
	if [ "$status" -ne 0 ] || [ -n "$output" ]; then
		echo "$var='$val' refused: status $status: $output"
		return 1
	fi
}

JUNK=("" "-1" "-0" "abc" "16x" "16M " " 16M" "16MB" "0x1000000" "+16M"
	"1e9" "16.5M" "99999999999999999999" "18446744073709551616"
	"18446744073709551615K" "17179869184T" $'16M\n' "16M16" "M" "-16M")

@test "BAD-03: VMMALLOC_POOL_SIZE: junk, negative, overflowing: one line, status 1" {
	local v fails=0
	for v in "${JUNK[@]}"; do
		shim_bad VMMALLOC_POOL_SIZE "$v" || fails=$((fails + 1))
	done
	# too small, or too big for the file system
	shim_bad VMMALLOC_POOL_SIZE 0 || fails=$((fails + 1))
	shim_bad VMMALLOC_POOL_SIZE 14679040 || fails=$((fails + 1))
	shim_bad VMMALLOC_POOL_SIZE 13M || fails=$((fails + 1))
	[ "$fails" -eq 0 ]
	# parses (2^64 - 2^40), then no file system takes it: one line,
	# status 1 (it names the directory, where the reservation failed)
	run timeout 20 env LD_PRELOAD="$SHIM" VMMALLOC_POOL_DIR="$DIR" \
		VMMALLOC_POOL_SIZE=16777215T /bin/true
	echo "$output"
	[ "$status" -eq 1 ] && [ "$(wc -l <<<"$output")" -eq 1 ]
	grep -q '^libvmmalloc: VMMALLOC_POOL_.*cannot reserve' <<<"$output"
	shim_good VMMALLOC_POOL_SIZE 14M
	shim_good VMMALLOC_POOL_SIZE 14680064
	shim_good VMMALLOC_POOL_SIZE 16384k
}

@test "BAD-04: VMMALLOC_POOL_DIR: unset, empty, missing, a file, too long" {
	run timeout 20 env -u VMMALLOC_POOL_DIR LD_PRELOAD="$SHIM" \
		VMMALLOC_POOL_SIZE=16M /bin/true
	[ "$status" -eq 1 ] && grep -q '^libvmmalloc: VMMALLOC_POOL_DIR' <<<"$output"
	local fails=0 long
	long=/$(printf 'a%.0s' $(seq 5000))
	touch "$DIR/file"
	for v in "" "/nonexistent/x" "$DIR/file" "$long" "relative-missing"; do
		shim_bad VMMALLOC_POOL_DIR "$v" || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ]
}

@test "BAD-05: VMMALLOC_FORK, VMMALLOC_LOG_STATS, VMMALLOC_PUNCH_HOLES: out of range, junk" {
	local var v fails=0
	for var in VMMALLOC_FORK VMMALLOC_LOG_STATS VMMALLOC_PUNCH_HOLES; do
		for v in "" "-1" "4" "10" "01" "1x" " 1" "abc" "99999999999999999999" \
			"0x1" "+1" "1.0" $'1\n'; do
			shim_bad "$var" "$v" || fails=$((fails + 1))
		done
	done
	shim_bad VMMALLOC_LOG_STATS 2 || fails=$((fails + 1))
	shim_bad VMMALLOC_PUNCH_HOLES 2 || fails=$((fails + 1))
	[ "$fails" -eq 0 ]
	for v in 0 1 2 3; do shim_good VMMALLOC_FORK "$v"; done
	shim_good VMMALLOC_PUNCH_HOLES 1
}

@test "BAD-06: VMMALLOC_LOG_LEVEL junk gives one line, status 1; VMMALLOC_LOG_FILE junk is harmless" {
	local v fails=0
	for v in "" "-1" "5" "abc" "3x" " 2" "99999999999999999999" "0x1" \
		"+1" "1.0" $'1\n'; do
		shim_bad VMMALLOC_LOG_LEVEL "$v" || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ]
	for v in 0 1 2; do shim_good VMMALLOC_LOG_LEVEL "$v"; done
	# a log file that cannot be opened (or none): the log goes to
	# standard error, as for libvmem; the program runs
	local logd
	logd=$(rel_tmpdir)
	for v in "" "/nonexistent/dir/log" "/" "$logd"; do
		run timeout 20 env LD_PRELOAD="$SHIM" VMMALLOC_POOL_DIR="$DIR" \
			VMMALLOC_POOL_SIZE=16M VMMALLOC_LOG_LEVEL=3 \
			VMMALLOC_LOG_FILE="$v" /bin/echo hello
		echo "VMMALLOC_LOG_FILE='$v': status $status: $output"
		[ "$status" -eq 0 ]
		grep -q '^hello$' <<<"$output"
		grep -q 'shim_create.*fork mode 1' <<<"$output"
	done
}
