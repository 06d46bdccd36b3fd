/*
 * pool.c -- one pool: a range of memory, its extent hooks, its arena
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "file.h"
#include "out.h"
#include "pool.h"

#define PAGE ((size_t)4096)

/* pool_of -- the pool whose hooks these are */
static inline struct pool *
pool_of(extent_hooks_t *h)
{
	return (struct pool *)h;
}

/* is_metadata -- only metadata requests come 2 MiB-aligned in 2 MiB units */
static inline int
is_metadata(size_t size, size_t alignment)
{
	return alignment == FILE_ALIGN && (size & (FILE_ALIGN - 1)) == 0;
}

/* meta_map -- anonymous memory for the arena's metadata */
static void *
meta_map(size_t size, size_t alignment)
{
	size_t rsize = size + alignment;
	char *res = mmap(NULL, rsize, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return NULL;
	char *addr = (char *)(((uintptr_t)res + alignment - 1) &
			~(uintptr_t)(alignment - 1));
	if (addr > res)
		munmap(res, (size_t)(addr - res));
	if (res + rsize > addr + size)
		munmap(addr + size, (size_t)(res + rsize - (addr + size)));
	return addr;
}

/* hook_alloc -- carve an extent from the pool, or map metadata */
static void *
hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t alignment,
		bool *zero, bool *commit, unsigned arena_ind)
{
	(void) arena_ind;
	struct pool *p = pool_of(h);

	if (new_addr == NULL && is_metadata(size, alignment)) {
		void *m = meta_map(size, alignment);
		if (m != NULL) {
			*zero = true;
			*commit = true;
		}
		return m;
	}

	char *ret = NULL;
	pthread_mutex_lock(&p->lock);
	char *end = p->base + p->size;
	char *a = (char *)(((uintptr_t)p->next + alignment - 1) &
			~(uintptr_t)(alignment - 1));
	if (new_addr != NULL && new_addr != a)
		a = NULL;
	if (a != NULL && a >= p->next && a <= end &&
			size <= (size_t)(end - a)) {
		ret = a;
		p->next = a + size;
	}
	pthread_mutex_unlock(&p->lock);
	if (ret == NULL)
		return NULL;
	if (*zero && !p->zeroed)
		memset(ret, 0, size);
	else
		*zero = p->zeroed;
	*commit = true;
	return ret;
}

/* hook_dalloc -- keep pool extents (opt out); unmap metadata */
static bool
hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed,
		unsigned arena_ind)
{
	(void) committed; (void) arena_ind;
	struct pool *p = pool_of(h);
	if (pool_owns(p, addr))
		return true;
	munmap(addr, size);
	return false;
}

/* hook_destroy -- nothing to do for pool extents; unmap metadata */
static void
hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed,
		unsigned arena_ind)
{
	(void) hook_dalloc(h, addr, size, committed, arena_ind);
}

/* hook_commit -- pool memory is always committed */
static bool
hook_commit(extent_hooks_t *h, void *addr, size_t size, size_t offset,
		size_t length, unsigned arena_ind)
{
	(void) h; (void) addr; (void) size; (void) offset; (void) length;
	(void) arena_ind;
	return false;
}

/*
 * hook_purge -- punch a hole: the blocks go back to the file system and
 * read as zero; refuse (keep the pages) when punching is off or the
 * mapping is no longer shared
 */
static bool
hook_purge(extent_hooks_t *h, void *addr, size_t size, size_t offset,
		size_t length, unsigned arena_ind)
{
	(void) size; (void) arena_ind;
	struct pool *p = pool_of(h);
	if (!__atomic_load_n(&p->punch, __ATOMIC_RELAXED) ||
			!pool_owns(p, addr))
		return true;
	return madvise((char *)addr + offset, length, MADV_REMOVE) != 0;
}

/* hook_split -- extents of the pool split freely */
static bool
hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a,
		size_t size_b, bool committed, unsigned arena_ind)
{
	(void) size; (void) size_a; (void) size_b; (void) committed;
	(void) arena_ind;
	return !pool_owns(pool_of(h), addr);
}

/* hook_merge -- adjacent pool extents merge; metadata mappings do not */
static bool
hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b,
		size_t size_b, bool committed, unsigned arena_ind)
{
	(void) size_a; (void) size_b; (void) committed; (void) arena_ind;
	struct pool *p = pool_of(h);
	return !(pool_owns(p, addr_a) && pool_owns(p, addr_b));
}

