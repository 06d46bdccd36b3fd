/*
 * stats.h -- human-readable and JSON statistics of one pool
 */
#ifndef VMEM_STATS_H
#define VMEM_STATS_H 1

#include "pool.h"

/* what the printer needs to know of a pool besides its arena */
struct stats_pool {
	const struct pool *pool;
	const char *lib;	/* "libvmem" or "libvmmalloc" */
	const char *kind;	/* "file", "devdax", "region" */
	unsigned caches;	/* live thread caches of the pool */
	unsigned caches_max;
};

/* stats_print -- print the pool's statistics through the print function */
void stats_print(const struct stats_pool *sp, const char *opts);

/* stats_allocated -- bytes allocated in the pool's arena now */
size_t stats_allocated(const struct pool *p);

#endif /* VMEM_STATS_H */
