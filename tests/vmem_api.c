/*
 * vmem_api.c -- every public function of libvmem, its error paths, and the
 * semantics of the malloc family on a pool
 *
 * Usage: vmem_api [group...]; groups: create region check version errmsg
 * malloc calloc aligned realloc strdup usable foreign.  No argument runs
 * them all.  TEST_DIR names the pool directory (default /dev/shm).
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#include <valgrind/valgrind.h>

#include <libvmem.h>
#include "tap.h"
#include "testutil.h"

/* MUST -- a precondition: silent when it holds, bail out when not */
#define MUST(expr, ...) do { if (!(expr)) REQUIRE(0, __VA_ARGS__); } while (0)

static const char *Dir = "/dev/shm";

/* in_pool -- whether [p, p + n) lies in the mapping that holds ref */
static int
in_pool(const void *ref, const void *p, size_t n)
{
	uintptr_t lo, hi;
	if (map_of(ref, &lo, &hi, NULL, 0) != 0)
		return 0;
	return (uintptr_t)p >= lo && (uintptr_t)p + n <= hi;
}

/* new_pool -- a 14 MiB pool on Dir, or bail out */
static VMEM *
new_pool(void)
{
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL);
	MUST(vmp != NULL, "vmem_create(%s, VMEM_MIN_POOL): %s", Dir,
		vmem_errormsg());
	return vmp;
}

/* expect_fail -- r NULL with errno e and (unless NULL) the message msg */
static void
expect_fail(const void *r, int e, const char *msg, const char *what)
{
	int got = errno;
	CHECK(r == NULL && got == e, "%s: NULL, errno %d (got %p, %d)", what, e,
		r, got);
	if (msg != NULL)
		CHECK(strcmp(vmem_errormsg(), msg) == 0,
			"%s: message \"%s\" (got \"%s\")", what, msg,
			vmem_errormsg());
}
#define EXPECT_FAIL(call, e, msg, what) do {\
	errno = 0;\
	const void *r_ = (const void *)(call);\
	expect_fail(r_, (e), (msg), (what));\
} while (0)

/* test_create -- vmem_create: the errors in the spec's order */
static void
test_create(void)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "size %zu smaller than 14680064",
		VMEM_MIN_POOL - 1);
	EXPECT_FAIL(vmem_create(Dir, VMEM_MIN_POOL - 1), EINVAL, msg,
		"create: size MIN-1");
	EXPECT_FAIL(vmem_create(Dir, 0), EINVAL,
		"size 0 smaller than 14680064", "create: size 0");
	/* size is checked before everything else */
	EXPECT_FAIL(vmem_create(NULL, 100), EINVAL,
		"size 100 smaller than 14680064", "create: NULL dir, size 100");
	EXPECT_FAIL(vmem_create("/nonexistent/vmem", 1), EINVAL,
		"size 1 smaller than 14680064", "create: missing dir, size 1");
	EXPECT_FAIL(vmem_create(NULL, VMEM_MIN_POOL), EINVAL, NULL,
		"create: dir NULL");
	CHECK(vmem_errormsg()[0] != '\0', "create: dir NULL has a message");
	EXPECT_FAIL(vmem_create("/nonexistent/vmem", VMEM_MIN_POOL), ENOENT,
		NULL, "create: missing dir");
	CHECK(strstr(vmem_errormsg(), "/nonexistent/vmem") != NULL,
		"create: missing dir named in the message (\"%s\")",
		vmem_errormsg());

	char file[] = "/tmp/vmem_api.XXXXXX";
	int fd = mkstemp(file);
	MUST(fd >= 0, "mkstemp");
	close(fd);
	EXPECT_FAIL(vmem_create(file, VMEM_MIN_POOL), ENOTDIR, NULL,
		"create: a regular file");
	CHECK(vmem_errormsg()[0] != '\0', "create: ENOTDIR has a message");
	struct stat st;
	CHECK(stat(file, &st) == 0 && st.st_size == 0,
		"create: the regular file is left untouched");
	unlink(file);

	EXPECT_FAIL(vmem_create("/dev/null", VMEM_MIN_POOL), EINVAL, NULL,
		"create: /dev/null (character device, not DAX)");
	CHECK(strstr(vmem_errormsg(), "/dev/null") != NULL,
		"create: /dev/null named in the message (\"%s\")",
		vmem_errormsg());

	/* a size that is not a page multiple still works */
	VMEM *vmp = vmem_create(Dir, VMEM_MIN_POOL + 1000);
	CHECK(vmp != NULL, "create: MIN + 1000 bytes works");
	if (vmp != NULL) {
		void *p = vmem_malloc(vmp, 8 << 20);
		CHECK(p != NULL, "create: the pool takes an 8 MiB block");
		vmem_free(vmp, p);
		vmem_delete(vmp);
	}
}

