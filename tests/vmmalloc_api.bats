#!/usr/bin/env bats
# vmmalloc_api.bats -- libvmmalloc's interface: the exported names, every
# libc allocation name answered from the pool, pool exhaustion, memory the
# pool does not own (RTLD_DEEPBIND), frees while the process exits

load vmmalloc_helper

setup() {
	vm_setup
}

EXPORTS="__libc_calloc __libc_free __libc_malloc __libc_memalign
__libc_pvalloc __libc_realloc __libc_valloc __posix_memalign aligned_alloc
calloc cfree free mallinfo mallinfo2 malloc malloc_info malloc_stats
malloc_trim malloc_usable_size mallopt memalign posix_memalign pvalloc
realloc reallocarray valloc"

@test "SYM-01: nm -D --defined-only shows exactly the names of SPEC.md section 2" {
	run nm -D --defined-only "$VMLIB"
	assert_status 0
	local got want
	got=$(awk '{ print $3 }' <<<"$output" | sort | tr '\n' ' ')
	want=$(tr ' ' '\n' <<<"$EXPORTS" | grep . | sort | tr '\n' ' ')
	assert_equal "$got" "$want"
	# all of them functions in the text section
	assert_equal "$(awk '$2 != "T" && $2 != "W" && $2 != "i"' <<<"$output")" ""
}

@test "SYM-02: the exported names are unversioned" {
	run nm -D --defined-only "$VMLIB"
	assert_status 0
	assert_equal "$(grep -c '@' <<<"$output")" 0
	run readelf -V --wide "$VMLIB"
	assert_status 0
	[[ $output != *"Version definition section"* ]]
	# no engine name leaks, not even undefined
	run nm -D "$VMLIB"
	assert_equal "$(grep -Ei 'je_|jemalloc|mallctl|mallocx|vje_' <<<"$output")" ""
}

@test "SYM-03: soname libvmmalloc.so.1, no NEEDED libvmem.so or libjemalloc" {
	run readelf -d --wide "$VMLIB"
	assert_status 0
	assert_contains "$output" "(SONAME)             Library soname: [libvmmalloc.so.1]"
	local needed
	needed=$(grep '(NEEDED)' <<<"$output")
	[[ $needed != *libvmem* ]]
	[[ $needed != *jemalloc* ]]
	# and a program under it does not load libvmem either
	run --separate-stderr vm /bin/cat /proc/self/maps
	assert_status 0
	[[ $output != *libvmem.so* ]]
	[[ $output != *libjemalloc* ]]
}

@test "SYM-04: every name a program calls resolves to the shim (dlsym, dladdr)" {
	run --separate-stderr vm "$PROGS/api" aliases
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-01: malloc(0) gives unique pointers that can be freed" {
	run --separate-stderr vm "$PROGS/api" malloc0
	assert_status 0
	assert_equal "$output" "ok malloc0"
}

@test "API-02: posix_memalign: every power of two to 2 MiB; EINVAL for 3, 24, 0, 4; ENOMEM; errno untouched" {
	run --separate-stderr vm "$PROGS/api" posix_memalign
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-03: aligned_alloc(3, ...) and other bad alignments: NULL, EINVAL; any size (C17)" {
	run --separate-stderr vm "$PROGS/api" aligned_alloc
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-04: memalign rounds the alignment up to a power of two, as glibc" {
	run --separate-stderr vm "$PROGS/api" memalign
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-05: valloc and pvalloc are page aligned; pvalloc rounds to whole pages" {
	run --separate-stderr vm "$PROGS/api" valloc
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-06: calloc is zero on every reuse; calloc overflow is ENOMEM" {
	run --separate-stderr vm "$PROGS/api" calloc
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-07: realloc keeps contents; reallocarray overflow is ENOMEM; realloc(p, 0) frees" {
	run --separate-stderr vm "$PROGS/api" realloc
	assert_status 0
	assert_equal "$stderr" ""
}

@test "API-08: mallinfo2().arena is the pool size; mallinfo, malloc_trim, mallopt answer" {
	local s
	for s in 32M:33554432 16M:16777216 100M:104857600; do
		POOL_SIZE=${s%%:*} run --separate-stderr vm "$PROGS/api" mallinfo "${s#*:}"
		assert_status 0
		assert_equal "$stderr" ""
	done
}

