#!/usr/bin/env bats
# reliability_badinput.bats -- what the libraries are given that they must
# refuse: bad handles, pointers, sizes and alignments for libvmem; every
# VMEM_* variable with empty, negative, huge, non-numeric, trailing-junk
# and overflowing values

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
	for v in "" "-" "/" "$DIR" "/nonexistent/dir/log" "$DIR/log-"; do
		VMEM_LOG_LEVEL=1 VMEM_LOG_FILE=$v tap_run "$REL/vmem_badapi"
	done
	# a trailing - appends the pid: exactly one such file
	[ "$(ls "$DIR" | grep -c '^log-[0-9][0-9]*$')" -ge 1 ]
}
