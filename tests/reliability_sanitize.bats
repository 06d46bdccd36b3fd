#!/usr/bin/env bats
# reliability_sanitize.bats -- libvmem's tests under AddressSanitizer with
# UndefinedBehaviorSanitizer, the threaded ones under ThreadSanitizer
# (builds by tests/sanitize/build, with clang, from the sources), and the
# threaded stress under valgrind's DRD.  (Memcheck with a planted leak and
# overrun in pool memory: tests/vmem_valgrind.bats, VG-05 and VG-06.)

load stress/helper

SAN=$top_builddir/tests/sanitize

setup_file() {
	export top_builddir top_srcdir
	"$top_srcdir/tests/sanitize/build" >&3 2>&1 || true
}

setup() {
	DIR=$(rel_tmpdir)
	export TEST_DIR=$DIR
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
}

teardown() {
	rel_cleanup
}

# san PROG ARGS... -- a sanitized program: TAP clean, no sanitizer report
san() {
	local prog=$1
	shift
	[ -x "$SAN/$prog" ] || { echo "$SAN/$prog not built: see tests/sanitize/build"; return 1; }
	tap_run "$SAN/$prog" "$@"
	if grep -E 'ERROR: (Address|Thread|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' <<<"$output"; then
		echo "$output"
		return 1
	fi
}

@test "SAN-01: ASan+UBSan: stress, 3 pools x 3 threads" {
	san asan/vmem_stress ops -p 3 -t 3 -s 5 -n 0
}

@test "SAN-02: ASan+UBSan: churn and create/delete cycles" {
	san asan/vmem_stress churn -p 2 -t 4 -c 40 -n 100 -s 10
	san asan/vmem_stress cycles -p 2 -c 300 -s 10 -z 32
}

@test "SAN-03: ASan+UBSan: bad input (deleted handles left out: a use after free by definition)" {
	san asan/vmem_badapi -D
}

@test "SAN-04: ASan+UBSan: libvmem's own C tests" {
	local t n=0
	for t in vmem_api vmem_capacity vmem_funcs vmem_pools vmem_threads; do
		[ -x "$SAN/asan/$t" ] || continue
		san "asan/$t"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "SAN-05: TSan: stress, churn, cycles, vmem_threads (no suppressions)" {
	san tsan/vmem_stress ops -p 2 -t 4 -s 4 -n 0
	san tsan/vmem_stress churn -p 2 -t 4 -c 30 -n 100 -s 10
	san tsan/vmem_stress cycles -p 2 -c 100 -s 10 -z 32
	[ ! -x "$SAN/tsan/vmem_threads" ] || san tsan/vmem_threads
}

@test "SAN-06: DRD on the threaded stress, engine internals suppressed (tests/sanitize/drd.supp)" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	local supp=$top_srcdir/tests/sanitize/drd.supp
	tap_run valgrind --tool=drd --error-exitcode=9 --suppressions="$supp" \
		"$REL/vmem_stress" ops -p 2 -t 3 -n 1500 -s 60
	grep 'ERROR SUMMARY' <<<"$output" | diag
	tap_run valgrind --tool=drd --error-exitcode=9 --suppressions="$supp" \
		"$REL/vmem_stress" churn -p 2 -t 4 -c 12 -n 100 -s 60
	grep 'ERROR SUMMARY' <<<"$output" | diag
}

@test "SAN-07: DRD with those suppressions still reports a race on pool memory" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	run timeout 300 valgrind --tool=drd --error-exitcode=9 \
		--suppressions="$top_srcdir/tests/sanitize/drd.supp" \
		"$REL/vmem_race"
	grep 'ERROR SUMMARY' <<<"$output" | diag
	echo "$output" | tail -30
	[ "$status" -eq 9 ]
	grep -q 'Conflicting store' <<<"$output"
	grep -q 'race_writer' <<<"$output"
}
