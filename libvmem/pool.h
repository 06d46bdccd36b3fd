/*
 * pool.h -- one pool: a range of memory, its extent hooks, its arena
 *
 * A pool hands the engine the memory [base, base + size) through extent
 * hooks; the engine's own metadata for the pool's arena is served from
 * anonymous memory the hooks map (and unmap) themselves, so nearly the
 * whole range is usable.  The hooks never allocate and never call the
 * engine: they run under its locks.
 */
#ifndef VMEM_POOL_H
#define VMEM_POOL_H 1

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct pool {
	extent_hooks_t hooks;	/* first: the engine hands &hooks back */
	char *base;		/* first byte of pool memory */
	size_t size;		/* bytes of pool memory */
	char *next;		/* bump pointer: memory not yet given out */
	pthread_mutex_t lock;	/* protects next */
	unsigned arena;		/* the engine's arena of this pool */
	int zeroed;		/* fresh memory reads as zero (a new file) */
	volatile int punch;	/* purge = punch a hole (MADV_REMOVE) */
};

/* pool_init -- create the arena over [base, base + size) */
int pool_init(struct pool *p, void *base, size_t size, int zeroed,
		int punch);

/* pool_fini -- destroy the arena: everything in it, its metadata */
int pool_fini(struct pool *p);

/* pool_owns -- whether ptr lies inside the pool's memory */
static inline int
pool_owns(const struct pool *p, const void *ptr)
{
	return (uintptr_t)ptr - (uintptr_t)p->base < p->size;
}

/* pool_retire -- a deleted pool's hooks hand out and purge nothing more */
void pool_retire(struct pool *p);

/*
 * Rounds of flush, purge and retry before a failed allocation is ENOMEM:
 * while one thread purges, the extents it purges belong to no free list,
 * so another thread failing then needs a further round (seen: 1 in ~10
 * runs of 5,000 threads, 8 at a time, on a 32 MiB pool)
 */
#define POOL_RETRIES 3

/* pool_purge -- give dirty extents back (coalescing them) */
void pool_purge(struct pool *p);

/* pool_relieve -- purge before retry number round (0, 1, ...) */
void pool_relieve(struct pool *p, int round);

/* pool_punch_env -- whether <var> asks for hole punching */
int pool_punch_env(const char *var);

#endif /* VMEM_POOL_H */
