#!/usr/bin/env bats
# vmem_env.bats -- the environment: VMEM_LOG_FILE, VMEM_LOG_LEVEL,
# VMEM_PUNCH_HOLES, a stock MALLOC_CONF; statistics as JSON

load helper

setup() {
	scratch_dir
}

teardown() {
	teardown_scratch
}

PY=/usr/bin/python3

@test "ENV-01: statistics go to stderr by default" {
	run_prog vmem_tool stats
	assert_success
	assert_output_contains "___ Begin libvmem statistics ___"
	assert_output_contains "___ End libvmem statistics ___"
	# and not to stdout
	out=$("$(prog vmem_tool)" stats 2>/dev/null)
	[[ "$out" != *"Begin libvmem"* ]] || fail_with "statistics on stdout"
}

@test "ENV-02: VMEM_LOG_FILE redirects the default output" {
	VMEM_LOG_FILE="$SCRATCH/log" run_prog vmem_tool stats
	assert_success
	refute_output_contains "Begin libvmem statistics"
	assert_file_contains "$SCRATCH/log" "___ Begin libvmem statistics ___"
	assert_file_contains "$SCRATCH/log" "___ End libvmem statistics ___"
	# a second run appends
	VMEM_LOG_FILE="$SCRATCH/log" run_prog vmem_tool stats
	[ "$(grep -c 'Begin libvmem statistics' "$SCRATCH/log")" -eq 2 ] ||
		fail_with "log file not appended to"
}

@test "ENV-03: VMEM_LOG_FILE ending in '-' appends the pid" {
	VMEM_LOG_FILE="$SCRATCH/vmem-" run_prog vmem_tool stats
	assert_success
	pid=$(sed -n 's/^pid \([0-9]*\)$/\1/p' <<<"$output")
	[ -n "$pid" ] || fail_with "no pid printed"
	assert_file_contains "$SCRATCH/vmem-$pid" "Begin libvmem statistics"
	[ ! -e "$SCRATCH/vmem-" ] || fail_with "file without the pid made"
}

@test "ENV-04: VMEM_LOG_LEVEL=1 logs errors with their message" {
	VMEM_LOG_LEVEL=1 VMEM_LOG_FILE="$SCRATCH/log" run_prog vmem_tool error
	assert_success
	assert_file_contains "$SCRATCH/log" "size 0 smaller than 14680064"
	assert_file_contains "$SCRATCH/log" "vmem_create"
	# level 1: errors only, not each call
	! grep -q "4242" "$SCRATCH/log" || fail_with "level 1 logged a call"
}

@test "ENV-05: VMEM_LOG_LEVEL unset or 0 logs nothing" {
	VMEM_LOG_FILE="$SCRATCH/log" run_prog vmem_tool error
	assert_success
	[ ! -s "$SCRATCH/log" ] || fail_with "logged: $(cat "$SCRATCH/log")"
	VMEM_LOG_LEVEL=0 run_prog vmem_tool error
	assert_success
	refute_output_contains "smaller than"
}

@test "ENV-06: VMEM_LOG_LEVEL=3 logs pool creation, 4 every call" {
	VMEM_LOG_LEVEL=3 VMEM_LOG_FILE="$SCRATCH/log3" run_prog vmem_tool error
	assert_success
	assert_file_contains "$SCRATCH/log3" "size 14680064"
	! grep -q "4242" "$SCRATCH/log3" || fail_with "level 3 logged malloc"
	VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$SCRATCH/log4" run_prog vmem_tool error
	assert_success
	assert_file_contains "$SCRATCH/log4" "4242"
	assert_file_contains "$SCRATCH/log4" "5353"
	VMEM_LOG_LEVEL=4 run_prog vmem_tool error
	assert_output_contains "4242"
}

@test "ENV-07: stats 'J' is one valid JSON object (python3 -m json.tool)" {
	[ -x "$PY" ] || skip "$PY not installed"
	VMEM_LOG_FILE="$SCRATCH/json" run_prog vmem_tool stats J
	assert_success
	[ "$(wc -l <"$SCRATCH/json")" -eq 1 ] || fail_with "not one line"
	run "$PY" -m json.tool "$SCRATCH/json"
	assert_success
	run "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["libvmem"], d.keys()
v = d["libvmem"]
assert v["pool"]["size"] == 14680064, v["pool"]
assert v["pool"]["kind"] == "file"
assert v["summary"]["allocated"] > 0
assert any(b["curregs"] > 0 for b in v["bins"]), v["bins"]
print("json ok")' "$SCRATCH/json"
	assert_success
	assert_output_contains "json ok"
	for opts in Jg Jm Jb Jl Jgmabl Jxyz; do
		VMEM_LOG_FILE="$SCRATCH/json-$opts" run_prog vmem_tool stats $opts
		run "$PY" -m json.tool "$SCRATCH/json-$opts"
		assert_success
	done
}

@test "ENV-08: calloc zero on reuse with VMEM_PUNCH_HOLES=1" {
	VMEM_PUNCH_HOLES=1 run_prog vmem_api calloc realloc
	assert_success
	refute_output_contains "not ok"
}

@test "ENV-09: a stock jemalloc MALLOC_CONF does not change libvmem" {
	MALLOC_CONF="narenas:64,tcache:false,junk:true,retain:false,abort_conf:true" \
		run_prog vmem_api malloc calloc
	assert_success
	refute_output_contains "not ok"
	MALLOC_CONF="narenas:64" run_prog vmem_capacity quick
	assert_success
}

@test "ENV-10: the environment is ignored by a setuid program (secure_getenv)" {
	command -v setpriv >/dev/null 2>&1 || skip "setpriv not installed"
	command -v cc >/dev/null 2>&1 || skip "no C compiler to build a setuid copy"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	libdir="$top_builddir/libvmem/.libs"
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$libdir/libvmem.so.1" ||
		skip "user nobody cannot read $libdir"
	mount | grep -q " /dev/shm .*nosuid" && skip "/dev/shm is nosuid"
	# a setuid-root copy run by nobody: AT_SECURE, LD_LIBRARY_PATH ignored
	cc -D_GNU_SOURCE -o "$SCRATCH/tool" "$top_srcdir/tests/vmem_tool.c" \
		-I"$top_srcdir/libvmem" -L"$libdir" -lvmem -ldl \
		-Wl,-rpath,"$libdir" || skip "cannot build the setuid copy"
	chmod 4755 "$SCRATCH/tool"
	chmod 0777 "$SCRATCH"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
		VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$SCRATCH/suid-log" \
		"$SCRATCH/tool" error
	assert_success
	[ ! -e "$SCRATCH/suid-log" ] || fail_with "VMEM_LOG_FILE honoured"
	refute_output_contains "4242"
	# the same program without setuid does honour them
	chmod 0755 "$SCRATCH/tool"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
		VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$SCRATCH/plain-log" \
		"$SCRATCH/tool" error
	assert_success
	assert_file_contains "$SCRATCH/plain-log" "4242"
}
