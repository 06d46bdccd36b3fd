/*
 * interpose.c -- every libc name libvmmalloc defines, as one flat list
 *
 * Hold this file against libvmmalloc.map: each exported name is defined
 * here and nowhere else.  A pointer inside the pool goes to the engine; a
 * pointer from the start-up buffer is never freed; any other pointer
 * belongs to glibc's own malloc (a library opened with RTLD_DEEPBIND) and
 * goes back to it.  Threads are bound to the pool's arena before their
 * first allocation, so the engine's own fast path and thread cache serve
 * the pool.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "stats.h"

#define EXPORT __attribute__((visibility("default")))
#define ALIAS(name) __attribute__((alias(#name), copy(name),\
	visibility("default")))
#define PAGE ((size_t)4096)

/* enter -- make the pool, bind the thread: 0 ok, -1 use the boot buffer */
__attribute__((noinline, cold))
static int
enter(void)
{
	if (shim_start() != 0)
		return -1;
	shim_bind();
	if (!Shim_bound) {
		errno = ENOMEM;
		return -2;
	}
	return 0;
}

/* RETRY -- a failed allocation: flush, purge, retry, then ENOMEM */
#define RETRY(expr) ({ __typeof__(expr) r_ = (expr);\
	for (int i_ = 0; unlikely(r_ == NULL) && i_ < POOL_RETRIES; i_++) {\
		shim_retry(i_); r_ = (expr); }\
	if (r_ == NULL) { errno = ENOMEM; } r_; })

/* malloc -- allocate from the pool */
EXPORT void *
malloc(size_t size)
{
	if (unlikely(!Shim_bound)) {
		int e = enter();
		if (e == -1)
			return boot_alloc(size, 16);
		if (e < 0)
			return NULL;
	}
	return RETRY(vje_malloc(size));
}

/* free -- give a block back to whoever owns it */
EXPORT void
free(void *ptr)
{
	if (likely(pool_owns(&Shim.pool, ptr))) {
		vje_free(ptr);
		return;
	}
	if (ptr != NULL)
		foreign_free(ptr);
}

/* calloc -- allocate zeroed memory from the pool */
EXPORT void *
calloc(size_t nmemb, size_t size)
{
	if (unlikely(!Shim_bound)) {
		int e = enter();
		if (e == -1) {
			size_t n;
			if (__builtin_mul_overflow(nmemb, size, &n)) {
				errno = ENOMEM;
				return NULL;
			}
			return boot_alloc(n, 16);	/* static: zero */
		}
		if (e < 0)
			return NULL;
	}
	return RETRY(vje_calloc(nmemb, size));
}

/* realloc_foreign -- move a block the pool does not own into the pool */
static void *
realloc_foreign(void *ptr, size_t size)
{
	void *n = malloc(size);
	if (n == NULL)
		return NULL;
	size_t old = foreign_size(ptr);
	memcpy(n, ptr, old < size ? old : size);
	foreign_free(ptr);
	return n;
}

/* realloc -- resize a block, moving it if needed */
EXPORT void *
realloc(void *ptr, size_t size)
{
	if (likely(pool_owns(&Shim.pool, ptr))) {
		if (unlikely(size == 0)) {
			vje_free(ptr);
			return NULL;
		}
		if (unlikely(!Shim_bound) && enter() != 0)
			return NULL;
		void *n = RETRY(vje_realloc(ptr, size));
		if (n == NULL && size <= vje_malloc_usable_size(ptr))
			return ptr;	/* shrinking in a full pool */
		return n;
	}
	if (ptr == NULL)
		return malloc(size);
	if (size == 0) {
		foreign_free(ptr);
		return NULL;
	}
	return realloc_foreign(ptr, size);
}

/* reallocarray -- realloc of nmemb * size, checked for overflow */
EXPORT void *
reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, n);
}

/* aligned -- allocate with a power-of-two alignment */
static void *
aligned(size_t alignment, size_t size)
{
	if (unlikely(!Shim_bound)) {
		int e = enter();
		if (e == -1)
			return boot_alloc(size, alignment);
		if (e < 0)
			return NULL;
	}
	int flags = MALLOCX_ALIGN(alignment);
	return RETRY(vje_mallocx(size ? size : 1, flags));
}

/* posix_memalign -- aligned allocation, the POSIX way */
EXPORT int
posix_memalign(void **memptr, size_t alignment, size_t size)
{
	if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
		return EINVAL;
	int e = errno;
	void *p = aligned(alignment, size);
	if (p == NULL) {
		int r = errno;
		errno = e;
		return r ? r : ENOMEM;
	}
	*memptr = p;
	return 0;
}

