#!/usr/bin/env bats
# reliability_stress.bats -- integrity under load (short runs; the long
# ones are in scripts/stress): pools x threads x random operations with
# every block's pattern and range checked, thread churn, create/delete
# cycles, and the shim under repeated fork in every fork mode

load stress/helper

setup() {
	DIR=$(rel_tmpdir)
	export TEST_DIR=$DIR
}

teardown() {
	rel_cleanup
}

@test "STRESS-01: 4 pools x 4 threads, random operations, cross-thread frees" {
	tap_run "$REL/vmem_stress" ops -p 4 -t 4 -s 8 -n 0
	[ -z "$(ls -A "$DIR")" ]
}

@test "STRESS-02: small pools shared by more threads than caches" {
	# 14 MiB pools hand out one cache each: most threads run uncached
	tap_run "$REL/vmem_stress" ops -p 2 -t 6 -z 14 -s 4 -n 0
}

@test "STRESS-03: thread churn, 2000 short-lived threads on 3 pools" {
	tap_run "$REL/vmem_stress" churn -p 3 -t 8 -c 250 -n 150 -s 25
}

@test "STRESS-04: create/delete cycles beside a worker: fds and mappings flat" {
	tap_run "$REL/vmem_stress" cycles -p 4 -t 1 -c 2000 -s 30 -z 32
	[ -z "$(ls -A "$DIR")" ]
}

# fork_mode MODE FORKS [-w] -- the fork stress in one mode
fork_mode() {
	local mode=$1 forks=$2
	shift 2
	tap_run env LD_PRELOAD="$SHIM" VMMALLOC_POOL_DIR="$DIR" \
		VMMALLOC_POOL_SIZE=48M VMMALLOC_FORK="$mode" \
		"$REL/vmmalloc_fork" -f "$forks" -t 3 "$@"
	[ -z "$(ls -A "$DIR")" ]
}

@test "FORK-01: mode 0 (shared heap), 100 forks while 3 threads allocate" {
	fork_mode 0 100
}

@test "FORK-02: mode 0, 100 forks from a worker thread" {
	fork_mode 0 100 -w
}

@test "FORK-03: mode 1 (private copy-on-write), 30 forks while 3 threads allocate" {
	fork_mode 1 30
}

@test "FORK-04: mode 1, 30 forks from a worker thread" {
	fork_mode 1 30 -w
}

@test "FORK-05: mode 2 (a copy of the pool for the child), 40 forks" {
	fork_mode 2 40
}

@test "FORK-06: mode 2, 40 forks from a worker thread" {
	fork_mode 2 40 -w
}

@test "FORK-07: mode 3 (copy, else private), 40 forks" {
	fork_mode 3 40
}

@test "FORK-08: mode 3, 40 forks from a worker thread" {
	fork_mode 3 40 -w
}