@test "API-09: malloc_info writes an XML document with the pool's totals" {
	run --separate-stderr vm "$PROGS/api" malloc_info
	assert_status 0
	assert_equal "${lines[0]}" '<malloc version="libvmmalloc-1">'
	assert_equal "${lines[1]}" '<total type="pool" size="33554432"/>'
	assert_match "${lines[2]}" '^<total type="allocated" size="[0-9]+"/>$'
	assert_match "${lines[3]}" '^<total type="free" size="[0-9]+"/>$'
	assert_equal "${lines[4]}" '</malloc>'
	assert_equal "${lines[5]}" 'ok malloc_info'
	if command -v xmllint >/dev/null; then
		head -5 <<<"$output" | xmllint --noout -
	fi
}

@test "API-10: malloc_stats prints the pool's statistics on stderr" {
	run --separate-stderr vm "$PROGS/api" malloc_stats
	assert_status 0
	assert_equal "$output" "ok malloc_stats"
	assert_pool_used "$stderr"
	assert_contains "$stderr" "size 33554432"
}

@test "API-11: 2 MiB-aligned blocks of 2 MiB multiples (the engine's metadata shape) come from the pool" {
	run --separate-stderr vm "$PROGS/api" aligned_alloc
	assert_status 0
	assert_equal "$stderr" ""
}

@test "EXH-01: small blocks until NULL: ENOMEM, no abort; freed, the same count fits again" {
	local n
	for n in 16 1000; do
		POOL_SIZE=16M run --separate-stderr vm "$PROGS/exhaust" fill $n
		assert_status 0
		assert_equal "$stderr" ""
		assert_match "$output" "^fill $n: [0-9]+ [0-9]+ [0-9]+$"
	done
}

@test "EXH-02: page and large blocks until NULL: ENOMEM, no abort; the same count again" {
	local n
	for n in 4096 65536 1048576 10000000; do
		POOL_SIZE=32M run --separate-stderr vm "$PROGS/exhaust" fill $n
		assert_status 0
		assert_equal "$stderr" ""
		assert_match "$output" "^fill $n: [1-9][0-9]* [0-9]+ [0-9]+$"
	done
}