/* test_region -- vmem_create_in_region */
static void
test_region(void)
{
	size_t len = 32 << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(m != MAP_FAILED, "mmap 32 MiB");

	EXPECT_FAIL(vmem_create_in_region(m + 1, 0), EINVAL,
		NULL, "region: unaligned addr, size 0 (alignment first)");
	CHECK(strstr(vmem_errormsg(), "not aligned") != NULL,
		"region: unaligned message (\"%s\")", vmem_errormsg());
	EXPECT_FAIL(vmem_create_in_region(m + 2048, VMEM_MIN_POOL), EINVAL,
		NULL, "region: addr + 2048");
	EXPECT_FAIL(vmem_create_in_region(NULL, VMEM_MIN_POOL), EINVAL, NULL,
		"region: NULL");
	CHECK(vmem_errormsg()[0] != '\0', "region: NULL has a message");
	EXPECT_FAIL(vmem_create_in_region(m, 4096), EINVAL,
		"size 4096 smaller than 14680064", "region: 4096 bytes");
	char msg[128];
	snprintf(msg, sizeof(msg), "size %zu smaller than 14680064",
		VMEM_MIN_POOL - 4096);
	EXPECT_FAIL(vmem_create_in_region(m, VMEM_MIN_POOL - 4096), EINVAL,
		msg, "region: MIN - 4096");

	VMEM *vmp = vmem_create_in_region(m, VMEM_MIN_POOL);
	MUST(vmp != NULL, "region: create on 14 MiB: %s", vmem_errormsg());
	char *p = vmem_malloc(vmp, 1000);
	CHECK(p != NULL && p >= m && p + 1000 <= m + VMEM_MIN_POOL,
		"region: block inside the region");
	char *big = vmem_malloc(vmp, 8 << 20);
	CHECK(big != NULL && big >= m && big + (8 << 20) <= m + VMEM_MIN_POOL,
		"region: 8 MiB block inside the region");
	if (p)
		memset(p, 0x5a, 1000);
	vmem_delete(vmp);
	/* the region stays the caller's: still mapped and writable */
	m[0] = 1;
	m[VMEM_MIN_POOL - 1] = 2;
	CHECK(m[0] == 1 && m[VMEM_MIN_POOL - 1] == 2,
		"region: still writable after delete");
	uintptr_t lo, hi;
	CHECK(map_of(m, &lo, &hi, NULL, 0) == 0 && lo <= (uintptr_t)m &&
		hi >= (uintptr_t)m + len, "region: mapping intact after delete");

	/* a second pool on the same region after the first is gone */
	vmp = vmem_create_in_region(m, len);
	CHECK(vmp != NULL, "region: re-create on the same memory");
	if (vmp) {
		void *q = vmem_malloc(vmp, 16 << 20);
		CHECK(q != NULL, "region: 16 MiB block in a 32 MiB region");
		vmem_delete(vmp);
	}
	munmap(m, len);
}

