/*
 * vmem.c -- the entry points of libvmem: argument checks and dispatch
 *
 * The work is done by pool.c (memory, hooks, arena), tcache.c (the
 * caches per thread and pool), file.c (files and mappings) and stats.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wchar.h>

#include "libvmem.h"
#include "file.h"
#include "out.h"
#include "stats.h"
#include "vg.h"
#include "vmem.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

int On_valgrind;
static int Punch;	/* VMEM_PUNCH_HOLES=1 */
static int Slow;	/* logging every call, or under valgrind */

/* vmem_init -- library constructor: environment, valgrind */
__attribute__((constructor))
static void
vmem_init(void)
{
	out_init("VMEM", "libvmem");
	VG_INIT();
	Punch = pool_punch_env("VMEM_PUNCH_HOLES");
	Slow = Out_level >= 4 || On_valgrind;
	/*
	 * Keep a thread on the engine's own arena for good: when none is,
	 * every cache destroyed at a thread's exit purges that arena whole
	 * (a madvise of all its dirty pages per exiting thread).
	 */
	unsigned a0 = 0;
	(void) vje_mallctl("thread.arena", NULL, NULL, &a0, sizeof(a0));
	LOG(3, "libvmem %d.%d, hole punching %s", VMEM_MAJOR_VERSION,
			VMEM_MINOR_VERSION, Punch ? "on" : "off");
}

/* vmem_fini -- library destructor: the main thread's caches, the log */
__attribute__((destructor))
static void
vmem_fini(void)
{
	tc_thread_fini();
	out_fini();
}

/* vmem_setup -- make vmp a live pool over [addr, addr + size) */
static int
vmem_setup(struct vmem *vmp, void *addr, size_t size, enum vmem_kind kind)
{
	int zeroed = kind == VMEM_FILE;
	memset(vmp, 0, sizeof(*vmp));
	vmp->kind = kind;
	if (reg_add(vmp) != 0)
		return -1;
	if (pool_init(&vmp->pool, addr, size, zeroed,
			Punch && kind != VMEM_REGION) != 0) {
		int e = errno;
		reg_remove(vmp);
		errno = e;
		return -1;
	}
	if (tc_pool_init(vmp) != 0) {
		int e = errno;
		(void) pool_fini(&vmp->pool);
		reg_remove(vmp);
		errno = e;
		return -1;
	}
	vmp->flags_nocache = MALLOCX_ARENA(vmp->pool.arena) |
		MALLOCX_TCACHE_NONE;
	vmp->magic = VMEM_MAGIC;
	VG_POOL_CREATE(addr, size);
	if (VG_ON()) {
		/*
		 * memcheck skips a block that starts where the pool starts
		 * in its leak check: keep the first bytes for itself
		 */
		(void) vje_mallocx(1, vmp->flags_nocache);
	}
	return 0;
}

/* vmem_create -- make a pool of size bytes on a new file in dir */
EXPORT VMEM *
vmem_create(const char *dir, size_t size)
{
	LOG(3, "dir %s size %zu", dir ? dir : "(null)", size);
	if (size < VMEM_MIN_POOL) {
		ERR("size %zu smaller than %zu", size, VMEM_MIN_POOL);
		errno = EINVAL;
		return NULL;
	}
	if (dir == NULL) {
		ERR("dir NULL");
		errno = EINVAL;
		return NULL;
	}
	struct vmem *vmp = Malloc(sizeof(*vmp));
	if (vmp == NULL) {
		ERR("out of memory for the pool handle");
		errno = ENOMEM;
		return NULL;
	}
	size &= ~(size_t)4095;
	int devdax;
	int fd = file_open_pool(dir, &size, &devdax);
	if (fd < 0)
		goto err_free;
	void *addr = file_map(fd, size, MAP_SHARED);
	int e = errno;
	close(fd);
	errno = e;
	if (addr == NULL)
		goto err_free;
	if (vmem_setup(vmp, addr, size, devdax ? VMEM_DEVDAX : VMEM_FILE)) {
		e = errno;
		munmap(addr, size);
		errno = e;
		goto err_free;
	}
	vmp->map_addr = addr;
	vmp->map_len = size;
	return vmp;
err_free:
	e = errno;
	Free(vmp);
	errno = e;
	return NULL;
}

