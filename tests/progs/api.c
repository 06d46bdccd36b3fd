/*
 * api.c -- the libc allocation names under libvmmalloc, one case a run
 *
 * usage: api CASE [ARG]; exit status 0 when the case holds, else 1 with
 * one line on stderr saying what failed.  Every pointer handed out must
 * come from the pool (the shim is assumed to be preloaded).
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmtest.h"

/* the huge sizes and the old mallinfo are what this program tests */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* glibc's internal names the shim exports too */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#define PAGE ((uintptr_t)4096)
#define POOL(p) do { if (!vt_in_pool(p))\
	FAIL("%s = %p is not in the pool", #p, (void *)(p)); } while (0)
#define ALIGNED(p, a) do { if (((uintptr_t)(p) & ((a) - 1)) != 0)\
	FAIL("%s = %p not aligned to %zu", #p, (void *)(p), (size_t)(a));\
	} while (0)

/* malloc(0): unique, freeable pointers from the pool */
static void
case_malloc0(void)
{
	enum { N = 1000 };
	static void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = malloc(0);
		ASSERT(p[i] != NULL);
		POOL(p[i]);
		for (int j = 0; j < i; j++)
			if (p[j] == p[i])
				FAIL("malloc(0) returned %p twice", p[i]);
	}
	for (int i = 0; i < N; i++)
		free(p[i]);
	void *q = calloc(0, 0), *r = calloc(0, 5);
	ASSERT(q != NULL && r != NULL && q != r);
	free(q);
	free(r);
	free(NULL);
	ASSERT(malloc_usable_size(NULL) == 0);
}

/* posix_memalign: alignments, EINVAL for a bad one, errno untouched */
static void
case_posix_memalign(void)
{
	void *p = (void *)0x1;
	for (size_t a = sizeof(void *); a <= ((size_t)1 << 21); a <<= 1) {
		errno = 1234;
		ASSERT(posix_memalign(&p, a, 100) == 0);
		ASSERT(errno == 1234);
		POOL(p);
		ALIGNED(p, a);
		memset(p, 'a', 100);
		free(p);
	}
	p = (void *)0x1;
	ASSERT(posix_memalign(&p, 3, 100) == EINVAL);
	ASSERT(posix_memalign(&p, 24, 100) == EINVAL);
	ASSERT(posix_memalign(&p, 0, 100) == EINVAL);
	ASSERT(posix_memalign(&p, sizeof(void *) / 2, 100) == EINVAL);
	ASSERT(p == (void *)0x1);	/* untouched on failure */
	errno = 0;
	ASSERT(posix_memalign(&p, 64, SIZE_MAX / 2) == ENOMEM);
	ASSERT(p == (void *)0x1);
	ASSERT(posix_memalign(&p, 64, 0) == 0);
	POOL(p);
	free(p);
}

/* aligned_alloc: power-of-two alignments, EINVAL otherwise */
static void
case_aligned_alloc(void)
{
	for (size_t a = 1; a <= ((size_t)1 << 20); a <<= 1) {
		void *p = aligned_alloc(a, 3 * a);	/* C17: any size */
		ASSERT(p != NULL);
		POOL(p);
		ALIGNED(p, a);
		free(p);
	}
	/* large alignments and sizes, also 2 MiB-aligned multiples of 2 MiB
	 * (what the engine asks the pool for its own metadata): all pool */
	static const size_t big[][2] = {
		{ 2 << 20, 2 << 20 }, { 2 << 20, 4 << 20 }, { 4 << 20, 4 << 20 },
		{ 2 << 20, 6 << 20 }, { 8 << 20, 2 << 20 }, { 2 << 20, 1 },
		{ 4096, 2 << 20 },
	};
	for (unsigned i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		void *p = aligned_alloc(big[i][0], big[i][1]);
		if (p == NULL)
			FAIL("aligned_alloc(%zu, %zu) failed", big[i][0],
					big[i][1]);
		POOL(p);
		ALIGNED(p, big[i][0]);
		free(p);
	}
	void *p = aligned_alloc(64, 1);		/* not a multiple: fine */
	ASSERT(p != NULL);
	free(p);
	size_t bad[] = { 3, 0, 24, 100, 4097 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		p = aligned_alloc(bad[i], 64);
		if (p != NULL || errno != EINVAL)
			FAIL("aligned_alloc(%zu, 64) = %p, errno %d", bad[i],
					p, errno);
	}
	errno = 0;
	ASSERT(aligned_alloc(64, SIZE_MAX / 2) == NULL && errno == ENOMEM);
}