/* test_check -- vmem_check: good, overlapping, bad handles */
static void
test_check(void)
{
	VMEM *vmp = new_pool();
	CHECK(vmem_check(vmp) == 1, "check: a fresh pool is consistent");
	void *p = vmem_malloc(vmp, 100);
	CHECK(vmem_check(vmp) == 1, "check: consistent with a block");
	vmem_free(vmp, p);

	size_t len = 32 << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(m != MAP_FAILED, "mmap 32 MiB");
	VMEM *a = vmem_create_in_region(m, 16 << 20);
	MUST(a != NULL, "check: region pool A");
	CHECK(vmem_check(a) == 1, "check: pool A alone is consistent");
	VMEM *b = vmem_create_in_region(m + (8 << 20), 16 << 20);
	if (b == NULL) {
		SKIP("check: overlapping region pool refused at creation");
	} else {
		errno = 0;
		CHECK(vmem_check(a) == 0, "check: A overlaps B: 0");
		CHECK(vmem_check(b) == 0, "check: B overlaps A: 0");
		CHECK(strstr(vmem_errormsg(), "overlaps") != NULL,
			"check: overlap message (\"%s\")", vmem_errormsg());
		CHECK(vmem_check(vmp) == 1,
			"check: an unrelated pool is still consistent");
		vmem_delete(b);
		CHECK(vmem_check(a) == 1, "check: A alone again: 1");
	}
	vmem_delete(a);
	munmap(m, len);

	errno = 0;
	CHECK(vmem_check(NULL) == -1 && errno == EINVAL,
		"check: NULL handle: -1, EINVAL");
	long junk[64] = { 0 };
	CHECK(vmem_check((VMEM *)junk) == -1, "check: a random buffer: -1");
	vmem_delete(vmp);
	CHECK(vmem_check(vmp) == -1, "check: a deleted handle: -1");
	CHECK(strstr(vmem_errormsg(), "invalid pool handle") != NULL,
		"check: message \"%s\"", vmem_errormsg());

	/* the other entry points on a bad handle: errors, no crash */
	errno = 0;
	CHECK(vmem_malloc(NULL, 10) == NULL && errno == EINVAL,
		"malloc on a NULL handle: NULL, EINVAL");
	CHECK(vmem_calloc(NULL, 1, 10) == NULL, "calloc on NULL handle");
	CHECK(vmem_aligned_alloc(NULL, 64, 10) == NULL,
		"aligned_alloc on NULL handle");
	CHECK(vmem_realloc(NULL, NULL, 10) == NULL, "realloc on NULL handle");
	CHECK(vmem_strdup(NULL, "x") == NULL, "strdup on NULL handle");
	CHECK(vmem_malloc_usable_size(NULL, junk) == 0,
		"usable_size on NULL handle: 0");
	vmem_free(NULL, junk);
	vmem_delete(NULL);
	vmem_stats_print(NULL, NULL);
	CHECK(1, "free, delete, stats_print on a NULL handle: no crash");
}

/* test_version -- vmem_check_version */
static void
test_version(void)
{
	CHECK(VMEM_MAJOR_VERSION == 1, "VMEM_MAJOR_VERSION 1");
	CHECK(VMEM_MINOR_VERSION >= 1, "VMEM_MINOR_VERSION >= 1");
	CHECK(VMEM_MIN_POOL == 14680064, "VMEM_MIN_POOL 14 MiB");
	CHECK(vmem_check_version(1, 0) == NULL, "version 1.0 compatible");
	CHECK(vmem_check_version(VMEM_MAJOR_VERSION, VMEM_MINOR_VERSION)
		== NULL, "version %d.%d compatible", VMEM_MAJOR_VERSION,
		VMEM_MINOR_VERSION);
	const char *s = vmem_check_version(2, 0);
	CHECK(s != NULL && strcmp(s,
		"libvmem major version mismatch (need 2, found 1)") == 0,
		"version 2.0: \"%s\"", s ? s : "(null)");
	s = vmem_check_version(0, 0);
	CHECK(s != NULL && strcmp(s,
		"libvmem major version mismatch (need 0, found 1)") == 0,
		"version 0.0: \"%s\"", s ? s : "(null)");
	s = vmem_check_version(1, 9);
	char want[128];
	snprintf(want, sizeof(want),
		"libvmem minor version mismatch (need 9, found %d)",
		VMEM_MINOR_VERSION);
	CHECK(s != NULL && strcmp(s, want) == 0, "version 1.9: \"%s\"",
		s ? s : "(null)");
	s = vmem_check_version(1, VMEM_MINOR_VERSION + 1);
	CHECK(s != NULL && strstr(s, "minor version mismatch") != NULL,
		"version 1.%d: minor mismatch", VMEM_MINOR_VERSION + 1);
}

static char Thread_msg[2][256];

/* errmsg_thread -- the message of a new thread, before and after an error */
static void *
errmsg_thread(void *arg)
{
	(void) arg;
	snprintf(Thread_msg[0], sizeof(Thread_msg[0]), "%s", vmem_errormsg());
	(void) vmem_create(Dir, 4096);
	snprintf(Thread_msg[1], sizeof(Thread_msg[1]), "%s", vmem_errormsg());
	return NULL;
}