/* vmem_create_in_region -- make a pool on memory the caller mapped */
EXPORT VMEM *
vmem_create_in_region(void *addr, size_t size)
{
	LOG(3, "addr %p size %zu", addr, size);
	if (((uintptr_t)addr & 4095) != 0) {
		ERR("addr %p not aligned to pagesize 4096", addr);
		errno = EINVAL;
		return NULL;
	}
	if (addr == NULL) {
		ERR("addr NULL");
		errno = EINVAL;
		return NULL;
	}
	if (size < VMEM_MIN_POOL) {
		ERR("size %zu smaller than %zu", size, VMEM_MIN_POOL);
		errno = EINVAL;
		return NULL;
	}
	if (size > UINTPTR_MAX - (uintptr_t)addr) {
		/* the range check of every free would claim foreign memory */
		ERR("region %p + %zu wraps around the address space", addr,
			size);
		errno = EINVAL;
		return NULL;
	}
	struct vmem *vmp = Malloc(sizeof(*vmp));
	if (vmp == NULL) {
		ERR("out of memory for the pool handle");
		errno = ENOMEM;
		return NULL;
	}
	if (vmem_setup(vmp, addr, size & ~(size_t)4095, VMEM_REGION)) {
		int e = errno;
		Free(vmp);
		errno = e;
		return NULL;
	}
	return vmp;
}

/* vmem_destroy -- the end of a pool: arena, mapping, handle */
void
vmem_destroy(struct vmem *vmp)
{
	if (pool_fini(&vmp->pool) != 0) {
		errno = EBUSY;	/* the engine refused: leave it mapped */
		return;
	}
	if (!vmp->retired)
		VG_POOL_DESTROY(vmp->pool.base);
	if (vmp->kind == VMEM_REGION)
		VG_UNDEFINED(vmp->pool.base, vmp->pool.size);
	else
		munmap(vmp->map_addr, vmp->map_len);
	tc_pool_free(vmp);
	Free(vmp);
}

/*
 * vmem_retire -- give a deleted pool's memory back while other threads'
 * own caches still hold blocks of it: inaccessible anonymous memory
 * replaces the file's mapping (the file goes), the addresses stay taken
 * until the arena is gone, and the hooks hand out nothing more
 */
static void
vmem_retire(struct vmem *vmp)
{
	pool_retire(&vmp->pool);
	VG_POOL_DESTROY(vmp->pool.base);
	if (mmap(vmp->map_addr, vmp->map_len, PROT_NONE, MAP_PRIVATE |
			MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) ==
			MAP_FAILED)
		LOG(1, "pool %p: cannot release its memory until its last "
			"thread lets go: %s", (void *)vmp, strerror(errno));
	tc_unref(vmp);
}

/* vmem_delete -- free the pool and everything in it */
EXPORT void
vmem_delete(VMEM *vmp)
{
	LOG(3, "vmp %p", (void *)vmp);
	if (!reg_valid(vmp)) {
		ERR("invalid pool handle %p", (void *)vmp);
		errno = EINVAL;
		return;
	}
	reg_remove(vmp);
	int held = tc_pool_fini(vmp);
	vmp->magic = 0;
	vmp->gen = 0;
	if (held)
		vmem_retire(vmp);
	else
		vmem_destroy(vmp);
}

/* vmem_check -- 1 consistent, 0 corrupt, -1 could not check */
EXPORT int
vmem_check(VMEM *vmp)
{
	int ret = reg_check(vmp);
	if (ret < 0) {
		ERR("invalid pool handle %p", (void *)vmp);
		errno = EINVAL;
	}
	return ret;
}

/* vmem_stats_print -- statistics of this pool through the print function */
EXPORT void
vmem_stats_print(VMEM *vmp, const char *opts)
{
	if (!reg_valid(vmp)) {
		ERR("invalid pool handle %p", (void *)vmp);
		errno = EINVAL;
		return;
	}
	static const char *const kind[] = { "file", "devdax", "region" };
	struct stats_pool sp = {
		.pool = &vmp->pool, .lib = "libvmem", .kind = kind[vmp->kind],
		.caches = tc_caches(vmp), .caches_max = vmp->tc_max,
	};
	stats_print(&sp, opts ? opts : "");
}

/* relieve -- before retry round: flush the thread's cache, purge */
__attribute__((noinline, cold))
static void
relieve(struct vmem *vmp, const struct tc_flags *f, size_t size, int round)
{
	LOG(2, "pool %p: %zu bytes failed, retrying after flush and purge",
			(void *)vmp, size);
	tc_flush(vmp, f);
	pool_relieve(&vmp->pool, round);
}

/* alloc_failed -- relieve the pool and retry, a few rounds */
__attribute__((noinline, cold))
static void *
alloc_failed(struct vmem *vmp, const struct tc_flags *f, size_t size,
		int flags)
{
	void *p = NULL;
	for (int round = 0; p == NULL && round < POOL_RETRIES; round++) {
		relieve(vmp, f, size, round);
		p = vje_mallocx(size, flags);
	}
	if (p == NULL) {
		ERR("out of memory in pool %p (%zu bytes)", (void *)vmp, size);
		errno = ENOMEM;
	}
	return p;
}