/* memalign: alignment rounded up to a power of two, as glibc does */
static void
case_memalign(void)
{
	static const size_t a[][2] = {
		{ 1, 1 }, { 8, 8 }, { 16, 16 }, { 24, 32 }, { 48, 64 },
		{ 100, 128 }, { 1000, 1024 }, { 4095, 4096 }, { 4096, 4096 },
		{ 5000, 8192 }, { 65536, 65536 }, { 100000, 131072 },
	};
	for (unsigned i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		void *p = memalign(a[i][0], 77);
		if (p == NULL)
			FAIL("memalign(%zu, 77) failed", a[i][0]);
		POOL(p);
		ALIGNED(p, a[i][1]);
		ASSERT(malloc_usable_size(p) >= 77);
		free(p);
		p = __libc_memalign(a[i][0], 77);
		ASSERT(p != NULL);
		ALIGNED(p, a[i][1]);
		free(p);
	}
	void *p = memalign(0, 10);
	ASSERT(p != NULL);
	free(p);
	errno = 0;
	ASSERT(memalign(SIZE_MAX, 10) == NULL && errno == EINVAL);
	errno = 0;
	ASSERT(memalign(64, SIZE_MAX - 100) == NULL && errno == ENOMEM);
}

/* valloc, pvalloc: page aligned; pvalloc rounds the size to pages */
static void
case_valloc(void)
{
	size_t sizes[] = { 0, 1, 100, 4095, 4096, 4097, 100000 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		size_t pages = n == 0 ? PAGE : (n + PAGE - 1) & ~(PAGE - 1);
		void *v = valloc(n), *pv = pvalloc(n);
		ASSERT(v != NULL && pv != NULL);
		POOL(v);
		POOL(pv);
		ALIGNED(v, PAGE);
		ALIGNED(pv, PAGE);
		ASSERT(malloc_usable_size(v) >= n);
		if (malloc_usable_size(pv) < pages)
			FAIL("pvalloc(%zu): usable %zu < %zu", n,
					malloc_usable_size(pv), pages);
		memset(pv, 'p', pages);
		free(v);
		free(pv);
		v = __libc_valloc(n);
		pv = __libc_pvalloc(n);
		ASSERT(v != NULL && pv != NULL);
		ALIGNED(v, PAGE);
		ALIGNED(pv, PAGE);
		free(v);
		free(pv);
	}
	errno = 0;
	ASSERT(pvalloc(SIZE_MAX - 10) == NULL && errno == ENOMEM);
	errno = 0;
	ASSERT(valloc(SIZE_MAX - 10) == NULL && errno == ENOMEM);
}