/* test_errmsg -- vmem_errormsg: empty, thread-local, kept over success */
static void
test_errmsg(void)
{
	(void) vmem_create(Dir, 1);
	CHECK(strcmp(vmem_errormsg(), "size 1 smaller than 14680064") == 0,
		"errormsg: main thread has its error");
	pthread_t t;
	MUST(pthread_create(&t, NULL, errmsg_thread, NULL) == 0,
		"pthread_create");
	pthread_join(t, NULL);
	CHECK(Thread_msg[0][0] == '\0',
		"errormsg: \"\" in a new thread (got \"%s\")", Thread_msg[0]);
	CHECK(strcmp(Thread_msg[1], "size 4096 smaller than 14680064") == 0,
		"errormsg: the thread's own error (\"%s\")", Thread_msg[1]);
	CHECK(strcmp(vmem_errormsg(), "size 1 smaller than 14680064") == 0,
		"errormsg: thread-local: main's message unchanged (\"%s\")",
		vmem_errormsg());
	VMEM *vmp = new_pool();
	void *p = vmem_malloc(vmp, 10);
	vmem_free(vmp, p);
	CHECK(vmem_check(vmp) == 1 && vmem_check_version(1, 0) == NULL,
		"errormsg: successful calls");
	CHECK(strcmp(vmem_errormsg(), "size 1 smaller than 14680064") == 0,
		"errormsg: not cleared by success (\"%s\")", vmem_errormsg());
	vmem_delete(vmp);
	CHECK(strcmp(vmem_errormsg(), "size 1 smaller than 14680064") == 0,
		"errormsg: not cleared by a create/delete");
}