/* pool_alloc -- allocate size bytes (0 counts as 1) with extra flags */
static inline void *
pool_alloc(VMEM *vmp, size_t size, int extra)
{
	const struct tc_flags *f = tc_flags(vmp);
	if (unlikely(f == NULL))
		return NULL;
	size += size == 0;
	int flags = f->alloc | extra;
	/* the home pool: the engine's fast path, which takes no flags */
	void *p = flags == 0 ? vje_malloc(size) : vje_mallocx(size, flags);
	if (unlikely(p == NULL))
		p = alloc_failed(vmp, f, size, flags);
	return p;
}

/* malloc_slow -- vmem_malloc with a log line and memcheck's record */
__attribute__((noinline))
static void *
malloc_slow(VMEM *vmp, size_t size)
{
	LOG(4, "vmp %p size %zu", (void *)vmp, size);
	void *p = pool_alloc(vmp, size, 0);
	VG_ALLOC(p, size, 0);
	return p;
}

/* vmem_malloc -- allocate size bytes from the pool */
EXPORT void *
vmem_malloc(VMEM *vmp, size_t size)
{
	if (unlikely(Slow))
		return malloc_slow(vmp, size);
	return pool_alloc(vmp, size, 0);
}

/* not_owned -- a pointer given to the wrong pool */
__attribute__((noinline, cold))
static void
not_owned(VMEM *vmp, void *ptr)
{
	ERR("pointer %p does not belong to pool %p", ptr, (void *)vmp);
	errno = EINVAL;
}

/* pool_free -- the work of vmem_free, with or without memcheck */
static inline void
pool_free(VMEM *vmp, void *ptr, int vg)
{
	if (ptr == NULL)
		return;
	const struct tc_flags *f = tc_flags(vmp);
	if (unlikely(f == NULL))
		return;
	if (unlikely(!pool_owns(&vmp->pool, ptr))) {
		not_owned(vmp, ptr);
		return;
	}
	if (vg)
		VG_FREE(ptr);
	if (f->free == 0)
		vje_free(ptr);	/* the home pool: the engine's fast path */
	else
		vje_dallocx(ptr, f->free);
}

/* free_slow -- vmem_free with a log line and memcheck's record */
__attribute__((noinline))
static void
free_slow(VMEM *vmp, void *ptr)
{
	LOG(4, "vmp %p ptr %p", (void *)vmp, ptr);
	pool_free(vmp, ptr, 1);
}

/* vmem_free -- give a block back to its pool */
EXPORT void
vmem_free(VMEM *vmp, void *ptr)
{
	if (unlikely(Slow)) {
		free_slow(vmp, ptr);
		return;
	}
	pool_free(vmp, ptr, 0);
}

/* vmem_calloc -- allocate a zeroed array */
EXPORT void *
vmem_calloc(VMEM *vmp, size_t nmemb, size_t size)
{
	LOG(4, "vmp %p nmemb %zu size %zu", (void *)vmp, nmemb, size);
	size_t n;
	if (unlikely(__builtin_mul_overflow(nmemb, size, &n))) {
		ERR("calloc size overflow: %zu * %zu", nmemb, size);
		errno = ENOMEM;
		return NULL;
	}
	if (VG_ON()) {
		void *p = pool_alloc(vmp, n, 0);
		VG_ALLOC(p, n, 1);
		if (p != NULL)
			memset(p, 0, n);
		return p;
	}
	return pool_alloc(vmp, n, MALLOCX_ZERO);
}

/* realloc_vg -- realloc as allocate, copy, free, so memcheck follows */
static void *
realloc_vg(VMEM *vmp, void *ptr, size_t size)
{
	void *n = pool_alloc(vmp, size, 0);
	size_t old = vje_sallocx(ptr, 0);
	if (n == NULL && size <= old) {
		/* shrinking in a full pool: keep the block, tell memcheck */
		VG_FREE(ptr);
		VG_ALLOC(ptr, size, 1);
		return ptr;
	}
	if (n == NULL)
		return NULL;
	VG_ALLOC(n, size, 0);
	VALGRIND_DISABLE_ERROR_REPORTING;
	memcpy(n, ptr, old < size ? old : size);
	VALGRIND_ENABLE_ERROR_REPORTING;
	vmem_free(vmp, ptr);
	return n;
}

