#!/usr/bin/env bats
# vmem_link.bats -- what libvmem.so.1 exports and what a program linking
# it keeps: glibc's malloc, a stock jemalloc beside it, dlopen()

load helper

PY=/usr/bin/python3
TUNABLE=glibc.rtld.optional_static_tls=4096

EXPECTED="vmem_aligned_alloc vmem_calloc vmem_check vmem_check_version
vmem_create vmem_create_in_region vmem_delete vmem_errormsg vmem_free
vmem_malloc vmem_malloc_usable_size vmem_realloc vmem_set_funcs
vmem_stats_print vmem_strdup vmem_wcsdup"

@test "LINK-01: exactly the 16 vmem_* functions, all under LIBVMEM_1.0" {
	[ -f "$LIBVMEM_SO" ] || fail_with "no $LIBVMEM_SO"
	run nm -D --defined-only "$LIBVMEM_SO"
	assert_success
	got=$(awk '$3 != "LIBVMEM_1.0" { print $2, $3 }' <<<"$output" | sort)
	want=$(for f in $EXPECTED; do echo "T $f@@LIBVMEM_1.0"; done | sort)
	[ "$got" = "$want" ] || {
		diff <(echo "$want") <(echo "$got") >&2
		fail_with "exported symbols differ from the 16 of LIBVMEM_1.0"
	}
	# the version node itself, and nothing else
	[ "$(wc -l <<<"$output")" -eq 17 ] || fail_with "extra dynamic symbols"
	assert_output_contains "A LIBVMEM_1.0"
}

@test "LINK-02: no jemalloc or libc allocator name is exported" {
	run nm -D --defined-only "$LIBVMEM_SO"
	assert_success
	for name in malloc free calloc realloc mallctl mallocx dallocx \
		sallocx rallocx nallocx posix_memalign aligned_alloc \
		malloc_usable_size malloc_stats_print malloc_conf je_ vje_; do
		! grep -qE " ${name}" <<<"$output" ||
			fail_with "exports $name"
	done
	# and the version script names nothing else
	run readelf --dyn-syms -W "$LIBVMEM_SO"
	! grep -E 'GLOBAL +DEFAULT +[0-9]+' <<<"$output" | grep -v ' vmem_' |
		grep -q . || fail_with "a global symbol besides vmem_*"
}

@test "LINK-03: soname libvmem.so.1" {
	run readelf -d "$LIBVMEM_SO"
	assert_success
	assert_output_contains "Library soname: [libvmem.so.1]"
	! grep -q "NEEDED.*jemalloc" <<<"$output" ||
		fail_with "depends on a shared jemalloc"
}

@test "LINK-04: a program linking libvmem keeps glibc's malloc" {
	run_prog vmem_tool coexist
	assert_success
	assert_line_equals "malloc from libc.so.6"
	assert_line_equals "pool blocks outside their pool: 0"
	assert_line_equals "malloc blocks inside a pool: 0"
	assert_line_equals "damaged blocks: 0"
	# glibc's malloc did the mallocs: its arena holds them
	arena=$(sed -n 's/^glibc mallinfo2 arena \([0-9]*\)$/\1/p' <<<"$output")
	[ "${arena:-0}" -gt 1000000 ] || fail_with "mallinfo2 arena ${arena:-?}"
	assert_line_equals "done"
	[ "$(grep -c '^check 1$' <<<"$output")" -eq 3 ] || fail_with "check"
}

@test "LINK-05: with -ljemalloc too: stock jemalloc's malloc, pools apart" {
	[ -x "$(prog vmem_tool_je)" ] || skip "vmem_tool_je not built"
	run ldd "$(prog vmem_tool_je)"
	assert_output_contains "libjemalloc.so.2"
	run_prog vmem_tool_je coexist
	assert_success
	assert_line_equals "malloc from libjemalloc.so.2"
	assert_output_contains "stock jemalloc 5."
	assert_line_equals "pool blocks outside their pool: 0"
	assert_line_equals "malloc blocks inside a pool: 0"
	assert_line_equals "damaged blocks: 0"
	# the pools made no arena in the stock copy
	n=$(sed -n 's/^stock jemalloc arenas before \([0-9]*\) after \([0-9]*\)$/\1 \2/p' <<<"$output")
	read -r before after <<<"$n"
	[ -n "$before" ] && [ "$before" = "$after" ] ||
		fail_with "stock jemalloc arenas: $n"
	assert_line_equals "done"
}

