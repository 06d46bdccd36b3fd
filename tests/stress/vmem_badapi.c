/*
 * vmem_badapi.c -- every public function of libvmem given what it should
 * refuse: NULL, deleted and foreign handles, NULL and foreign pointers,
 * absurd sizes and alignments; each must give the defined result (or at
 * least fail cleanly: NULL or nothing, errno, a message), never crash, and
 * leave the library and the live pools working
 *
 * Usage: vmem_badapi [-D]   (-D: leave out deleted handles, whose memory
 * is freed: a use after free by definition, which AddressSanitizer reports)
 * TEST_DIR names the pool directory (default /dev/shm).  Prints TAP.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <wchar.h>

#include "../tap.h"
#include "common.h"

#define MUST(cond, ...) do { if (!(cond)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir;
static VMEM *Live;	/* a pool that must keep working throughout */
static char *Live_blk;	/* a block in it with a pattern */
static size_t Live_n = 1000;

/* pool_owns -- whether p lies in the live pool's mapping */
static int
pool_owns(const void *p)
{
	uintptr_t lo, hi;
	return map_of(Live_blk, &lo, &hi, NULL, 0) == 0 &&
		(uintptr_t)p >= lo && (uintptr_t)p < hi;
}

/* live_ok -- the live pool and its block are untouched */
static int
live_ok(void)
{
	if (pat_check(Live_blk, Live_n, 77) != Live_n)
		return 0;
	if (vmem_check(Live) != 1)
		return 0;
	void *p = vmem_malloc(Live, 100);
	if (p == NULL)
		return 0;
	vmem_free(Live, p);
	return 1;
}

/* bad_handle -- every entry point on handle h: errors, no crash */
static void
bad_handle(VMEM *h, const char *what)
{
	int fails = 0;
	char msg[512] = "";
#define EXPECT(cond, name) do { if (!(cond)) { fails++;\
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " %s", name);\
	} } while (0)
	errno = 0;
	EXPECT(vmem_malloc(h, 10) == NULL && errno == EINVAL, "malloc");
	errno = 0;
	EXPECT(vmem_calloc(h, 2, 10) == NULL && errno == EINVAL, "calloc");
	errno = 0;
	EXPECT(vmem_realloc(h, NULL, 10) == NULL && errno == EINVAL,
		"realloc(NULL)");
	errno = 0;
	EXPECT(vmem_realloc(h, Live_blk, 10) == NULL && errno == EINVAL,
		"realloc(a live block of another pool)");
	errno = 0;
	EXPECT(vmem_aligned_alloc(h, 64, 10) == NULL && errno == EINVAL,
		"aligned_alloc");
	errno = 0;
	EXPECT(vmem_strdup(h, "abc") == NULL && errno == EINVAL, "strdup");
	errno = 0;
	EXPECT(vmem_wcsdup(h, L"abc") == NULL && errno == EINVAL, "wcsdup");
	errno = 0;
	EXPECT(vmem_malloc_usable_size(h, Live_blk) == 0 && errno == EINVAL,
		"usable_size");
	EXPECT(vmem_malloc_usable_size(h, NULL) == 0, "usable_size(NULL)");
	errno = 0;
	vmem_free(h, Live_blk);
	EXPECT(errno == EINVAL, "free");
	vmem_free(h, NULL);
	errno = 0;
	EXPECT(vmem_check(h) == -1 && errno == EINVAL, "check");
	errno = 0;
	vmem_stats_print(h, "J");
	EXPECT(errno == EINVAL, "stats_print");
	errno = 0;
	vmem_delete(h);
	EXPECT(errno == EINVAL, "delete");
	EXPECT(vmem_errormsg()[0] != '\0', "a message");
	CHECK(fails == 0, "%s handle: every entry point refuses it (wrong:%s)",
		what, msg);
	CHECK(live_ok(), "%s handle: the live pool is untouched", what);
#undef EXPECT
}

/* t_handles -- NULL, foreign, deleted handles */
static void
t_handles(int deleted)
{
	bad_handle(NULL, "NULL");
	static char zeros[8192];
	bad_handle((VMEM *)zeros, "all-zero buffer");
	static char ones[8192];
	memset(ones, 0xff, sizeof(ones));
	bad_handle((VMEM *)ones, "all-ones buffer");
	bad_handle((VMEM *)Live_blk, "pool memory");
	void *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0);
	bad_handle((VMEM *)ro, "read-only page");
	munmap(ro, 8192);
	if (!deleted) {
		SKIP("deleted handles: left out (-D)");
		return;
	}
	VMEM *d = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(d != NULL, "create: %s", vmem_errormsg());
	void *p = vmem_malloc(d, 10);
	(void) p;
	vmem_delete(d);
	bad_handle(d, "deleted (used by this thread)");
	d = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(d != NULL, "create: %s", vmem_errormsg());
	vmem_delete(d);
	bad_handle(d, "deleted (never used)");
}