@test "EXH-03: nearly the whole pool is usable (16 MiB pool: over 15 MiB of 4 KiB blocks)" {
	POOL_SIZE=16M run --separate-stderr vm "$PROGS/exhaust" fill 4096
	assert_status 0
	local n=${output#fill 4096: }
	n=${n%% *}
	[ "$n" -ge 3840 ] || { echo "# only $n blocks of 4 KiB" >&2; return 1; }
}

@test "EXH-04: a failed realloc growth leaves the old block intact; shrinking in a full pool works" {
	POOL_SIZE=16M run --separate-stderr vm "$PROGS/exhaust" realloc
	assert_status 0
	assert_equal "$stderr" ""
	assert_match "$output" "^realloc: ok after [0-9]+ blocks$"
}

@test "EXH-05: C++ operator new throws std::bad_alloc in a full pool, nothrow new gives nullptr" {
	POOL_SIZE=16M run --separate-stderr vm "$PROGS/cxx" badalloc
	assert_status 0
	assert_equal "$stderr" ""
	assert_match "$output" "^bad_alloc after [0-9]+ and [0-9]+ blocks$"
}

# so_of NAME -- the built module tests/progs/NAME.so
so_of() {
	local lib=$PROGS/.libs/$1.so
	[ -f "$lib" ] || lib=$PROGS/$1.so
	[ -f "$lib" ] || { echo "# $1.so not built" >&2; return 1; }
	echo "$lib"
}

@test "START-01: a preloaded library whose constructor allocates, before or after the shim: its blocks in the pool" {
	local lib order
	lib=$(so_of libctor)
	for order in "$lib:$VMLIB" "$VMLIB:$lib"; do
		run --separate-stderr timeout 30 env LD_PRELOAD="$order" \
			VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=32M \
			CTOR_LIB_REPORT=1 /bin/echo main ran
		assert_status 0
		assert_equal "$output" "main ran"
		assert_equal "$stderr" "ctor_lib: 500 of 500 blocks in the pool"
	done
}

@test "START-02: an environment error found by another library's constructor's malloc: still one line, status 1" {
	local lib
	lib=$(so_of libctor)
	run --separate-stderr timeout 30 env LD_PRELOAD="$lib:$VMLIB" \
		VMMALLOC_POOL_DIR="$POOL_DIR" VMMALLOC_POOL_SIZE=16x \
		/bin/echo main ran
	assert_stopped "libvmmalloc: VMMALLOC_POOL_SIZE=16x: not a size"
}

@test "PUNCH-01: VMMALLOC_PUNCH_HOLES=1: freed and trimmed pool memory leaves the file; =0 keeps it" {
	run --separate-stderr vm VMMALLOC_PUNCH_HOLES=1 "$PROGS/punch"
	assert_status 0
	assert_equal "$stderr" ""
	local before after
	read -r _ before after <<<"$output"
	# 16 MiB written, then given back (sizes in KiB)
	[ "$before" -ge 16384 ] && [ "$after" -le $((before - 12288)) ] || {
		echo "# pool file $before KiB, after the trim $after KiB" >&2
		return 1
	}
	run --separate-stderr vm VMMALLOC_PUNCH_HOLES=0 "$PROGS/punch"
	assert_status 0
	assert_equal "$output" "allocated 32768 32768"
}

@test "PUNCH-02: after a fork under VMMALLOC_FORK=1 the pool is private: nothing is punched any more" {
	run --separate-stderr vm VMMALLOC_PUNCH_HOLES=1 VMMALLOC_FORK=1 "$PROGS/punch" fork
	assert_status 0
	assert_equal "$stderr" ""
	local before after
	read -r _ before after <<<"$output"
	assert_equal "$after" "$before"
}

@test "PUNCH-03: a fork under VMMALLOC_FORK=2 keeps the parent's holes" {
	run --separate-stderr vm VMMALLOC_PUNCH_HOLES=1 VMMALLOC_FORK=2 "$PROGS/punch" fork
	assert_status 0
	assert_equal "$stderr" ""
	local before after
	read -r _ before after <<<"$output"
	[ "$before" -lt 32768 ]	# the child's copy did not fill the parent's holes
	[ "$after" -le $((before - 12288)) ]
}

@test "FOREIGN-01: glibc memory from an RTLD_DEEPBIND library: free, realloc, malloc_usable_size" {
	local lib
	lib=$(so_of libdeep)
	run --separate-stderr vm "$PROGS/deepbind_main" "$lib"
	assert_status 0
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "deepbind malloc: not-pool"
	assert_equal "${lines[-1]}" "dlclose: ok"
	assert_equal "${#lines[@]}" 7
}

@test "EXIT-01: frees from atexit handlers and destructors, threads allocating during exit: status 0, silent" {
	local i
	for i in 1 2 3; do
		run --separate-stderr vm "$PROGS/atexit" main
		assert_status 0
		assert_equal "$output" "exiting (main)"
		assert_equal "$stderr" ""
	done
}

@test "EXIT-02: exit() from another thread while threads allocate: status 0, silent" {
	local i
	for i in 1 2 3; do
		run --separate-stderr vm "$PROGS/atexit" exit
		assert_status 0
		assert_equal "$output" "exiting (exit)"
		assert_equal "$stderr" ""
	done
}

@test "EXIT-03: quick_exit with an at_quick_exit handler that frees: status 0, silent" {
	run --separate-stderr vm "$PROGS/atexit" quick
	assert_status 0
	assert_equal "$output" "exiting (quick)"
	assert_equal "$stderr" ""
}

@test "EXIT-04: C++ static destructors free pool memory at exit: status 0, silent" {
	run --separate-stderr vm "$PROGS/cxx"
	assert_status 0
	assert_equal "$stderr" ""
	assert_match "${lines[-1]}" "^statics: 500 keys, 200 lines, banner 1000$"
	# and with the statistics printed after them
	run --separate-stderr vm VMMALLOC_LOG_STATS=1 "$PROGS/cxx"
	assert_status 0
	assert_pool_used "$stderr" 1000
}