@test "LINK-06: LD_PRELOAD of the stock jemalloc: pools still apart" {
	je=$(ldconfig -p | awk '/libjemalloc.so.2 / { print $NF; exit }')
	[ -n "$je" ] || skip "libjemalloc.so.2 not installed"
	LD_PRELOAD="$je" run_prog vmem_tool coexist
	assert_success
	assert_line_equals "malloc from libjemalloc.so.2"
	assert_line_equals "pool blocks outside their pool: 0"
	assert_line_equals "malloc blocks inside a pool: 0"
	assert_line_equals "damaged blocks: 0"
}

@test "LINK-07: dlopen without help fails with glibc's static TLS message" {
	run_prog vmem_dlopen "$LIBVMEM_SO"
	assert_status 3
	assert_output_contains "cannot allocate memory in static TLS block"
}

@test "LINK-08: dlopen with $TUNABLE works" {
	GLIBC_TUNABLES=$TUNABLE run_prog vmem_dlopen "$LIBVMEM_SO"
	assert_success
	assert_line_equals "ok"
}

@test "LINK-09: python3 ctypes: the TLS message, then a pool with the tunable" {
	[ -x "$PY" ] || skip "$PY not installed"
	script='
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.vmem_create.restype = ctypes.c_void_p
lib.vmem_create.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
lib.vmem_malloc.restype = ctypes.c_void_p
lib.vmem_malloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
lib.vmem_free.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.vmem_delete.argtypes = [ctypes.c_void_p]
lib.vmem_errormsg.restype = ctypes.c_char_p
vmp = lib.vmem_create(b"/dev/shm", 14 << 20)
assert vmp, lib.vmem_errormsg()
p = lib.vmem_malloc(vmp, 1 << 20)
assert p
ctypes.memset(p, 0x41, 1 << 20)
assert ctypes.string_at(p, 4) == b"AAAA"
lib.vmem_free(vmp, p)
lib.vmem_delete(vmp)
print("ctypes ok")'
	run "$PY" -c "$script" "$LIBVMEM_SO"
	[ "$status" -ne 0 ] || fail_with "loaded without the tunable"
	assert_output_contains "cannot allocate memory in static TLS block"
	GLIBC_TUNABLES=$TUNABLE run "$PY" -c "$script" "$LIBVMEM_SO"
	assert_success
	assert_output_contains "ctypes ok"
}

@test "LINK-10: the installed header compiles alone, as C and as C++" {
	command -v cc >/dev/null 2>&1 || skip "no C compiler"
	tmp=$(mktemp -d)
	printf '#include <libvmem.h>\nint main(void) { return vmem_check_version(VMEM_MAJOR_VERSION, VMEM_MINOR_VERSION) != 0 || VMEM_MIN_POOL != 14680064; }\n' >"$tmp/t.c"
	run cc -std=c99 -Wall -Wextra -Werror -pedantic -I"$top_srcdir/libvmem" \
		-o "$tmp/t" "$tmp/t.c" -L"$top_builddir/libvmem/.libs" -lvmem
	assert_success
	run "$tmp/t"
	assert_success
	if command -v c++ >/dev/null 2>&1; then
		cp "$tmp/t.c" "$tmp/t.cc"
		run c++ -Wall -Wextra -Werror -I"$top_srcdir/libvmem" \
			-o "$tmp/tcc" "$tmp/t.cc" -L"$top_builddir/libvmem/.libs" -lvmem
		assert_success
		run "$tmp/tcc"
		assert_success
	fi
	rm -rf "$tmp"
}
