#!/usr/bin/env bats
# reliability_fuzz.bats -- libFuzzer harnesses (tests/fuzz): the size
# parser against a model, the shim's environment handling against the
# spec, random libvmem call sequences against a table of live blocks.
# Short runs here; long ones in scripts/stress.  The committed corpus
# (tests/fuzz/corpus/<harness>/) is replayed first: inputs that once
# failed stay as regression tests there.

load stress/helper

FUZZ=$top_builddir/tests/fuzz

setup_file() {
	export top_builddir top_srcdir
	"$top_srcdir/tests/fuzz/build" >&3 2>&1 || true
}

setup() {
	DIR=$(rel_tmpdir)
	export TEST_DIR=$DIR
	export ASAN_OPTIONS=detect_leaks=1
}

teardown() {
	rel_cleanup
}

@test "FUZZ-00: the harnesses build (clang with its fuzzer runtime)" {
	run "$top_srcdir/tests/fuzz/build"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -x "$FUZZ/fuzz_size" ] && [ -x "$FUZZ/fuzz_env" ] && [ -x "$FUZZ/fuzz_api" ]
}

# fuzz NAME ARGS... -- replay the corpus, then fuzz from it
fuzz() {
	local name=$1
	shift
	local corpus=$top_srcdir/tests/fuzz/corpus/$name
	local new=$FUZZ/new-$name
	[ -x "$FUZZ/fuzz_$name" ] || { echo "fuzz_$name not built (FUZZ-00)"; return 1; }
	mkdir -p "$new"
	run timeout 120 "$FUZZ/fuzz_$name" "$corpus"/*
	if [ "$status" -ne 0 ]; then
		echo "$output" | tail -40
		return 1
	fi
	run timeout 300 "$FUZZ/fuzz_$name" -artifact_prefix="$FUZZ/crash-$name-" \
		-print_final_stats=1 "$@" "$new" "$corpus"
	grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss)' <<<"$output" |
		sed "s/^/fuzz_$name: /" | diag
	if [ "$status" -ne 0 ]; then
		echo "$output" | tail -60
		echo "a failing input is in $FUZZ/crash-$name-*: copy it to" \
			"tests/fuzz/corpus/$name/ once fixed"
		return 1
	fi
}

@test "FUZZ-01: util_parse_size against a model, 20000 runs" {
	fuzz size -runs=20000
}

@test "FUZZ-02: the shim's environment against the spec, 20000 runs" {
	fuzz env -runs=20000
}

@test "FUZZ-03: random libvmem call sequences against a model, 15 s" {
	fuzz api -max_total_time=15
}