/* aligned_alloc -- C11/C17: alignment a power of two, any size */
EXPORT void *
aligned_alloc(size_t alignment, size_t size)
{
	if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(alignment, size);
}

/* memalign -- as glibc: alignment rounded up to a power of two */
EXPORT void *
memalign(size_t alignment, size_t size)
{
	if (alignment > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (alignment <= 16)
		return malloc(size);
	if ((alignment & (alignment - 1)) != 0)
		alignment = (size_t)1 << (64 - __builtin_clzl(alignment));
	return aligned(alignment, size);
}

/* valloc -- page-aligned allocation */
EXPORT void *
valloc(size_t size)
{
	return aligned(PAGE, size);
}

/* pvalloc -- page-aligned allocation of whole pages */
EXPORT void *
pvalloc(size_t size)
{
	if (size > SIZE_MAX - PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	size_t n = (size + PAGE - 1) & ~(PAGE - 1);
	return aligned(PAGE, n ? n : PAGE);
}

/* malloc_usable_size -- usable bytes of a block, 0 for NULL */
EXPORT size_t
malloc_usable_size(void *ptr)
{
	if (likely(pool_owns(&Shim.pool, ptr)))
		return vje_malloc_usable_size(ptr);
	return ptr == NULL ? 0 : foreign_size(ptr);
}

/* cfree -- the old name of free */
EXPORT void cfree(void *ptr) ALIAS(free);

/* glibc's internal names, called by some programs and libraries */
EXPORT void *__libc_malloc(size_t size) ALIAS(malloc);
EXPORT void *__libc_calloc(size_t nmemb, size_t size) ALIAS(calloc);
EXPORT void *__libc_realloc(void *ptr, size_t size) ALIAS(realloc);
EXPORT void __libc_free(void *ptr) ALIAS(free);
EXPORT void *__libc_memalign(size_t alignment, size_t size) ALIAS(memalign);
EXPORT void *__libc_valloc(size_t size) ALIAS(valloc);
EXPORT void *__libc_pvalloc(size_t size) ALIAS(pvalloc);
EXPORT int __posix_memalign(void **memptr, size_t alignment, size_t size)
	ALIAS(posix_memalign);

/* malloc_trim -- give the pool's unused pages back (when punching) */
EXPORT int
malloc_trim(size_t pad)
{
	(void) pad;
	if (Shim.state != SHIM_READY)
		return 0;
	pool_purge(&Shim.pool);
	return 1;
}

/* mallopt -- accepted for compatibility, without effect */
EXPORT int
mallopt(int param, int value)
{
	(void) param; (void) value;
	return 1;
}

/* mallinfo2 -- the pool's totals in glibc's structure */
EXPORT struct mallinfo2
mallinfo2(void)
{
	struct mallinfo2 mi;
	memset(&mi, 0, sizeof(mi));
	if (Shim.state != SHIM_READY)
		return mi;
	size_t used = stats_allocated(&Shim.pool);
	mi.arena = Shim.pool.size;
	mi.uordblks = used;
	mi.fordblks = Shim.pool.size - used;
	return mi;
}

/* mallinfo -- mallinfo2 in int fields, clamped */
EXPORT struct mallinfo
mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi;
	memset(&mi, 0, sizeof(mi));
	mi.arena = m2.arena > INT32_MAX ? INT32_MAX : (int)m2.arena;
	mi.uordblks = m2.uordblks > INT32_MAX ? INT32_MAX : (int)m2.uordblks;
	mi.fordblks = m2.fordblks > INT32_MAX ? INT32_MAX : (int)m2.fordblks;
	return mi;
}

/* malloc_stats -- the pool's statistics on stderr (or the log file) */
EXPORT void
malloc_stats(void)
{
	shim_print_stats("bl");
}

/* malloc_info -- the pool's totals as XML */
EXPORT int
malloc_info(int options, FILE *fp)
{
	if (options != 0) {
		errno = EINVAL;
		return -1;
	}
	struct mallinfo2 mi = mallinfo2();
	fprintf(fp, "<malloc version=\"libvmmalloc-1\">\n"
		"<total type=\"pool\" size=\"%zu\"/>\n"
		"<total type=\"allocated\" size=\"%zu\"/>\n"
		"<total type=\"free\" size=\"%zu\"/>\n"
		"</malloc>\n", mi.arena, mi.uordblks, mi.fordblks);
	return 0;
}