/* test_malloc -- size 0, many sizes, NULL free */
static void
test_malloc(void)
{
	VMEM *vmp = new_pool();
	enum { N = 200 };
	void *p[N];
	int ok = 1, uniq = 1;
	for (int i = 0; i < N; i++) {
		p[i] = vmem_malloc(vmp, 0);
		ok &= p[i] != NULL && in_pool(p[0], p[i], 1);
		for (int j = 0; j < i && ok; j++)
			uniq &= p[i] != p[j];
	}
	CHECK(ok, "malloc(0): %d non-NULL pointers in the pool", N);
	CHECK(uniq, "malloc(0): all %d unique", N);
	for (int i = 0; i < N; i++)
		vmem_free(vmp, p[i]);
	CHECK(vmem_check(vmp) == 1, "malloc(0): freed, pool consistent");

	void *c0 = vmem_calloc(vmp, 0, 0);
	void *c1 = vmem_calloc(vmp, 0, 0);
	CHECK(c0 && c1 && c0 != c1, "calloc(0, 0): unique pointers");
	vmem_free(vmp, c0);
	vmem_free(vmp, c1);
	void *a0 = vmem_aligned_alloc(vmp, 64, 0);
	CHECK(a0 != NULL && ((uintptr_t)a0 & 63) == 0,
		"aligned_alloc(64, 0): aligned pointer");
	vmem_free(vmp, a0);

	vmem_free(vmp, NULL);
	CHECK(vmem_check(vmp) == 1, "free(NULL): harmless");

	/* a spread of sizes, each written whole and checked */
	static const size_t sizes[] = { 1, 7, 8, 15, 16, 17, 100, 1000, 4095,
		4096, 4097, 16384, 65536, 100001, 1 << 20, (3 << 20) + 5 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *q[NS];
	ok = 1;
	for (int i = 0; i < NS; i++) {
		q[i] = vmem_malloc(vmp, sizes[i]);
		if (q[i] == NULL || !in_pool(q[0], q[i], sizes[i])) {
			ok = 0;
			continue;
		}
		memset(q[i], i + 1, sizes[i]);
	}
	CHECK(ok, "malloc: %d sizes 1 B..3 MiB, each inside the pool", NS);
	ok = 1;
	for (int i = 0; i < NS; i++) {
		for (size_t k = 0; q[i] && k < sizes[i]; k++)
			if (q[i][k] != (unsigned char)(i + 1)) {
				ok = 0;
				break;
			}
		vmem_free(vmp, q[i]);
	}
	CHECK(ok, "malloc: no block overwrote another");

	errno = 0;
	CHECK(vmem_malloc(vmp, 64 << 20) == NULL && errno == ENOMEM,
		"malloc 64 MiB in a 14 MiB pool: NULL, ENOMEM");
	CHECK(strstr(vmem_errormsg(), "out of memory") != NULL,
		"malloc: ENOMEM message (\"%s\")", vmem_errormsg());
	errno = 0;
	CHECK(vmem_malloc(vmp, SIZE_MAX) == NULL && errno == ENOMEM,
		"malloc SIZE_MAX: NULL, ENOMEM");
	CHECK(vmem_malloc(vmp, SIZE_MAX / 2 + 1) == NULL,
		"malloc SIZE_MAX/2+1: NULL");
	void *after = vmem_malloc(vmp, 100);
	CHECK(after != NULL, "malloc works after a failure");
	vmem_free(vmp, after);
	vmem_delete(vmp);
}

/* all_zero -- whether n bytes at p are zero */
static int
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

/* test_calloc -- zero on every reuse, overflow */
static void
test_calloc(void)
{
	VMEM *vmp = new_pool();
	static const size_t sizes[] = { 8, 64, 200, 3000, 4096, 20000,
		70000, 1 << 20, 5 << 20 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		int ok = 1;
		for (int round = 0; round < 20; round++) {
			unsigned char *p = vmem_calloc(vmp, 1, n);
			if (p == NULL || !all_zero(p, n)) {
				ok = 0;
				if (p)
					vmem_free(vmp, p);
				break;
			}
			memset(p, 0xa5, n);
			vmem_free(vmp, p);
			/* dirty the same class through malloc, too */
			p = vmem_malloc(vmp, n);
			if (p) {
				memset(p, 0x5a, n);
				vmem_free(vmp, p);
			}
		}
		CHECK(ok, "calloc %zu: zero on every reuse (20 rounds)", n);
	}

	/* fill the pool with dirty 1 MiB blocks, free, calloc it all again */
	enum { MAXB = 64 };
	void *b[MAXB];
	int nb = 0;
	while (nb < MAXB && (b[nb] = vmem_malloc(vmp, 1 << 20)) != NULL)
		memset(b[nb++], 0xff, 1 << 20);
	CHECK(nb >= 10, "calloc: filled the pool with %d dirty 1 MiB blocks",
		nb);
	for (int i = 0; i < nb; i++)
		vmem_free(vmp, b[i]);
	int nc = 0, ok = 1;
	while (nc < MAXB && (b[nc] = vmem_calloc(vmp, 1024, 1024)) != NULL)
		ok &= all_zero(b[nc++], 1 << 20);
	CHECK(ok, "calloc: %d reused 1 MiB blocks all zero", nc);
	CHECK(nc == nb, "calloc: as many calloc blocks as malloc (%d/%d)",
		nc, nb);
	for (int i = 0; i < nc; i++)
		vmem_free(vmp, b[i]);

	/* small objects over the whole pool, twice */
	enum { MAXS = 400000 };
	void **s = malloc(MAXS * sizeof(*s));
	MUST(s != NULL, "malloc pointer array");
	int ns = 0;
	while (ns < MAXS && (s[ns] = vmem_malloc(vmp, 48)) != NULL)
		memset(s[ns++], 0xee, 48);
	for (int i = 0; i < ns; i++)
		vmem_free(vmp, s[i]);
	int zs = 0;
	ok = 1;
	while (zs < MAXS && (s[zs] = vmem_calloc(vmp, 6, 8)) != NULL)
		ok &= all_zero(s[zs++], 48);
	CHECK(ok && zs > 0, "calloc: %d reused 48 B blocks all zero", zs);
	for (int i = 0; i < zs; i++)
		vmem_free(vmp, s[i]);
	free(s);

	errno = 0;
	CHECK(vmem_calloc(vmp, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
		"calloc overflow (SIZE_MAX/2 * 3): NULL, ENOMEM");
	errno = 0;
	CHECK(vmem_calloc(vmp, (size_t)1 << 33, (size_t)1 << 32) == NULL &&
		errno == ENOMEM, "calloc overflow (2^33 * 2^32): ENOMEM");
	errno = 0;
	CHECK(vmem_calloc(vmp, 1 << 20, 1 << 20) == NULL && errno == ENOMEM,
		"calloc 1 TiB (no overflow, too big): ENOMEM");
	vmem_delete(vmp);
}

/* test_aligned -- alignments 8 .. 2 MiB, not powers of two */
static void
test_aligned(void)
{
	VMEM *vmp = new_pool();
	for (size_t al = 1; al <= (2 << 20); al <<= 1) {
		static const size_t sz[] = { 1, 100, 4096, 100000 };
		int ok = 1;
		for (unsigned i = 0; i < 4; i++) {
			char *p = vmem_aligned_alloc(vmp, al, sz[i]);
			if (p == NULL || ((uintptr_t)p & (al - 1)) != 0 ||
					!in_pool(p, p, sz[i])) {
				ok = 0;
				if (p == NULL)
					DIAG("aligned_alloc(%zu, %zu): %s", al,
						sz[i], vmem_errormsg());
			}
			if (p) {
				memset(p, 1, sz[i]);
				vmem_free(vmp, p);
			}
		}
		char *p = vmem_aligned_alloc(vmp, al, al);
		ok &= p != NULL && ((uintptr_t)p & (al - 1)) == 0;
		vmem_free(vmp, p);
		CHECK(ok, "aligned_alloc alignment %zu honoured", al);
	}
	/* several 2 MiB-aligned blocks at once stay inside the pool */
	void *x[4];
	int ok = 1;
	for (int i = 0; i < 4; i++) {
		x[i] = vmem_aligned_alloc(vmp, 2 << 20, 1 << 20);
		ok &= x[i] != NULL && ((uintptr_t)x[i] & ((2 << 20) - 1)) == 0
			&& in_pool(x[0], x[i], 1 << 20);
	}
	CHECK(ok, "aligned_alloc: four 2 MiB-aligned blocks in the pool");
	for (int i = 0; i < 4; i++)
		vmem_free(vmp, x[i]);

	static const size_t bad[] = { 0, 3, 24, 100, 4097, (2 << 20) + 1 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		void *p = vmem_aligned_alloc(vmp, bad[i], 64);
		CHECK(p == NULL && errno == EINVAL,
			"aligned_alloc alignment %zu: NULL, EINVAL", bad[i]);
	}
	CHECK(strstr(vmem_errormsg(), "power of two") != NULL,
		"aligned_alloc: message (\"%s\")", vmem_errormsg());
	/* C17: any size, not only multiples of the alignment */
	void *p = vmem_aligned_alloc(vmp, 256, 1000);
	CHECK(p != NULL && ((uintptr_t)p & 255) == 0,
		"aligned_alloc(256, 1000): size need not be a multiple");
	vmem_free(vmp, p);
	vmem_delete(vmp);
}

/* fill_pattern -- write a pattern depending on the offset */
static void
fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + seed);
}

