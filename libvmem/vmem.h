/*
 * vmem.h -- the VMEM handle of libvmem, and the per-(thread, pool) caches
 */
#ifndef VMEM_VMEM_H
#define VMEM_VMEM_H 1

#include <pthread.h>
#include <stdint.h>

#include "pool.h"

#define VMEM_MAX_POOLS 4096	/* the engine allows ~4093 arenas */
#define VMEM_MAGIC 0x766d656d706f6f6cULL	/* "vmempool" */
#define VMEM_CACHE_SHARE ((size_t)12 << 20)	/* one cache per 12 MiB */

enum vmem_kind { VMEM_FILE, VMEM_DEVDAX, VMEM_REGION };

struct vmem {
	struct pool pool;	/* first: hooks, memory range, arena */
	uint64_t magic;
	uint64_t gen;		/* unique per created pool, never 0 */
	unsigned slot;		/* index in the table of live pools */
	enum vmem_kind kind;
	void *map_addr;		/* the mapping to drop at delete */
	size_t map_len;
	int flags_nocache;	/* mallocx flags without a thread cache */

	pthread_mutex_t tc_lock;	/* protects the cache registry */
	unsigned tc_max;	/* live caches this pool hands out */
	unsigned tc_count;	/* explicit caches alive */
	unsigned *tc_ids;	/* engine ids of the explicit caches */
	unsigned home_count;	/* threads whose own cache serves the pool,
				 * plus the deleter's hold on a retired pool */
	int retired;		/* deleted, waiting for its home threads */
};

/*
 * the flags one thread uses for one pool; both 0 for the thread's home
 * pool, served by the engine's own cache of the thread (fast path)
 */
struct tc_flags {
	int alloc;	/* MALLOCX_ARENA | MALLOCX_TCACHE(_NONE), or 0 */
	int free;	/* MALLOCX_TCACHE(_NONE), or 0 */
	unsigned tc;	/* cache id, TC_NONE without a cache, or TC_HOME */
};
#define TC_NONE (~0u)
#define TC_HOME (~1u)

/* the calling thread's last pool, checked inline on every call */
struct tc_last {
	const struct vmem *vmp;
	uint64_t gen;
	struct tc_flags f;
};
extern __thread struct tc_last Tc_last
	__attribute__((tls_model("initial-exec")));

/* tc_lookup -- the thread's flags for vmp (NULL: not a live pool) */
const struct tc_flags *tc_lookup(struct vmem *vmp);

/* tc_flags -- the thread's flags for vmp: the one-entry cache, or lookup */
static inline const struct tc_flags *
tc_flags(struct vmem *vmp)
{
	if (__builtin_expect(Tc_last.vmp == vmp && vmp != NULL &&
			Tc_last.gen == vmp->gen, 1))
		return &Tc_last.f;
	return tc_lookup(vmp);
}

/* tc_pool_init -- prepare the cache registry of a new pool */
int tc_pool_init(struct vmem *vmp);

/*
 * tc_pool_fini -- destroy every cache of the pool (all threads'); 1 when
 * other threads still have it as their home: the caller then retires the
 * pool and drops its own hold with tc_unref
 */
int tc_pool_fini(struct vmem *vmp);

/* tc_pool_free -- free the cache registry of a destroyed pool */
void tc_pool_free(struct vmem *vmp);

/* tc_unref -- drop a hold on a retired pool; the last one destroys it */
void tc_unref(struct vmem *vmp);

/* tc_caches -- caches the pool serves now (explicit and home) */
unsigned tc_caches(struct vmem *vmp);

/* vmem_destroy -- the end of a pool: arena, mapping, handle (vmem.c) */
void vmem_destroy(struct vmem *vmp);

/* tc_flush -- flush the calling thread's cache of vmp */
void tc_flush(struct vmem *vmp, const struct tc_flags *f);

/* tc_thread_fini -- destroy the calling thread's caches (exit, unload) */
void tc_thread_fini(void);

/* registry of live pools */
int reg_add(struct vmem *vmp);
void reg_remove(struct vmem *vmp);
int reg_valid(const struct vmem *vmp);
int reg_check(const struct vmem *vmp);
void reg_lock(void);
void reg_unlock(void);

#endif /* VMEM_VMEM_H */
