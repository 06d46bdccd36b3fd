#!/usr/bin/env bats
# vmem_valgrind.bats -- the C tests under memcheck without an error, and
# memcheck seeing what goes wrong inside pool memory (client requests)

load helper

VG_OPTS="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"

setup() {
	command -v valgrind >/dev/null 2>&1 || skip "valgrind not installed"
}

# vg NAME ARGS... -- run a test program under memcheck
vg() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	run valgrind $VG_OPTS "$(prog "$name")" "$@"
}

# assert_clean -- memcheck and the TAP output found nothing wrong
assert_clean() {
	assert_success
	refute_output_contains "not ok"
	refute_output_contains "Invalid "
	refute_output_contains "uninitialised"
	refute_output_contains "definitely lost"
}

@test "VG-01: vmem_api runs clean under memcheck" {
	vg vmem_api
	assert_clean
}

@test "VG-02: vmem_funcs runs clean under memcheck" {
	vg vmem_funcs
	assert_clean
}

@test "VG-03: pools and threads, small, and pools deleted under other threads run clean under memcheck" {
	vg vmem_threads isolation 0.02
	assert_clean
	vg vmem_threads shortlived 0.01
	assert_clean
	vg vmem_threads retire
	assert_clean
}

@test "VG-04: blocks still live at vmem_delete are not leaks" {
	vg vmem_tool delete-live
	assert_success
	refute_output_contains "definitely lost"
	vg vmem_tool region-live
	assert_success
	refute_output_contains "definitely lost"
}

@test "VG-05: memcheck reports a block lost in a live pool" {
	vg vmem_tool leak
	assert_status 99
	assert_output_contains "4,321 bytes in 1 blocks are definitely lost"
	assert_output_contains "leak_some"
}

@test "VG-06: memcheck reports a 1-byte overrun of a pool block" {
	vg vmem_tool overrun
	assert_status 99
	assert_output_contains "Invalid write of size 1"
	assert_output_contains "0 bytes after a block of size 100 alloc'd"
}

@test "VG-07: memcheck reports a write to a freed pool block" {
	vg vmem_tool use-after-free
	assert_status 99
	assert_output_contains "Invalid write of size 1"
	assert_output_contains "inside a block of size 100 free'd"
}