/* check_pattern -- whether fill_pattern's bytes are still there */
static int
check_pattern(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + seed))
			return 0;
	return 1;
}

/* test_realloc -- NULL, 0, grow, shrink, failure, full pool */
static void
test_realloc(void)
{
	VMEM *vmp = new_pool();
	unsigned char *p = vmem_realloc(vmp, NULL, 100);
	CHECK(p != NULL && in_pool(p, p, 100), "realloc(NULL, 100) = malloc");
	fill_pattern(p, 100, 3);
	static const size_t steps[] = { 200, 5000, 100000, 3 << 20, 4000,
		50, 1, 70000, 8 << 20, 17 };
	size_t cur = 100;
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t n = steps[i];
		unsigned char *q = vmem_realloc(vmp, p, n);
		size_t keep = cur < n ? cur : n;
		int ok = q != NULL && check_pattern(q, keep, 3) &&
			vmem_malloc_usable_size(vmp, q) >= n;
		CHECK(ok, "realloc %zu -> %zu keeps the contents", cur, n);
		if (q == NULL)
			break;
		p = q;
		fill_pattern(p, n, 3);
		cur = n;
	}
	errno = 0;
	void *z = vmem_realloc(vmp, p, 0);
	CHECK(z == NULL, "realloc(p, 0) frees and returns NULL");

	/* a failed realloc leaves the old block intact */
	p = vmem_malloc(vmp, 1 << 20);
	MUST(p != NULL, "malloc 1 MiB");
	fill_pattern(p, 1 << 20, 9);
	size_t us = vmem_malloc_usable_size(vmp, p);
	errno = 0;
	void *q = vmem_realloc(vmp, p, 64 << 20);
	CHECK(q == NULL && errno == ENOMEM,
		"realloc to 64 MiB in a 14 MiB pool: NULL, ENOMEM");
	CHECK(check_pattern(p, 1 << 20, 9) &&
		vmem_malloc_usable_size(vmp, p) == us,
		"failed realloc: old block intact, same usable size");
	errno = 0;
	q = vmem_realloc(vmp, p, SIZE_MAX - 100);
	CHECK(q == NULL && errno == ENOMEM && check_pattern(p, 1 << 20, 9),
		"realloc to SIZE_MAX-100: NULL, ENOMEM, block intact");
	vmem_free(vmp, p);
	CHECK(vmem_check(vmp) == 1, "old block frees after failed realloc");

	/* shrinking in a full pool still succeeds */
	enum { MAXB = 100000 };
	void **b = malloc(MAXB * sizeof(*b));
	MUST(b != NULL, "pointer array");
	int nb = 0;
	while (nb < MAXB && (b[nb] = vmem_malloc(vmp, 60000)) != NULL) {
		fill_pattern(b[nb], 60000, (unsigned)nb);
		nb++;
	}
	/* top up with small blocks so no slab has room */
	int ns = nb;
	while (ns < MAXB && (b[ns] = vmem_malloc(vmp, 16)) != NULL)
		ns++;
	errno = 0;
	CHECK(vmem_malloc(vmp, 16) == NULL && errno == ENOMEM,
		"full pool: %d large + %d small blocks, then ENOMEM", nb,
		ns - nb);
	int ok = 1;
	for (int i = 0; i < nb; i += 7) {
		unsigned char *r = vmem_realloc(vmp, b[i], 100);
		if (r == NULL || !check_pattern(r, 100, (unsigned)i))
			ok = 0;
		if (r)
			b[i] = r;
	}
	CHECK(ok, "full pool: shrinking 60000 -> 100 succeeds, keeps data");
	ok = 1;
	for (int i = 1; i < nb; i += 7) {
		unsigned char *r = vmem_realloc(vmp, b[i], 30000);
		if (r == NULL || !check_pattern(r, 30000, (unsigned)i))
			ok = 0;
		if (r)
			b[i] = r;
	}
	CHECK(ok, "full pool: shrinking 60000 -> 30000 succeeds");
	for (int i = 0; i < ns; i++)
		vmem_free(vmp, b[i]);
	free(b);
	CHECK(vmem_check(vmp) == 1, "full pool emptied, consistent");
	void *big = vmem_malloc(vmp, 8 << 20);
	CHECK(big != NULL, "an 8 MiB block fits again after emptying");
	vmem_free(vmp, big);
	vmem_delete(vmp);
}