/* t_pointers -- NULL and foreign pointers where the spec defines them */
static void
t_pointers(void)
{
	VMEM *o = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(o != NULL, "create: %s", vmem_errormsg());
	char *ob = vmem_malloc(o, 64);
	MUST(ob != NULL, "malloc");
	memset(ob, 0x3c, 64);
	static char stat_buf[64];
	char stack_buf[64];
	void *heap = malloc(64);
	struct { const char *what; void *p; } f[] = {
		{ "a block of another pool", ob },
		{ "static memory", stat_buf },
		{ "the stack", stack_buf },
		{ "glibc's heap", heap },
		{ "address 1", (void *)1 },
		{ "the last byte of the address space", (void *)UINTPTR_MAX },
		{ "one past the pool", (char *)Live_blk + (64 << 20) },
	};
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		errno = 0;
		vmem_free(Live, f[i].p);
		int e1 = errno;
		errno = 0;
		size_t u = vmem_malloc_usable_size(Live, f[i].p);
		int e2 = errno;
		errno = 0;
		void *r = vmem_realloc(Live, f[i].p, 100);
		int e3 = errno;
		CHECK(e1 == EINVAL && u == 0 && e2 == EINVAL && r == NULL &&
			e3 == EINVAL, "foreign pointer (%s): free, usable_size, "
			"realloc refuse it with EINVAL (%d, %zu/%d, %p/%d)",
			f[i].what, e1, u, e2, r, e3);
	}
	CHECK(is_zero(ob, 0) && ob[0] == 0x3c && ob[63] == 0x3c &&
		vmem_malloc_usable_size(o, ob) >= 64,
		"foreign pointer: the other pool's block is untouched");
	free(heap);
	vmem_delete(o);
	vmem_free(Live, NULL);
	CHECK(vmem_malloc_usable_size(Live, NULL) == 0,
		"usable_size(NULL) is 0");
	errno = 0;
	CHECK(vmem_strdup(Live, NULL) == NULL && errno == EINVAL,
		"strdup(NULL): NULL, EINVAL");
	errno = 0;
	CHECK(vmem_wcsdup(Live, NULL) == NULL && errno == EINVAL,
		"wcsdup(NULL): NULL, EINVAL");
	CHECK(live_ok(), "pointers: the live pool works");
}

/* t_sizes -- absurd sizes and alignments on every allocating function */
static void
t_sizes(void)
{
	static const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 4095,
		SIZE_MAX / 2 + 1, (size_t)1 << 62, (size_t)1 << 48,
		(size_t)64 << 20, (size_t)33 << 20 };
	int bad = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		void *r[6];
		int e[6];
		errno = 0; r[0] = vmem_malloc(Live, n); e[0] = errno;
		errno = 0; r[1] = vmem_calloc(Live, 1, n); e[1] = errno;
		errno = 0; r[2] = vmem_calloc(Live, n, 1); e[2] = errno;
		errno = 0; r[3] = vmem_aligned_alloc(Live, 4096, n); e[3] = errno;
		errno = 0; r[4] = vmem_realloc(Live, NULL, n); e[4] = errno;
		errno = 0; r[5] = vmem_aligned_alloc(Live, (size_t)1 << 21, n);
		e[5] = errno;
		for (int k = 0; k < 6; k++) {
			if (r[k] != NULL || e[k] != ENOMEM) {
				DIAG("size %zu, call %d: %p errno %d", n, k,
					r[k], e[k]);
				bad++;
				vmem_free(Live, r[k]);
			}
		}
	}
	CHECK(bad == 0, "absurd sizes (SIZE_MAX .. pool size): NULL, ENOMEM "
		"from malloc, calloc, aligned_alloc, realloc (%d wrong)", bad);
	errno = 0;
	CHECK(vmem_calloc(Live, (size_t)1 << 32, (size_t)1 << 32) == NULL &&
		errno == ENOMEM, "calloc 2^32 * 2^32: NULL, ENOMEM");
	void *z = vmem_calloc(Live, 0, SIZE_MAX);
	CHECK(z != NULL, "calloc(0, SIZE_MAX): a unique pointer");
	vmem_free(Live, z);

	char *p = vmem_malloc(Live, 100);
	MUST(p != NULL, "malloc");
	pat_fill(p, 100, 5);
	bad = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		void *q = vmem_realloc(Live, p, sizes[i]);
		if (q != NULL || errno != ENOMEM)
			bad++;
		if (q != NULL)
			p = q;
	}
	CHECK(bad == 0 && pat_check(p, 100, 5) == 100, "realloc to absurd "
		"sizes: NULL, ENOMEM, the block intact (%d wrong)", bad);
	vmem_free(Live, p);

	static const size_t aligns[] = { 0, 3, 6, 24, 1000,
		((size_t)1 << 63) + 1, SIZE_MAX };
	bad = 0;
	for (unsigned i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		errno = 0;
		void *q = vmem_aligned_alloc(Live, aligns[i], 64);
		if (q != NULL || errno != EINVAL) {
			DIAG("alignment %zu: %p errno %d", aligns[i], q, errno);
			bad++;
			vmem_free(Live, q);
		}
	}
	CHECK(bad == 0, "alignments 0, 3, 6, 24, 1000, 2^63+1, SIZE_MAX: "
		"NULL, EINVAL (%d wrong)", bad);
	static const size_t huge_aligns[] = { (size_t)1 << 63,
		(size_t)1 << 62, (size_t)1 << 40, (size_t)64 << 20 };
	bad = 0;
	for (unsigned i = 0; i < sizeof(huge_aligns) / sizeof(huge_aligns[0]);
			i++) {
		errno = 0;
		void *q = vmem_aligned_alloc(Live, huge_aligns[i], 1);
		/* the pool may happen to hold such a boundary: then fine */
		if (q != NULL && pool_owns(q) &&
				((uintptr_t)q & (huge_aligns[i] - 1)) == 0) {
			vmem_free(Live, q);
			continue;
		}
		if (q != NULL || errno != ENOMEM) {
			DIAG("alignment %zu: %p errno %d", huge_aligns[i], q,
				errno);
			bad++;
			vmem_free(Live, q);
		}
	}
	CHECK(bad == 0, "alignments 2^63, 2^62, 2^40, 64 MiB (larger than "
		"the pool): NULL, ENOMEM, or an aligned block of the pool (%d wrong)", bad);
	void *q = vmem_aligned_alloc(Live, (size_t)8 << 20, 1);
	CHECK(q != NULL && ((uintptr_t)q & ((8 << 20) - 1)) == 0,
		"alignment 8 MiB in a 32 MiB pool: works");
	vmem_free(Live, q);
	CHECK(live_ok(), "sizes: the live pool works");
}