/* vmem_realloc -- resize a block, moving it if needed */
EXPORT void *
vmem_realloc(VMEM *vmp, void *ptr, size_t size)
{
	LOG(4, "vmp %p ptr %p size %zu", (void *)vmp, ptr, size);
	if (ptr == NULL)
		return vmem_malloc(vmp, size);
	const struct tc_flags *f = tc_flags(vmp);
	if (unlikely(f == NULL))
		return NULL;
	if (unlikely(!pool_owns(&vmp->pool, ptr))) {
		not_owned(vmp, ptr);
		return NULL;
	}
	if (size == 0) {
		vmem_free(vmp, ptr);
		return NULL;
	}
	if (VG_ON())
		return realloc_vg(vmp, ptr, size);
	void *n = vje_rallocx(ptr, size, f->alloc);
	for (int round = 0; unlikely(n == NULL) && round < POOL_RETRIES;
			round++) {
		relieve(vmp, f, size, round);
		n = vje_rallocx(ptr, size, f->alloc);
	}
	if (unlikely(n == NULL)) {
		if (size <= vje_sallocx(ptr, 0))
			return ptr;	/* shrinking in a full pool */
		ERR("out of memory in pool %p (%zu bytes)", (void *)vmp, size);
		errno = ENOMEM;
	}
	return n;
}

/* vmem_aligned_alloc -- allocate with a power-of-two alignment */
EXPORT void *
vmem_aligned_alloc(VMEM *vmp, size_t alignment, size_t size)
{
	LOG(4, "vmp %p alignment %zu size %zu", (void *)vmp, alignment, size);
	if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
		ERR("alignment %zu is not a power of two", alignment);
		errno = EINVAL;
		return NULL;
	}
	void *p = pool_alloc(vmp, size, MALLOCX_ALIGN(alignment));
	VG_ALLOC(p, size, 0);
	return p;
}

/* pool_dup -- copy n bytes of s into the pool */
static void *
pool_dup(VMEM *vmp, const void *s, size_t n)
{
	void *p = vmem_malloc(vmp, n);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* null_string -- the error of a NULL string given to a dup function */
__attribute__((noinline, cold))
static void *
null_string(void)
{
	ERR("string NULL");
	errno = EINVAL;
	return NULL;
}

/* vmem_strdup -- copy a string into the pool */
EXPORT char *
vmem_strdup(VMEM *vmp, const char *s)
{
	return s ? pool_dup(vmp, s, strlen(s) + 1) : null_string();
}

/* vmem_wcsdup -- copy a wide string into the pool */
EXPORT wchar_t *
vmem_wcsdup(VMEM *vmp, const wchar_t *s)
{
	return s ? pool_dup(vmp, s, (wcslen(s) + 1) * sizeof(wchar_t)) :
		null_string();
}

/* vmem_malloc_usable_size -- usable bytes of a block, 0 for NULL */
EXPORT size_t
vmem_malloc_usable_size(VMEM *vmp, void *ptr)
{
	if (ptr == NULL)
		return 0;
	if (unlikely(tc_flags(vmp) == NULL))
		return 0;
	if (!pool_owns(&vmp->pool, ptr)) {
		not_owned(vmp, ptr);
		return 0;
	}
	return vje_sallocx(ptr, 0);
}

/* vmem_check_version -- NULL when the library is compatible */
EXPORT const char *
vmem_check_version(unsigned major_required, unsigned minor_required)
{
	static __thread char msg[96] __attribute__((tls_model("initial-exec")));
	if (major_required != VMEM_MAJOR_VERSION) {
		snprintf(msg, sizeof(msg),
			"libvmem major version mismatch (need %u, found %u)",
			major_required, VMEM_MAJOR_VERSION);
		ERR("%s", msg);
		return msg;
	}
	if (minor_required > VMEM_MINOR_VERSION) {
		snprintf(msg, sizeof(msg),
			"libvmem minor version mismatch (need %u, found %u)",
			minor_required, VMEM_MINOR_VERSION);
		ERR("%s", msg);
		return msg;
	}
	return NULL;
}

/* vmem_set_funcs -- replace the library's own allocator and printer */
EXPORT void
vmem_set_funcs(void *(*malloc_func)(size_t size),
		void (*free_func)(void *ptr),
		void *(*realloc_func)(void *ptr, size_t size),
		char *(*strdup_func)(const char *s),
		void (*print_func)(const char *s))
{
	util_set_alloc_funcs(malloc_func, free_func, realloc_func,
			strdup_func);
	out_set_print_func(print_func);
}

/* vmem_errormsg -- the calling thread's last error message */
EXPORT const char *
vmem_errormsg(void)
{
	return out_errormsg();
}