/* test_strdup -- strdup, wcsdup */
static void
test_strdup(void)
{
	VMEM *vmp = new_pool();
	const char *s = "a string for the pool";
	char *d = vmem_strdup(vmp, s);
	CHECK(d != NULL && d != s && strcmp(d, s) == 0 && in_pool(d, d, 22),
		"strdup: equal copy in the pool");
	CHECK(vmem_malloc_usable_size(vmp, d) >= strlen(s) + 1,
		"strdup: usable size >= length + 1");
	vmem_free(vmp, d);
	d = vmem_strdup(vmp, "");
	CHECK(d != NULL && d[0] == '\0', "strdup(\"\")");
	vmem_free(vmp, d);

	size_t n = 3 << 20;
	char *big = malloc(n + 1);
	MUST(big != NULL, "malloc 3 MiB");
	memset(big, 'x', n);
	big[n] = '\0';
	d = vmem_strdup(vmp, big);
	CHECK(d != NULL && strcmp(d, big) == 0, "strdup of 3 MiB");
	vmem_free(vmp, d);
	free(big);

	const wchar_t *w = L"wide \u00e9\u4e2d characters";
	wchar_t *wd = vmem_wcsdup(vmp, w);
	CHECK(wd != NULL && wcscmp(wd, w) == 0 &&
		in_pool(wd, wd, (wcslen(w) + 1) * sizeof(wchar_t)),
		"wcsdup: equal copy in the pool");
	CHECK(vmem_malloc_usable_size(vmp, wd) >=
		(wcslen(w) + 1) * sizeof(wchar_t), "wcsdup: usable size");
	vmem_free(vmp, wd);
	wd = vmem_wcsdup(vmp, L"");
	CHECK(wd != NULL && wd[0] == 0, "wcsdup(L\"\")");
	vmem_free(vmp, wd);

	errno = 0;
	CHECK(vmem_strdup(vmp, NULL) == NULL && errno == EINVAL,
		"strdup(NULL): NULL, EINVAL, no crash");
	errno = 0;
	CHECK(vmem_wcsdup(vmp, NULL) == NULL && errno == EINVAL,
		"wcsdup(NULL): NULL, EINVAL, no crash");
	vmem_delete(vmp);
}