/* t_create -- absurd pool sizes and directories */
static void
t_create(void)
{
	static const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 4095,
		(size_t)1 << 63, (size_t)1 << 62, (size_t)1 << 50 };
	int bad = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		VMEM *v = vmem_create(Dir, sizes[i]);
		int e = errno;
		if (v != NULL || e == 0 || !vmem_errormsg()[0]) {
			DIAG("vmem_create(%zu): %p errno %d \"%s\"", sizes[i],
				(void *)v, e, vmem_errormsg());
			bad++;
		} else {
			DIAG("vmem_create(%zu): errno %d \"%s\"", sizes[i], e,
				vmem_errormsg());
		}
		if (v)
			vmem_delete(v);
	}
	CHECK(bad == 0, "create with absurd sizes: NULL, errno, a message");
	CHECK(dir_entries(Dir) <= 0 || strcmp(Dir, "/dev/shm") == 0,
		"create: nothing left in the directory");
	char longdir[5000];
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	errno = 0;
	CHECK(vmem_create(longdir, VMEM_MIN_POOL) == NULL && errno != 0,
		"create in a 5000-byte path: NULL, errno %d", errno);
	errno = 0;
	CHECK(vmem_create("", VMEM_MIN_POOL) == NULL && errno != 0,
		"create in \"\": NULL, errno %d", errno);

	char *m = mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(m != MAP_FAILED, "mmap");
	errno = 0;
	VMEM *v = vmem_create_in_region((void *)(UINTPTR_MAX & ~(uintptr_t)
		4095), VMEM_MIN_POOL);
	CHECK(v == NULL && errno == EINVAL, "create_in_region at the top of "
		"the address space (wraps): NULL, EINVAL (errno %d)", errno);
	if (v)
		vmem_delete(v);
	errno = 0;
	v = vmem_create_in_region(m, SIZE_MAX);
	CHECK(v == NULL && errno == EINVAL, "create_in_region of SIZE_MAX "
		"bytes (wraps): NULL, EINVAL (errno %d)", errno);
	if (v)
		vmem_delete(v);
	munmap(m, 32 << 20);

	CHECK(vmem_check_version(UINT32_MAX, 0) != NULL &&
		vmem_check_version(VMEM_MAJOR_VERSION, UINT32_MAX) != NULL &&
		vmem_check_version(0, 0) != NULL,
		"check_version with absurd numbers: a message");
	Cap_len = 0;
	char opts[300];
	memset(opts, 'Z', sizeof(opts) - 1);
	opts[sizeof(opts) - 1] = '\0';
	vmem_stats_print(Live, NULL);
	vmem_stats_print(Live, "");
	vmem_stats_print(Live, "gmablJ\x01\xff");
	vmem_stats_print(Live, opts);
	CHECK(Cap_len > 0, "stats_print with NULL, empty, odd and long "
		"options: prints, no crash");
	CHECK(live_ok(), "create: the live pool works");
}

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	int deleted = !(argc > 1 && strcmp(argv[1], "-D") == 0);
	Dir = test_dir();
	watchdog(120);
	capture_stats();	/* before any pool, as libvmem(7) asks */
	Live = vmem_create(Dir, (size_t)32 << 20);
	MUST(Live != NULL, "create: %s", vmem_errormsg());
	Live_blk = vmem_malloc(Live, Live_n);
	MUST(Live_blk != NULL, "malloc");
	pat_fill(Live_blk, Live_n, 77);
	t_handles(deleted);
	t_pointers();
	t_sizes();
	t_create();
	vmem_free(Live, Live_blk);
	vmem_delete(Live);
	return done_testing();
}