/* class_floor -- the largest engine size class not above n (n >= 16 KiB) */
static size_t
class_floor(size_t n)
{
	unsigned lg = 63u - (unsigned)__builtin_clzl(n);
	size_t grp = (size_t)1 << lg, step = grp >> 2;
	return grp + ((n - grp) / step) * step;
}

/*
 * pool_prime -- let the engine take the whole pool up front: allocate the
 * largest size class that fits, again and again from what is left, free
 * it all and purge, so the free extents (dirty and retained) coalesce and
 * the engine owns the pool as one extent (otherwise its geometric growth
 * strands the tails)
 */
static void
pool_prime(struct pool *p)
{
	int flags = MALLOCX_ARENA(p->arena) | MALLOCX_TCACHE_NONE;
	void *held[64];
	unsigned n = 0;
	while (n < sizeof(held) / sizeof(held[0])) {
		size_t left = (size_t)(p->base + p->size - p->next);
		if (left < 5 * PAGE)
			break;
		void *x = vje_mallocx(class_floor(left - PAGE), flags);
		if (x == NULL)
			break;
		held[n++] = x;
	}
	while (n > 0)
		vje_dallocx(held[--n], MALLOCX_TCACHE_NONE);
	/* what the engine's growth kept apart (retained) joins it here */
	pool_purge(p);
}

/* pool_punch_env -- whether <var> asks for hole punching */
int
pool_punch_env(const char *var)
{
	const char *v = secure_getenv(var);
	return v != NULL && strcmp(v, "1") == 0;
}

/* pool_init -- create the arena over [base, base + size) */
int
pool_init(struct pool *p, void *base, size_t size, int zeroed, int punch)
{
	memset(p, 0, sizeof(*p));
	p->hooks.alloc = hook_alloc;
	p->hooks.dalloc = hook_dalloc;
	p->hooks.destroy = hook_destroy;
	p->hooks.commit = hook_commit;
	p->hooks.decommit = NULL;	/* opt out: memory stays committed */
	p->hooks.purge_lazy = NULL;	/* MADV_FREE is EINVAL on files */
	p->hooks.purge_forced = punch ? hook_purge : NULL;
	p->hooks.split = hook_split;
	p->hooks.merge = hook_merge;
	p->base = base;
	p->size = size;
	p->next = base;
	p->zeroed = zeroed;
	p->punch = punch;
	pthread_mutex_init(&p->lock, NULL);

	if (engine_check() != 0)
		return -1;

	extent_hooks_t *hp = &p->hooks;
	size_t len = sizeof(p->arena);
	int ret = vje_mallctl("arenas.create", &p->arena, &len, &hp,
			sizeof(hp));
	if (ret != 0) {
		ERR("cannot create the pool's arena: %s%s", strerror(ret),
			ret == EAGAIN ? " (too many pools alive)" : "");
		pthread_mutex_destroy(&p->lock);
		errno = ret == EFAULT ? ENOMEM : ret;
		return -1;
	}
	/*
	 * With punching, decay drives it; never 0 (one punch a slab).
	 * Without, a purge can do nothing but move free extents from dirty
	 * to retained, where they no longer coalesce with their dirty
	 * neighbours: how much of a pool fits then depended on timing.  So
	 * no decay; libvmem purges only on ENOMEM.
	 */
	ssize_t ms = punch ? 1000 : -1;
	(void) engine_arena_ctl(p->arena, "dirty_decay_ms", &ms, sizeof(ms));
	pool_prime(p);
	LOG(3, "pool %p size %zu arena %u punch %d", base, size, p->arena,
			punch);
	return 0;
}

/* pool_purge -- give dirty extents back (coalescing them) */
void
pool_purge(struct pool *p)
{
	(void) engine_arena_ctl(p->arena, "purge", NULL, 0);
}

/* pool_retire -- a deleted pool's hooks hand out and purge nothing more */
void
pool_retire(struct pool *p)
{
	__atomic_store_n(&p->punch, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&p->lock);
	p->next = p->base + p->size;
	pthread_mutex_unlock(&p->lock);
}

/* pool_relieve -- purge before retry number round (0, 1, ...) */
void
pool_relieve(struct pool *p, int round)
{
	if (round > 0)
		sched_yield();	/* let a concurrent purge finish */
	pool_purge(p);
}

/* pool_fini -- destroy the arena: everything in it, its metadata */
int
pool_fini(struct pool *p)
{
	int ret = engine_arena_ctl(p->arena, "destroy", NULL, 0);
	if (ret != 0) {
		ERR("cannot destroy arena %u: %s", p->arena, strerror(ret));
		return -1;
	}
	pthread_mutex_destroy(&p->lock);
	return 0;
}