/* test_usable -- usable_size */
static void
test_usable(void)
{
	VMEM *vmp = new_pool();
	CHECK(vmem_malloc_usable_size(vmp, NULL) == 0, "usable_size(NULL) 0");
	int ok = 1;
	for (size_t n = 1; n <= (4 << 20); n = n * 3 + 1) {
		char *p = vmem_malloc(vmp, n);
		size_t u = p ? vmem_malloc_usable_size(vmp, p) : 0;
		if (p == NULL || u < n || u > n + n / 4 + 16) {
			ok = 0;
			DIAG("size %zu: usable %zu", n, u);
		}
		/* all of it is usable (memcheck knows only the request) */
		if (p)
			memset(p, 0x11, RUNNING_ON_VALGRIND ? n : u);
		vmem_free(vmp, p);
	}
	CHECK(ok, "usable_size >= requested (and not absurdly more)");
	vmem_delete(vmp);
}

/* test_foreign -- pointers that are not from the pool */
static void
test_foreign(void)
{
	VMEM *a = new_pool();
	VMEM *b = new_pool();
	char *pa = vmem_malloc(a, 100);
	char *pb = vmem_malloc(b, 100);
	MUST(pa && pb, "one block in each pool");
	strcpy(pb, "pool b");

	int local = 0;
	errno = 0;
	vmem_free(a, &local);
	CHECK(errno == EINVAL &&
		strstr(vmem_errormsg(), "does not belong") != NULL,
		"free of a stack pointer: EINVAL, \"%s\"", vmem_errormsg());
	char *heap = malloc(100);
	errno = 0;
	vmem_free(a, heap);
	CHECK(errno == EINVAL, "free of a glibc pointer: EINVAL, no crash");
	errno = 0;
	CHECK(vmem_malloc_usable_size(a, heap) == 0 && errno == EINVAL,
		"usable_size of a glibc pointer: 0, EINVAL");
	errno = 0;
	CHECK(vmem_realloc(a, heap, 200) == NULL && errno == EINVAL,
		"realloc of a glibc pointer: NULL, EINVAL");
	free(heap);

	/* a block of pool b given to pool a */
	errno = 0;
	vmem_free(a, pb);
	CHECK(errno == EINVAL, "free of pool b's block through pool a: EINVAL");
	errno = 0;
	CHECK(vmem_malloc_usable_size(a, pb) == 0 && errno == EINVAL,
		"usable_size of b's block through a: 0, EINVAL");
	CHECK(vmem_realloc(a, pb, 1000) == NULL,
		"realloc of b's block through a: NULL");
	CHECK(strcmp(pb, "pool b") == 0 && vmem_malloc_usable_size(b, pb) >= 100,
		"b's block still intact and live in b");
	char *pb2 = vmem_malloc(b, 100);
	CHECK(pb2 != NULL && pb2 != pb, "b does not hand the block out again");
	vmem_free(b, pb2);
	vmem_free(b, pb);
	vmem_free(a, pa);
	CHECK(vmem_check(a) == 1 && vmem_check(b) == 1,
		"both pools consistent");
	vmem_delete(a);
	vmem_delete(b);
}

static const struct tap_group Groups[] = {
	{ "create", test_create }, { "region", test_region },
	{ "check", test_check }, { "version", test_version },
	{ "errmsg", test_errmsg }, { "malloc", test_malloc },
	{ "calloc", test_calloc }, { "aligned", test_aligned },
	{ "realloc", test_realloc }, { "strdup", test_strdup },
	{ "usable", test_usable }, { "foreign", test_foreign },
};

int
main(int argc, char **argv)
{
	tap_init(argc, argv);
	if (getenv("TEST_DIR"))
		Dir = getenv("TEST_DIR");
	CHECK(vmem_errormsg() != NULL && vmem_errormsg()[0] == '\0',
		"errormsg: \"\" before any error");
	tap_groups(argc, argv, Groups, sizeof(Groups) / sizeof(Groups[0]));
	return done_testing();
}