/* calloc: zeroed on every reuse, overflow is ENOMEM */
static void
case_calloc(void)
{
	for (int round = 0; round < 50; round++) {
		size_t n = 1 + (size_t)round * 997;
		unsigned char *p = malloc(n);
		ASSERT(p != NULL);
		memset(p, 0xa5, n);
		free(p);
		p = calloc(n, 1);
		ASSERT(p != NULL);
		POOL(p);
		for (size_t i = 0; i < n; i++)
			if (p[i] != 0)
				FAIL("calloc(%zu, 1)[%zu] = %#x", n, i, p[i]);
		free(p);
	}
	errno = 0;
	ASSERT(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
	errno = 0;
	ASSERT(calloc((size_t)1 << 33, (size_t)1 << 33) == NULL &&
			errno == ENOMEM);
	errno = 0;
	ASSERT(calloc(1, SIZE_MAX - 4096) == NULL && errno == ENOMEM);
}

/* realloc and reallocarray: contents kept, overflow ENOMEM */
static void
case_realloc(void)
{
	char *p = realloc(NULL, 10);	/* = malloc */
	ASSERT(p != NULL);
	POOL(p);
	memcpy(p, "0123456789", 10);
	for (size_t n = 16; n <= ((size_t)1 << 22); n *= 2) {
		p = realloc(p, n);
		ASSERT(p != NULL);
		POOL(p);
		ASSERT(memcmp(p, "0123456789", 10) == 0);
	}
	p = realloc(p, 5);		/* shrink */
	ASSERT(p != NULL && memcmp(p, "01234", 5) == 0);
	errno = 0;
	char *q = realloc(p, SIZE_MAX - 10);
	ASSERT(q == NULL && errno == ENOMEM);
	ASSERT(memcmp(p, "01234", 5) == 0);	/* old block intact */
	errno = 0;
	q = reallocarray(p, SIZE_MAX / 4, 8);
	ASSERT(q == NULL && errno == ENOMEM);
	ASSERT(memcmp(p, "01234", 5) == 0);
	q = reallocarray(p, 100, 40);
	ASSERT(q != NULL && memcmp(q, "01234", 5) == 0);
	ASSERT(malloc_usable_size(q) >= 4000);
	q = __libc_realloc(q, 50000);
	ASSERT(q != NULL && memcmp(q, "01234", 5) == 0);
	ASSERT(realloc(q, 0) == NULL);	/* frees, as glibc */
	p = reallocarray(NULL, 10, 10);
	ASSERT(p != NULL);
	POOL(p);
	free(p);
}

/* shim_sym -- a name as the program sees it, which must be the shim's */
static void *
shim_sym(const char *name)
{
	void *f = dlsym(RTLD_DEFAULT, name);
	Dl_info di;
	if (f == NULL)
		FAIL("%s: not found", name);
	if (dladdr(f, &di) == 0 || di.dli_fname == NULL ||
			strstr(di.dli_fname, "libvmmalloc") == NULL)
		FAIL("%s is defined in %s, not in libvmmalloc", name,
				di.dli_fname ? di.dli_fname : "?");
	return f;
}

/* the glibc aliases and cfree reach the pool */
static void
case_aliases(void)
{
	static const char *names[] = { "malloc", "calloc", "realloc", "free",
		"cfree", "reallocarray", "posix_memalign", "aligned_alloc",
		"memalign", "valloc", "pvalloc", "malloc_usable_size",
		"__libc_malloc", "__libc_calloc", "__libc_realloc",
		"__libc_free", "__libc_memalign", "__libc_valloc",
		"__libc_pvalloc", "__posix_memalign", "malloc_trim", "mallopt",
		"mallinfo", "mallinfo2", "malloc_stats", "malloc_info" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void) shim_sym(names[i]);
	void (*cfree)(void *) = (void (*)(void *))shim_sym("cfree");
	int (*__posix_memalign)(void **, size_t, size_t) =
		(int (*)(void **, size_t, size_t))shim_sym("__posix_memalign");
	void *p = __libc_malloc(100), *q = __libc_calloc(10, 10);
	ASSERT(p != NULL && q != NULL);
	POOL(p);
	POOL(q);
	for (int i = 0; i < 100; i++)
		ASSERT(((char *)q)[i] == 0);
	__libc_free(p);
	cfree(q);
	ASSERT(__posix_memalign(&p, 256, 10) == 0);
	POOL(p);
	ALIGNED(p, 256);
	ASSERT(__posix_memalign(&q, 3, 10) == EINVAL);
	free(p);
	p = malloc(123);
	ASSERT(p != NULL);
	ASSERT(malloc_usable_size(p) >= 123);
	free(p);
	p = strdup("a string from libc's strdup");
	POOL(p);		/* libc's own callers reach the shim */
	free(p);
}

/* mallinfo2 and mallinfo: arena is the pool size */
static void
case_mallinfo(const char *arg)
{
	size_t want = arg ? strtoull(arg, NULL, 0) : 0;
	void *p = malloc(1 << 20);
	ASSERT(p != NULL);
	memset(p, 1, 1 << 20);
	struct mallinfo2 m = mallinfo2();
	if (m.arena != want)
		FAIL("mallinfo2().arena = %zu, want %zu", m.arena, want);
	if (m.uordblks < (1 << 20) || m.uordblks > m.arena ||
			m.uordblks + m.fordblks != m.arena)
		FAIL("mallinfo2: uordblks %zu fordblks %zu arena %zu",
				m.uordblks, m.fordblks, m.arena);
	struct mallinfo m1 = mallinfo();
	ASSERT((size_t)m1.arena == (want > INT32_MAX ? INT32_MAX : want));
	ASSERT(m1.uordblks >= (1 << 20));
	size_t before = m.uordblks;
	free(p);
	m = mallinfo2();
	if (m.uordblks + (1 << 20) > before)
		FAIL("mallinfo2 after free: uordblks %zu, before %zu",
				m.uordblks, before);
	ASSERT(malloc_trim(0) == 1);
	ASSERT(mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1);
	ASSERT(mallopt(M_ARENA_MAX, 1) == 1);
}

/* malloc_info: an XML document with the pool's totals */
static void
case_malloc_info(const char *arg)
{
	ASSERT(malloc_info(0, stdout) == 0);
	errno = 0;
	ASSERT(malloc_info(1, stdout) == -1 && errno == EINVAL);
	(void) arg;
}

/* malloc_stats: the pool's statistics on stderr */
static void
case_malloc_stats(void)
{
	void *p = malloc(1000);
	ASSERT(p != NULL);
	fflush(stdout);
	malloc_stats();
	free(p);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		FAIL("usage: api CASE [ARG]");
	const char *c = argv[1], *arg = argc > 2 ? argv[2] : NULL;
	uintptr_t lo, hi;
	if (vt_pool_range(&lo, &hi) != 0)
		FAIL("no pool mapping in /proc/self/maps");
	if (strcmp(c, "malloc0") == 0)
		case_malloc0();
	else if (strcmp(c, "posix_memalign") == 0)
		case_posix_memalign();
	else if (strcmp(c, "aligned_alloc") == 0)
		case_aligned_alloc();
	else if (strcmp(c, "memalign") == 0)
		case_memalign();
	else if (strcmp(c, "valloc") == 0)
		case_valloc();
	else if (strcmp(c, "calloc") == 0)
		case_calloc();
	else if (strcmp(c, "realloc") == 0)
		case_realloc();
	else if (strcmp(c, "aliases") == 0)
		case_aliases();
	else if (strcmp(c, "mallinfo") == 0)
		case_mallinfo(arg);
	else if (strcmp(c, "malloc_info") == 0)
		case_malloc_info(arg);
	else if (strcmp(c, "malloc_stats") == 0)
		case_malloc_stats();
	else
		FAIL("unknown case %s", c);
	printf("ok %s\n", c);
	return 0;
}
